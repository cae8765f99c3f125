#include "core/verdict.hpp"

#include <openssl/obj_mac.h>

#include <ctime>

#include "core/cert_facts.hpp"
#include "core/engine.hpp"
#include "core/peer_name.hpp"
#include "core/profile.hpp"
#include "core/trust_data.hpp"
#include "verifull/errors.hpp"

namespace verifull::detail {
namespace {

struct Weakness {
  X509Ptr cert;
  std::string what;  // "an RSA 1024-bit key", "a SHA-1 signature"
};

std::optional<std::string> weak_key(const X509* cert) {
  const EVP_PKEY* key = X509_get0_pubkey(cert);
  if (!key) return "a public key OpenSSL cannot read";
  const int bits = EVP_PKEY_get_bits(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      if (bits < 2048) return "an RSA " + std::to_string(bits) + "-bit key";
      return std::nullopt;
    case EVP_PKEY_EC:
      if (bits < 256) return "an EC " + std::to_string(bits) + "-bit key";
      return std::nullopt;
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
      return std::nullopt;
    case EVP_PKEY_DSA: return "a DSA key";
    default: return "a key of an unsupported type";
  }
}

std::optional<std::string> weak_signature(const X509* cert) {
  int md_nid = NID_undef, pk_nid = NID_undef, security_bits = 0;
  uint32_t flags = 0;
  if (X509_get_signature_info(const_cast<X509*>(cert), &md_nid, &pk_nid, &security_bits, &flags) != 1)
    return "a signature algorithm OpenSSL does not know";
  switch (md_nid) {
    case NID_md2: return "an MD2 signature";
    case NID_md4: return "an MD4 signature";
    case NID_md5: return "an MD5 signature";
    case NID_md5_sha1: return "an MD5+SHA-1 signature";
    case NID_sha1: return "a SHA-1 signature";
    default: break;
  }
  if (security_bits < 112) return "a signature of only " + std::to_string(security_bits) + "-bit security";
  return std::nullopt;
}

// RSA >= 2048, EC >= P-256, no SHA-1/MD5: for every key in the chain, and every
// signature except the anchor's self-signature (nobody relies on it).
std::optional<Weakness> find_weakness(const std::vector<X509Ptr>& chain) {
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const X509* cert = chain[i].get();
    if (auto why = weak_key(cert)) return Weakness{share(const_cast<X509*>(cert)), *why};
    if (i + 1 == chain.size()) break;
    if (auto why = weak_signature(cert)) return Weakness{share(const_cast<X509*>(cert)), *why};
  }
  return std::nullopt;
}

bool chain_matches_pin(const std::vector<X509Ptr>& chain, const std::vector<std::string>& pins) {
  for (const auto& cert : chain) {
    const auto key = spki_sha256_raw(cert.get());
    if (key.size() != 32) continue;  // a key OpenSSL could not digest matches no pin
    for (const auto& pin : pins)
      if (pin.size() == key.size() && CRYPTO_memcmp(key.data(), pin.data(), key.size()) == 0) return true;
  }
  return false;
}

std::string join(const std::vector<std::string>& items, std::size_t most = 8) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < most; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > most) out += " and " + std::to_string(items.size() - most) + " more";
  return out;
}

std::vector<std::string> extended_key_usages(const X509* cert) {
  std::vector<std::string> out;
  auto* ekus = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr));
  if (!ekus) return out;
  for (int i = 0; i < sk_ASN1_OBJECT_num(ekus); ++i) {
    char buf[80];
    OBJ_obj2txt(buf, sizeof buf, sk_ASN1_OBJECT_value(ekus, i), 0);
    out.push_back(buf);
  }
  EXTENDED_KEY_USAGE_free(ekus);
  return out;
}

struct Facts {
  const PeerName& peer;
  STACK_OF(X509) * presented;
  const TrustData& trust;
  const EngineResult& engine;
  const std::vector<std::string>& pins;
  std::int64_t checked_at;
};

std::string role_of(const Facts& f) {
  return f.engine.failing_depth > 0 ? "the CA certificate" : "the server certificate";
}

// The certificate a refusal is about; the leaf when the engine did not say.
const X509* failing_cert(const Facts& f) {
  return f.engine.failing_cert ? f.engine.failing_cert.get() : sk_X509_value(f.presented, 0);
}

std::string failing_subject(const Facts& f) { return subject_of(failing_cert(f)); }

