// What a verification demands beyond "chains to the anchors".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "verifull/export.hpp"

namespace verifull {
inline namespace v0 {

enum class Engine {
  openssl,  // OpenSSL 3 X509_verify_cert with strict flags
  botan,    // Botan 2 x509_path_validate (always built in: Botan 2 is a required dependency)
  both,     // accept only when both accept
};

// Which certificate rules a chain must meet beyond the security rules that hold always
// (key and signature floor, serverAuth when an EKU is present, names from SANs, no
// partial wildcards, IP literals against IP SANs only, name constraints).
enum class Profile {
  // What a stock client verifying fully accepts (libpq verify-full, OpenSSL's default
  // flags): encoding deviations such as a missing key identifier, a non-critical
  // basicConstraints, a CA without keyUsage or a v1 certificate are accepted and listed
  // in the report's warnings.
  standard,
  // OpenSSL's X509_STRICT plus the RFC 5280 / CA/B profile rules: every deviation above
  // is a refusal.
  strict,
};

struct Policy {
  // The name that was dialled: a DNS name, or an IPv4/IPv6 literal (matched against
  // IP SANs only). Required: verifull never verifies without a name.
  std::string host;
  // SPKI SHA-256 pins, "sha256/BASE64". When any are given, at least one must match a
  // certificate of the verified chain (leaf, intermediate or anchor), in addition to
  // the chain itself being trusted.
  std::vector<std::string> pins;
  Engine engine = Engine::openssl;
  Profile profile = Profile::standard;
  // Let a DNS name match the subject CN when the server certificate has no
  // subjectAltName extension at all, as libpq does. Never for an IP address. Off by
  // default: RFC 6125 and the CA/B Forum deprecated the CN as a name.
  bool allow_cn_fallback = false;
  // Verify as of this instant (Unix seconds) instead of now: tests and conformance.
  std::optional<std::int64_t> verification_time;
  // The most intermediates a chain may hold; unset means verifull's default
  // (max_chain_intermediates below).
  std::optional<int> max_intermediates;
  // The deadline of a whole call from its start: probe, TCP connect, TLS handshake and
  // login together (outcome timeout when it passes). Not per step: a peer that trickles
  // bytes cannot stretch a call past it.
  std::chrono::milliseconds timeout{10000};
  // Connections only: after logging in, audit the credential and refuse (outcome
  // admin_credential) when it is an administrator. For BI tools and other
  // integrations that must never hold one.
  bool refuse_admin_credentials = false;
  // Certificate revocation lists (docs/design.md, "Revocation"). Every certificate of the
  // path below its anchor is checked against the CRLs its issuer signed: listed is
  // outcome revoked; a CRL past its nextUpdate (at the verification time) is crl_expired;
  // a CRL under the issuer's name that its key did not sign is crl_bad_signature.
  // `crls`: files (PEM, several CRLs allowed, or DER) or folders of such files (like
  // libpq's sslcrldir; files that are not CRLs are skipped). A file that cannot be read
  // or holds no CRL is an InputError. The drivers get the same CRLs.
  std::vector<std::string> crls;
  // CRLs in memory, PEM ("-----BEGIN X509 CRL-----" blocks, concatenated).
  std::string crl_pem;
  // A certificate whose issuer signed none of the given CRLs is refused (crl_missing).
  // Off: the CRLs given are checked, and an issuer without one is not.
  bool require_crl = false;
  // Connections only: a client certificate (mutual TLS), for servers that require one
  // (PostgreSQL's clientcert=verify-full, MariaDB's REQUIRE X509). PEM files: the
  // certificate (chain), its private key, and the key's passphrase when it is encrypted.
  // Checked before any traffic (InputError naming the file): both files readable, the
  // key not readable by group or others (libpq's rule), the passphrase right, the key
  // that of the certificate. Credentials: never printed, never in a report or message.
  std::string client_cert;
  std::string client_key;
  std::string client_key_passphrase;
  // Connections only: let verifull answer a server that asks for the password as it is
  // (MySQL's mysql_clear_password: RDS IAM tokens, PAM and LDAP accounts; PostgreSQL's
  // password method), only on a connection whose certificate verifull has just
  // verified. Off: such a request is refused before the password is sent.
  bool allow_cleartext_password = false;
};

// What a server may present, at most: more is refused (invalid_chain) before any engine
// runs, so every engine decides any chain in bounded time and memory. Real chains hold
// one to four certificates; OpenSSL's TLS stack itself refuses a list over 100 KiB.
constexpr int max_presented_certificates = 20;
constexpr std::size_t max_presented_bytes = 100 * 1024;
// The default limit on intermediates between the server certificate and an anchor.
constexpr int max_chain_intermediates = 8;

// "2024-05-01T12:00:00Z" or with an offset; InputError otherwise.
VERIFULL_API std::int64_t parse_rfc3339(const std::string& text);
// Validates a pin and returns its 32 raw bytes; InputError otherwise.
VERIFULL_API std::string decode_pin(const std::string& pin);
// True when `host` is an IPv4 or IPv6 literal (brackets allowed around IPv6).
VERIFULL_API bool is_ip_literal(const std::string& host);
VERIFULL_API const char* engine_name(Engine engine);
// "openssl", "botan", "both"; InputError otherwise.
VERIFULL_API Engine parse_engine(const std::string& name);
VERIFULL_API const char* profile_name(Profile profile);
// "standard", "strict"; InputError otherwise.
VERIFULL_API Profile parse_profile(const std::string& name);

}  // namespace v0
}  // namespace verifull
