// The one port rule, for every port verifull reads (a URL's, libpq's port list): a
// decimal number from 1 to 65535, at most five digits, nothing else (docs/design.md,
// section 13).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace verifull::detail {

// The rule as messages state it: "the port must be " + kPortRule.
inline constexpr const char* kPortRule = "a number from 1 to 65535";

// The port `text` names; nullopt when it breaks the rule (empty, a sign, a space, 0,
// 65536, ...). Callers word the refusal, since only they know what may be quoted.
std::optional<std::uint16_t> parse_port(std::string_view text);

}  // namespace verifull::detail
