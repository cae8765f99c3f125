// Trust anchors: the CA certificates a server certificate must chain to.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "verifull/export.hpp"

namespace verifull {
inline namespace v0 {

// Facts about one anchor, for `verifull ca-info` and expiry warnings.
struct AnchorInfo {
  std::string subject;      // RFC 2253 form, e.g. "CN=Aptible CA,O=Aptible"
  std::string sha256;       // fingerprint of the DER certificate, colon-separated hex
  std::string spki_sha256;  // "sha256/BASE64" pin of its public key
  std::string not_before;   // RFC 3339, UTC
  std::string not_after;    // RFC 3339, UTC
  std::int64_t not_after_unix = 0;
  bool self_signed = false;
  // False for a self-signed server certificate trusted as itself: it verifies only the
  // server that presents that very certificate.
  bool is_ca = false;
};

// An immutable, cheaply copyable set of trust anchors. Loading is strict: every
// PEM block must be a CA certificate (or a self-signed certificate, such as a server's
// own certificate trusted as itself), and anything else is an InputError that says
// what and where (a private key is named as such and never echoed).
class VERIFULL_API Trust {
 public:
  // The largest input accepted; a bundle of every public root is ~250 KiB.
  static constexpr std::size_t max_input_bytes = 4 * 1024 * 1024;

  static Trust from_file(const std::string& path);
  static Trust from_pem(std::string_view pem, const std::string& source_name = "PEM text");
  static Trust from_env(const std::string& variable);
  static Trust from_stdin();
  // "-" reads standard input, "env:VAR" an environment variable, anything else a file.
  static Trust from_spec(const std::string& spec);
  // Several sources as one set (CA rotation: old and new CA side by side).
  static Trust combine(const std::vector<Trust>& parts);

  // Described on first call, which parses every anchor (loading reads each certificate
  // without decoding its key, and verification parses only the anchors a chain can end
  // at). Throws InputError for an anchor that OpenSSL cannot parse although its structure
  // passed loading; such an anchor never verifies anything.
  const std::vector<AnchorInfo>& anchors() const;
  // Where the anchors came from, for messages ("file /etc/ca.pem").
  const std::string& source() const;
  // All anchors as PEM, one block each, for drivers that want a CA file.
  std::string pem() const;
  // A path to the anchors as one PEM file, for drivers that take only a path (libpq's
  // sslrootcert, Connector/C's ssl-ca). Content-addressed in a private 0700 directory and
  // kept: the path stays valid after this Trust is gone, in other threads and in child
  // processes, and never names other anchors (CA certificates are not secret).
  std::string anchors_file() const;
  // The anchors with these fingerprints (AnchorInfo::sha256), for a driver that only has
  // to reach an endpoint whose chain verifull saw end there: it reads a few certificates
  // instead of the whole bundle. With them come the anchors of this set a driver without
  // partial chains needs to build the same path: their issuers up to a self-signed root,
  // and the anchors issued under them (an intermediate kept in the bundle, for a server
  // that sends only its leaf). Never more than this Trust holds; the whole set when none
  // of them is here or one of them leads to no root here.
  Trust narrowed(const std::vector<std::string>& anchor_sha256s) const;
  // Expired anchors, anchors expiring within 30 days of `now_unix`, and anchors that are
  // not self-signed (a chain can only end at a root).
  std::vector<std::string> warnings(std::int64_t now_unix) const;

 private:
  struct Impl;                // the anchors and their OpenSSL store (src/core/trust_data.hpp)
  friend struct TrustAccess;  // the library's one way in (src/core/trust_data.hpp)
  explicit Trust(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Reads an input file strictly (PEM, a URL list): a regular file (a FIFO or device is an
// InputError at once, never a wait), at most Trust::max_input_bytes. `what` names it in
// messages ("CA file").
VERIFULL_API std::string read_input_file(const std::string& path, const std::string& what);
// Standard input, read the same way: refused as soon as more than Trust::max_input_bytes
// arrive (never read to its end first, so an endless pipe costs 4 MiB, not all memory).
VERIFULL_API std::string read_standard_input(const std::string& what);

}  // namespace v0
}  // namespace verifull
