// What tests/servers/servers.py started, read from the environment tools/test sets.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "test_pki.hpp"
#include "verifull/trust.hpp"

namespace servers {

inline std::string env(const char* name) {
  const char* value = std::getenv(name);
  REQUIRE_MESSAGE(value != nullptr, name << " is not set: run the integration tests through tools/test, "
                                            "which starts the database servers");
  return value;
}

inline std::string pki(const std::string& file) { return env("VERIFULL_PKI_DIR") + "/" + file; }
inline std::string pg_port() { return env("VERIFULL_PG_PORT"); }
inline std::string pg_plain_port() { return env("VERIFULL_PG_PLAIN_PORT"); }
inline std::string mysql_port() { return env("VERIFULL_MYSQL_PORT"); }
inline std::string mysql_plain_port() { return env("VERIFULL_MYSQL_PLAIN_PORT"); }
inline std::string user() { return env("VERIFULL_DB_USER"); }
inline std::string password() { return env("VERIFULL_DB_PASSWORD"); }
inline std::string database() { return env("VERIFULL_DB_NAME"); }

// The shared TLS servers as the test user, dialled by the name their certificates carry.
inline std::string pg_url() {
  return "postgres://" + user() + ":" + password() + "@localhost:" + pg_port() + "/" + database();
}
inline std::string mysql_url() {
  return "mysql://" + user() + ":" + password() + "@localhost:" + mysql_port() + "/" + database();
}

// The test PKI's CA as a Trust ("ca.pem", or "other-ca.pem" for the wrong environment).
inline verifull::Trust trust(const std::string& file = "ca.pem") { return verifull::Trust::from_file(pki(file)); }

// A certificate and key of the test PKI, for fakes ("impostor", "wrong-name", "server2").
inline testpki::Cert cert(const std::string& name) { return testpki::load(pki(name + ".pem"), pki(name + ".key")); }

}  // namespace servers
