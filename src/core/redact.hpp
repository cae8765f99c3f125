// Error messages quote the input that was wrong; a connection string's password must
// never be part of one, whatever form the string has.
#pragma once

#include <string>

namespace verifull::detail {

// `text` with every URL password (scheme://user:PASSWORD@) and every keyword password
// (password=..., passwd=..., quoted or not) replaced by ***.
std::string redact_secrets(const std::string& text);

}  // namespace verifull::detail
