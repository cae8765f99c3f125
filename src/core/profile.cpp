#include "core/profile.hpp"

#include <openssl/core_names.h>

#include <cctype>
#include <memory>
#include <optional>

#include "core/cert_facts.hpp"
#include "core/bounded_cache.hpp"
#include "core/dns_name.hpp"

namespace verifull::detail {
namespace {

// Collects the findings for one certificate.
struct Findings {
  std::vector<ProfileFinding>& out;
  std::size_t depth;
  void encoding(std::string rule) { out.push_back({depth, std::move(rule), false}); }
  void always(std::string rule) { out.push_back({depth, std::move(rule), true}); }
};

template <typename T, void (*Free)(T*)>
using Decoded = std::unique_ptr<T, OpenSslDeleter<T, Free>>;

template <typename T, void (*Free)(T*)>
Decoded<T, Free> decode(const X509* cert, int nid) {
  return Decoded<T, Free>(static_cast<T*>(X509_get_ext_d2i(cert, nid, nullptr, nullptr)));
}

bool has_extension(const X509* cert, int nid, bool* critical = nullptr) {
  const int idx = X509_get_ext_by_NID(cert, nid, -1);
  if (idx < 0) return false;
  if (critical) *critical = X509_EXTENSION_get_critical(X509_get_ext(cert, idx)) != 0;
  return true;
}

bool is_self_issued_and_signed(const X509* cert) { return is_self_signed(cert); }

// X509_check_ca: 1 for basicConstraints CA:TRUE, 3 for a v1 self-signed root; the
// other legacy forms (keyUsage or Netscape bits alone) are not CAs for verifull.
bool is_ca(const X509* cert) { return X509_check_ca(const_cast<X509*>(cert)) == 1; }
bool is_v1_root(const X509* cert) { return X509_check_ca(const_cast<X509*>(cert)) == 3; }

// RFC 5280 4.1.2.2: positive, at most 20 octets. (Zero is not positive.)
void check_serial(const X509* cert, Findings& f) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) return f.encoding("its serial number is negative");
  const int len = ASN1_STRING_length(serial);
  const unsigned char* data = ASN1_STRING_get0_data(serial);
  bool zero = true;
  for (int i = 0; i < len; ++i) zero = zero && data[i] == 0;
  if (zero) return f.encoding("its serial number is zero");
  if (len > 20) f.encoding("its serial number is longer than 20 octets");
}

// RFC 5280 4.1: extensions need version 3; 4.2.1.1: a version 3 certificate that is not
// self-signed carries a non-critical authorityKeyIdentifier with a keyIdentifier.
void check_version_and_key_ids(const X509* cert, const X509* issuer, bool is_anchor, Findings& f) {
  const long version = X509_get_version(cert) + 1;
  if (version != 3) {
    if (X509_get_ext_count(cert) > 0) f.encoding("it is a version " + std::to_string(version) + " certificate with extensions");
    else if (!is_anchor) f.encoding("it is a version " + std::to_string(version) + " certificate (no extensions)");
    return;
  }
  bool critical = false;
  if (!has_extension(cert, NID_authority_key_identifier, &critical)) {
    if (!is_self_issued_and_signed(cert)) f.encoding("it has no authorityKeyIdentifier");
  } else if (critical) {
    f.encoding("its authorityKeyIdentifier is marked critical");
  } else {
    auto akid = decode<AUTHORITY_KEYID, AUTHORITY_KEYID_free>(cert, NID_authority_key_identifier);
    if (!akid || !akid->keyid) f.encoding("its authorityKeyIdentifier has no keyIdentifier");
    // OpenSSL's chain building (X509_check_akid) refuses an issuer that the identifier's
    // issuer name and serial do not describe; Botan does not look. Always, so both agree.
    if (X509_check_akid(const_cast<X509*>(issuer), akid.get()) != X509_V_OK)
      f.always("its authorityKeyIdentifier names an issuer or serial number other than the certificate that signed it");
  }
  if (has_extension(cert, NID_subject_key_identifier, &critical) && critical)
    f.encoding("its subjectKeyIdentifier is marked critical");
}

// A dNSName constraint as RFC 5280 4.2.1.10 writes it: a host name or domain, no
// leading period (a form OpenSSL also reads, as "names below").
bool is_valid_dns_constraint(const std::string& name) { return name.empty() || is_valid_dns_san(name); }

