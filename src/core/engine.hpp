// What every verification engine gets and gives back. The engines only answer "does
// this chain lead to an anchor and name the peer"; the checks that do not depend on
// the engine (key floor, pins) and the wording of the verdict live in verdict.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/crl.hpp"
#include "core/openssl_types.hpp"
#include "core/paths.hpp"
#include "core/peer_name.hpp"
#include "core/trust_data.hpp"
#include "verifull/report.hpp"

namespace verifull::detail {

struct ChainInput {
  X509* leaf = nullptr;
  STACK_OF(X509)* untrusted = nullptr;  // presented intermediates plus any extras
  PeerName peer;
  // True when the peer's name must be matched against the subject CN (uses_cn_fallback
  // in names.hpp): engines then match the CN by verifull's rule, never the SANs.
  bool cn_fallback = false;
  bool strict = false;  // Profile::strict: OpenSSL's X509_STRICT
  std::optional<std::int64_t> verification_time;
  int max_intermediates = 0;
  // The one path to judge (paths.hpp), anchors included; null: the engine builds its own
  // path from `untrusted` and all anchors (OpenSSL, as libpq does) or, for Botan, judges
  // `partial` against all anchors so its refusal names the missing issuer.
  const CandidatePath* path = nullptr;
  const std::vector<X509*>* partial = nullptr;
  // The CRLs to check every certificate below the anchor against (crl.hpp); null or
  // inactive: no revocation check.
  const CrlSet* crls = nullptr;
};

struct EngineResult {
  Outcome outcome = Outcome::invalid_chain;
  std::string detail;             // the engine's own words, for the report
  std::string finding;            // what verifull's own checks found, when they refused
  X509Ptr failing_cert;           // the certificate the failure is about, when known
  int failing_depth = -1;         // 0 = leaf
  std::vector<X509Ptr> verified;  // leaf .. anchor, when the outcome is ok
  std::vector<std::string> warnings;  // what the standard profile accepted (profile.hpp)
  bool profile_only = false;  // refused by an encoding rule that only the strict profile applies
  // OpenSSL engine, strict profile: X509_STRICT refused a chain that the default flags
  // accept (OpenSSL's words); the result is the default flags' acceptance.
  std::string strict_refusal;
  // The bounded path search (paths.hpp) stopped before it had tried every path and none
  // it tried was accepted; `finding` then says so.
  bool search_stopped = false;
};

EngineResult verify_with_openssl(const ChainInput& input, const TrustData& trust);
EngineResult verify_with_botan(const ChainInput& input, const TrustData& trust);

}  // namespace verifull::detail
