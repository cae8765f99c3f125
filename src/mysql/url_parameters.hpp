// MySQL URL parameters and driver keywords: the one table of what verifull honours, what
// belongs to its policy, what only Python's drivers take, and why everything else is
// refused (docs/design.md, section 8). The C++ connect, the C ABI and, through it, the
// bindings read it here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "verifull/endpoint.hpp"

namespace verifull {
inline namespace v0 {
namespace mysql {
// Who takes a parameter: Connector/C (and the drivers built on it), verifull's policy
// (CRLs, the client certificate), or only Python's drivers (no Connector/C equivalent).
enum class ParameterRole { driver, policy, python_driver };
// How its value is read: a flag (1/0, true/false, yes/no, on/off), whole seconds from 1
// to 999999, or text.
enum class ParameterType { flag, seconds, text };

struct UrlParameter {
  std::string given;  // as the URL wrote it (?ssl-crl=)
  std::string name;   // the canonical name (lower case, '-' read as '_': ssl_crl)
  ParameterRole role = ParameterRole::driver;
  ParameterType type = ParameterType::text;
  std::string value;          // the URL's text
  bool flag = false;          // type flag
  unsigned int seconds = 0;   // type seconds
};

// Lower case, '-' read as '_': ?ssl-crl= and ?SSL_CRL= are one parameter.
std::string parameter_key(const std::string& key);

// Every parameter of a mysql:// URL, each value checked and typed; an InputError names
// the first refused one with the reason (refusal_reason). No file is read here but the
// CRLs' (readable?); the client certificate is checked by mysql::validate.
std::vector<UrlParameter> url_parameters(const Endpoint& endpoint);

// Why a driver keyword or URL parameter would replace what verifull sets (TLS, where the
// connection goes, option files, authentication methods, capability flags), or nothing
// when it is none of those.
std::optional<std::string> replaces_verified_settings(const std::string& key);

// Authentication plugins that have the client send the password as it is
// (mysql_clear_password; dialog, which can prompt for it), comma-separated, and the test
// of one name. Connector/C is never allowed them (restricted-auth), but for
// mysql_clear_password with Policy::allow_cleartext_password.
extern const char* const kClearTextAuthPlugins;
bool auth_plugin_sends_password(const std::string& name);

}  // namespace mysql
}  // namespace v0
}  // namespace verifull
