#include "core/profile.hpp"

#include <cctype>

namespace verifull::detail {
namespace {

using Rule = std::optional<std::string>;

// Decodes an extension; nullopt-like null when absent or malformed.
template <typename T>
struct Decoded {
  T* value = nullptr;
  void (*free_fn)(T*) = nullptr;
  ~Decoded() { if (value && free_fn) free_fn(value); }
};

bool has_extension(const X509* cert, int nid, bool* critical = nullptr) {
  const int idx = X509_get_ext_by_NID(cert, nid, -1);
  if (idx < 0) return false;
  if (critical) *critical = X509_EXTENSION_get_critical(X509_get_ext(cert, idx)) != 0;
  return true;
}

// RFC 5280 4.1.2.2: positive, at most 20 octets. (Zero is not positive.)
Rule check_serial(const X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) return "its serial number is negative";
  const int len = ASN1_STRING_length(serial);
  const unsigned char* data = ASN1_STRING_get0_data(serial);
  bool zero = true;
  for (int i = 0; i < len; ++i) zero = zero && data[i] == 0;
  if (zero) return "its serial number is zero";
  if (len > 20) return "its serial number is longer than 20 octets";
  return std::nullopt;
}

// RFC 5280 4.2.1.1: every certificate but a self-signed one carries a non-critical
// authorityKeyIdentifier with a keyIdentifier (OpenSSL's X509_STRICT checks this too;
// here it holds for every engine).
Rule check_authority_key_id(const X509* cert, bool self_signed) {
  bool critical = false;
  if (!has_extension(cert, NID_authority_key_identifier, &critical)) {
    if (self_signed) return std::nullopt;
    return "it has no authorityKeyIdentifier";
  }
  if (critical) return "its authorityKeyIdentifier is marked critical";
  Decoded<AUTHORITY_KEYID> akid{static_cast<AUTHORITY_KEYID*>(
                                    X509_get_ext_d2i(cert, NID_authority_key_identifier, nullptr, nullptr)),
                                AUTHORITY_KEYID_free};
  if (!akid.value || !akid.value->keyid) return "its authorityKeyIdentifier has no keyIdentifier";
  return std::nullopt;
}

// RFC 5280 4.2.1.10: name constraints only in CAs, always critical, never empty.
Rule check_name_constraints(const X509* cert, bool is_leaf) {
  bool critical = false;
  if (!has_extension(cert, NID_name_constraints, &critical)) return std::nullopt;
  if (is_leaf) return "it carries nameConstraints, which only a CA certificate may";
  if (!critical) return "its nameConstraints extension is not marked critical";
  Decoded<NAME_CONSTRAINTS> nc{static_cast<NAME_CONSTRAINTS*>(
                                   X509_get_ext_d2i(cert, NID_name_constraints, nullptr, nullptr)),
                               NAME_CONSTRAINTS_free};
  if (!nc.value) return "its nameConstraints extension is malformed";
  if (sk_GENERAL_SUBTREE_num(nc.value->permittedSubtrees) <= 0 &&
      sk_GENERAL_SUBTREE_num(nc.value->excludedSubtrees) <= 0)
    return "its nameConstraints extension has neither permitted nor excluded subtrees";
  return std::nullopt;
}

// RFC 5280 4.2.2.1: a non-critical authorityInfoAccess with at least one description.
Rule check_authority_info_access(const X509* cert) {
  bool critical = false;
  if (!has_extension(cert, NID_info_access, &critical)) return std::nullopt;
  if (critical) return "its authorityInfoAccess extension is marked critical";
  Decoded<AUTHORITY_INFO_ACCESS> aia{static_cast<AUTHORITY_INFO_ACCESS*>(
                                         X509_get_ext_d2i(cert, NID_info_access, nullptr, nullptr)),
                                     AUTHORITY_INFO_ACCESS_free};
  if (!aia.value || sk_ACCESS_DESCRIPTION_num(aia.value) <= 0) return "its authorityInfoAccess extension is malformed";
  return std::nullopt;
}

// RFC 5280 4.2.1.2 and 4.2.1.9: a CA certificate has a subjectKeyIdentifier and a
// critical basicConstraints.
Rule check_ca(const X509* cert) {
  if (!has_extension(cert, NID_subject_key_identifier)) return "it is a CA certificate without a subjectKeyIdentifier";
  bool critical = false;
  if (has_extension(cert, NID_basic_constraints, &critical) && !critical)
    return "its basicConstraints extension is not marked critical";
  return std::nullopt;
}

Rule check_leaf(const X509* leaf) {
  // A CA certificate must not double as a server certificate (CA/B BR 7.1.2.7.8).
  Decoded<BASIC_CONSTRAINTS> bc{static_cast<BASIC_CONSTRAINTS*>(
                                    X509_get_ext_d2i(leaf, NID_basic_constraints, nullptr, nullptr)),
                                BASIC_CONSTRAINTS_free};
  if (bc.value && bc.value->ca) return "it is a CA certificate (basicConstraints CA:TRUE), not a server certificate";
  // RFC 5280 4.2.1.6: the SAN is critical exactly when the subject is empty.
  bool san_critical = false;
  const bool empty_subject = X509_NAME_entry_count(X509_get_subject_name(leaf)) == 0;
  if (has_extension(leaf, NID_subject_alt_name, &san_critical) && san_critical != empty_subject)
    return empty_subject ? "its subject is empty but its subjectAltName is not marked critical"
                         : "its subjectAltName is marked critical although it has a subject";
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_IPADD) {
      const int len = ASN1_STRING_length(name->d.iPAddress);
      if (len != 4 && len != 16) return "its subjectAltName holds a malformed IP address";
    }
    if (name->type != GEN_DNS) continue;
    const auto* s = name->d.dNSName;
    const std::string dns(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                          static_cast<std::size_t>(ASN1_STRING_length(s)));
    if (!is_valid_dns_san(dns)) return "its subjectAltName holds a malformed DNS name";
  }
  return std::nullopt;
}

}  // namespace

bool is_valid_dns_san(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i < name.size() && name[i] != '.') continue;
    const std::string label = name.substr(start, i - start);
    if (label.empty() || label.size() > 63) return false;
    if (label == "*") {
      if (start != 0) return false;
    } else {
      for (unsigned char c : label)
        if (!std::isalnum(c) && c != '-' && c != '_') return false;
      if (label.front() == '-' || label.back() == '-') return false;
    }
    start = i + 1;
  }
  return true;
}

std::optional<ProfileViolation> check_profile(const std::vector<X509Ptr>& chain) {
  for (std::size_t depth = 0; depth < chain.size(); ++depth) {
    const X509* cert = chain[depth].get();
    const bool is_leaf = depth == 0, is_anchor = depth + 1 == chain.size();
    Rule rule;
    if (is_leaf) rule = check_leaf(cert);
    // The anchor is the caller's choice; its serial is not the server's to get right.
    if (!rule && !is_anchor) rule = check_serial(cert);
    if (!rule && !is_leaf) rule = check_ca(cert);
    if (!rule) rule = check_authority_key_id(cert, X509_check_issued(const_cast<X509*>(cert), const_cast<X509*>(cert)) == X509_V_OK);
    if (!rule) rule = check_name_constraints(cert, is_leaf);
    if (!rule) rule = check_authority_info_access(cert);
    if (rule) return ProfileViolation{depth, *rule};
  }
  return std::nullopt;
}

}  // namespace verifull::detail