// RFC 5280 4.2.1.10: name constraints only in CAs, always critical, never empty. Always:
// in a server certificate or empty (Botan refuses both, and the name checks must be
// decidable). Encoding: not critical (they are enforced either way), malformed names.
void check_name_constraints(const X509* cert, bool is_leaf, Findings& f) {
  bool critical = false;
  if (!has_extension(cert, NID_name_constraints, &critical)) return;
  if (is_leaf) return f.always("it carries nameConstraints, which only a CA certificate may");
  if (!critical) f.encoding("its nameConstraints extension is not marked critical");
  auto nc = decode<NAME_CONSTRAINTS, NAME_CONSTRAINTS_free>(cert, NID_name_constraints);
  if (!nc) return f.always("its nameConstraints extension cannot be decoded");
  if (sk_GENERAL_SUBTREE_num(nc->permittedSubtrees) <= 0 && sk_GENERAL_SUBTREE_num(nc->excludedSubtrees) <= 0)
    return f.always("its nameConstraints extension has neither permitted nor excluded subtrees");
  for (auto* subtrees : {nc->permittedSubtrees, nc->excludedSubtrees}) {
    for (int i = 0; i < sk_GENERAL_SUBTREE_num(subtrees); ++i) {
      const GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(subtrees, i)->base;
      if (base->type != GEN_DNS) continue;
      const std::string name = asn1_text(base->d.dNSName);
      if (!is_valid_dns_constraint(name)) return f.encoding("its nameConstraints hold a malformed DNS name (\"" + escape_display(name) + "\")");
    }
  }
}

// A critical extension OpenSSL does not handle makes OpenSSL (and so libpq) refuse the
// certificate; Botan knows a different set. Always, so both engines refuse it.
void check_critical_extensions(const X509* cert, Findings& f) {
  for (int i = 0; i < X509_get_ext_count(cert); ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    if (!X509_EXTENSION_get_critical(ext) || X509_supported_extension(ext)) continue;
    char name[80];
    OBJ_obj2txt(name, sizeof name, X509_EXTENSION_get_object(ext), 0);
    return f.always(std::string("it has a critical ") + name + " extension, which OpenSSL does not handle");
  }
}

// RFC 5280 4.2.1.11: policyConstraints are critical.
void check_policy_constraints(const X509* cert, Findings& f) {
  bool critical = false;
  if (has_extension(cert, NID_policy_constraints, &critical) && !critical)
    f.encoding("its policyConstraints extension is not marked critical");
}

// Keys: explicit curve parameters are refused always (OpenSSL does; a forged curve is
// how CVE-2020-0601 worked); an RSA modulus that is not a whole number of octets only
// in strict (CA/B BR 6.1.5).
void check_key_encoding(const X509* cert, Findings& f) {
  const EVP_PKEY* key = X509_get0_pubkey(cert);
  if (!key) return;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    int explicit_params = 0;
    if (EVP_PKEY_get_int_param(key, OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS, &explicit_params) == 1 && explicit_params)
      f.always("its public key uses explicit elliptic-curve parameters instead of a named curve");
  }
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) % 8 != 0)
    f.encoding("its RSA modulus is " + std::to_string(EVP_PKEY_get_bits(key)) + " bits, not a whole number of octets");
}

// RFC 5280 4.2.2.1: a non-critical authorityInfoAccess with at least one description.
// OpenSSL does not handle a critical one (unhandled critical extension), so neither
// libpq nor verifull accepts it in any profile.
void check_authority_info_access(const X509* cert, Findings& f) {
  bool critical = false;
  if (!has_extension(cert, NID_info_access, &critical)) return;
  if (critical) return f.always("its authorityInfoAccess extension is marked critical (OpenSSL refuses it as an unhandled critical extension)");
  auto aia = decode<AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free>(cert, NID_info_access);
  if (!aia || sk_ACCESS_DESCRIPTION_num(aia.get()) <= 0) f.encoding("its authorityInfoAccess extension is malformed");
}

// RFC 5280 4.1.1.2 and 4.1.2.4 (OpenSSL's X509_STRICT checks both).
void check_names_and_algorithm(const X509* cert, Findings& f) {
  if (X509_NAME_entry_count(X509_get_issuer_name(cert)) == 0) f.encoding("its issuer name is empty");
  const X509_ALGOR* outer = nullptr;
  X509_get0_signature(nullptr, &outer, cert);
  if (X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(cert)) != 0)
    f.encoding("its two signature algorithm fields differ");
}

