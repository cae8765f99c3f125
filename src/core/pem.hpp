// Strict PEM reading for untrusted input (CA files, chains). Every problem is an
// InputError naming the source and line; key material is never echoed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/openssl_types.hpp"

namespace verifull::detail {

struct PemBlock {
  std::string label;  // "CERTIFICATE", "PRIVATE KEY", ...
  std::string der;    // decoded bytes
  int line = 0;       // 1-based line of the BEGIN marker
};

// All PEM blocks in `text`, in order. Text between blocks is allowed (bundles carry
// comments). Throws InputError for an unterminated block, mismatched labels, bad
// base64, or binary input.
std::vector<PemBlock> scan_pem(std::string_view text, const std::string& source);

// The blocks of `text` when every one is a CERTIFICATE (at least one; a private key is
// refused by name); the DER inside is not checked yet.
std::vector<PemBlock> certificate_blocks(std::string_view text, const std::string& source,
                                         const std::string& what);

// The message for a CERTIFICATE block whose DER is not a complete X.509 certificate.
std::string not_a_certificate(const std::string& source, int line);

// `der` parsed by OpenSSL as one X.509 certificate and nothing after it; nullptr otherwise.
X509Ptr certificate_from_der(std::string_view der);

struct ParsedCert {
  X509Ptr cert;
  int line = 0;
};

// Every block must be a CERTIFICATE that parses completely; at least one required.
// `what` names the role for messages ("trust anchors", "the presented chain").
std::vector<ParsedCert> parse_certificates(std::string_view text, const std::string& source,
                                           const std::string& what);

}  // namespace verifull::detail
