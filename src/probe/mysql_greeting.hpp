// The MySQL/MariaDB initial handshake packet, parsed with explicit bounds: it arrives
// before TLS, from anyone on the path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace verifull::detail {

constexpr std::uint32_t kClientSsl = 0x00000800;
constexpr std::size_t kMaxGreetingPayload = 4096;  // real greetings are ~100 bytes

struct MysqlGreeting {
  std::uint8_t protocol_version = 0;
  std::string server_version;  // printable ASCII only; other bytes become '?'
  std::uint32_t connection_id = 0;
  std::uint32_t capabilities = 0;
  std::uint8_t charset = 0;
  std::string auth_plugin;
  bool offers_tls() const { return (capabilities & kClientSsl) != 0; }
};

// Parses a greeting payload (after the 4-byte packet header). Throws ProbeFailure:
// protocol_violation for a malformed or truncated greeting, connection_refused for an
// error packet (its unauthenticated text is not shown, only the error number).
MysqlGreeting parse_mysql_greeting(const unsigned char* payload, std::size_t len);

}  // namespace verifull::detail
