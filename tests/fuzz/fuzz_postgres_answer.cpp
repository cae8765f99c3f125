// PostgreSQL's answer to SSLRequest ('S', 'N', 'E', anything else, extra bytes).
#include "fuzz_common.hpp"
#include "probe/failure.hpp"
#include "probe/starttls.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto said = fuzz::server_said(data, size);
  try {
    const auto deadline = verifull::detail::Clock::now() + std::chrono::milliseconds(200);
    verifull::detail::postgres_request_tls(said.socket, deadline);
  } catch (const verifull::detail::ProbeFailure&) {
  }
  return 0;
}
