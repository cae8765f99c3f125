// The result of a verification: a stable outcome, one sentence a person can act on,
// and the facts behind it.
#pragma once

#include <string>
#include <vector>

#include "verifull/export.hpp"

namespace verifull {
inline namespace v0 {

// Stable codes: the numeric values are part of the C ABI (VF_OUTCOME_*) and the names
// are part of the CLI's JSON. Append only.
enum class Outcome {
  ok = 0,
  untrusted_issuer = 1,  // the chain does not lead to any given anchor
  name_mismatch = 2,     // the certificate does not name the dialled host
  expired = 3,
  not_yet_valid = 4,
  bad_usage = 5,         // not allowed for TLS server authentication
  weak_crypto = 6,       // RSA < 2048, EC < P-256, SHA-1/MD5 signature
  pin_mismatch = 7,      // trusted, but no key in the chain matches a pin
  invalid_chain = 8,     // malformed or constraint-violating chain
  engines_disagree = 9,  // `both`: one engine accepted, the other refused
  // Endpoint outcomes (probe and connections):
  tls_unavailable = 10,     // the server (or a man in the middle) will not do TLS
  protocol_violation = 11,  // bytes a server must not send (e.g. data after 'S')
  handshake_failed = 12,    // TLS handshake failed (protocol version, cipher)
  name_not_resolved = 13,
  connection_refused = 14,
  timeout = 15,             // no answer in time (IP filters drop silently)
  network_error = 16,       // any other socket error
  connection_failed = 17,   // verified, then the driver failed (authentication, database)
  admin_credential = 18,    // refuse_admin_credentials: the credential is an administrator
  weak_tls = 19,            // TLS 1.2 without forward secrecy or without an AEAD cipher
  revoked = 20,             // a CRL given to verifull or to the driver lists a certificate of the chain
  crl_expired = 21,         // a CRL for a certificate of the chain is past its nextUpdate
  crl_bad_signature = 22,   // a CRL under an issuer's name was not signed by the issuer's key
  crl_missing = 23,         // require_crl: no CRL given for an issuer of the chain
};

VERIFULL_API const char* outcome_name(Outcome outcome);
// The CLI's exit code for an outcome: 0 ok, 3 network (name_not_resolved,
// connection_refused, timeout, network_error, handshake_failed), 4 connection_failed
// (verified, then the login or the database failed), 1 any other refusal.
VERIFULL_API int outcome_exit_code(Outcome outcome);

struct CertInfo {
  std::string subject;
  std::string issuer;
  std::vector<std::string> sans;  // "DNS:db.example.com", "IP:10.0.0.1"
  std::string not_before;         // RFC 3339, UTC
  std::string not_after;
  std::string sha256;             // colon-separated hex of the DER certificate
  std::string spki_sha256;        // "sha256/BASE64"
  std::string pem;
};

struct EngineVerdict {
  std::string engine;  // "openssl", "botan"
  Outcome outcome = Outcome::invalid_chain;
  std::string detail;  // the engine's own words
};

struct VERIFULL_API Report {
  std::string endpoint;  // host (and port when probed)
  Outcome outcome = Outcome::invalid_chain;
  std::string message;
  std::vector<CertInfo> chain;  // as presented: leaf first
  std::string anchor;           // subject of the anchor the chain ended at, when trusted
  std::string anchor_sha256;    // and that anchor's fingerprint (colon-separated hex)
  std::string tls_version;      // when a TLS connection was made
  std::string cipher;
  std::vector<EngineVerdict> engines;
  std::vector<std::string> warnings;

  bool ok() const { return outcome == Outcome::ok; }
  // One JSON object with the fields of the CLI contract.
  std::string to_json() const;
};

}  // namespace v0
}  // namespace verifull
