// One deadline per call: Policy::timeout bounds the whole call (probe, connect, TLS,
// login), not each step. Each step gets what is left.
#pragma once

#include <algorithm>
#include <chrono>

#include "verifull/policy.hpp"

namespace verifull::detail {

using Clock = std::chrono::steady_clock;

inline Clock::time_point deadline_of(const Policy& policy) { return Clock::now() + policy.timeout; }

// Time left until `deadline`, at least 1 ms (so a step started late fails at once
// instead of being given a zero that a library may read as "no timeout").
inline std::chrono::milliseconds remaining(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}

inline bool passed(Clock::time_point deadline) { return Clock::now() >= deadline; }

// `policy` with the time left as its timeout, for a step that takes a Policy.
inline Policy within(const Policy& policy, Clock::time_point deadline) {
  Policy step = policy;
  step.timeout = remaining(deadline);
  return step;
}

}  // namespace verifull::detail
