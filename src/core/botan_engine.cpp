// The Botan 2 engine: x509_path_validate over the same anchors, with the same policy
// as the OpenSSL engine, so `both` does not hang on one X.509 implementation. What
// Botan 2 does differently is done here: host names are matched by verifull's own
// rules (names.hpp: SANs, whole-label wildcards, the opt-in CN fallback), IP literals
// against IP SANs decoded with Botan's own BER parser (Botan 2 ignores IPv6 SANs),
// chains must end at a self-signed anchor (Botan accepts any stored certificate) and
// the depth limit. The paths it judges come from verifull's bounded search (paths.hpp):
// Botan 2's own builder tries every ordering of same-named CAs (11 of them: 26 s).
// Certificate dates are never converted to time points (Botan 2 cannot past 2037).
#include <botan/ber_dec.h>
#include <botan/certstor.h>
#include <botan/pk_keys.h>
#include <botan/x509path.h>

#include <openssl/x509.h>

#include <functional>

#include "core/engine.hpp"
#include "core/fork_safe.hpp"
#include "core/names.hpp"

namespace verifull::detail {

struct BotanAnchors {
  Botan::Certificate_Store_In_Memory store;
  std::vector<std::pair<Botan::X509_Certificate, const Anchor*>> pairs;  // Botan's view -> TrustData's anchor
};

namespace {

Botan::X509_Certificate to_botan(const X509* cert) {
  const int n = i2d_X509(cert, nullptr);
  std::vector<uint8_t> der(static_cast<std::size_t>(n));
  unsigned char* p = der.data();
  i2d_X509(cert, &p);
  return Botan::X509_Certificate(der);
}

// The OpenSSL object verifull already holds for a certificate of Botan's path. The
// path only contains certificates it was given (the chain or the anchors), so this
// finds it; parsing DER again with d2i_X509 costs more than Botan's whole validation.
using Pairs = std::vector<std::pair<Botan::X509_Certificate, X509*>>;
using AnchorPairs = std::vector<std::pair<Botan::X509_Certificate, const Anchor*>>;
X509Ptr to_openssl(const Botan::X509_Certificate& cert, const Pairs& given, const AnchorPairs& anchors) {
  for (const auto& [botan, openssl] : given)
    if (botan == cert) return share(openssl);
  for (const auto& [botan, anchor] : anchors)
    if (botan == cert && anchor->cert()) return share(const_cast<X509*>(anchor->cert()));
  const auto der = cert.BER_encode();
  const unsigned char* p = der.data();
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

const BotanAnchors& anchors_of(const TrustData& trust) {
  const NoForkHere no_fork;  // before the once (core/fork_safe.hpp)
  std::call_once(trust.botan_once, [&] {
    auto anchors = std::make_shared<BotanAnchors>();
    for (const auto& anchor : trust.anchors) {
      const auto& der = anchor->der();
      anchors->pairs.emplace_back(Botan::X509_Certificate(std::vector<uint8_t>(der.begin(), der.end())), anchor.get());
      anchors->store.add_certificate(anchors->pairs.back().first);
    }
    trust.botan_anchors = anchors;
  });
  return *trust.botan_anchors;
}

Outcome outcome_of(Botan::Certificate_Status_Code code) {
  using C = Botan::Certificate_Status_Code;
  switch (code) {
    case C::OK: return Outcome::ok;
    case C::SIGNATURE_METHOD_TOO_WEAK:
    case C::UNTRUSTED_HASH:
      return Outcome::weak_crypto;
    case C::CERT_NOT_YET_VALID: return Outcome::not_yet_valid;
    case C::CERT_HAS_EXPIRED: return Outcome::expired;
    case C::CERT_ISSUER_NOT_FOUND:
    case C::CANNOT_ESTABLISH_TRUST:
    case C::CHAIN_LACKS_TRUST_ROOT:
      return Outcome::untrusted_issuer;
    case C::INVALID_USAGE: return Outcome::bad_usage;
    case C::CERT_NAME_NOMATCH: return Outcome::name_mismatch;
    case C::CERT_IS_REVOKED: return Outcome::revoked;
    case C::CRL_HAS_EXPIRED: return Outcome::crl_expired;
    case C::CRL_BAD_SIGNATURE: return Outcome::crl_bad_signature;
    case C::NO_REVOCATION_DATA: return Outcome::crl_missing;
    default: return Outcome::invalid_chain;
  }
}

// The SAN's dNSName and iPAddress entries, decoded by Botan.
struct SubjectAltNames {
  std::vector<std::string> dns;
  std::vector<std::vector<uint8_t>> ips;
};

SubjectAltNames subject_alt_names(const Botan::X509_Certificate& cert) {
  SubjectAltNames out;
  const auto raw = cert.v3_extensions().extensions_raw();
  const auto it = raw.find(Botan::OID::from_string("X509v3.SubjectAlternativeName"));
  if (it == raw.end()) return out;
  Botan::BER_Decoder names = Botan::BER_Decoder(it->second.first).start_cons(Botan::SEQUENCE);
  while (names.more_items()) {
    const Botan::BER_Object obj = names.get_next_object();
    if (obj.is_a(2, Botan::CONTEXT_SPECIFIC)) out.dns.emplace_back(reinterpret_cast<const char*>(obj.bits()), obj.length());
    if (obj.is_a(7, Botan::CONTEXT_SPECIFIC)) out.ips.emplace_back(obj.bits(), obj.bits() + obj.length());
  }
  return out;
}

bool names_peer(const Botan::X509_Certificate& leaf, const ChainInput& input) {
  // The CN fallback reads the subject with OpenSSL, as the OpenSSL engine does: one
  // rule, one parser, so the engines cannot disagree on which CN counts.
  if (input.cn_fallback) return common_name_matches(input.leaf, input.peer);
  const auto sans = subject_alt_names(leaf);
  if (input.peer.kind == PeerName::Kind::ip) {
    for (const auto& ip : sans.ips)
      if (std::string(ip.begin(), ip.end()) == input.peer.ip_bytes) return true;
    return false;
  }
  for (const auto& pattern : sans.dns)
    if (dns_name_matches(pattern, input.peer.value)) return true;
  return false;
}

EngineResult refusal(const Botan::Path_Validation_Result& path, const X509* leaf,
                     const std::function<X509Ptr(const Botan::X509_Certificate&)>& back_to_openssl) {
  EngineResult result;
  result.outcome = outcome_of(path.result());
  result.detail = path.result_string();
  const auto& statuses = path.all_statuses();
  for (std::size_t depth = 0; depth < statuses.size() && result.failing_depth < 0; ++depth) {
    for (auto code : statuses[depth]) {
      if (code >= Botan::Certificate_Status_Code::FIRST_ERROR_STATUS) {
        result.failing_depth = static_cast<int>(depth);
        break;
      }
    }
  }
  if (result.failing_depth < 0) result.failing_depth = 0;
  const auto& cert_path = path.cert_path();
  // Botan files "the issuer is not a CA" under the certificate it issued.
  if (path.result() == Botan::Certificate_Status_Code::CA_CERT_NOT_FOR_CERT_ISSUER &&
      static_cast<std::size_t>(result.failing_depth) + 1 < cert_path.size())
    ++result.failing_depth;
  if (static_cast<std::size_t>(result.failing_depth) < cert_path.size()) {
    result.failing_cert = back_to_openssl(*cert_path[result.failing_depth]);
  } else {
    result.failing_cert = share(const_cast<X509*>(leaf));
  }
  return result;
}

EngineResult refuse(Outcome outcome, std::string detail, int depth, X509Ptr cert) {
  EngineResult result;
  result.outcome = outcome;
  result.detail = std::move(detail);
  result.failing_depth = depth;
  result.failing_cert = std::move(cert);
  return result;
}

EngineResult refuse_name(const ChainInput& input) {
  return refuse(Outcome::name_mismatch,
                (input.cn_fallback ? "the subject CN does not match " : "no subjectAltName matches ") + input.peer.value,
                0, share(input.leaf));
}

EngineResult accepted(std::vector<X509Ptr> verified) {
  EngineResult result;
  result.verified = std::move(verified);
  result.outcome = Outcome::ok;
  result.detail = "ok";
  return result;
}

std::chrono::system_clock::time_point validation_time(const ChainInput& input) {
  return input.verification_time ? std::chrono::system_clock::from_time_t(static_cast<time_t>(*input.verification_time))
                                 : std::chrono::system_clock::now();
}

// Revocation of a validated path by Botan's own CRL check (PKIX::check_crl): every
// certificate below the anchor against the CRL its issuer signed (found by name and
// key identifier, the newest when several), the CRL's signature by the issuer's key,
// its dates, cRLSign. Botan 2 calls a full CRL (no issuingDistributionPoint) "not
// matching" a certificate that names a distribution point; RFC 5280 5.2.5 says such
// a CRL covers every certificate of its issuer, so that status alone is dropped.
// With require_crl, a certificate without a CRL is NO_REVOCATION_DATA. Returns the
// failing depth, or -1 when the path passes.
int check_revocation(const std::vector<std::shared_ptr<const Botan::X509_Certificate>>& cert_path,
                     const ChainInput& input, Botan::Certificate_Status_Code& worst) {
  if (!input.crls || !input.crls->active() || cert_path.size() < 2) return -1;
  Botan::Certificate_Store_In_Memory store;
  for (const auto& loaded : input.crls->crls)
    store.add_crl(Botan::X509_CRL(std::vector<uint8_t>(loaded.der.begin(), loaded.der.end())));
  std::vector<std::shared_ptr<const Botan::X509_CRL>> crls;
  for (std::size_t i = 0; i + 1 < cert_path.size(); ++i) crls.push_back(store.find_crl_for(*cert_path[i]));
  Botan::CertificatePathStatusCodes statuses = Botan::PKIX::check_crl(cert_path, crls, validation_time(input));
  statuses.resize(cert_path.size());
  for (std::size_t i = 0; i + 1 < cert_path.size(); ++i) {
    if (crls[i] && crls[i]->crl_issuing_distribution_point().empty())
      statuses[i].erase(Botan::Certificate_Status_Code::NO_MATCHING_CRLDP);
    if (!crls[i] && input.crls->require) statuses[i].insert(Botan::Certificate_Status_Code::NO_REVOCATION_DATA);
    // A critical CRL extension other than the two a CRL check processes (issuing
    // distribution point, delta CRL indicator) makes the CRL unusable, as in OpenSSL's
    // check (RFC 5280 5.2: the CRL number, for one, must not be critical). Botan 2
    // only refuses critical extensions it cannot name.
    if (crls[i]) {
      for (const auto& [oid, value] : crls[i]->extensions().extensions_raw())
        if (value.second && oid.to_string() != "2.5.29.28" && oid.to_string() != "2.5.29.27")
          statuses[i].insert(Botan::Certificate_Status_Code::UNKNOWN_CRITICAL_EXTENSION);
    }
  }
  worst = Botan::PKIX::overall_status(statuses);
  if (worst == Botan::Certificate_Status_Code::OK) return -1;
  for (std::size_t i = 0; i < statuses.size(); ++i)
    if (statuses[i].count(worst)) return static_cast<int>(i);
  return 0;
}

// Botan's verdict on one candidate path, with verifull's rules on top: the chain ends
// at a self-signed anchor, the depth limit, and the name.
EngineResult validate_path(const std::vector<Botan::X509_Certificate>& end_certs, const ChainInput& input,
                           Botan::Certificate_Store& anchors,
                           const std::function<X509Ptr(const Botan::X509_Certificate&)>& back_to_openssl) {
  // 110 bits: RSA >= 2048; SHA-2 signatures only. verdict.cpp adds EC >= P-256.
  const Botan::Path_Validation_Restrictions restrictions(false, 110, false, {"SHA-256", "SHA-384", "SHA-512"});
  const Botan::Path_Validation_Result path = Botan::x509_path_validate(
      end_certs, restrictions, {&anchors}, "", Botan::Usage_Type::TLS_SERVER_AUTH, validation_time(input));
  if (!path.successful_validation()) return refusal(path, input.leaf, back_to_openssl);
  const auto& cert_path = path.cert_path();
  const int top = static_cast<int>(cert_path.size() - 1);
  if (!cert_path.back()->is_self_signed())  // no partial chains
    return refuse(Outcome::untrusted_issuer, "chain ends at an anchor that is not self-signed", top,
                  back_to_openssl(*cert_path.back()));
  if (static_cast<int>(cert_path.size()) - 2 > input.max_intermediates)
    return refuse(Outcome::invalid_chain, "certificate chain too long", top, back_to_openssl(*cert_path.back()));
  if (!names_peer(*cert_path.front(), input)) return refuse_name(input);
  Botan::Certificate_Status_Code revocation = Botan::Certificate_Status_Code::OK;
  if (const int depth = check_revocation(cert_path, input, revocation); depth >= 0)
    return refuse(outcome_of(revocation), Botan::to_string(revocation), depth, back_to_openssl(*cert_path[depth]));
  std::vector<X509Ptr> verified;
  for (const auto& cert : cert_path) verified.push_back(back_to_openssl(*cert));
  return accepted(std::move(verified));
}

// A self-signed server certificate that is itself one of the anchors (sslrootcert =
// server.crt). Botan 2's path builder cannot end a path at its first certificate
// ("Cannot establish trust"), so the checks x509_path_validate would make on a
// one-certificate path are made here with Botan's own calls: signature, validity,
// TLS server usage, then the name.
EngineResult validate_self_anchor(const Botan::X509_Certificate& leaf, const ChainInput& input) {
  const Botan::X509_Time now(validation_time(input));
  std::unique_ptr<Botan::Public_Key> key(leaf.subject_public_key());
  if (!leaf.check_signature(*key)) return refuse(Outcome::invalid_chain, "Signature error", 0, share(input.leaf));
  if (now < leaf.not_before()) return refuse(Outcome::not_yet_valid, "Certificate is not yet valid", 0, share(input.leaf));
  if (leaf.not_after() < now) return refuse(Outcome::expired, "Certificate has expired", 0, share(input.leaf));
  if (!leaf.allowed_usage(Botan::Usage_Type::TLS_SERVER_AUTH))
    return refuse(Outcome::bad_usage, "Certificate does not allow the requested usage", 0, share(input.leaf));
  if (!names_peer(leaf, input)) return refuse_name(input);
  std::vector<X509Ptr> verified;
  verified.push_back(share(input.leaf));
  return accepted(std::move(verified));
}

// Botan's view of an anchor of the path, made once per trust (anchors_of).
Botan::X509_Certificate botan_anchor(X509* cert, const BotanAnchors& anchors) {
  for (const auto& [botan, anchor] : anchors.pairs)
    if (anchor->cert() == cert) return botan;
  return to_botan(cert);
}

}  // namespace

EngineResult verify_with_botan(const ChainInput& input, const TrustData& trust) {
  try {
    auto& anchors = const_cast<BotanAnchors&>(anchors_of(trust));
    // The path's certificates below its anchors: exactly the candidate path
    // (paths.hpp), or the partial one that reached no anchor.
    const std::vector<X509*> partial_default = {input.leaf};
    const std::vector<X509*>& partial = input.partial ? *input.partial : partial_default;
    const std::size_t below_anchors = input.path ? input.path->first_anchor : partial.size();
    const std::vector<X509*>& certs = input.path ? input.path->certs : partial;
    Pairs given;
    std::vector<Botan::X509_Certificate> end_certs;
    for (std::size_t i = 0; i < below_anchors; ++i) {
      given.emplace_back(to_botan(certs[i]), certs[i]);
      end_certs.push_back(given.back().first);
    }
    const auto back_to_openssl = [&](const Botan::X509_Certificate& c) { return to_openssl(c, given, anchors.pairs); };
    if (!input.path) return validate_path(end_certs, input, anchors.store, back_to_openssl);
    if (below_anchors == 0) return validate_self_anchor(to_botan(input.leaf), input);
    // Only this path's anchors: Botan then judges this path, not another it could build.
    Botan::Certificate_Store_In_Memory path_anchors;
    for (std::size_t i = below_anchors; i < certs.size(); ++i) path_anchors.add_certificate(botan_anchor(certs[i], anchors));
    return validate_path(end_certs, input, path_anchors, back_to_openssl);
  } catch (const std::exception& e) {
    // A certificate Botan cannot parse or process: a refusal, never an acceptance.
    return refuse(Outcome::invalid_chain, std::string("Botan could not process the chain: ") + e.what(), 0,
                  share(input.leaf));
  }
}

}  // namespace verifull::detail
