// RFC 3339 times, read (a policy's verification time) and written (reports), and the
// times a certificate carries (docs/design.md, section 13). parse_rfc3339 is public
// (verifull/policy.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "core/openssl_types.hpp"

namespace verifull::detail {

std::string rfc3339(const ASN1_TIME* time);
std::string rfc3339(std::int64_t unix_seconds);
std::int64_t unix_time(const ASN1_TIME* time);

}  // namespace verifull::detail
