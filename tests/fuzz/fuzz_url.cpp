// URL and libpq conninfo parsing, and the hardening checks on what they contain.
#include "fuzz_common.hpp"

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
    (void)verifull::postgres::hardened_params(text, fuzz::trust());
  } catch (const verifull::InputError&) {
  }
  return 0;
}
