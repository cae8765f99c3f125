#include "verifull/endpoint.hpp"

#include <cctype>

#include "verifull/errors.hpp"
#include "verifull/policy.hpp"
#include "core/list_syntax.hpp"
#include "core/port.hpp"
#include "core/url_rules.hpp"

namespace verifull {
inline namespace v0 {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(const std::string& text, const std::string& what) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
    const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) throw InputError("invalid percent-encoding in the " + what + " of the URL");
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') throw InputError("the " + what + " of the URL contains %00");
    out += c;
    i += 2;
  }
  return out;
}

}  // namespace

Endpoint parse_url(const std::string& url) {
  // The URL is quoted redacted, escaped and cut short (quote_input in errors.cpp).
  const auto bad = [&](const std::string& why) {
    return InputError("invalid database URL " + quote_input(url) + ": " + why +
                      " (expected postgres://user:password@host:port/db or mysql://...)");
  };
  Endpoint ep;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw bad("no scheme");
  const auto scheme = url.substr(0, scheme_end);
  if (scheme == "postgres" || scheme == "postgresql") {
    ep.protocol = Protocol::postgres;
    ep.port = 5432;
  } else if (scheme == "mysql" || scheme == "mariadb") {
    ep.protocol = Protocol::mysql;
    ep.port = 3306;
  } else {
    throw bad("unknown scheme " + quote_input(scheme));
  }
  std::string rest = url.substr(scheme_end + 3);
  std::string query;
  if (const auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest.resize(q);
  }
  std::string authority = rest;
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    authority = rest.substr(0, slash);
    ep.database = percent_decode(rest.substr(slash + 1), "database name");
  }
  if (const auto at = authority.rfind('@'); at != std::string::npos) {
    const auto userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = userinfo.find(':');
    ep.user = percent_decode(userinfo.substr(0, colon), "user name");
    if (colon != std::string::npos) ep.password = percent_decode(userinfo.substr(colon + 1), "password");
  }
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) throw bad("unterminated [IPv6] host");
    ep.host = authority.substr(1, close - 1);
    if (!is_ip_literal(ep.host)) throw bad(quote_input(ep.host) + " in brackets is not an IPv6 address");
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bad("unexpected text after the IPv6 host");
      port = after.substr(1);
    }
  } else {
    if (authority.find(',') != std::string::npos)
      throw bad("several hosts in one URL; give each endpoint its own URL");
    const auto colon = authority.rfind(':');
    ep.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
    ep.host = percent_decode(ep.host, "host");
    if (ep.host.find(':') != std::string::npos) throw bad("an IPv6 host must be in [brackets]");
  }
  if (ep.host.empty()) throw bad("no host");
  if (!port.empty() || authority.back() == ':') {
    // The port itself is not quoted: the URL (redacted) is (core/port.hpp).
    const auto value = detail::parse_port(port);
    if (!value) throw bad(std::string("the port must be ") + detail::kPortRule);
    ep.port = *value;
  }
  for (const auto& pair : query.empty() ? std::vector<std::string>{} : detail::split_list(query, '&')) {
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      if (eq == std::string::npos || eq == 0) throw bad("query parameter " + quote_input(pair) + " is not key=value");
      ep.params.emplace_back(percent_decode(pair.substr(0, eq), "query"), percent_decode(pair.substr(eq + 1), "query"));
      if (ep.protocol == Protocol::postgres && ep.params.back().first == "host")
        throw detail::postgres_url_host_parameter_refused();
    }
  }
  return ep;
}

std::string Endpoint::host_port() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Endpoint::display() const {
  std::string out = protocol == Protocol::postgres ? "postgres://" : "mysql://";
  if (!user.empty()) out += user + "@";
  out += host_port();
  if (!database.empty()) out += "/" + database;
  return out;
}

}  // namespace v0
}  // namespace verifull
