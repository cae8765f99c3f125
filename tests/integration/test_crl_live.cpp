// Revocation against the real servers (tools/with-servers): the TLS PostgreSQL and
// MariaDB present the test PKI's server.pem, which crl-revoked.pem lists. Through the
// library, the C ABI's CRL file given to the drivers themselves, and the CLI.
#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <mysql.h>

#include <cstdio>
#include <string>

#include "run_cli.hpp"
#include "servers_env.hpp"
#include "test_pki.hpp"
#include "verifull.h"
#include "verifull/verifull.hpp"

using namespace verifull;

namespace {

std::string pg_url(const std::string& extra = "") {
  return "postgres://" + servers::user() + ":" + servers::password() + "@localhost:" + servers::pg_port() + "/" +
         servers::database() + extra;
}

std::string mysql_url(const std::string& extra = "") {
  return "mysql://" + servers::user() + ":" + servers::password() + "@localhost:" + servers::mysql_port() + "/" +
         servers::database() + extra;
}

Policy with_crl(const std::string& file, bool require = false) {
  Policy policy;
  if (!file.empty()) policy.crls = {servers::pki(file)};
  policy.require_crl = require;
  return policy;
}

// The serial of the servers' certificate, as verifull prints it.
std::string server_serial() { return servers::cert("server").serial_text(); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The file of the policy's CRLs that verifull gives a driver (vf_policy_crl_file).
std::string driver_crl_file(const std::string& file) {
  const std::string path = servers::pki(file);
  const char* files[] = {path.c_str()};
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  opts.crls = files;
  opts.crl_count = 1;
  char buf[4096];
  size_t len = sizeof buf;
  REQUIRE(vf_policy_crl_file(&opts, buf, &len) == VF_OK);
  return buf;
}

}  // namespace

TEST_CASE("PostgreSQL: revoked is refused naming the serial with no connection; empty CRL connects; expired, "
          "forged and required-but-missing CRLs have their own outcomes") {
  const Trust trust = servers::trust();
  for (Engine engine : {Engine::openssl, Engine::botan, Engine::both}) {
    CAPTURE(engine_name(engine));
    Policy revoked = with_crl("crl-revoked.pem");
    revoked.engine = engine;
    const auto refused = postgres::connect(pg_url(), trust, revoked);
    CHECK_MESSAGE(refused.report.outcome == Outcome::revoked, outcome_name(refused.report.outcome) << ": "
                                                                  << refused.report.message);
    CHECK(contains(refused.report.message, server_serial()));
    CHECK(contains(refused.report.message, "crl-revoked.pem"));
    CHECK(!refused.conn);
  }
  const auto empty = postgres::connect(pg_url(), trust, with_crl("crl-empty.pem"));
  CHECK_MESSAGE(empty.report.ok(), empty.report.message);
  CHECK(empty.conn);
  // The same CRL in a hashed folder and as DER.
  CHECK(postgres::connect(pg_url(), trust, with_crl("crl-dir")).report.outcome == Outcome::revoked);
  CHECK(postgres::connect(pg_url(), trust, with_crl("crl-revoked.der")).report.outcome == Outcome::revoked);
  CHECK(postgres::connect(pg_url(), trust, with_crl("crl-dir-empty")).report.ok());
  const auto expired = postgres::connect(pg_url(), trust, with_crl("crl-expired.pem"));
  CHECK_MESSAGE(expired.report.outcome == Outcome::crl_expired, expired.report.message);
  CHECK(contains(expired.report.message, "out of date"));
  CHECK(!expired.conn);
  const auto forged = postgres::connect(pg_url(), trust, with_crl("crl-wrong-key.pem"));
  CHECK_MESSAGE(forged.report.outcome == Outcome::crl_bad_signature, forged.report.message);
  CHECK(!forged.conn);
  const auto missing = postgres::connect(pg_url(), trust, with_crl("", true));
  CHECK_MESSAGE(missing.report.outcome == Outcome::crl_missing, missing.report.message);
  CHECK(!missing.conn);
  CHECK(postgres::connect(pg_url(), trust, with_crl("crl-empty.pem", true)).report.ok());
  // check() probes without a credential and reaches the same verdicts.
  CHECK(check(parse_url(pg_url()), trust, with_crl("crl-revoked.pem")).outcome == Outcome::revoked);
  CHECK(check(parse_url(pg_url()), trust, with_crl("crl-empty.pem")).ok());
  // The URL's sslcrl is the same setting: verifull's own verdict names it.
  const auto by_url = postgres::connect(pg_url("?sslcrl=" + servers::pki("crl-revoked.pem")), trust);
  CHECK(by_url.report.outcome == Outcome::revoked);
  CHECK(contains(by_url.report.message, server_serial()));
}

TEST_CASE("PostgreSQL: libpq itself, given verifull's CRL file, refuses the revoked server in-band") {
  const Trust trust = servers::trust();
  // conninfo() hands libpq the policy's CRLs: libpq's own verify-full agrees with verifull.
  const std::string revoked = postgres::conninfo(pg_url(), trust, with_crl("crl-revoked.pem"));
  CHECK(contains(revoked, "sslcrl="));
  PGconn* conn = PQconnectdb(revoked.c_str());
  CHECK(PQstatus(conn) == CONNECTION_BAD);
  // libpq 15 words every OpenSSL refusal alike; the same string with the empty CRL connects.
  CHECK_MESSAGE(contains(PQerrorMessage(conn), "certificate verify failed"), std::string(PQerrorMessage(conn)));
  PQfinish(conn);
  conn = PQconnectdb(postgres::conninfo(pg_url(), trust, with_crl("crl-empty.pem")).c_str());
  CHECK_MESSAGE(PQstatus(conn) == CONNECTION_OK, std::string(PQerrorMessage(conn)));
  PQfinish(conn);
}

TEST_CASE("MariaDB: revoked is refused naming the serial before Connector/C logs in; empty CRL connects; "
          "expired and required-but-missing have their own outcomes") {
  const Trust trust = servers::trust();
  mysql::ApprovedCache cache;
  for (Engine engine : {Engine::openssl, Engine::botan, Engine::both}) {
    CAPTURE(engine_name(engine));
    Policy revoked = with_crl("crl-revoked.pem");
    revoked.engine = engine;
    const auto refused = mysql::connect(mysql_url(), trust, revoked, cache);
    CHECK_MESSAGE(refused.report.outcome == Outcome::revoked, refused.report.message);
    CHECK(contains(refused.report.message, server_serial()));
    CHECK(!refused.conn);
  }
  const auto empty = mysql::connect(mysql_url(), trust, with_crl("crl-empty.pem"), cache);
  CHECK_MESSAGE(empty.report.ok(), empty.report.message);
  CHECK(empty.conn);
  const auto expired = mysql::connect(mysql_url(), trust, with_crl("crl-expired.pem"), cache);
  CHECK_MESSAGE(expired.report.outcome == Outcome::crl_expired, expired.report.message);
  const auto missing = mysql::connect(mysql_url(), trust, with_crl("", true), cache);
  CHECK_MESSAGE(missing.report.outcome == Outcome::crl_missing, missing.report.message);
  // The URL's ssl-crl is the same setting.
  const auto by_url = mysql::connect(mysql_url("?ssl-crl=" + servers::pki("crl-revoked.pem")), trust, {}, cache);
  CHECK(by_url.report.outcome == Outcome::revoked);
  CHECK(contains(by_url.report.message, server_serial()));
}

TEST_CASE("MariaDB: Connector/C itself, given verifull's CRL file, refuses the revoked server in-band") {
  const auto connect_with_crl = [](const std::string& crl_file, std::string& error) {
    MYSQL* m = mysql_init(nullptr);
    const my_bool on = 1;
    const unsigned int tcp = MYSQL_PROTOCOL_TCP;
    mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &tcp);
    mysql_optionsv(m, MYSQL_OPT_SSL_CA, servers::pki("ca.pem").c_str());
    mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    mysql_optionsv(m, MYSQL_OPT_SSL_CRL, crl_file.c_str());
    const bool ok = mysql_real_connect(m, "localhost", servers::user().c_str(), servers::password().c_str(),
                                       servers::database().c_str(), std::stoi(servers::mysql_port()), nullptr, 0) != nullptr;
    error = mysql_error(m);
    mysql_close(m);
    return ok;
  };
  std::string error;
  CHECK_FALSE(connect_with_crl(driver_crl_file("crl-revoked.pem"), error));
  CHECK_MESSAGE(contains(error, "certificate revoked"), error);
  CHECK_MESSAGE(connect_with_crl(driver_crl_file("crl-empty.pem"), error), error);
}

