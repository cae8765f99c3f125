#include "core/verdict.hpp"

#include <openssl/obj_mac.h>

#include <cstdint>
#include <ctime>

#include "core/cert_facts.hpp"
#include "core/checked_policy.hpp"
#include "core/engine.hpp"
#include "core/fork_safe.hpp"
#include "core/names.hpp"
#include "core/paths.hpp"
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

// OpenSSL's TLS-server purpose rule for a CA certificate (X509_check_purpose, applied to
// every certificate of the chain, anchor included): an extendedKeyUsage, where present,
// must allow serverAuth (or the SGC usages OpenSSL counts with it); anyExtendedKeyUsage
// alone does not. Botan 2 checks the server certificate's EKU only, so without this an
// intermediate restricted to emailProtection would pass there. The depth of the first
// CA that breaks the rule.
std::optional<std::size_t> ca_not_for_server_auth(const std::vector<X509Ptr>& chain) {
  for (std::size_t depth = 1; depth < chain.size(); ++depth) {
    const std::uint32_t usages = X509_get_extended_key_usage(chain[depth].get());
    if (usages != UINT32_MAX && (usages & (XKU_SSL_SERVER | XKU_SGC)) == 0) return depth;
  }
  return std::nullopt;
}

// A self-signed server certificate trusted as its own anchor that is also a CA (what
// `openssl req -x509` makes by default): libpq trusts it as a CA, and so does verifull,
// so it vouches for whatever its key signs. The report says so.
std::optional<std::string> self_anchor_is_ca(const std::vector<X509Ptr>& chain) {
  if (chain.size() != 1 || X509_check_ca(chain.front().get()) != 1) return std::nullopt;
  return "the server certificate " + subject_of(chain.front().get()) +
         " is its own anchor and a CA (basicConstraints CA:TRUE): as an anchor it also vouches for every "
         "certificate its key signs, for any name, not only for this server; reissue it with CA:FALSE "
         "(then it verifies only itself), or trust the CA that issued it";
}

struct Facts {
  const PeerName& peer;
  STACK_OF(X509) * presented;
  const TrustData& trust;
  const EngineResult& engine;
  const std::vector<std::string>& pins;
  std::int64_t checked_at;
  bool cn_fallback_allowed;
  const CrlSet& crls;
};

std::string role_of(const Facts& f) {
  return f.engine.failing_depth > 0 ? "the CA certificate" : "the server certificate";
}

// The certificate a refusal is about; the leaf when the engine did not say.
const X509* failing_cert(const Facts& f) {
  return f.engine.failing_cert ? f.engine.failing_cert.get() : sk_X509_value(f.presented, 0);
}

std::string failing_subject(const Facts& f) { return subject_of(failing_cert(f)); }

// An anchor with the issuer's name that did not sign `cert`: a CA re-created with a new
// key, or another environment's CA with the same name. Names alone say "this is the
// CA"; the message must say that the keys differ.
const X509* same_name_other_key(const Facts& f, const X509* cert) {
  for (const auto& anchor : f.trust.anchors) {
    if (X509_NAME_cmp(anchor->subject(), X509_get_issuer_name(cert)) != 0) continue;
    const X509* namesake = anchor->cert();
    if (!namesake) continue;
    EVP_PKEY* key = X509_get0_pubkey(namesake);
    if (!key || X509_verify(const_cast<X509*>(cert), key) != 1) return namesake;
  }
  return nullptr;
}

std::string explain_untrusted(const Facts& f) {
  const X509* top = sk_X509_value(f.presented, sk_X509_num(f.presented) - 1);
  const std::string issuer = name_to_string(X509_get_issuer_name(top));
  if (const X509* namesake = same_name_other_key(f, top)) {
    return "the server's certificate " + subject_of(top) + " names " + issuer +
           " as its issuer, and your anchor " + subject_of(namesake) +
           " has that name but a different key (its key " + spki_pin(namesake) +
           " did not sign the server's certificate) — was the CA re-created, or is this another "
           "environment's CA with the same name? Get the current CA certificate from the provider";
  }
  std::vector<std::string> anchors;
  for (const auto& a : f.trust.info()) anchors.push_back(a.subject);
  return "the server presented a certificate issued by " + issuer + "; your trust anchors are " +
         join(anchors, 3) + " — is this the right environment's CA?";
}

