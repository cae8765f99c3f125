// SHA-256 and the text forms of bytes (hex, base64) that fingerprints and pins use.
#pragma once

#include <openssl/evp.h>

#include <string>

namespace verifull::detail {

std::string hex_colon(const std::string& bytes);  // "0A:1B:..."
std::string hex_lower(const std::string& bytes);  // "0a1b..."
std::string base64(const std::string& bytes);
std::string sha256(const std::string& bytes);
// SHA-256, fetched once at load (OpenSSL 3 looks an implementation up on every call).
const EVP_MD* sha256_md();

}  // namespace verifull::detail
