// A test PKI generated at run time with OpenSSL: roots, intermediates and leaves with
// exactly the defects a test needs. No key is ever checked in.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

namespace testpki {

struct KeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct CertFree { void operator()(X509* c) const { X509_free(c); } };
using KeyPtr = std::shared_ptr<EVP_PKEY>;
using CertPtr = std::shared_ptr<X509>;

enum class KeyKind { ec_p256, ec_p224, rsa_1024, rsa_2048 };

struct Spec {
  std::string cn = "test";
  std::vector<std::string> dns;   // subjectAltName DNS entries
  std::vector<std::string> ips;   // subjectAltName IP entries
  bool ca = false;
  bool basic_constraints = true;  // false: omit the extension entirely
  int path_len = -1;              // CA only; -1: unlimited
  std::vector<std::string> eku = {"serverAuth"};  // empty: no extension (ca_spec's default)
  long not_before = -3600;        // seconds relative to now
  long not_after = 365L * 86400;
  std::string digest = "SHA256";  // "SHA1" for a weak signature
  KeyKind key = KeyKind::ec_p256;
  std::string name_constraints;   // CA only, OpenSSL config form: "critical,excluded;DNS:bar.example.com"
  std::string subject_dn;         // instead of CN=cn: "/CN=a/O=b" (OpenSSL's one-line form)
  bool key_usage = true;          // false: no keyUsage (as `openssl req -x509` makes)
  bool key_identifiers = true;    // false: neither subjectKeyIdentifier nor authorityKeyIdentifier
  KeyPtr same_key;                // use this key instead of a new one (a cross-signed CA, the same key re-issued)
  struct RawExtension {
    int nid;
    std::string der;  // the extension's value as given, well-formed or not
    bool critical = false;
  };
  std::vector<RawExtension> raw_extensions;
};

struct Cert {
  KeyPtr key;
  CertPtr cert;
  std::string pem() const;      // the certificate
  std::string key_pem() const;  // the private key (for servers)
  std::string serial_text() const;  // the serial as verifull prints it (colon-separated hex)
  // The private key as encrypted PKCS#8 (AES-256-CBC), for client keys with a passphrase.
  std::string key_pem_encrypted(const std::string& passphrase) const;
};

Cert make_root(Spec spec);
Cert issue(const Cert& issuer, Spec spec);
inline Spec ca_spec(const std::string& cn) {
  Spec s;
  s.cn = cn;
  s.ca = true;
  s.eku = {};
  s.not_before = -30L * 86400;
  s.not_after = 10L * 365 * 86400;
  return s;
}
inline Spec leaf_spec(const std::string& cn, std::vector<std::string> dns, std::vector<std::string> ips = {}) {
  Spec s;
  s.cn = cn;
  s.dns = std::move(dns);
  s.ips = std::move(ips);
  return s;
}

// A certificate revocation list issued under `issuer`'s name, listing `revoked`.
struct CrlSpec {
  std::vector<const Cert*> revoked;
  long this_update = -3600;        // seconds relative to now
  long next_update = 30L * 86400;  // seconds relative to now (negative: already expired)
  EVP_PKEY* signing_key = nullptr; // sign with this key instead of the issuer's (a forged CRL)
  bool authority_key_id = true;    // add the issuer's authorityKeyIdentifier
  bool crl_number = true;          // add a CRL number (RFC 5280 5.2.3 requires one)
};
struct Crl {
  std::string pem;
  std::string der;
  std::string hash_name;  // "<issuer name hash>.r0", the name `openssl rehash` gives it
};
Crl make_crl(const Cert& issuer, const CrlSpec& spec = {});

// Reads a certificate and its key written by make_test_pki.
Cert load(const std::string& cert_path, const std::string& key_path);

// Writes `content` to `path` (mode 0600), creating parent folders.
void write_file(const std::string& path, const std::string& content);

}  // namespace testpki
