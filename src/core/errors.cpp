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

}  // namespace v0
}  // namespace verifull
