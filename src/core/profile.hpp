// verifull's certificate profile: structural rules checked on every verified chain,
// whichever engine built it, so both engines refuse the same malformed certificates.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/openssl_types.hpp"

namespace verifull::detail {

struct ProfileViolation {
  std::size_t depth = 0;  // 0 = the server's certificate
  std::string rule;       // what is wrong, as a clause: "its serial number is zero"
};

// `chain`: leaf first, anchor last. The first violation found, if any.
std::optional<ProfileViolation> check_profile(const std::vector<X509Ptr>& chain);

// A DNS name as a certificate may carry it: LDH labels (and '_'), a '*' only as the
// whole leftmost label.
bool is_valid_dns_san(const std::string& name);

}  // namespace verifull::detail
