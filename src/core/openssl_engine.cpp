// The OpenSSL engine: X509_verify_cert over the caller's anchors only: no partial
// chains, the TLS-server purpose, security level 2, names from SANs only, and
// X509_STRICT in the strict profile (docs/design.md, sections 2 and 6). Given a candidate path
// (paths.hpp) it judges exactly that path; otherwise OpenSSL builds its own, as in libpq.
#include <ctime>

#include "core/engine.hpp"
#include "core/names.hpp"

namespace verifull::detail {
namespace {

Outcome outcome_of(int error) {
  switch (error) {
    case X509_V_OK: return Outcome::ok;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return Outcome::untrusted_issuer;
    case X509_V_ERR_CERT_HAS_EXPIRED: return Outcome::expired;
    case X509_V_ERR_CERT_NOT_YET_VALID: return Outcome::not_yet_valid;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return Outcome::name_mismatch;
    case X509_V_ERR_INVALID_PURPOSE: return Outcome::bad_usage;
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
    case X509_V_ERR_CA_MD_TOO_WEAK:
      return Outcome::weak_crypto;
    case X509_V_ERR_CERT_REVOKED: return Outcome::revoked;
    case X509_V_ERR_CRL_HAS_EXPIRED: return Outcome::crl_expired;
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
      return Outcome::crl_bad_signature;
    case X509_V_ERR_UNABLE_TO_GET_CRL: return Outcome::crl_missing;  // only reached with require_crl
    default: return Outcome::invalid_chain;
  }
}

void configure(X509_VERIFY_PARAM* param, const ChainInput& input, bool strict) {
  // No X509_V_FLAG_PARTIAL_CHAIN: a chain must end at a self-signed anchor.
  if (strict) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set_trust(param, X509_TRUST_SSL_SERVER);
  // Level 2: RSA/DSA/DH >= 2048 bits, no SHA-1 or MD5 signatures. verdict.cpp adds the
  // EC >= P-256 floor, which level 2 (112 bits) would let P-224 through.
  X509_VERIFY_PARAM_set_auth_level(param, 2);
  if (input.verification_time) X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(*input.verification_time));
  X509_VERIFY_PARAM_set_depth(param, input.max_intermediates);
  if (input.cn_fallback) return;  // the CN is matched by verifull's rule after the chain
  if (input.peer.kind == PeerName::Kind::ip) {
    X509_VERIFY_PARAM_set1_ip(param, reinterpret_cast<const unsigned char*>(input.peer.ip_bytes.data()),
                              input.peer.ip_bytes.size());
  } else {
    // Names come from DNS SANs only: the subject CN is never consulted (RFC 6125, CA/B
    // Forum), and a wildcard must be the whole leftmost label.
    X509_VERIFY_PARAM_set_hostflags(
        param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    X509_VERIFY_PARAM_set1_host(param, input.peer.value.c_str(), input.peer.value.size());
  }
}

bool is_crl_error(int error) {
  switch (error) {
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
    case X509_V_ERR_CERT_REVOKED:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE:
    case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
      return true;
    default: return false;
  }
}

// CRL_CHECK_ALL checks the anchor too, against a CRL its own issuer (itself) signed.
// An anchor is trusted by configuration, not by a CRL (RFC 5280 6.1 starts below it;
// Botan checks below it too): its CRL errors are not the chain's.
bool at_anchor(X509_STORE_CTX* ctx) {
  const STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
  return chain && X509_STORE_CTX_get_error_depth(ctx) == sk_X509_num(chain) - 1;
}

int check_given_crls(int ok, X509_STORE_CTX* ctx) {
  const int error = X509_STORE_CTX_get_error(ctx);
  if (ok || !is_crl_error(error)) return ok;
  // Policy::require_crl off: an issuer that signed no given CRL is not checked.
  if (error == X509_V_ERR_UNABLE_TO_GET_CRL || at_anchor(ctx)) {
    X509_STORE_CTX_set_error(ctx, X509_V_OK);
    return 1;
  }
  return 0;
}

int require_crls(int ok, X509_STORE_CTX* ctx) {
  const int error = X509_STORE_CTX_get_error(ctx);
  if (ok || !is_crl_error(error) || !at_anchor(ctx)) return ok;
  X509_STORE_CTX_set_error(ctx, X509_V_OK);
  return 1;
}

// Revocation by OpenSSL's own CRL check over the given CRLs (crl.hpp): every
// certificate of the path (CRL_CHECK_ALL) against the CRLs its issuer signed, the
// signature, and the CRL's dates at the verification time.
void free_crl_stack(STACK_OF(X509_CRL) * stack) { sk_X509_CRL_free(stack); }  // not the CRLs: borrowed
using CrlStackPtr = std::unique_ptr<STACK_OF(X509_CRL), OpenSslDeleter<STACK_OF(X509_CRL), free_crl_stack>>;
bool give_crls(X509_STORE_CTX* ctx, const ChainInput& input, CrlStackPtr& held) {
  if (!input.crls || !input.crls->active()) return true;
  held.reset(sk_X509_CRL_new_null());
  if (!held) return false;
  for (const auto& loaded : input.crls->crls)
    if (!sk_X509_CRL_push(held.get(), loaded.crl.get())) return false;  // borrowed: the set owns them
  X509_STORE_CTX_set0_crls(ctx, held.get());
  X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  X509_STORE_CTX_set_verify_cb(ctx, input.crls->require ? require_crls : check_given_crls);
  return true;
}

// What X509_verify_cert is given: with a candidate path, exactly that path (its
// intermediates as the untrusted certificates, its anchors as the whole store), so the
// path OpenSSL builds is the one verifull asks about; without one, the chain and every
// anchor it may reach, as libpq gives them.
struct Given {
  X509_STORE* store = nullptr;
  STACK_OF(X509)* untrusted = nullptr;
  X509StorePtr path_store;
  X509StackPtr path_untrusted;
};

bool give(const ChainInput& input, const TrustData& trust, Given& given) {
  if (!input.path) {
    given.store = trust.store_for(input.leaf, input.untrusted);
    given.untrusted = input.untrusted;
    return given.store != nullptr;
  }
  const CandidatePath& path = *input.path;
  given.path_store.reset(X509_STORE_new());
  given.path_untrusted.reset(sk_X509_new_null());
  if (!given.path_store || !given.path_untrusted) return false;
  for (std::size_t i = 0; i < path.certs.size(); ++i) {
    X509* cert = path.certs[i];
    if (i >= path.first_anchor) {
      if (X509_STORE_add_cert(given.path_store.get(), cert) != 1) return false;
    } else if (i > 0) {
      X509Ptr held = share(cert);
      if (!sk_X509_push(given.path_untrusted.get(), held.get())) return false;
      held.release();  // the stack owns it now
    }
  }
  given.store = given.path_store.get();
  given.untrusted = given.path_untrusted.get();
  return true;
}

// One X509_verify_cert run with the given flags.
EngineResult run_openssl(const ChainInput& input, const TrustData& trust, bool strict) {
  EngineResult result;
  Given given;  // declared first: outlives the context that refers to it
  CrlStackPtr crls;
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || !give(input, trust, given) ||
      X509_STORE_CTX_init(ctx.get(), given.store, input.leaf, given.untrusted) != 1) {
    result.detail = "could not set up an OpenSSL verification context";
    return result;
  }
  configure(X509_STORE_CTX_get0_param(ctx.get()), input, strict);
  if (!give_crls(ctx.get(), input, crls)) {
    result.detail = "could not give OpenSSL the CRLs";
    return result;
  }
  const int rc = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  if (rc == 1 && error == X509_V_OK && input.cn_fallback && !common_name_matches(input.leaf, input.peer)) {
    result.outcome = Outcome::name_mismatch;
    result.detail = "the subject CN does not match " + input.peer.value;
    result.failing_depth = 0;
    result.failing_cert = share(input.leaf);
    return result;
  }
  if (rc == 1 && error == X509_V_OK) {
    result.outcome = Outcome::ok;
    result.detail = "ok";
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
    for (int i = 0; i < sk_X509_num(chain); ++i) result.verified.push_back(share(sk_X509_value(chain, i)));
    return result;
  }
  // rc != 1 with X509_V_OK means OpenSSL failed internally: still a refusal.
  result.outcome = error == X509_V_OK ? Outcome::invalid_chain : outcome_of(error);
  result.detail = X509_verify_cert_error_string(error);
  result.failing_depth = X509_STORE_CTX_get_error_depth(ctx.get());
  if (X509* cert = X509_STORE_CTX_get_current_cert(ctx.get())) result.failing_cert = share(cert);
  return result;
}

}  // namespace

EngineResult verify_with_openssl(const ChainInput& input, const TrustData& trust) {
  EngineResult result = run_openssl(input, trust, input.strict);
  if (!input.strict || result.outcome == Outcome::ok) return result;
  // Strict refused. When OpenSSL's default flags accept the same chain, the refusal was
  // X509_STRICT's alone: an encoding rule, which verdict.cpp words as the strict
  // profile's (and names verifull's own rule for it when it has one).
  EngineResult lenient = run_openssl(input, trust, false);
  if (lenient.outcome != Outcome::ok) return lenient;  // the more fundamental refusal
  lenient.strict_refusal = result.detail;
  lenient.failing_depth = result.failing_depth;
  lenient.failing_cert = std::move(result.failing_cert);
  return lenient;
}

}  // namespace verifull::detail
