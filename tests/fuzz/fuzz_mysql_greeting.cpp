// The MySQL greeting, as a server (or anyone on the path) sends it before TLS: the
// bounded parser directly, and the whole read-and-answer step over a socket.
#include "fuzz_common.hpp"
#include "probe/failure.hpp"
#include "probe/starttls.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)verifull::detail::parse_mysql_greeting(data, size);
  } catch (const verifull::detail::ProbeFailure&) {
  }
  auto said = fuzz::server_said(data, size);
  try {
    const auto deadline = verifull::detail::Clock::now() + std::chrono::milliseconds(200);
    (void)verifull::detail::mysql_request_tls(said.socket, deadline);
  } catch (const verifull::detail::ProbeFailure&) {
  }
  return 0;
}
