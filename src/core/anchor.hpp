// Trust anchors as loaded: screened when the bundle is read, parsed when first used.
//
// Why: on OpenSSL 3.0, d2i_X509 spends about three quarters of its time decoding the
// public key through the provider decoders (OSSL_DECODER_CTX_new_for_pkey), about 80 us
// per RSA certificate: 12 ms for a 150-anchor bundle of which a verification needs one.
// Loading therefore reads each certificate with a key-less ASN.1 template (the same
// templates OpenSSL uses for every other field), which is enough to refuse malformed
// input and non-CA certificates with their line numbers; the full X509 is made when an
// engine, a description or a driver file needs that anchor.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/openssl_types.hpp"

namespace verifull::detail {

using X509NamePtr = std::unique_ptr<X509_NAME, OpenSslDeleter<X509_NAME, X509_NAME_free>>;

class Anchor {
 public:
  // `parsed` may be given when loading already had to parse the certificate.
  Anchor(std::string der, int line, X509NamePtr subject, X509Ptr parsed = nullptr);

  const std::string& der() const { return der_; }
  int line() const { return line_; }  // of the BEGIN marker in its source; 0 if not from text
  const X509_NAME* subject() const { return subject_.get(); }
  // "AB:CD:..": the SHA-256 of der(), as in AnchorInfo and Report::anchor_sha256.
  const std::string& sha256() const;
  // The OpenSSL certificate, parsed on first call. nullptr when OpenSSL cannot parse
  // what the screen accepted: such an anchor then never verifies anything (fails closed).
  const X509* cert() const noexcept;

 private:
  std::string der_;
  int line_;
  X509NamePtr subject_;
  mutable std::once_flag sha256_once_;
  mutable std::string sha256_;
  mutable std::once_flag cert_once_;
  mutable X509Ptr cert_;
};

using AnchorPtr = std::shared_ptr<const Anchor>;

// The certificates of `pem` as anchors. Throws InputError for everything the strict
// PEM reader refuses, for a block that is not a complete X.509 certificate, and for a
// certificate that is neither a CA nor self-signed (the server's own certificate
// passed instead of its CA); `source` names the input in messages.
std::vector<AnchorPtr> load_anchors(std::string_view pem, const std::string& source);

// Adds to `store` the anchors a chain from `leaf` through `untrusted` can end at: those
// named as the issuer or subject of one of these certificates, and, in turn, of those
// anchors. Parses them on first use; what the store holds already stays. Chain building
// looks up nothing else, so the store answers as if it held every anchor.
void add_anchors_for_chain(X509_STORE* store, const std::vector<AnchorPtr>& anchors, const X509* leaf,
                           const STACK_OF(X509) * untrusted);

}  // namespace verifull::detail
