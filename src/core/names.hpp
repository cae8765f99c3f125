// verifull's own name rules, shared by every engine so they cannot drift apart: the
// RFC 6125 wildcard match, the libpq-style subject CN fallback (opt-in), and the check
// of the dialled name against every name constraint of the verified chain.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/openssl_types.hpp"
#include "core/peer_name.hpp"

namespace verifull::detail {

// Exact match (case-insensitive), or "*" as the whole leftmost label standing for
// exactly one non-empty label, with at least two labels after it. `host` is a
// PeerName value (lower case, no trailing dot).
bool dns_name_matches(const std::string& pattern, const std::string& host);

// True when the name must come from the subject CN: the caller allowed it, the peer is
// a DNS name, and the server certificate has no subjectAltName extension at all.
bool uses_cn_fallback(const X509* leaf, const PeerName& peer, bool allowed);

// The CN fallback's match: the subject holds exactly one CN, and it matches `peer` by
// dns_name_matches. Several CNs are ambiguous and match nothing.
bool common_name_matches(const X509* leaf, const PeerName& peer);

// The subject's single CN, or "" (none, several, or not text).
std::string single_common_name(const X509* leaf);

struct NameConstraintViolation {
  std::size_t depth = 0;  // the CA whose constraint the name breaks
  std::string clause;     // "its name constraints exclude bar.example.com"
};

// Checks the dialled name itself against every CA's nameConstraints in `chain` (leaf
// first). Engines check the names a certificate carries; a wildcard SAN such as
// *.example.com escapes an excluded subtree bar.example.com that way (CVE-2025-61727),
// and so does a name taken from the CN. Checking the name actually matched closes both.
std::optional<NameConstraintViolation> check_peer_against_name_constraints(
    const std::vector<X509Ptr>& chain, const PeerName& peer);

}  // namespace verifull::detail
