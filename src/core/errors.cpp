#include "verifull/errors.hpp"

#include "core/cert_facts.hpp"

namespace verifull {
inline namespace v0 {

// Messages quote input (a host name, a URL part, a file name) that may hold control
// characters or invalid UTF-8; they are escaped once, here, for every caller.
InputError::InputError(const std::string& what) : std::runtime_error(detail::escape_display(what)) {}
NetworkError::NetworkError(const std::string& what) : std::runtime_error(detail::escape_display(what)) {}

}  // namespace v0
}  // namespace verifull
