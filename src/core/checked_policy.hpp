// The one validation of a policy's input (the host, every pin, the verification time,
// the intermediate limit), made by every entry point before any traffic and by the
// verdict itself: probe (check), MySQL (approve, connect), libpq in-band and offline
// verification all call check_policy (docs/design.md, section 13).
#pragma once

#include <string>
#include <vector>

#include "core/peer_name.hpp"
#include "verifull/policy.hpp"

namespace verifull::detail {

struct CheckedPolicy {
  PeerName peer;                  // the host, validated and classified
  std::vector<std::string> pins;  // each pin's raw SHA-256 (32 bytes), in the policy's order
  int max_intermediates = max_chain_intermediates;
};

// InputError naming the first bad value and its rule; never a password (a policy holds
// none but the client key's passphrase, which is not read here).
CheckedPolicy check_policy(const Policy& policy);

}  // namespace verifull::detail
