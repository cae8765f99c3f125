// Offline verification of a certificate chain: exactly the check every verifull
// connection runs on the chain a server presents.
#pragma once

#include <string_view>

#include "verifull/policy.hpp"
#include "verifull/report.hpp"
#include "verifull/trust.hpp"

namespace verifull {
inline namespace v0 {

// `presented_pem`: the leaf first, then any intermediates, as a server sends them.
// `extra_untrusted_pem`: more intermediates that may help build the chain (may be
// empty). InputError for malformed PEM or a bad policy; a refusal is a Report.
VERIFULL_API Report verify_pem(std::string_view presented_pem, std::string_view extra_untrusted_pem,
                  const Trust& trust, const Policy& policy);

}  // namespace v0
}  // namespace verifull
