// URL and libpq conninfo parsing, and the hardening checks on what they contain.
#include "fuzz_common.hpp"
#include "postgres/params_internal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto ep = verifull::parse_url(text);
    (void)ep.display();
    (void)ep.host_port();
  } catch (const verifull::InputError&) {
  }
  if (text.find('\0') != std::string::npos) return 0;  // not a C string for libpq
  try {
    // Everything hardened_params checks, without resolving the host (no DNS in a fuzzer).
    namespace pg = verifull::postgres;
    (void)pg::harden(pg::parse_conninfo(text), fuzz::trust(), {}, pg::Resolve::no);
  } catch (const verifull::InputError&) {
  }
  return 0;
}
