// The one syntax of a list written as text ("orders, customers", libpq's "host=a,b",
// a URL's "a=1&b=2"), used by every entry point: the C++ API, the C ABI and the CLI
// (docs/design.md, section 13). Pure: no OpenSSL, no driver, no exception.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace verifull::detail {

// Every item between separators, as written, empty ones included: "a,,b" is {"a", "", "b"},
// "" is {""}. libpq's lists (host, hostaddr, port) mean something by an empty item (the
// default), so they are read this way.
std::vector<std::string> split_list(std::string_view text, char separator = ',');

// A list of names ("orders, customers"): split at commas, blanks (spaces, tabs) around a
// name dropped, empty items dropped. Blanks inside a name are kept, for the name's own
// rule to refuse.
std::vector<std::string> parse_name_list(std::string_view text);

}  // namespace verifull::detail
