// Text from a certificate or a server, made safe for a terminal.
#pragma once

#include <string>
#include <string_view>

namespace verifull::detail {

// Text from a certificate or a server, safe for a terminal and valid UTF-8: ASCII and C1
// controls, line and paragraph separators (U+2028, U+2029), bidirectional overrides,
// invisible format characters and invalid UTF-8 bytes
// become \XX escapes (as RFC 2253 escapes bytes); other UTF-8 stays readable.
std::string escape_display(std::string_view text);

}  // namespace verifull::detail
