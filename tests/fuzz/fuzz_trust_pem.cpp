// Anchor loading: PEM scanning, base64, DER parsing, CA checks on arbitrary bytes.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto t = verifull::Trust::from_pem(std::string_view(reinterpret_cast<const char*>(data), size));
    (void)t.warnings(0);
  } catch (const verifull::InputError&) {
  }
  return 0;
}
