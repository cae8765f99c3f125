// The Botan 2 engine: x509_path_validate over the same anchors, with the same policy
// as the OpenSSL engine, so `both` does not hang on one X.509 implementation. What
// Botan 2 does differently is done here: host names are matched by verifull's own
// rules (names.hpp: SANs, whole-label wildcards, the opt-in CN fallback), IP literals
// against IP SANs decoded with Botan's own BER parser (Botan 2 ignores IPv6 SANs),
// chains must end at a self-signed anchor (Botan accepts any stored certificate), the
// depth limit, and bounded path building.
// Certificate dates are never converted to time points (Botan 2 cannot past 2037).
#include <botan/ber_dec.h>
#include <botan/certstor.h>
#include <botan/pk_keys.h>
#include <botan/x509path.h>

#include <openssl/x509.h>

#include <algorithm>
#include <functional>

#include "core/engine.hpp"
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

// Botan 2's path builder tries every ordering of certificates that share a subject: 11
// such intermediates take 26 s, 12 over two minutes (x509-limbo's pathological chains).
// So verifull finds the candidate paths itself, by names and key identifiers only (the
// cheap part), depth-first in the order the server sent them, within fixed budgets, and
// hands Botan one path at a time; Botan still checks every signature and constraint.
constexpr int kMaxPathSteps = 256;
constexpr std::size_t kMaxCandidatePaths = 4;

bool may_have_issued(const Botan::X509_Certificate& issuer, const Botan::X509_Certificate& cert) {
  if (!(issuer.subject_dn() == cert.issuer_dn())) return false;
  const auto& aki = cert.authority_key_id();
  const auto& ski = issuer.subject_key_id();
  return aki.empty() || ski.empty() || aki == ski;
}

struct PathSearch {
  const Pairs& given;  // [0] is the leaf
  const AnchorPairs& anchors;
  int max_intermediates;
  std::vector<std::vector<std::size_t>> complete;  // indices into `given`, leaf first
  std::vector<std::size_t> longest;
  int steps = 0;

  void extend(std::vector<std::size_t>& path) {
    if (++steps > kMaxPathSteps || complete.size() >= kMaxCandidatePaths) return;
    if (path.size() > longest.size()) longest = path;
    const Botan::X509_Certificate& last = given[path.back()].first;
    for (const auto& [anchor, unused] : anchors) {
      if (may_have_issued(anchor, last) || anchor == last) {
        complete.push_back(path);
        break;
      }
    }
    if (static_cast<int>(path.size()) - 1 >= max_intermediates) return;
    for (std::size_t i = 1; i < given.size(); ++i) {
      if (std::find(path.begin(), path.end(), i) != path.end()) continue;
      if (given[i].first.is_self_signed() || !may_have_issued(given[i].first, last)) continue;
      path.push_back(i);
      extend(path);
      path.pop_back();
      if (steps > kMaxPathSteps || complete.size() >= kMaxCandidatePaths) return;
    }
  }
};

// The paths to try, best first; when none reaches an anchor, the longest partial one,
// so Botan's refusal names the certificate whose issuer is missing.
std::vector<std::vector<std::size_t>> candidate_paths(const Pairs& given, const AnchorPairs& anchors,
                                                      int max_intermediates) {
  PathSearch search{given, anchors, max_intermediates, {}, {}, 0};
  std::vector<std::size_t> path = {0};
  search.extend(path);
  if (search.complete.empty()) search.complete.push_back(search.longest);
  return search.complete;
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

// Botan's verdict on one candidate path, with verifull's rules on top: the chain ends
// at a self-signed anchor, the depth limit, and the name.
EngineResult validate_path(const std::vector<Botan::X509_Certificate>& end_certs, const ChainInput& input,
                           BotanAnchors& anchors,
                           const std::function<X509Ptr(const Botan::X509_Certificate&)>& back_to_openssl) {
  // 110 bits: RSA >= 2048; SHA-2 signatures only. verdict.cpp adds EC >= P-256.
  const Botan::Path_Validation_Restrictions restrictions(false, 110, false, {"SHA-256", "SHA-384", "SHA-512"});
  const Botan::Path_Validation_Result path = Botan::x509_path_validate(
      end_certs, restrictions, {&anchors.store}, "", Botan::Usage_Type::TLS_SERVER_AUTH, validation_time(input));
  if (!path.successful_validation()) return refusal(path, input.leaf, back_to_openssl);
  const auto& cert_path = path.cert_path();
  const int top = static_cast<int>(cert_path.size() - 1);
  if (!cert_path.back()->is_self_signed())  // no partial chains
    return refuse(Outcome::untrusted_issuer, "chain ends at an anchor that is not self-signed", top,
                  back_to_openssl(*cert_path.back()));
  if (static_cast<int>(cert_path.size()) - 2 > input.max_intermediates)
    return refuse(Outcome::invalid_chain, "certificate chain too long", top, back_to_openssl(*cert_path.back()));
  if (!names_peer(*cert_path.front(), input)) return refuse_name(input);
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

}  // namespace

EngineResult verify_with_botan(const ChainInput& input, const TrustData& trust) {
  try {
    Pairs given = {{to_botan(input.leaf), input.leaf}};
    for (int i = 0; input.untrusted && i < sk_X509_num(input.untrusted); ++i)
      given.emplace_back(to_botan(sk_X509_value(input.untrusted, i)), sk_X509_value(input.untrusted, i));
    auto& anchors = const_cast<BotanAnchors&>(anchors_of(trust));
    for (const auto& [anchor, unused] : anchors.pairs)
      if (anchor == given.front().first) return validate_self_anchor(given.front().first, input);
    const auto back_to_openssl = [&](const Botan::X509_Certificate& c) { return to_openssl(c, given, anchors.pairs); };
    std::optional<EngineResult> first_refusal;
    for (const auto& path : candidate_paths(given, anchors.pairs, input.max_intermediates)) {
      std::vector<Botan::X509_Certificate> end_certs;
      for (std::size_t i : path) end_certs.push_back(given[i].first);
      EngineResult result = validate_path(end_certs, input, anchors, back_to_openssl);
      if (result.outcome == Outcome::ok) return result;
      if (!first_refusal) first_refusal = std::move(result);
    }
    return std::move(*first_refusal);
  } catch (const std::exception& e) {
    // A certificate Botan cannot parse or process: a refusal, never an acceptance.
    return refuse(Outcome::invalid_chain, std::string("Botan could not process the chain: ") + e.what(), 0,
                  share(input.leaf));
  }
}

}  // namespace verifull::detail