// A certificate that signed another one. Security: it must be a CA (basicConstraints
// CA:TRUE; a v1 self-signed root only as the caller's anchor), whatever keyUsage or
// Netscape bits say, or a server certificate could issue certificates for any name.
// Encoding (RFC 5280 4.2.1.2, 4.2.1.3, 4.2.1.9): a subjectKeyIdentifier, keyUsage, and
// a critical basicConstraints.
void check_issuer(const X509* cert, bool is_anchor, Findings& f) {
  if (!is_ca(cert) && !(is_anchor && is_v1_root(cert)))
    return f.always("it issued a certificate but is not a CA (basicConstraints CA:TRUE is missing)");
  if (X509_NAME_entry_count(X509_get_subject_name(cert)) == 0) f.encoding("it is a CA certificate with an empty subject");
  if (X509_get_version(cert) != X509_VERSION_3) return;  // a v1 root: reported above
  if (!has_extension(cert, NID_subject_key_identifier)) f.encoding("it is a CA certificate without a subjectKeyIdentifier");
  if (!has_extension(cert, NID_key_usage)) f.encoding("it is a CA certificate without keyUsage");
  bool critical = false;
  if (has_extension(cert, NID_basic_constraints, &critical) && !critical)
    f.encoding("its basicConstraints extension is not marked critical");
}

// CA/B BR 7.1.4.3: a subject CN, when present, is a character-for-character copy of a
// dNSName entry or the text of an iPAddress entry.
void check_common_name_in_sans(const X509* leaf, const GENERAL_NAMES* names, Findings& f) {
  const X509_NAME* subject = X509_get_subject_name(leaf);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    const std::string value = asn1_text(cn);
    bool found = false;
    for (int k = 0; k < sk_GENERAL_NAME_num(names) && !found; ++k) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, k);
      if (name->type == GEN_DNS) found = value == asn1_text(name->d.dNSName);
      if (name->type == GEN_IPADD) found = value == ip_address_text(name->d.iPAddress).value_or("");
    }
    if (!found) return f.encoding("its subject CN is not a copy of one of its subjectAltName entries");
  }
}

// `constrained`: a CA of the chain carries nameConstraints. Then every name must be
// well-formed, always, because a malformed name cannot be judged against them (the
// engines disagree on how to).
void check_subject_alt_names(const X509* leaf, bool constrained, Findings& f) {
  // RFC 5280 4.2.1.6: the SAN is critical exactly when the subject is empty.
  bool san_critical = false;
  const bool empty_subject = X509_NAME_entry_count(X509_get_subject_name(leaf)) == 0;
  if (!has_extension(leaf, NID_subject_alt_name, &san_critical)) return;
  if (san_critical != empty_subject)
    f.encoding(empty_subject ? "its subject is empty but its subjectAltName is not marked critical"
                             : "its subjectAltName is marked critical although it has a subject");
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return f.always("its subjectAltName extension cannot be decoded");
  if (sk_GENERAL_NAME_num(names.get()) == 0) f.encoding("its subjectAltName extension is empty");
  const auto malformed = [&](const std::string& rule) { constrained ? f.always(rule + " under name constraints") : f.encoding(rule); };
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_IPADD) {
      const int len = ASN1_STRING_length(name->d.iPAddress);
      if (len != 4 && len != 16) return malformed("its subjectAltName holds a malformed IP address");
    }
    if (name->type != GEN_DNS) continue;
    const std::string dns = asn1_text(name->d.dNSName);
    if (!is_valid_dns_san(dns)) return malformed("its subjectAltName holds a malformed DNS name (\"" + escape_display(dns) + "\")");
    // Underscores are common in internal host names and every client matches them; RFC
    // 5280 (preferred name syntax) does not allow them.
    if (dns.find('_') != std::string::npos) f.encoding("its subjectAltName holds a DNS name with an underscore (\"" + escape_display(dns) + "\")");
  }
  check_common_name_in_sans(leaf, names.get(), f);
}

