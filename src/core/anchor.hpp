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

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/openssl_types.hpp"

namespace verifull::detail {

using X509NamePtr = std::unique_ptr<X509_NAME, OpenSslDeleter<X509_NAME, X509_NAME_free>>;

// What loading reads from a certificate besides its encoding: enough to find anchors by
// name and to warn about expiry without parsing the key.
struct AnchorFacts {
  X509NamePtr subject;
  X509NamePtr issuer;
  std::string not_after;  // RFC 3339
  std::int64_t not_after_unix = 0;
};

class Anchor {
 public:
  // `parsed` may be given when loading already had to parse the certificate.
  Anchor(std::string der, int line, AnchorFacts facts, X509Ptr parsed = nullptr);

  const std::string& der() const { return der_; }
  int line() const { return line_; }  // of the BEGIN marker in its source
  const X509_NAME* subject() const { return facts_.subject.get(); }
  const X509_NAME* issuer() const { return facts_.issuer.get(); }
  const std::string& not_after() const { return facts_.not_after; }
  std::int64_t not_after_unix() const { return facts_.not_after_unix; }
  // Subject and issuer name are the same: a root, as OpenSSL's chain building sees one.
  bool self_issued() const { return X509_NAME_cmp(subject(), issuer()) == 0; }
  // "AB:CD:..": the SHA-256 of der(), as in AnchorInfo and Report::anchor_sha256.
  const std::string& sha256() const;
  // The OpenSSL certificate, parsed on first call. nullptr when OpenSSL cannot parse
  // what the screen accepted: such an anchor then never verifies anything (fails closed).
  const X509* cert() const noexcept;

 private:
  std::string der_;
  int line_;
  AnchorFacts facts_;
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