std::string explain_name_mismatch(const Facts& f) {
  const X509* leaf = sk_X509_value(f.presented, 0);
  const auto sans = subject_alt_names(leaf);
  std::string names;
  if (!has_san_extension(leaf) && f.peer.kind == PeerName::Kind::dns && !f.cn_fallback_allowed) {
    names = "its name is only in the subject CN (" + subject_of(leaf) +
            "), with no subjectAltName; verifull matches the CN only when you allow it "
            "(allow_cn_fallback, CLI --allow-cn-fallback), as libpq does for certificates without "
            "subjectAltName. Better: have the server's certificate reissued with a subjectAltName";
    return "the certificate does not name " + f.peer.value + " in a subjectAltName; " + names;
  }
  if (!has_san_extension(leaf)) {
    names = "it carries no subjectAltName at all (its subject is " + subject_of(leaf) + ")";
    if (f.peer.kind == PeerName::Kind::ip) names += ", and an IP address is never matched against the CN";
  } else if (sans.empty()) {
    names = "its subjectAltName holds no DNS or IP entry (its subject is " + subject_of(leaf) +
            ", and verifull never matches the CN of a certificate that has a subjectAltName)";
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
             (f.engine.failing_depth > 0 ? " — a CA whose extendedKeyUsage leaves out serverAuth cannot vouch for a TLS "
                                           "server; the server needs a chain issued for serverAuth"
                                         : " — the server needs a certificate issued for serverAuth");
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
      if (f.engine.search_stopped) return finding;
      if (!finding.empty() && f.engine.profile_only)
        return role_of(f) + " " + failing_subject(f) + " does not meet the strict profile: " + finding +
               " — the standard profile accepts it with a warning; the server's chain does not meet RFC 5280";
      if (!finding.empty())
        return role_of(f) + " " + failing_subject(f) + " is refused: " + finding +
               " — a rule verifull enforces in every profile";
      return "the certificate chain is invalid: " + f.engine.detail + " (at " + failing_subject(f) +
             ") — the server's chain is malformed or breaks its CA's constraints";
    case Outcome::revoked:
    case Outcome::crl_expired:
    case Outcome::crl_bad_signature:
    case Outcome::crl_missing:
      return explain_crl_refusal(outcome, failing_cert(f), role_of(f), f.crls, f.checked_at);
    case Outcome::engines_disagree:
      return "the verification engines disagree: " + finding +
             " — verifull refuses unless both accept; please report this chain";
    default: break;  // endpoint outcomes are worded by the probe
  }
  return "unknown outcome";
}

std::string role_at(std::size_t depth, std::size_t chain_size) {
  if (depth == 0) return chain_size == 1 ? "the server certificate (trusted as its own anchor)" : "the server certificate";
  return depth + 1 == chain_size ? "the anchor" : "the CA certificate";
}

