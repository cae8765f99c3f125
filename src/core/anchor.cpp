#include "core/anchor.hpp"
#include "core/fork_safe.hpp"

#include <openssl/asn1t.h>

#include <optional>
#include <utility>

#include "core/cert_facts.hpp"
#include "core/pem.hpp"
#include "verifull/errors.hpp"

namespace verifull::detail {
namespace {

// ---- the screen: an X.509 certificate read without decoding its public key ----------
//
// RFC 5280's Certificate with OpenSSL's own templates for every field (X509_NAME,
// X509_VAL, X509_ALGOR, X509_EXTENSION), except that subjectPublicKeyInfo stays an
// algorithm and a BIT STRING. So a certificate passes this screen exactly when
// OpenSSL's d2i_X509 reads the same structure, without the provider key decoding.

struct ScreenedKeyInfo {
  X509_ALGOR* algorithm;
  ASN1_BIT_STRING* key;
};

struct ScreenedTbs {
  ASN1_INTEGER* version;
  ASN1_INTEGER* serial;
  X509_ALGOR* signature;
  X509_NAME* issuer;
  X509_VAL* validity;
  X509_NAME* subject;
  ScreenedKeyInfo* key_info;
  ASN1_BIT_STRING* issuer_uid;
  ASN1_BIT_STRING* subject_uid;
  STACK_OF(X509_EXTENSION) * extensions;
};

struct ScreenedCert {
  ScreenedTbs* tbs;
  X509_ALGOR* signature_algorithm;
  ASN1_BIT_STRING* signature;
};

ASN1_SEQUENCE(ScreenedKeyInfo) = {
    ASN1_SIMPLE(ScreenedKeyInfo, algorithm, X509_ALGOR),
    ASN1_SIMPLE(ScreenedKeyInfo, key, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(ScreenedKeyInfo)

ASN1_SEQUENCE(ScreenedTbs) = {
    ASN1_EXP_OPT(ScreenedTbs, version, ASN1_INTEGER, 0),
    ASN1_SIMPLE(ScreenedTbs, serial, ASN1_INTEGER),
    ASN1_SIMPLE(ScreenedTbs, signature, X509_ALGOR),
    ASN1_SIMPLE(ScreenedTbs, issuer, X509_NAME),
    ASN1_SIMPLE(ScreenedTbs, validity, X509_VAL),
    ASN1_SIMPLE(ScreenedTbs, subject, X509_NAME),
    ASN1_SIMPLE(ScreenedTbs, key_info, ScreenedKeyInfo),
    ASN1_IMP_OPT(ScreenedTbs, issuer_uid, ASN1_BIT_STRING, 1),
    ASN1_IMP_OPT(ScreenedTbs, subject_uid, ASN1_BIT_STRING, 2),
    ASN1_EXP_SEQUENCE_OF_OPT(ScreenedTbs, extensions, X509_EXTENSION, 3),
} ASN1_SEQUENCE_END(ScreenedTbs)

ASN1_SEQUENCE(ScreenedCert) = {
    ASN1_SIMPLE(ScreenedCert, tbs, ScreenedTbs),
    ASN1_SIMPLE(ScreenedCert, signature_algorithm, X509_ALGOR),
    ASN1_SIMPLE(ScreenedCert, signature, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(ScreenedCert)

struct FreeScreened {
  void operator()(ScreenedCert* cert) const {
    ASN1_item_free(reinterpret_cast<ASN1_VALUE*>(cert), ASN1_ITEM_rptr(ScreenedCert));
  }
};
using ScreenedPtr = std::unique_ptr<ScreenedCert, FreeScreened>;

// The whole of `der` as one certificate, or nullptr.
ScreenedPtr screen(const std::string& der) {
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  ScreenedPtr cert(reinterpret_cast<ScreenedCert*>(
      ASN1_item_d2i(nullptr, &p, static_cast<long>(der.size()), ASN1_ITEM_rptr(ScreenedCert))));
  if (cert && p != begin + der.size()) return nullptr;
  return cert;
}

template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, OpenSslDeleter<T, Free>>;

// True when the extensions make the certificate a CA exactly as X509_check_ca() == 1
// does: basicConstraints with cA TRUE, a keyUsage (if any) that allows keyCertSign, and
// every extension once and well-formed where it matters here (a negative path length
// is refused before, by malformed_extension). Anything else is decided by the full
// parse (self-signed certificates, v1 roots, odd encodings).
bool clearly_a_ca(const STACK_OF(X509_EXTENSION) * extensions) {
  const int count = sk_X509_EXTENSION_num(extensions);
  for (int i = 0; i < count; ++i) {
    const ASN1_OBJECT* oid = X509_EXTENSION_get_object(sk_X509_EXTENSION_value(extensions, i));
    if (X509v3_get_ext_by_OBJ(extensions, oid, i) >= 0) return false;  // OpenSSL marks duplicates invalid
  }
  int critical = 0;
  Owned<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free> constraints(static_cast<BASIC_CONSTRAINTS*>(
      X509V3_get_d2i(extensions, NID_basic_constraints, &critical, nullptr)));
  if (!constraints || !constraints->ca) return false;
  Owned<ASN1_BIT_STRING, ASN1_BIT_STRING_free> usage(
      static_cast<ASN1_BIT_STRING*>(X509V3_get_d2i(extensions, NID_key_usage, &critical, nullptr)));
  if (!usage) return critical == -1;  // -1: absent; otherwise malformed
  constexpr int kKeyCertSignBit = 5;
  return ASN1_BIT_STRING_get_bit(usage.get(), kKeyCertSignBit) == 1;
}

// The extensions OpenSSL decodes for every certificate it verifies (the extension cache
// behind X509_check_ca, X509_check_issued and chain building): when one of them does not
// decode, or appears twice, OpenSSL marks the whole certificate invalid and no chain to
// it verifies. Such an anchor is refused here with the extension named, rather than
// loaded and then reported, chain after chain, as the wrong environment's CA.
std::optional<std::string> malformed_extension(const STACK_OF(X509_EXTENSION) * extensions) {
  static constexpr int kDecoded[] = {
      NID_basic_constraints,     NID_proxyCertInfo,      NID_key_usage,         NID_ext_key_usage,
      NID_netscape_cert_type,    NID_subject_key_identifier, NID_authority_key_identifier,
      NID_subject_alt_name,      NID_name_constraints,   NID_crl_distribution_points,
      NID_sbgp_ipAddrBlock,      NID_sbgp_autonomousSysNum,
  };
  for (const int nid : kDecoded) {
    int found = -1;  // X509V3_get_d2i: -1 absent, -2 more than once, else the critical flag
    void* value = X509V3_get_d2i(extensions, nid, &found, nullptr);
    const X509V3_EXT_METHOD* method = X509V3_EXT_get_nid(nid);
    if (value && method && method->it) ASN1_item_free(static_cast<ASN1_VALUE*>(value), ASN1_ITEM_ptr(method->it));
    else if (value && method && method->ext_free) method->ext_free(value);
    if (value || found == -1) continue;
    const std::string name = OBJ_nid2ln(nid);
    if (found == -2) return "has the " + name + " extension more than once";
    return "has a malformed " + name + " extension (OpenSSL cannot decode it)";
  }
  int unused = 0;
  Owned<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free> constraints(
      static_cast<BASIC_CONSTRAINTS*>(X509V3_get_d2i(extensions, NID_basic_constraints, &unused, nullptr)));
  if (constraints && constraints->pathlen && constraints->pathlen->type == V_ASN1_NEG_INTEGER)
    return "has a negative path length in its basicConstraints";
  return std::nullopt;
}

void refuse_malformed(const std::optional<std::string>& defect, const std::string& subject, int line,
                      const std::string& source) {
  if (!defect) return;
  throw InputError("the certificate at " + source + " line " + std::to_string(line) + " (" + subject + ") " + *defect +
                   ", so OpenSSL treats it as invalid and no chain to it could ever verify; get a correctly "
                   "encoded copy of the CA certificate from its provider");
}

// An anchor is a CA certificate (basicConstraints CA:TRUE) or a self-signed certificate:
// a v1 root, or a server's self-signed certificate trusted as itself (a common database
// setup: sslrootcert=server.crt), which verifies only the server that presents it. A
// server certificate issued by a CA is refused: that is the classic mistake of passing
// the server's certificate instead of its CA, and it could never verify anything.
void refuse_non_ca(const X509* cert, int line, const std::string& source) {
  if (X509_check_ca(const_cast<X509*>(cert)) == 1 || is_self_signed(cert)) return;
  throw InputError("the certificate at " + source + " line " + std::to_string(line) + " (" + subject_of(cert) +
                   ") is not a CA certificate (basicConstraints CA:TRUE is missing) and not "
                   "self-signed, so it cannot be a trust anchor; pass the CA that issued the "
                   "server's certificate, not the server's certificate itself");
}

X509NamePtr copy_name(const X509_NAME* name) {
  X509NamePtr copy(X509_NAME_dup(name));
  if (!copy) throw std::bad_alloc();
  return copy;
}

AnchorFacts facts_of(X509NamePtr subject, X509NamePtr issuer, const ASN1_TIME* not_after) {
  AnchorFacts facts;
  facts.subject = std::move(subject);
  facts.issuer = std::move(issuer);
  facts.not_after = rfc3339(not_after);
  facts.not_after_unix = unix_time(not_after);
  return facts;
}

}  // namespace

Anchor::Anchor(std::string der, int line, AnchorFacts facts, X509Ptr parsed)
    : der_(std::move(der)), line_(line), facts_(std::move(facts)), cert_(std::move(parsed)) {}

const std::string& Anchor::sha256() const {
  // Entered before the once: a thread inside a once must already hold the fork gate, or it
  // could wait for the gate while a thread holding it waits for the once (core/fork_safe.hpp).
  const NoForkHere no_fork;
  std::call_once(sha256_once_, [this] { sha256_ = hex_colon(detail::sha256(der_)); });
  return sha256_;
}

const X509* Anchor::cert() const noexcept {
  try {
    const NoForkHere no_fork;  // before the once: see sha256()
    std::call_once(cert_once_, [this] {
      if (!cert_) cert_ = certificate_from_der(der_);  // set already when loading parsed it
    });
  } catch (...) {
    return nullptr;
  }
  return cert_.get();
}

std::vector<AnchorPtr> load_anchors(std::string_view pem, const std::string& source) {
  // The screen decodes extensions, and OpenSSL's extension cache fetches digests: its
  // method-store locks must not be held across fork() (core/fork_safe.hpp).
  const NoForkHere no_fork;
  std::vector<AnchorPtr> anchors;
  for (auto& block : certificate_blocks(pem, source, "trust anchors")) {
    ScreenedPtr screened = screen(block.der);
    if (screened)
      refuse_malformed(malformed_extension(screened->tbs->extensions), name_to_string(screened->tbs->subject),
                       block.line, source);
    if (screened && clearly_a_ca(screened->tbs->extensions)) {
      ScreenedTbs& tbs = *screened->tbs;
      X509NamePtr subject(std::exchange(tbs.subject, nullptr));  // taken over from the screened certificate
      X509NamePtr issuer(std::exchange(tbs.issuer, nullptr));
      anchors.push_back(std::make_shared<Anchor>(
          std::move(block.der), block.line, facts_of(std::move(subject), std::move(issuer), tbs.validity->notAfter)));
      continue;
    }
    // Not plainly a CA, or not readable by the screen: OpenSSL itself decides.
    X509Ptr cert = certificate_from_der(block.der);
    if (!cert) throw InputError(not_a_certificate(source, block.line));
    if (X509_get_extension_flags(cert.get()) & EXFLAG_INVALID) {
      refuse_malformed(malformed_extension(X509_get0_extensions(cert.get())), subject_of(cert.get()), block.line, source);
      refuse_malformed("has an extension OpenSSL finds invalid", subject_of(cert.get()), block.line, source);
    }
    refuse_non_ca(cert.get(), block.line, source);
    AnchorFacts facts = facts_of(copy_name(X509_get_subject_name(cert.get())),
                                 copy_name(X509_get_issuer_name(cert.get())), X509_get0_notAfter(cert.get()));
    anchors.push_back(std::make_shared<Anchor>(std::move(block.der), block.line, std::move(facts), std::move(cert)));
  }
  return anchors;
}

void add_anchors_for_chain(X509_STORE* store, const std::vector<AnchorPtr>& anchors, const X509* leaf,
                           const STACK_OF(X509) * untrusted) {
  // What chain building may look up: the issuer of every certificate it may put in the
  // chain, and the subject of each (a certificate that is itself an anchor).
  std::vector<const X509_NAME*> wanted;
  const auto want = [&wanted](const X509* cert) {
    wanted.push_back(X509_get_issuer_name(cert));
    wanted.push_back(X509_get_subject_name(cert));
  };
  want(leaf);
  for (int i = 0; i < sk_X509_num(untrusted); ++i) want(sk_X509_value(untrusted, i));
  std::vector<bool> added(anchors.size(), false);
  for (std::size_t next = 0; next < wanted.size(); ++next) {
    for (std::size_t i = 0; i < anchors.size(); ++i) {
      if (added[i] || X509_NAME_cmp(anchors[i]->subject(), wanted[next]) != 0) continue;
      added[i] = true;
      const X509* cert = anchors[i]->cert();
      if (!cert) continue;  // OpenSSL cannot read it: it trusts nothing
      // Adding a certificate the store holds already is a no-op that succeeds.
      if (X509_STORE_add_cert(store, const_cast<X509*>(cert)) != 1) continue;
      want(cert);  // an anchor issued by another anchor in the set
    }
  }
}

}  // namespace verifull::detail
