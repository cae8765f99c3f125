#include "core/redact.hpp"

#include <cctype>

namespace verifull::detail {
namespace {

// scheme://user:password@host  ->  scheme://user:***@host, for every URL in `text`.
std::string redact_urls(std::string text) {
  for (std::size_t from = 0; (from = text.find("://", from)) != std::string::npos;) {
    const std::size_t authority = from + 3;
    std::size_t end = authority;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != '"' &&
           text[end] != '\'')
      ++end;
    // The userinfo ends at the last '@' of the authority (a password may contain '@' or '/').
    const std::size_t at = text.rfind('@', end == 0 ? 0 : end - 1);
    const std::size_t colon = text.find(':', authority);
    if (at != std::string::npos && at >= authority && colon != std::string::npos && colon < at) {
      text.replace(colon + 1, at - colon - 1, "***");
      from = colon + 4;
    } else {
      from = authority;
    }
  }
  return text;
}

bool is_key_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// password=value / password = 'va lue' / passwd=...  ->  password=***
std::string redact_keywords(std::string text) {
  for (const std::string key : {"password", "passwd"}) {
    for (std::size_t at = 0; (at = text.find(key, at)) != std::string::npos; at += key.size()) {
      if (at > 0 && is_key_char(text[at - 1])) continue;
      std::size_t i = at + key.size();
      while (i < text.size() && text[i] == ' ') ++i;
      if (i >= text.size() || text[i] != '=') continue;
      ++i;
      while (i < text.size() && text[i] == ' ') ++i;
      std::size_t end = i;
      if (end < text.size() && (text[end] == '\'' || text[end] == '"')) {
        const char quote = text[end++];
        while (end < text.size() && text[end] != quote) end += text[end] == '\\' ? 2 : 1;
        end = std::min(end + 1, text.size());
      } else {
        while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != '&' &&
               text[end] != '"')
          ++end;
      }
      text.replace(i, end - i, "***");
    }
  }
  return text;
}

}  // namespace

std::string redact_secrets(const std::string& text) { return redact_keywords(redact_urls(text)); }

}  // namespace verifull::detail
