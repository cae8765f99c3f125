// A policy's settings: engine and profile names, and check_policy, the one validation of
// a whole policy every entry point makes before any traffic (core/checked_policy.hpp).
#include "verifull/policy.hpp"

#include "core/checked_policy.hpp"
#include "verifull/errors.hpp"

namespace verifull {
inline namespace v0 {

const char* engine_name(Engine engine) {
  switch (engine) {
    case Engine::openssl: return "openssl";
    case Engine::botan: return "botan";
    case Engine::both: return "both";
  }
  return "unknown";
}

Engine parse_engine(const std::string& name) {
  if (name == "openssl") return Engine::openssl;
  if (name == "botan") return Engine::botan;
  if (name == "both") return Engine::both;
  throw InputError("unknown engine " + quote_input(name) + " (expected openssl, botan or both)");
}

const char* profile_name(Profile profile) {
  switch (profile) {
    case Profile::standard: return "standard";
    case Profile::strict: return "strict";
  }
  return "unknown";
}

Profile parse_profile(const std::string& name) {
  if (name == "standard") return Profile::standard;
  if (name == "strict") return Profile::strict;
  throw InputError("unknown profile " + quote_input(name) + " (expected standard or strict)");
}

}  // namespace v0

namespace detail {

CheckedPolicy check_policy(const Policy& policy) {
  CheckedPolicy out;
  out.peer = parse_peer_name(policy.host);
  out.pins.reserve(policy.pins.size());
  for (const auto& pin : policy.pins) out.pins.push_back(decode_pin(pin));
  // Engines turn the time into nanosecond time points (Botan) and time_t: keep it in the
  // range both can hold, 1970 to 2262.
  constexpr std::int64_t kLatest = 9'200'000'000;  // 2261-07-18
  if (policy.verification_time && (*policy.verification_time < 0 || *policy.verification_time > kLatest))
    throw InputError("verification_time " + std::to_string(*policy.verification_time) +
                     " is out of range (Unix seconds from 1970 to the year 2261)");
  out.max_intermediates = policy.max_intermediates.value_or(max_chain_intermediates);
  if (out.max_intermediates < 0) throw InputError("max_intermediates must not be negative");
  return out;
}

}  // namespace detail
}  // namespace verifull
