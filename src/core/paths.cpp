#include "core/paths.hpp"

#include <algorithm>

namespace verifull::detail {
namespace {

// OpenSSL's test for "may have issued" without the signature (X509_check_akid): the
// issuer's subject is the certificate's issuer name, and the certificate's
// authorityKeyIdentifier, where it has one, names the issuer's key identifier and serial.
bool may_have_issued(const X509* issuer, const X509* cert) {
  if (X509_NAME_cmp(X509_get_subject_name(issuer), X509_get_issuer_name(cert)) != 0) return false;
  X509* subject = const_cast<X509*>(cert);
  const ASN1_OCTET_STRING* key_id = X509_get0_authority_key_id(subject);
  const ASN1_OCTET_STRING* issuer_key_id = X509_get0_subject_key_id(const_cast<X509*>(issuer));
  if (key_id && issuer_key_id && ASN1_OCTET_STRING_cmp(key_id, issuer_key_id) != 0) return false;
  const ASN1_INTEGER* serial = X509_get0_authority_serial(subject);
  return !serial || ASN1_INTEGER_cmp(X509_get0_serialNumber(issuer), serial) == 0;
}

// Self-signed by OpenSSL's reading (names, key identifiers, key type): never an
// intermediate, since nothing above it could be its issuer.
bool self_signed(const X509* cert) {
  return (X509_get_extension_flags(const_cast<X509*>(cert)) & EXFLAG_SS) != 0;
}

bool same_cert(const X509* a, const X509* b) { return a == b || X509_cmp(a, b) == 0; }

class Search {
 public:
  Search(const STACK_OF(X509) * untrusted, const TrustData& trust, int max_intermediates)
      : untrusted_(untrusted), trust_(trust), max_intermediates_(max_intermediates) {}

  PathSearch run(X509* leaf) {
    std::vector<X509*> path = {leaf};
    // A server certificate that is itself an anchor (sslrootcert=server.crt) is a path
    // of its own; it may also chain on like any other certificate.
    if (X509_NAME_cmp(X509_get_subject_name(leaf), X509_get_issuer_name(leaf)) == 0) {
      for (const auto& anchor : trust_.anchors) {
        const X509* cert = anchor->cert();
        if (cert && X509_cmp(cert, leaf) == 0) record({const_cast<X509*>(cert)}, 0);
      }
    }
    extend(path);
    if (result_.complete.empty() && result_.longest_partial.empty()) result_.longest_partial = {leaf};
    return std::move(result_);
  }

 private:
  bool stopped() {
    if (result_.steps >= kMaxPathSearchSteps || result_.complete.size() >= kMaxCandidatePaths) {
      result_.budget_exhausted = true;
      return true;
    }
    return false;
  }

  void record(std::vector<X509*> certs, std::size_t first_anchor) {
    if (result_.complete.size() < kMaxCandidatePaths) result_.complete.push_back({std::move(certs), first_anchor});
  }

  static bool contains(const std::vector<X509*>& path, const X509* cert) {
    return std::any_of(path.begin(), path.end(), [cert](const X509* c) { return same_cert(c, cert); });
  }

  // From the last certificate of `path` (not an anchor) to the anchors, then through
  // the untrusted certificates.
  void extend(std::vector<X509*>& path) {
    if (path.size() > result_.longest_partial.size()) result_.longest_partial = path;
    const X509* last = path.back();
    for (const auto& anchor : trust_.anchors) {
      if (X509_NAME_cmp(anchor->subject(), X509_get_issuer_name(last)) != 0) continue;
      if (stopped()) return;
      ++result_.steps;
      X509* cert = const_cast<X509*>(anchor->cert());
      if (!cert || contains(path, cert) || !may_have_issued(cert, last)) continue;
      const std::size_t first_anchor = path.size();
      path.push_back(cert);
      up_through_anchors(path, first_anchor);
      path.pop_back();
    }
    if (static_cast<int>(path.size()) - 1 >= max_intermediates_) return;
    for (int i = 0; i < sk_X509_num(untrusted_); ++i) {
      X509* cert = sk_X509_value(untrusted_, i);
      if (X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(last)) != 0) continue;
      if (stopped()) return;
      ++result_.steps;
      if (self_signed(cert) || contains(path, cert) || !may_have_issued(cert, last)) continue;
      path.push_back(cert);
      extend(path);
      path.pop_back();
    }
  }

  // An anchor ends the path when it is self-issued (a root: verifull accepts no partial
  // chain); an anchor issued by another anchor continues among the anchors, as OpenSSL
  // continues in its store.
  void up_through_anchors(std::vector<X509*>& path, std::size_t first_anchor) {
    const X509* top = path.back();
    if (X509_NAME_cmp(X509_get_subject_name(top), X509_get_issuer_name(top)) == 0) {
      record(path, first_anchor);
      return;
    }
    for (const auto& anchor : trust_.anchors) {
      if (X509_NAME_cmp(anchor->subject(), X509_get_issuer_name(top)) != 0) continue;
      if (stopped()) return;
      ++result_.steps;
      X509* cert = const_cast<X509*>(anchor->cert());
      if (!cert || contains(path, cert) || !may_have_issued(cert, top)) continue;
      path.push_back(cert);
      up_through_anchors(path, first_anchor);
      path.pop_back();
    }
  }

  const STACK_OF(X509) * untrusted_;
  const TrustData& trust_;
  int max_intermediates_;
  PathSearch result_;
};

}  // namespace

PathSearch find_candidate_paths(X509* leaf, const STACK_OF(X509) * untrusted, const TrustData& trust,
                                int max_intermediates) {
  return Search(untrusted, trust, max_intermediates).run(leaf);
}

}  // namespace verifull::detail
