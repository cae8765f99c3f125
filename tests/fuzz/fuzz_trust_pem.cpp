// Anchor loading: PEM scanning, base64, the anchor screen, CA checks on arbitrary bytes;
// then what a loaded Trust parses later (descriptions, the driver PEM, narrowing).
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto t = verifull::Trust::from_pem(std::string_view(reinterpret_cast<const char*>(data), size));
    (void)t.warnings(0);
    (void)t.pem();
    const auto& anchors = t.anchors();  // parses each anchor; may refuse one the screen let through
    if (!anchors.empty()) (void)t.narrowed({anchors.front().sha256});
  } catch (const verifull::InputError&) {
  }
  return 0;
}