std::string explain_untrusted(const Facts& f) {
  const X509* top = sk_X509_value(f.presented, sk_X509_num(f.presented) - 1);
  std::vector<std::string> anchors;
  for (const auto& a : f.trust.info) anchors.push_back(a.subject);
  return "the server presented a certificate issued by " +
         name_to_string(X509_get_issuer_name(top)) + "; your trust anchors are " +
         join(anchors, 3) + " — is this the right environment's CA?";
}

std::string explain_name_mismatch(const Facts& f) {
  const X509* leaf = sk_X509_value(f.presented, 0);
  const auto sans = subject_alt_names(leaf);
  std::string names;
  if (sans.empty()) {
    names = "it carries no subjectAltName at all (its subject is " + subject_of(leaf) +
            ", and verifull never matches the subject CN)";
  } else {
    names = "it names " + join(sans);
    if (f.peer.kind == PeerName::Kind::ip) names += " (an IP address matches only an IP: entry)";
  }
  return "the certificate does not name " + f.peer.value + "; " + names +
         " — connect using a name the certificate carries, or check that this is the right server";
}

// `finding`: what verifull's own checks found (a weakness, a profile violation), which
// says more than the engine's generic error text.
std::string explain(Outcome outcome, const Facts& f, const std::string& finding,
                    const std::string& anchor) {
  switch (outcome) {
    case Outcome::ok:
      return "verified: the certificate names " + f.peer.value + " and chains to " + anchor +
             (f.pins.empty() ? "" : ", and a pinned key matched");
    case Outcome::untrusted_issuer: return explain_untrusted(f);
    case Outcome::name_mismatch: return explain_name_mismatch(f);
    case Outcome::expired:
      return role_of(f) + " " + failing_subject(f) + " expired on " +
             rfc3339(X509_get0_notAfter(failing_cert(f))) + " (checked at " +
             rfc3339(f.checked_at) + ") — the server needs a renewed certificate";
    case Outcome::not_yet_valid:
      return role_of(f) + " " + failing_subject(f) + " is not valid before " +
             rfc3339(X509_get0_notBefore(failing_cert(f))) + " (checked at " +
             rfc3339(f.checked_at) + ") — check this machine's clock";
    case Outcome::bad_usage: {
      const auto ekus = extended_key_usages(failing_cert(f));
      return role_of(f) + " " + failing_subject(f) +
             " is not allowed for TLS server authentication" +
             (ekus.empty() ? "" : " (its extendedKeyUsage is " + join(ekus) + ")") +
             " — the server needs a certificate issued for serverAuth";
    }
    case Outcome::weak_crypto:
      return role_of(f) + " " + failing_subject(f) + " uses " +
             (finding.empty() ? f.engine.detail : finding) +
             "; verifull requires RSA keys of at least 2048 bits, EC keys of at least P-256 and "
             "no SHA-1 or MD5 signatures";
    case Outcome::pin_mismatch: {
      std::vector<std::string> keys;
      for (const auto& cert : f.engine.verified) keys.push_back(spki_pin(cert.get()));
      return "the chain is trusted, but no key in it matches a pin (the chain's keys are " +
             join(keys) + ") — the server's key or CA changed, or the pin is wrong";
    }
    case Outcome::invalid_chain:
      if (!finding.empty())
        return role_of(f) + " " + failing_subject(f) + " is malformed: " + finding +
               " — the server's certificate chain does not meet RFC 5280";
      return "the certificate chain is invalid: " + f.engine.detail + " (at " + failing_subject(f) +
             ") — the server's chain is malformed or breaks its CA's constraints";
    case Outcome::engines_disagree:
      return "the verification engines disagree: " + finding +
             " — verifull refuses unless both accept; please report this chain";
    default: break;  // endpoint outcomes are worded by the probe
  }
  return "unknown outcome";
}

