#include "core/redact.hpp"

#include <cctype>

namespace verifull::detail {
namespace {

bool ends_token(char c) { return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\''; }

// user:password@host  ->  user:***@host in every token of `text`, with a scheme
// (postgres://user:pw@host) or without one (user:pw@host/db): the userinfo ends at the
// token's last '@' (a password may hold '@', ':' or '/').
std::string redact_userinfo(std::string text) {
  for (std::size_t start = 0; start < text.size();) {
    if (ends_token(text[start])) {
      ++start;
      continue;
    }
    std::size_t end = start;
    while (end < text.size() && !ends_token(text[end])) ++end;
    const std::size_t scheme = text.find("://", start);
    const std::size_t userinfo = scheme != std::string::npos && scheme < end ? scheme + 3 : start;
    const std::size_t at = text.rfind('@', end - 1);
    const std::size_t colon = text.find(':', userinfo);
    if (at != std::string::npos && at >= userinfo && colon != std::string::npos && colon < at) {
      text.replace(colon + 1, at - colon - 1, "***");
      end = colon + 4 + (end - at);
    }
    start = end;
  }
  return text;
}

bool is_key_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// password=value / password = 'va lue' / passwd=...  ->  password=***; also a client
// key's passphrase (libpq's sslpassword, MySQL URLs' ssl-passphrase / ssl_passphrase).
std::string redact_keywords(std::string text) {
  for (const std::string key : {"password", "passwd", "sslpassword", "passphrase", "ssl_passphrase"}) {
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

std::string redact_secrets(const std::string& text) { return redact_keywords(redact_userinfo(text)); }

}  // namespace verifull::detail
