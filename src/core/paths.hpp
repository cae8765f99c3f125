// Candidate certification paths, built by verifull itself so that every engine judges
// the same paths. OpenSSL stops at the first path it builds (a dead end or a refused
// cross-sign then hides a valid path next to it), and Botan 2's own builder tries every
// ordering of same-named CAs (exponential). The search here links certificates by name
// and key identifier only (no signature is checked: that is the engines' work), walks
// the server's certificates in the order they were sent, and stops at fixed budgets.
#pragma once

#include <cstddef>
#include <vector>

#include "core/openssl_types.hpp"
#include "core/trust_data.hpp"

namespace verifull::detail {

// Examined links (an issuer tried for a certificate) and complete paths collected
// before the search stops: enough for every real chain (cross-signs during a CA
// rotation give two or three paths) and cheap for any hostile one.
constexpr int kMaxPathSearchSteps = 256;
constexpr std::size_t kMaxCandidatePaths = 8;

struct CandidatePath {
  // Leaf first; certs[first_anchor..] are anchors (the last one self-issued), the
  // ones before come from the server or the extra untrusted certificates. Not owned:
  // the presented chain and the TrustData outlive the search.
  std::vector<X509*> certs;
  std::size_t first_anchor = 0;
};

struct PathSearch {
  std::vector<CandidatePath> complete;  // best first: fewest detours in the server's order
  std::vector<X509*> longest_partial;   // when none is complete: how far the chain got
  bool budget_exhausted = false;        // stopped before it had seen every path
  int steps = 0;
};

// The paths from `leaf` through `untrusted` (in order) to a self-issued anchor of
// `trust`, with at most `max_intermediates` certificates between leaf and first anchor.
PathSearch find_candidate_paths(X509* leaf, const STACK_OF(X509) * untrusted, const TrustData& trust,
                                int max_intermediates);

}  // namespace verifull::detail
