// Certificate revocation lists: the one place that reads them, words a refusal about
// them, and hands them to drivers (docs/design.md, "Revocation").
//
// Where they come from: Policy::crls (files or folders), Policy::crl_pem, and the URL
// parameters a driver knows (postgres: sslcrl, sslcrldir; mysql: ssl-crl, ssl-crlpath,
// with '-' or '_'), which are the same setting (with_url_crls). What is checked: both
// engines check every certificate of the path below its anchor against the CRLs its
// issuer signed, each with its own implementation (OpenSSL's CRL_CHECK_ALL, Botan's
// PKIX::check_crl), so `both` cross-checks them; this file only supplies the CRLs and
// the sentences.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/openssl_types.hpp"
#include "core/profile.hpp"
#include "verifull/endpoint.hpp"
#include "verifull/policy.hpp"
#include "verifull/report.hpp"

namespace verifull::detail {

using CrlPtr = std::unique_ptr<X509_CRL, OpenSslDeleter<X509_CRL, X509_CRL_free>>;

struct LoadedCrl {
  CrlPtr crl;
  std::string der;
  std::string source;  // where it was read, for messages: a path, or "the in-memory CRLs"
};

struct CrlSet {
  std::vector<LoadedCrl> crls;
  bool require = false;  // Policy::require_crl
  // Whether the engines check revocation at all.
  bool active() const { return require || !crls.empty(); }
};

// Every CRL the policy names, read and parsed now. InputError naming the file when a
// file cannot be read, is larger than 16 MiB, or holds no CRL (or a PEM block that is
// not one); a folder (up to 1000 entries) must hold at least one CRL file, and its
// other files are skipped (a hashed folder holds certificates too).
CrlSet load_crls(const Policy& policy);

// The CRLs of the set as one PEM text, for a driver's CRL file (libpq sslcrl,
// Connector/C MYSQL_OPT_SSL_CRL); empty when there are none.
std::string crls_pem(const CrlSet& crls);

// The policy with the CRLs an endpoint's URL parameters name added, so the URL's
// CRL is one more CRL of the one setting: verifull checks it and the driver gets it
// with the others. `params` are a URL's or a conninfo's key/value pairs.
Policy with_url_crls(Policy policy, Protocol protocol, const std::vector<std::pair<std::string, std::string>>& params);
// Whether `key` is one of those CRL parameters (the drivers' own copy is replaced).
bool is_url_crl_parameter(Protocol protocol, const std::string& key);

// The sentence of a refusal with a CRL outcome (revoked, crl_expired,
// crl_bad_signature, crl_missing) about `cert` (`role`: "the server certificate", "the
// CA certificate"): names the serial, the CRL and its source, and the dates.
std::string explain_crl_refusal(Outcome outcome, const X509* cert, const std::string& role, const CrlSet& crls,
                                std::int64_t checked_at);

// The encoding rules of RFC 5280 for the CRLs a verified path (leaf .. anchor) was
// checked against (issued under a certificate's issuer name and signed by its key): a
// CRL without a CRL number (5.2.3). Profile findings (profile.hpp): the strict profile
// refuses them, the standard one lists them as warnings; none is a security rule (the
// CRL is still the issuer's own, signed list).
std::vector<ProfileFinding> crl_profile_findings(const std::vector<X509Ptr>& verified, const CrlSet& crls);

// The certificate of `chain` (leaf first) that a CRL of `crls` signed by its issuer
// lists, as "the certificate SUBJECT (serial S) is revoked by the CRL SOURCE": names a
// driver's refusal (libpq, Connector/C) that verifull's own verdict did not make.
std::optional<std::string> revoked_in(const std::vector<CertInfo>& chain, const CrlSet& crls);

}  // namespace verifull::detail
