// The plaintext steps each protocol takes before TLS. Both refuse to go on without
// TLS: there is no plaintext fallback anywhere in verifull.
#pragma once

#include "probe/mysql_greeting.hpp"
#include "probe/socket.hpp"

namespace verifull::detail {

// Sends the 8-byte SSLRequest and requires 'S' with nothing after it.
void postgres_request_tls(Socket& socket, Clock::time_point deadline);

// Reads the greeting, requires CLIENT_SSL, sends the 32-byte SSLRequest.
MysqlGreeting mysql_request_tls(Socket& socket, Clock::time_point deadline);

}  // namespace verifull::detail
