// The pin rule: "sha256/" and the canonical base64 of a 32-byte SPKI digest, the form
// `verifull ca-info` and `verifull check` print (docs/design.md, section 13).
#include <openssl/evp.h>

#include <cctype>

#include "core/digests.hpp"
#include "verifull/errors.hpp"
#include "verifull/policy.hpp"

namespace verifull {
inline namespace v0 {

std::string decode_pin(const std::string& pin) {
  const std::string prefix = "sha256/";
  const auto bad = [&](const std::string& why) {
    return InputError("invalid pin " + quote_input(pin) + ": " + why +
                      " (expected sha256/ followed by the base64 SHA-256 of the public key, "
                      "as `verifull ca-info` and `verifull check` print)");
  };
  if (pin.rfind(prefix, 0) != 0) throw bad("it does not start with sha256/");
  const auto b64 = pin.substr(prefix.size());
  if (b64.size() != 44 || b64[43] != '=' || b64[42] == '=') throw bad("wrong length");
  for (std::size_t i = 0; i < 43; ++i) {
    const char c = b64[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/')
      throw bad("not base64");
  }
  std::string raw(33, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()), 44);
  if (n != 33) throw bad("not base64");
  raw.resize(32);
  if (detail::base64(raw) != b64) throw bad("not canonical base64");
  return raw;
}

}  // namespace v0
}  // namespace verifull