// verifull's own checks, the same whichever engine built the chain: the certificate
// profile, the dialled name against every name constraint, the key and signature
// floor, and the pins. They turn an engine's acceptance into a refusal; a refusal gets
// the exact weakness named when an engine's security level caused it. Sets r.finding
// to what they found, and r.warnings to what the standard profile let through.
void apply_own_checks(EngineResult& r, const ChainInput& input, const std::vector<std::string>& pins) {
  if (r.outcome == Outcome::weak_crypto && r.failing_cert) {
    const X509* weak = r.failing_cert.get();
    r.finding = weak_key(weak).value_or(weak_signature(weak).value_or(""));
  }
  if (r.outcome != Outcome::ok) return;
  const auto refuse_at = [&](Outcome outcome, std::size_t depth, std::string finding) {
    r.outcome = outcome;
    r.finding = std::move(finding);
    r.failing_depth = static_cast<int>(depth);
    r.failing_cert = share(r.verified[depth].get());
  };
  // Most fundamental first: the rules of every profile, the name constraints, the key
  // floor; then the strict profile's encoding rules; the standard profile lists those.
  auto findings = check_profile(r.verified);
  if (input.crls) {
    auto crl_findings = crl_profile_findings(r.verified, *input.crls);
    findings.insert(findings.end(), crl_findings.begin(), crl_findings.end());
  }
  const ProfileFinding* always = nullptr;    // the first finding of a rule of every profile
  const ProfileFinding* encoding = nullptr;  // the first of an encoding rule
  for (const auto& f : findings) {
    const ProfileFinding*& first = f.always ? always : encoding;
    if (!first) first = &f;
  }
  if (auto depth = ca_not_for_server_auth(r.verified)) {
    refuse_at(Outcome::bad_usage, *depth, "its extendedKeyUsage does not allow TLS server authentication");
  } else if (always) {
    refuse_at(Outcome::invalid_chain, always->depth, always->rule);
  } else if (auto nc = check_peer_against_name_constraints(r.verified, input.peer)) {
    refuse_at(Outcome::invalid_chain, nc->depth, nc->clause + ", and the server was reached as " + input.peer.value);
  } else if (auto weak = find_weakness(r.verified)) {
    r.outcome = Outcome::weak_crypto;
    r.finding = weak->what;
    for (std::size_t i = 0; i < r.verified.size(); ++i)
      if (r.verified[i].get() == weak->cert.get()) r.failing_depth = static_cast<int>(i);
    r.failing_cert = std::move(weak->cert);
  } else if (input.strict && encoding) {
    refuse_at(Outcome::invalid_chain, encoding->depth, encoding->rule);
    r.profile_only = true;
  } else if (input.strict && !r.strict_refusal.empty()) {
    // X509_STRICT refused something verifull's strict rules do not name.
    const auto depth = static_cast<std::size_t>(std::max(0, r.failing_depth));
    refuse_at(Outcome::invalid_chain, std::min(depth, r.verified.size() - 1), "OpenSSL's X509_STRICT: " + r.strict_refusal);
    r.profile_only = true;
  } else if (!pins.empty() && !chain_matches_pin(r.verified, pins)) {
    r.outcome = Outcome::pin_mismatch;
  }
  if (r.outcome != Outcome::ok) {
    r.detail += " (then verifull: " + std::string(outcome_name(r.outcome)) + ")";
    return;
  }
  if (auto warning = self_anchor_is_ca(r.verified)) r.warnings.push_back(*warning);
  for (const auto& f : findings)
    r.warnings.push_back(role_at(f.depth, r.verified.size()) + " " + subject_of(r.verified[f.depth].get()) + ": " +
                         f.rule + " (accepted by the standard profile; --profile strict refuses it)");
}

// The search stopped at its budget and nothing it found was accepted: whether another
// path would verify is unknown, so the refusal says that, not "untrusted issuer".
void mark_search_stopped(EngineResult& r, const PathSearch& search, bool had_complete_path) {
  const std::string found =
      had_complete_path ? "; of the " + std::to_string(search.complete.size()) +
                              " paths to your anchors it built, none verifies (the first: " +
                              std::string(outcome_name(r.outcome)) + ", " + r.detail + ")"
                        : "; none of the paths it built reached your anchors";
  r.finding = "verifull stopped building certificate paths after examining " + std::to_string(search.steps) +
              " possible issuers (its limits: " + std::to_string(kMaxPathSearchSteps) + " issuers and " +
              std::to_string(kMaxCandidatePaths) + " complete paths, so that a hostile chain cannot cost exponential "
              "time)" + found + " — the server sends many CA certificates with the same names; have it send only "
              "its own chain";
  r.detail = "path search stopped at its budget (" + std::to_string(search.steps) + " issuers, " +
             std::to_string(search.complete.size()) + " paths)";
  r.outcome = Outcome::invalid_chain;
  r.search_stopped = true;
}