// verifull's own checks, the same whichever engine built the chain: the certificate
// profile, the key and signature floor, and the pins. They turn an engine's acceptance
// into a refusal; a refusal gets the exact weakness named when an engine's security
// level caused it. Sets r.finding to what they found.
void apply_own_checks(EngineResult& r, const std::vector<std::string>& pins) {
  if (r.outcome == Outcome::weak_crypto && r.failing_cert) {
    const X509* weak = r.failing_cert.get();
    r.finding = weak_key(weak).value_or(weak_signature(weak).value_or(""));
  }
  if (r.outcome != Outcome::ok) return;
  if (auto violation = check_profile(r.verified)) {
    r.outcome = Outcome::invalid_chain;
    r.finding = violation->rule;
    r.failing_depth = static_cast<int>(violation->depth);
    r.failing_cert = share(r.verified[violation->depth].get());
  } else if (auto weak = find_weakness(r.verified)) {
    r.outcome = Outcome::weak_crypto;
    r.finding = weak->what;
    for (std::size_t i = 0; i < r.verified.size(); ++i)
      if (r.verified[i].get() == weak->cert.get()) r.failing_depth = static_cast<int>(i);
    r.failing_cert = std::move(weak->cert);
  } else if (!pins.empty() && !chain_matches_pin(r.verified, pins)) {
    r.outcome = Outcome::pin_mismatch;
  }
  if (r.outcome != Outcome::ok) r.detail += " (then verifull: " + std::string(outcome_name(r.outcome)) + ")";
}

EngineResult run_engine(Engine engine, const ChainInput& input, const TrustData& trust,
                        const std::vector<std::string>& pins, std::vector<EngineVerdict>& verdicts) {
  EngineResult r = engine == Engine::openssl ? verify_with_openssl(input, trust) : verify_with_botan(input, trust);
  apply_own_checks(r, pins);
  verdicts.push_back({engine_name(engine), r.outcome, r.detail});
  return r;
}

// Runs the chosen engine(s). With `both`, agreement returns OpenSSL's result (both
// accepted: its verified chain; both refused: its reason); disagreement returns the
// refusing engine's result and sets `disagreement`.
EngineResult run_engines(Engine engine, const ChainInput& input, const TrustData& trust,
                         const std::vector<std::string>& pins, std::vector<EngineVerdict>& verdicts,
                         std::string& disagreement) {
  if (engine != Engine::both) return run_engine(engine, input, trust, pins, verdicts);
  EngineResult o = run_engine(Engine::openssl, input, trust, pins, verdicts);
  EngineResult b = run_engine(Engine::botan, input, trust, pins, verdicts);
  const bool o_ok = o.outcome == Outcome::ok, b_ok = b.outcome == Outcome::ok;
  if (o_ok == b_ok) return o;
  const char* accepted = o_ok ? "openssl" : "botan";
  const char* refused = o_ok ? "botan" : "openssl";
  EngineResult& refusal = o_ok ? b : o;
  disagreement = std::string(accepted) + " accepted the chain, " + refused + " refused it (" +
                 outcome_name(refusal.outcome) + ": " + refusal.detail + ")";
  return std::move(refusal);
}

}  // namespace

Report verify_chain(STACK_OF(X509) * presented, STACK_OF(X509) * extra_untrusted,
                    const Trust& trust, const Policy& policy) {
  if (!presented || sk_X509_num(presented) < 1) throw InputError("no certificate to verify");
  ChainInput input;
  input.peer = parse_peer_name(policy.host);
  input.verification_time = policy.verification_time;
  input.max_intermediates = policy.max_intermediates;
  std::vector<std::string> pins;
  for (const auto& pin : policy.pins) pins.push_back(decode_pin(pin));

  input.leaf = sk_X509_value(presented, 0);
  X509StackPtr untrusted(sk_X509_new_null());
  for (int i = 1; i < sk_X509_num(presented); ++i) sk_X509_push(untrusted.get(), share(sk_X509_value(presented, i)).release());
  for (int i = 0; extra_untrusted && i < sk_X509_num(extra_untrusted); ++i)
    sk_X509_push(untrusted.get(), share(sk_X509_value(extra_untrusted, i)).release());
  input.untrusted = untrusted.get();

  Report report;
  report.endpoint = input.peer.value;
  std::string disagreement;
  EngineResult result = run_engines(policy.engine, input, trust.data(), pins, report.engines, disagreement);
  const Outcome outcome = disagreement.empty() ? result.outcome : Outcome::engines_disagree;
  const std::string finding = disagreement.empty() ? result.finding : disagreement;
  if (outcome == Outcome::ok) report.anchor = subject_of(result.verified.back().get());

  for (int i = 0; i < sk_X509_num(presented); ++i) report.chain.push_back(cert_info(sk_X509_value(presented, i)));
  const std::int64_t checked_at = policy.verification_time.value_or(static_cast<std::int64_t>(std::time(nullptr)));
  report.outcome = outcome;
  report.message = explain(outcome, Facts{input.peer, presented, trust.data(), result, pins, checked_at},
                           finding, report.anchor);
  report.warnings = trust.warnings(checked_at);
  return report;
}

}  // namespace verifull::detail
