// Rules about URL query parameters that more than one parser applies (verifull's own
// URL parser and libpq's, through postgres::parse_conninfo).
#pragma once

#include <string>

#include "verifull/errors.hpp"

namespace verifull::detail {

// libpq lets ?host= replace the host of a postgres:// URL, while `verifull check` and
// the probe dial the URL's host: the two would reach different servers, so the
// parameter is refused by name rather than honoured by one path and ignored by another.
inline InputError postgres_url_host_parameter_refused() {
  return InputError("the URL parameter host would replace the URL's host for libpq but not for verifull's probe; "
                    "give the server in the URL itself (postgres://HOST:PORT/db), or use a keyword/value string "
                    "(host=... port=...)");
}

}  // namespace verifull::detail
