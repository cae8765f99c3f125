// SHA-256 and the text forms of bytes (hex, base64) that fingerprints and pins use.
#include "core/digests.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace verifull::detail {

std::string hex_colon(const std::string& bytes) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ':';
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string hex_lower(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// OpenSSL 3 looks an implementation up on every SHA256()/EVP_sha256() call; fetching
// it once makes a fingerprint several times cheaper (it is on every verification).
// Fetched at load, before the program has threads: a function-local static whose
// initialisation a fork() interrupts stays "in progress" in the child for ever
// (core/fork_safe.hpp).
static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
const EVP_MD* sha256_md() { return kSha256; }

std::string sha256(const std::string& bytes) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(digest.data()), &len, sha256_md(), nullptr);
  return digest;
}

}  // namespace verifull::detail