// One engine's verdict, with verifull's own checks on each path it judges. OpenSSL first
// builds its own path from everything given, as libpq does, so whatever libpq accepts
// is accepted. When that fails (OpenSSL stops at its first path), or for Botan, every
// candidate path verifull found (paths.hpp) is judged in turn: the chain is accepted
// when one path passes, and refused with the first complete path's reason when none
// does (the path that got furthest: to an anchor); with no complete path, with the
// engine's own reason.
EngineResult run_engine(Engine engine, const ChainInput& input, const TrustData& trust, const PathSearch& search,
                        const std::vector<std::string>& pins, std::vector<EngineVerdict>& verdicts) {
  const auto judge = [&](const CandidatePath* path, const std::vector<X509*>* partial) {
    ChainInput one = input;
    one.path = path;
    one.partial = partial;
    EngineResult r = engine == Engine::openssl ? verify_with_openssl(one, trust) : verify_with_botan(one, trust);
    apply_own_checks(r, input, pins);
    return r;
  };
  EngineResult result;
  bool decided = false;
  if (engine == Engine::openssl) {
    result = judge(nullptr, nullptr);
    decided = result.outcome == Outcome::ok || search.complete.empty();
  } else if (search.complete.empty()) {
    result = judge(nullptr, &search.longest_partial);
    decided = true;
  }
  if (!decided) {
    std::optional<EngineResult> first_refusal;
    for (const auto& path : search.complete) {
      EngineResult r = judge(&path, nullptr);
      if (r.outcome == Outcome::ok) {
        result = std::move(r);
        decided = true;
        break;
      }
      if (!first_refusal) first_refusal = std::move(r);
    }
    if (!decided) result = std::move(*first_refusal);
  }
  if (result.outcome != Outcome::ok && search.budget_exhausted) mark_search_stopped(result, search, !search.complete.empty());
  verdicts.push_back({engine_name(engine), result.outcome, result.detail});
  return result;
}

// Runs the chosen engine(s). With `both`, agreement returns OpenSSL's result (both
// accepted: its verified chain; both refused: its reason); disagreement returns the
// refusing engine's result and sets `disagreement`.
EngineResult run_engines(Engine engine, const ChainInput& input, const TrustData& trust, const PathSearch& search,
                         const std::vector<std::string>& pins, std::vector<EngineVerdict>& verdicts,
                         std::string& disagreement) {
  if (engine != Engine::both) return run_engine(engine, input, trust, search, pins, verdicts);
  EngineResult o = run_engine(Engine::openssl, input, trust, search, pins, verdicts);
  EngineResult b = run_engine(Engine::botan, input, trust, search, pins, verdicts);
  const bool o_ok = o.outcome == Outcome::ok, b_ok = b.outcome == Outcome::ok;
  if (o_ok == b_ok) return o;
  const char* accepted = o_ok ? "openssl" : "botan";
  const char* refused = o_ok ? "botan" : "openssl";
  EngineResult& refusal = o_ok ? b : o;
  disagreement = std::string(accepted) + " accepted the chain, " + refused + " refused it (" +
                 outcome_name(refusal.outcome) + ": " + refusal.detail + ")";
  return std::move(refusal);
}

// A chain no engine is asked to decide: more certificates or bytes than a server may
// present (policy.hpp), counting any extra untrusted certificates too.
std::optional<std::string> exceeds_caps(STACK_OF(X509) * presented, STACK_OF(X509) * extra) {
  const int count = sk_X509_num(presented) + (extra ? sk_X509_num(extra) : 0);
  std::size_t bytes = 0;
  for (STACK_OF(X509)* stack : {presented, extra})
    for (int i = 0; stack && i < sk_X509_num(stack); ++i) bytes += static_cast<std::size_t>(i2d_X509(sk_X509_value(stack, i), nullptr));
  if (count > max_presented_certificates)
    return "the chain holds " + std::to_string(count) + " certificates; verifull decides chains of at most " +
           std::to_string(max_presented_certificates) +
           " (real chains hold one to four), so it refuses this one without building a path — a server that "
           "sends this many is misconfigured or hostile";
  if (bytes > max_presented_bytes)
    return "the chain holds " + std::to_string(bytes / 1024) + " KiB of certificates; verifull decides chains of at most " +
           std::to_string(max_presented_bytes / 1024) + " KiB, so it refuses this one without building a path";
  return std::nullopt;
}

}  // namespace

