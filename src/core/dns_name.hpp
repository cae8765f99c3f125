// The one rule for DNS names and their labels, for the dialled host (peer_name.cpp) and
// for the names a certificate carries (profile.cpp) (docs/design.md, section 13).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace verifull::detail {

// What is wrong with one label, as a clause for a message ("a label is longer than 63
// characters"); nullopt for a good label: 1 to 63 letters, digits, '-' and '_', no
// hyphen at either end.
std::optional<std::string> dns_label_problem(std::string_view label);

// What is wrong with a name (without a trailing dot): 1 to 253 characters, every label
// good; with `wildcard_allowed`, "*" may be the whole leftmost label. nullopt when good.
std::optional<std::string> dns_name_problem(std::string_view name, bool wildcard_allowed);

}  // namespace verifull::detail
