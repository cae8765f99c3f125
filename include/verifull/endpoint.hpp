// A database endpoint parsed from a URL: postgres://, postgresql://, mysql://, mariadb://.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "verifull/export.hpp"

namespace verifull {
inline namespace v0 {

enum class Protocol { postgres, mysql };

struct Endpoint {
  Protocol protocol = Protocol::postgres;
  std::string host;  // a DNS name or an IP literal (IPv6 without brackets)
  std::uint16_t port = 0;
  std::string user;
  std::string password;  // never printed; see display()
  std::string database;
  std::vector<std::pair<std::string, std::string>> params;  // ?key=value, in order

  // "postgres://user@host:port/db": the URL without the password, for messages.
  VERIFULL_API std::string display() const;
  // "host:port", with brackets around an IPv6 literal.
  VERIFULL_API std::string host_port() const;
};

// Strict parsing with percent-decoding; InputError that says what is wrong (the
// password is never repeated in a message).
VERIFULL_API Endpoint parse_url(const std::string& url);

}  // namespace v0
}  // namespace verifull
