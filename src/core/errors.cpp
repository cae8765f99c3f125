#include "verifull/errors.hpp"

#include "core/cert_facts.hpp"
#include "core/redact.hpp"

namespace verifull {
inline namespace v0 {

// Messages quote input (a URL, a connection string, a host name, a file name). Here,
// once for every caller: any password in them is replaced by ***, and control
// characters and invalid UTF-8 are escaped.
InputError::InputError(const std::string& what)
    : std::runtime_error(detail::escape_display(detail::redact_secrets(what))) {}
NetworkError::NetworkError(const std::string& what)
    : std::runtime_error(detail::escape_display(detail::redact_secrets(what))) {}

std::string quote_input(std::string_view input) {
  // Redacted before it is cut: a cut could split "user:password@" and hide the '@' that
  // tells the redaction where a password ends.
  const std::string redacted = detail::redact_secrets(std::string(input));
  if (redacted.size() <= max_excerpt_bytes) return "\"" + detail::escape_display(redacted) + "\"";
  std::size_t cut = max_excerpt_bytes;
  // Never inside a UTF-8 sequence: back up over continuation bytes (at most three).
  for (int k = 0; k < 3 && cut > 0 && (static_cast<unsigned char>(redacted[cut]) & 0xC0) == 0x80; ++k) --cut;
  return "\"" + detail::escape_display(std::string_view(redacted).substr(0, cut)) + "...\" (" +
         std::to_string(input.size()) + " bytes)";
}

}  // namespace v0
}  // namespace verifull