// RFC 5280 4.2.1.12 / OpenSSL: an extendedKeyUsage extension lists at least one purpose.
void check_extended_key_usage(const X509* cert, Findings& f) {
  if (!has_extension(cert, NID_ext_key_usage)) return;
  auto eku = decode<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>(cert, NID_ext_key_usage);
  if (!eku || sk_ASN1_OBJECT_num(eku.get()) == 0) f.always("its extendedKeyUsage extension is empty");
}

void check_leaf(const X509* leaf, bool constrained, Findings& f) {
  // A CA certificate should not double as a server certificate (CA/B BR 7.1.2.7.8). Not
  // a security rule: a CA:TRUE certificate under the anchor can sign certificates
  // whether or not verifull accepts it as a server's; libpq accepts it.
  auto bc = decode<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>(leaf, NID_basic_constraints);
  if (bc && bc->ca) {
    f.encoding("it is a CA certificate (basicConstraints CA:TRUE), not a server certificate");
  } else {
    // RFC 5280 4.2.1.3: keyCertSign only in CAs. Always (Botan refuses it for TLS).
    const uint32_t usage = X509_get_key_usage(const_cast<X509*>(leaf));
    if (has_extension(leaf, NID_key_usage) && (usage & KU_KEY_CERT_SIGN))
      f.always("its keyUsage allows signing certificates but it is not a CA certificate");
    // RFC 5280 4.2.1.9, as X509_STRICT checks it.
    if (bc && bc->pathlen) f.encoding("it sets a pathLenConstraint but is not a CA certificate");
  }
  check_subject_alt_names(leaf, constrained, f);
  check_extended_key_usage(leaf, f);
}

std::vector<ProfileFinding> compute_profile(const std::vector<X509Ptr>& chain) {
  std::vector<ProfileFinding> out;
  bool constrained = false;
  for (std::size_t depth = 1; depth < chain.size(); ++depth)
    constrained = constrained || has_extension(chain[depth].get(), NID_name_constraints);
  for (std::size_t depth = 0; depth < chain.size(); ++depth) {
    const X509* cert = chain[depth].get();
    const bool is_leaf = depth == 0, is_anchor = depth + 1 == chain.size();
    const X509* issuer = is_anchor ? cert : chain[depth + 1].get();
    Findings f{out, depth};
    if (is_leaf) check_leaf(cert, constrained, f);
    else check_issuer(cert, is_anchor, f);
    // The anchor is the caller's choice; its serial is not the server's to get right.
    if (!is_anchor) check_serial(cert, f);
    check_version_and_key_ids(cert, issuer, is_anchor, f);
    check_names_and_algorithm(cert, f);
    check_name_constraints(cert, is_leaf, f);
    check_policy_constraints(cert, f);
    check_authority_info_access(cert, f);
    check_critical_extensions(cert, f);
    check_key_encoding(cert, f);
  }
  return out;
}

// A server presents the same chain on every connection, and the profile's extension
// decoding costs a fair share of a verification: findings are kept for recent chains,
// keyed by the certificates' SHA-1 (OpenSSL's cached one) and confirmed with X509_cmp.
struct ChainFindings {
  std::vector<X509Ptr> chain;
  std::vector<ProfileFinding> findings;
};
using FindingsCache = BoundedCache<std::string, std::shared_ptr<const ChainFindings>>;

std::string chain_key(const std::vector<X509Ptr>& chain) {
  std::string k;
  for (const auto& cert : chain) {
    unsigned char sha1[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert.get(), EVP_sha1(), sha1, &len);
    k.append(reinterpret_cast<char*>(sha1), len);
  }
  return k;
}

bool same_chain(const std::vector<X509Ptr>& a, const std::vector<X509Ptr>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (X509_cmp(a[i].get(), b[i].get()) != 0) return false;
  return true;
}

}  // namespace

bool is_valid_dns_san(const std::string& name) { return !dns_name_problem(name, true); }

std::vector<ProfileFinding> check_profile(const std::vector<X509Ptr>& chain) {
  static FindingsCache cache(256);
  const std::string key = chain_key(chain);
  if (const auto hit = cache.find(key); hit && same_chain((*hit)->chain, chain)) return (*hit)->findings;
  auto entry = std::make_shared<ChainFindings>();
  for (const auto& cert : chain) entry->chain.push_back(share(cert.get()));
  entry->findings = compute_profile(chain);
  cache.store(key, entry);
  return entry->findings;
}

}  // namespace verifull::detail
