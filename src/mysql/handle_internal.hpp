// How verifull configures a Connector/C handle, reached by tests/unit/test_settings.cpp
// (which walks the README's settings table against it) without a server.
#pragma once

#include <string>

#include "verifull/mysql.hpp"

namespace verifull {
inline namespace v0 {
namespace mysql {

// verifull's TLS, pin, authentication and transport settings on `m`.
void configure(MYSQL* m, const Trust& trust, const Policy& policy, const std::string& fingerprint);

// The URL's parameters that validate() accepted, set on `m`; InputError for the
// settings of Python's MySQL drivers, which Connector/C has no equivalent for.
void apply_url_parameters(MYSQL* m, const Endpoint& endpoint);

// Whether Connector/C's error (mysql_errno, mysql_error) after a connect pinned to an
// approved certificate means the server presented another certificate (a rotation, or
// an impostor): the one case that earns one re-approval. Not for a revoked one.
bool presented_another_certificate(unsigned int error_code, const std::string& error_message);

}  // namespace mysql
}  // namespace v0
}  // namespace verifull
