// Settings enforced or refused by name, and outcomes that name what happened, against
// the real servers (tools/with-servers) and, for what a real server will not do, a fake
// that records every byte it receives.
#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <poll.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "fake_server.hpp"
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

std::string mysql_url(const std::string& port, const std::string& extra = "", const std::string& user = servers::user()) {
  return "mysql://" + user + ":" + servers::password() + "@localhost:" + port + "/" + servers::database() + extra;
}

std::string input_error_of(const std::function<void()>& attempt) {
  try {
    attempt();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string mysql_query_one(MYSQL* m, const std::string& sql) {
  REQUIRE(mysql_query(m, sql.c_str()) == 0);
  MYSQL_RES* res = mysql_store_result(m);
  REQUIRE(res != nullptr);
  MYSQL_ROW row = mysql_fetch_row(res);
  REQUIRE(row != nullptr);
  std::string value = row[0] ? row[0] : "NULL";
  mysql_free_result(res);
  return value;
}

}  // namespace

TEST_CASE("conninfo refuses, in C++ and the C ABI, every policy field a libpq string cannot carry, naming the "
          "in-band connect") {
  const Trust trust = servers::trust();
  Policy pinned;
  pinned.pins = {"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
  Policy botan;
  botan.engine = Engine::both;
  Policy strict;
  strict.profile = Profile::strict;
  Policy cn;
  cn.allow_cn_fallback = true;
  for (const auto& entry : {std::pair{"pins", pinned}, std::pair{"engine=both", botan},
                            std::pair{"profile=strict", strict}, std::pair{"allow_cn_fallback", cn}}) {
    // Not a structured binding: C++17 lambdas (CAPTURE, below) cannot capture one in clang.
    const std::string name = entry.first;
    const Policy& policy = entry.second;
    CAPTURE(name);
    const std::string why = input_error_of([&, p = policy] { postgres::conninfo(pg_url(), trust, p); });
    CHECK(why.find(name) != std::string::npos);
    CHECK(why.find("postgres::connect") != std::string::npos);
    CHECK(why.find("vf_pg_connect") != std::string::npos);
    CHECK(why.find(servers::password()) == std::string::npos);
  }
  // The plain policy still gets its string.
  CHECK(postgres::conninfo(pg_url(), trust).find("sslmode='verify-full'") != std::string::npos);

  vf_trust_t c_trust = nullptr;
  REQUIRE(vf_trust_from_file(&c_trust, servers::pki("ca.pem").c_str()) == VF_OK);
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  opts.profile = VF_PROFILE_STRICT;
  char buf[4096];
  std::size_t len = sizeof buf;
  CHECK(vf_pg_conninfo(pg_url().c_str(), c_trust, &opts, buf, &len) == VF_ERROR_INPUT);
  CHECK(std::string(vf_last_error_message()).find("profile=strict") != std::string::npos);
  CHECK(std::string(vf_last_error_message()).find("vf_pg_connect") != std::string::npos);
  vf_trust_destroy(c_trust);
}

TEST_CASE("requiressl: 0 is refused in its own name, 1 connects verified") {
  const std::string why = input_error_of([] { postgres::connect(pg_url("?requiressl=0"), servers::trust()); });
  CHECK(why.find("requiressl=0") != std::string::npos);
  CHECK(why.find("prefer") == std::string::npos);
  const std::string kv = input_error_of([] {
    postgres::connect("host=localhost port=" + servers::pg_port() + " requiressl = '0'", servers::trust());
  });
  CHECK(kv.find("requiressl=0") != std::string::npos);
  auto c = postgres::connect(pg_url("?requiressl=1"), servers::trust());
  CHECK_MESSAGE(c.report.ok(), c.report.message);
}

TEST_CASE("sslsni=0 is refused by name instead of silently overridden") {
  const std::string why = input_error_of([] { postgres::connect(pg_url("?sslsni=0"), servers::trust()); });
  CHECK(why.find("sslsni") != std::string::npos);
  CHECK(postgres::connect(pg_url("?sslsni=1"), servers::trust()).report.ok());
}

TEST_CASE("?host= in a postgres:// URL is refused by name in the library and the CLI") {
  const std::string url = pg_url("?host=127.0.0.1");
  CHECK(input_error_of([&] { postgres::connect(url, servers::trust()); }).find("host") != std::string::npos);
  CHECK(input_error_of([&] { parse_url(url); }).find("parameter host") != std::string::npos);
  for (const char* command : {"check", "connect"}) {
    const auto run = testcli::verifull({command, url, "--ca", servers::pki("ca.pem")});
    CHECK(run.exit_code == 2);
    CHECK(run.err.find("parameter host") != std::string::npos);
    CHECK(run.err.find(servers::password()) == std::string::npos);
  }
}

TEST_CASE("?charset= and other MySQL URL parameters are honoured on the real server; unknown ones refused by name") {
  auto c = mysql::connect(mysql_url(servers::mysql_port(), "?charset=latin1&sql_mode=ANSI_QUOTES&autocommit=0"),
                          servers::trust());
  REQUIRE_MESSAGE(c.report.ok(), c.report.message);
  CHECK(mysql_query_one(c.conn.get(), "SELECT @@character_set_client") == "latin1");
  CHECK(mysql_query_one(c.conn.get(), "SELECT @@session.sql_mode") == "ANSI_QUOTES");
  CHECK(mysql_query_one(c.conn.get(), "SELECT @@autocommit") == "0");

  const auto cli = testcli::verifull({"connect", mysql_url(servers::mysql_port(), "?charset=latin1"), "--ca",
                                      servers::pki("ca.pem"), "--query", "SELECT @@character_set_client"});
  CHECK(cli.exit_code == 0);
  CHECK(cli.out.find("latin1") != std::string::npos);

  const std::string why = input_error_of(
      [] { mysql::connect(mysql_url(servers::mysql_port(), "?frobnicate=1"), servers::trust()); });
  CHECK(why.find("frobnicate") != std::string::npos);
  const auto refused = testcli::verifull({"check", mysql_url(servers::mysql_port(), "?use_ssl=0"), "--ca",
                                          servers::pki("ca.pem")});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("use_ssl") != std::string::npos);
  // A setting of Python's drivers has no Connector/C equivalent: a C++ connect refuses it.
  CHECK(input_error_of([] { mysql::connect(mysql_url(servers::mysql_port(), "?use_unicode=1"), servers::trust()); })
            .find("use_unicode") != std::string::npos);
}

TEST_CASE("a mysql:// URL without a user is refused instead of logging in as the operating-system user") {
  for (const std::string& url : {"mysql://:" + servers::password() + "@localhost:" + servers::mysql_port() + "/db",
                                 "mysql://localhost:" + servers::mysql_port() + "/db"}) {
    const std::string why = input_error_of([&] { mysql::connect(url, servers::trust()); });
    CHECK(why.find("names no user") != std::string::npos);
    CHECK(why.find(servers::password()) == std::string::npos);
  }
}

TEST_CASE("verifull's anchors file removed under a running connect is written anew; libpq's advice is never shown") {
  const Trust trust = servers::trust();
  postgres::AsyncConnect async(pg_url(), trust);
  // The hardened parameters name the file; it disappears before libpq reads it.
  REQUIRE(::unlink(trust.anchors_file().c_str()) == 0);
  while (async.step() != postgres::AsyncConnect::Wait::done) {
    pollfd p{async.socket(), static_cast<short>(async.wait() == postgres::AsyncConnect::Wait::read ? POLLIN : POLLOUT), 0};
    REQUIRE(::poll(&p, 1, 10000) == 1);
  }
  auto c = async.finish();
  CHECK_MESSAGE(c.report.ok(), c.report.message);
  CHECK(c.report.message.find("disable server certificate verification") == std::string::npos);
}
