#include "verifull/policy.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <ctime>

#include "core/cert_facts.hpp"
#include "core/peer_name.hpp"
#include "verifull/errors.hpp"

namespace verifull {
inline namespace v0 {
namespace {

std::string strip_brackets(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    return host.substr(1, host.size() - 2);
  return host;
}

bool all_digits(const std::string& s, std::size_t from, std::size_t count) {
  if (from + count > s.size()) return false;
  for (std::size_t i = from; i < from + count; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

int number(const std::string& s, std::size_t from, std::size_t count) {
  return std::stoi(s.substr(from, count));
}

}  // namespace

bool is_ip_literal(const std::string& host) {
  const auto bare = strip_brackets(host);
  unsigned char buf[16];
  return inet_pton(AF_INET, bare.c_str(), buf) == 1 || inet_pton(AF_INET6, bare.c_str(), buf) == 1;
}

std::int64_t parse_rfc3339(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return InputError("invalid time " + quote_input(text) + ": " + why +
                      " (expected RFC 3339, e.g. 2025-01-31T12:00:00Z)");
  };
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (text.size() < 20 || !all_digits(text, 0, 4) || text[4] != '-' || !all_digits(text, 5, 2) ||
      text[7] != '-' || !all_digits(text, 8, 2) || (text[10] != 'T' && text[10] != 't') ||
      !all_digits(text, 11, 2) || text[13] != ':' || !all_digits(text, 14, 2) ||
      text[16] != ':' || !all_digits(text, 17, 2)) {
    throw bad("malformed date or time");
  }
  std::tm tm{};
  tm.tm_year = number(text, 0, 4) - 1900;
  tm.tm_mon = number(text, 5, 2) - 1;
  tm.tm_mday = number(text, 8, 2);
  tm.tm_hour = number(text, 11, 2);
  tm.tm_min = number(text, 14, 2);
  tm.tm_sec = number(text, 17, 2);
  static const int days_in_month[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
      tm.tm_mday > days_in_month[tm.tm_mon] || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    throw bad("a field is out of range");
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const auto digits_from = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
    if (pos == digits_from) throw bad("empty fraction of a second");
  }
  std::int64_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    if (!all_digits(text, pos + 1, 2) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !all_digits(text, pos + 4, 2))
      throw bad("malformed UTC offset");
    const int hours = number(text, pos + 1, 2), minutes = number(text, pos + 4, 2);
    if (hours > 23 || minutes > 59) throw bad("UTC offset out of range");
    offset = (text[pos] == '+' ? 1 : -1) * (hours * 3600 + minutes * 60);
    pos += 6;
  } else {
    throw bad("missing time zone (Z or an offset)");
  }
  if (pos != text.size()) throw bad("trailing characters");
  if (tm.tm_sec == 60) tm.tm_sec = 59;  // a leap second verifies like the second before it
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

std::string decode_pin(const std::string& pin) {
  const std::string prefix = "sha256/";
  const auto bad = [&](const std::string& why) {
    return InputError("invalid pin " + quote_input(pin) + ": " + why +
                      " (expected sha256/ followed by the base64 SHA-256 of the public key, "
                      "as `verifull ca-info` and `verifull check` print)");
  };
  if (pin.rfind(prefix, 0) != 0) throw bad("it does not start with sha256/");
  const auto b64 = pin.substr(prefix.size());
  if (b64.size() != 44 || b64[43] != '=' || b64[42] == '=') throw bad("wrong length");
  for (std::size_t i = 0; i < 43; ++i) {
    const char c = b64[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/')
      throw bad("not base64");
  }
  std::string raw(33, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()), 44);
  if (n != 33) throw bad("not base64");
  raw.resize(32);
  if (detail::base64(raw) != b64) throw bad("not canonical base64");
  return raw;
}

const char* engine_name(Engine engine) {
  switch (engine) {
    case Engine::openssl: return "openssl";
    case Engine::botan: return "botan";
    case Engine::both: return "both";
  }
  return "unknown";
}

Engine parse_engine(const std::string& name) {
  if (name == "openssl") return Engine::openssl;
  if (name == "botan") return Engine::botan;
  if (name == "both") return Engine::both;
  throw InputError("unknown engine " + quote_input(name) + " (expected openssl, botan or both)");
}

const char* profile_name(Profile profile) {
  switch (profile) {
    case Profile::standard: return "standard";
    case Profile::strict: return "strict";
  }
  return "unknown";
}

Profile parse_profile(const std::string& name) {
  if (name == "standard") return Profile::standard;
  if (name == "strict") return Profile::strict;
  throw InputError("unknown profile " + quote_input(name) + " (expected standard or strict)");
}

}  // namespace v0

namespace detail {

PeerName parse_peer_name(const std::string& host) {
  if (host.empty()) {
    throw InputError("no host name given; verifull always checks that the certificate names "
                     "the host that was dialled");
  }
  PeerName name;
  const auto bare = strip_brackets(host);
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, bare.c_str(), buf) == 1) {
    name.kind = PeerName::Kind::ip;
    name.ip_bytes.assign(reinterpret_cast<char*>(buf), 4);
    name.value = inet_ntop(AF_INET, buf, text, sizeof text);
    return name;
  }
  if (inet_pton(AF_INET6, bare.c_str(), buf) == 1) {
    name.kind = PeerName::Kind::ip;
    name.ip_bytes.assign(reinterpret_cast<char*>(buf), 16);
    name.value = inet_ntop(AF_INET6, buf, text, sizeof text);
    return name;
  }
  std::string dns = host;
  if (dns.back() == '.') dns.pop_back();
  const auto bad = [&](const std::string& why) {
    return InputError("invalid host name " + quote_input(host) + ": " + why);
  };
  if (dns.empty() || dns.size() > 253) throw bad("length must be 1 to 253 characters");
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= dns.size(); ++i) {
    if (i == dns.size() || dns[i] == '.') {
      const auto len = i - label_start;
      if (len == 0) throw bad("empty label");
      if (len > 63) throw bad("a label is longer than 63 characters");
      if (dns[label_start] == '-' || dns[i - 1] == '-')
        throw bad("a label starts or ends with a hyphen");
      label_start = i + 1;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(dns[i]);
    if (!std::isalnum(c) && c != '-' && c != '_')
      throw bad(std::string("character '") + static_cast<char>(c) +
                "' is not allowed (use the ASCII/punycode form of the name)");
    dns[i] = static_cast<char>(std::tolower(c));
  }
  // All-numeric final label ("10.0.0") would be read as an address by resolvers.
  const auto last = dns.substr(dns.rfind('.') == std::string::npos ? 0 : dns.rfind('.') + 1);
  if (last.find_first_not_of("0123456789") == std::string::npos)
    throw bad("it looks like an IP address but is not a valid one");
  name.kind = PeerName::Kind::dns;
  name.value = dns;
  return name;
}

}  // namespace detail
}  // namespace verifull
