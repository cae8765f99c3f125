#include "probe/starttls.hpp"

#include <cstdio>

#include "probe/failure.hpp"

namespace verifull::detail {

void postgres_request_tls(Socket& socket, Clock::time_point deadline) {
  // Int32 length 8, Int32 80877103 (1234 << 16 | 5679), network byte order.
  static const unsigned char ssl_request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
  socket.send_all(ssl_request, sizeof ssl_request, deadline);
  unsigned char answer = 0;
  if (socket.read_some(&answer, 1, deadline) == 0)
    throw ProbeFailure(Outcome::protocol_violation,
                       socket.peer + " closed the connection in answer to the TLS request — not a PostgreSQL server?");
  switch (answer) {
    case 'S':
      // Anything already queued behind 'S' was sent before TLS and would be read as
      // if it came through it (CVE-2021-23222): refuse.
      if (const auto extra = socket.pending_bytes())
        throw ProbeFailure(Outcome::protocol_violation,
                           socket.peer + " sent " + std::to_string(extra) +
                               " unexpected bytes after agreeing to TLS, before the handshake — "
                               "something on the path may be injecting data");
      return;
    case 'N':
      throw ProbeFailure(Outcome::tls_unavailable,
                         socket.peer + " refused TLS (answered 'N' to SSLRequest): the server has ssl=off, or "
                                       "something on the path strips TLS; verifull never falls back to plaintext");
    case 'E':
      // The error text is unauthenticated (CVE-2024-10977): it is not shown.
      throw ProbeFailure(Outcome::tls_unavailable,
                         socket.peer + " answered the TLS request with an error message (not shown: it arrived "
                                       "before TLS and is unauthenticated); the server does not offer TLS here");
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", answer);
      throw ProbeFailure(Outcome::protocol_violation, socket.peer + " answered the TLS request with byte " +
                                                          std::string(hex) + " — not a PostgreSQL server?");
    }
  }
}

MysqlGreeting mysql_request_tls(Socket& socket, Clock::time_point deadline) {
  unsigned char header[4];
  socket.read_exact(header, sizeof header, deadline, "the server greeting");
  const std::size_t len = header[0] | (header[1] << 8) | (header[2] << 16);
  if (len == 0 || len > kMaxGreetingPayload)
    throw ProbeFailure(Outcome::protocol_violation,
                       socket.peer + " sent a greeting of " + std::to_string(len) + " bytes — not a MySQL/MariaDB server?");
  if (header[3] != 0)
    throw ProbeFailure(Outcome::protocol_violation, socket.peer + " sent a greeting with sequence number " +
                                                        std::to_string(header[3]) + " instead of 0");
  unsigned char payload[kMaxGreetingPayload];
  socket.read_exact(payload, len, deadline, "the server greeting");
  MysqlGreeting greeting = parse_mysql_greeting(payload, len);
  if (!greeting.offers_tls())
    throw ProbeFailure(Outcome::tls_unavailable,
                       socket.peer + " does not offer TLS (no CLIENT_SSL in its greeting): the server has no TLS "
                                     "configured, or something on the path strips it; verifull never falls back to plaintext");
  // SSLRequest: capabilities, max packet size, character set, 23 zero bytes.
  constexpr std::uint32_t kFlags = 0x00000001 | 0x00000004 | 0x00000200 | kClientSsl | 0x00002000 |
                                   0x00008000 | 0x00080000;
  unsigned char request[4 + 32] = {32, 0, 0, 1};
  for (int i = 0; i < 4; ++i) request[4 + i] = static_cast<unsigned char>(kFlags >> (8 * i));
  const std::uint32_t max_packet = 16 * 1024 * 1024;
  for (int i = 0; i < 4; ++i) request[8 + i] = static_cast<unsigned char>(max_packet >> (8 * i));
  request[12] = greeting.charset ? greeting.charset : 45;  // utf8mb4_general_ci
  socket.send_all(request, sizeof request, deadline);
  return greeting;
}

}  // namespace verifull::detail
