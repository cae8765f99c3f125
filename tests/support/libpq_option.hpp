// The value libpq really used for one connection parameter of an open connection
// (PQconninfo), for tests that check what verifull handed to libpq.
#pragma once

#include <libpq-fe.h>

#include <string>

namespace testsupport {

inline std::string libpq_option(PGconn* conn, const std::string& keyword) {
  std::string value;
  PQconninfoOption* options = PQconninfo(conn);
  for (PQconninfoOption* o = options; o && o->keyword; ++o)
    if (keyword == o->keyword && o->val) value = o->val;
  PQconninfoFree(options);
  return value;
}

}  // namespace testsupport
