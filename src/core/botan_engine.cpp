// The Botan 2 engine: x509_path_validate over the same anchors, with the same policy
// as the OpenSSL engine, so `both` does not hang on one X.509 implementation. What
// Botan 2 does differently is done here: host names are matched by verifull's own
// rules (never the CN, whole-label wildcards), IP literals against IP SANs decoded
// with Botan's own BER parser (Botan 2 ignores IPv6 SANs), chains must end at a
// self-signed anchor (Botan accepts any stored certificate), and the depth limit.
// Certificate dates are never converted to time points (Botan 2 cannot past 2037).
#include <botan/ber_dec.h>
#include <botan/certstor.h>
#include <botan/x509path.h>

#include <openssl/x509.h>

#include "core/engine.hpp"
#include "core/profile.hpp"

namespace verifull::detail {

struct BotanAnchors {
  Botan::Certificate_Store_In_Memory store;
  std::vector<std::pair<Botan::X509_Certificate, X509*>> pairs;  // Botan's view -> TrustData's X509
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
X509Ptr to_openssl(const Botan::X509_Certificate& cert, const Pairs& given, const Pairs& anchors) {
  for (const Pairs* list : {&given, &anchors})
    for (const auto& [botan, openssl] : *list)
      if (botan == cert) return share(openssl);
  const auto der = cert.BER_encode();
  const unsigned char* p = der.data();
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

const BotanAnchors& anchors_of(const TrustData& trust) {
  std::call_once(trust.botan_once, [&] {
    auto anchors = std::make_shared<BotanAnchors>();
    for (const auto& cert : trust.anchors) {
      anchors->pairs.emplace_back(to_botan(cert.get()), cert.get());
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

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// RFC 6125 as the OpenSSL engine applies it: exact match, or "*" as the whole leftmost
// label standing for exactly one non-empty label, with at least two labels after it.
bool dns_name_matches(const std::string& pattern_in, const std::string& host) {
  std::string pattern = lower(pattern_in);
  if (!pattern.empty() && pattern.back() == '.') pattern.pop_back();
  if (!is_valid_dns_san(pattern)) return false;
  if (pattern.rfind("*.", 0) != 0) return pattern == host;
  const std::string suffix = pattern.substr(1);  // ".a.test"
  if (std::count(suffix.begin(), suffix.end(), '.') < 2) return false;
  if (host.size() <= suffix.size() || host.compare(host.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  const std::string first_label = host.substr(0, host.size() - suffix.size());
  return !first_label.empty() && first_label.find('.') == std::string::npos;
}

bool names_peer(const Botan::X509_Certificate& leaf, const PeerName& peer) {
  const auto sans = subject_alt_names(leaf);
  if (peer.kind == PeerName::Kind::ip) {
    for (const auto& ip : sans.ips)
      if (std::string(ip.begin(), ip.end()) == peer.ip_bytes) return true;
    return false;
  }
  for (const auto& pattern : sans.dns)
    if (dns_name_matches(pattern, peer.value)) return true;
  return false;
}

}  // namespace

EngineResult verify_with_botan(const ChainInput& input, const TrustData& trust) {
  EngineResult result;
  try {
    Pairs given = {{to_botan(input.leaf), input.leaf}};
    for (int i = 0; input.untrusted && i < sk_X509_num(input.untrusted); ++i)
      given.emplace_back(to_botan(sk_X509_value(input.untrusted, i)), sk_X509_value(input.untrusted, i));
    std::vector<Botan::X509_Certificate> end_certs;
    for (const auto& [botan, openssl] : given) end_certs.push_back(botan);
    // 110 bits: RSA >= 2048; SHA-2 signatures only. verdict.cpp adds EC >= P-256.
    const Botan::Path_Validation_Restrictions restrictions(false, 110, false, {"SHA-256", "SHA-384", "SHA-512"});
    const auto when = input.verification_time ? std::chrono::system_clock::from_time_t(static_cast<time_t>(*input.verification_time))
                                              : std::chrono::system_clock::now();
    auto& anchors = const_cast<BotanAnchors&>(anchors_of(trust));
    const auto back_to_openssl = [&](const Botan::X509_Certificate& c) { return to_openssl(c, given, anchors.pairs); };
    const Botan::Path_Validation_Result path = Botan::x509_path_validate(
        end_certs, restrictions, {&anchors.store}, "", Botan::Usage_Type::TLS_SERVER_AUTH, when);
    if (!path.successful_validation()) {
      result.outcome = outcome_of(path.result());
      result.detail = path.result_string();
      const auto& statuses = path.all_statuses();
      for (std::size_t depth = 0; depth < statuses.size(); ++depth) {
        for (auto code : statuses[depth]) {
          if (code >= Botan::Certificate_Status_Code::FIRST_ERROR_STATUS) {
            result.failing_depth = static_cast<int>(depth);
            break;
          }
        }
        if (result.failing_depth >= 0) break;
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
        result.failing_cert = share(input.leaf);
      }
      return result;
    }
    const auto& cert_path = path.cert_path();
    if (!cert_path.back()->is_self_signed()) {  // no partial chains
      result.outcome = Outcome::untrusted_issuer;
      result.detail = "chain ends at an anchor that is not self-signed";
      result.failing_depth = static_cast<int>(cert_path.size() - 1);
      result.failing_cert = back_to_openssl(*cert_path.back());
      return result;
    }
    if (input.max_intermediates && static_cast<int>(cert_path.size()) - 2 > *input.max_intermediates) {
      result.outcome = Outcome::invalid_chain;
      result.detail = "certificate chain too long";
      result.failing_depth = static_cast<int>(cert_path.size() - 1);
      result.failing_cert = back_to_openssl(*cert_path.back());
      return result;
    }
    if (!names_peer(*cert_path.front(), input.peer)) {
      result.outcome = Outcome::name_mismatch;
      result.detail = "no subjectAltName matches " + input.peer.value;
      result.failing_depth = 0;
      result.failing_cert = share(input.leaf);
      return result;
    }
    for (const auto& cert : cert_path) result.verified.push_back(back_to_openssl(*cert));
    result.outcome = Outcome::ok;
    result.detail = "ok";
  } catch (const std::exception& e) {
    // A certificate Botan cannot parse or process: a refusal, never an acceptance.
    result.outcome = Outcome::invalid_chain;
    result.detail = std::string("Botan could not process the chain: ") + e.what();
    result.failing_depth = 0;
    result.failing_cert = share(input.leaf);
  }
  return result;
}

}  // namespace verifull::detail