Report verify_chain(STACK_OF(X509) * presented, STACK_OF(X509) * extra_untrusted,
                    const Trust& trust, const Policy& policy) {
  if (!presented || sk_X509_num(presented) < 1) throw InputError("no certificate to verify");
  const NoForkHere no_fork;  // the engines take OpenSSL's and the trust's locks (core/fork_safe.hpp)
  ChainInput input;
  CheckedPolicy checked = check_policy(policy);  // host, pins, time, intermediate limit
  input.peer = std::move(checked.peer);
  input.verification_time = policy.verification_time;
  input.max_intermediates = checked.max_intermediates;
  input.strict = policy.profile == Profile::strict;
  const CrlSet crls = load_crls(policy);  // read now: a CRL file may be replaced between calls
  input.crls = &crls;
  const std::vector<std::string>& pins = checked.pins;

  input.leaf = sk_X509_value(presented, 0);
  input.cn_fallback = uses_cn_fallback(input.leaf, input.peer, policy.allow_cn_fallback);
  X509StackPtr untrusted(sk_X509_new_null());
  for (int i = 1; i < sk_X509_num(presented); ++i) sk_X509_push(untrusted.get(), share(sk_X509_value(presented, i)).release());
  for (int i = 0; extra_untrusted && i < sk_X509_num(extra_untrusted); ++i)
    sk_X509_push(untrusted.get(), share(sk_X509_value(extra_untrusted, i)).release());
  input.untrusted = untrusted.get();

  Report report;
  report.endpoint = input.peer.value;
  if (auto too_large = exceeds_caps(presented, extra_untrusted)) {
    for (int i = 0; i < sk_X509_num(presented) && i < max_presented_certificates; ++i)
      report.chain.push_back(cert_info(sk_X509_value(presented, i)));
    report.outcome = Outcome::invalid_chain;
    report.message = *too_large;
    return report;
  }
  const PathSearch search = find_candidate_paths(input.leaf, input.untrusted, detail::trust_data(trust), input.max_intermediates);
  std::string disagreement;
  EngineResult result = run_engines(policy.engine, input, detail::trust_data(trust), search, pins, report.engines, disagreement);
  const Outcome outcome = disagreement.empty() ? result.outcome : Outcome::engines_disagree;
  const std::string finding = disagreement.empty() ? result.finding : disagreement;
  if (outcome == Outcome::ok) {
    report.anchor = subject_of(result.verified.back().get());
    report.anchor_sha256 = cert_info(result.verified.back().get()).sha256;  // cached per certificate
  }

  for (int i = 0; i < sk_X509_num(presented); ++i) report.chain.push_back(cert_info(sk_X509_value(presented, i)));
  const std::int64_t checked_at = policy.verification_time.value_or(static_cast<std::int64_t>(std::time(nullptr)));
  report.outcome = outcome;
  report.message = explain(outcome, Facts{input.peer, presented, detail::trust_data(trust), result, pins, checked_at,
                                          policy.allow_cn_fallback, crls},
                           finding, report.anchor);
  report.warnings = trust.warnings(checked_at);
  report.warnings.insert(report.warnings.end(), result.warnings.begin(), result.warnings.end());
  // Certificate text is escaped where it is read; this makes sure nothing else slips by.
  report.message = escape_display(report.message);
  for (auto& w : report.warnings) w = escape_display(w);
  for (auto& e : report.engines) e.detail = escape_display(e.detail);
  return report;
}

}  // namespace verifull::detail