TEST_CASE("CLI: --crl on check, connect and show, --require-crl, and the exit codes") {
  const std::string ca = servers::pki("ca.pem");
  const auto revoked = testcli::verifull({"check", pg_url(), "--ca", ca, "--crl", servers::pki("crl-revoked.pem")});
  CHECK(revoked.exit_code == 1);
  CHECK_MESSAGE(contains(revoked.out + revoked.err, "revoked"), revoked.out << revoked.err);
  CHECK(contains(revoked.out + revoked.err, server_serial()));
  const auto connect_revoked =
      testcli::verifull({"connect", mysql_url(), "--ca", ca, "--crl", servers::pki("crl-revoked.pem")});
  CHECK(connect_revoked.exit_code == 1);
  CHECK(contains(connect_revoked.out + connect_revoked.err, server_serial()));
  const auto connect_empty = testcli::verifull({"connect", pg_url(), "--ca", ca, "--crl", servers::pki("crl-empty.pem")});
  CHECK_MESSAGE(connect_empty.exit_code == 0, connect_empty.out << connect_empty.err);
  const auto expired = testcli::verifull({"check", mysql_url(), "--ca", ca, "--crl", servers::pki("crl-expired.pem"), "--json"});
  CHECK(expired.exit_code == 1);
  CHECK(contains(expired.out, "\"crl_expired\""));
  const auto missing = testcli::verifull({"check", pg_url(), "--ca", ca, "--require-crl"});
  CHECK(missing.exit_code == 1);
  CHECK(contains(missing.out + missing.err, "crl_missing"));
  const auto show = testcli::verifull({"show", pg_url(), "--ca", ca, "--crl", servers::pki("crl-dir")});
  CHECK(contains(show.out, "revoked"));
  const auto bad = testcli::verifull({"check", pg_url(), "--ca", ca, "--crl", "/nonexistent/crl.pem"});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "/nonexistent/crl.pem"));
}
