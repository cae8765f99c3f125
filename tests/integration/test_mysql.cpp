// Verified Connector/C connections against the real MariaDB (tools/test starts it with
// TLS from the test PKI and require_secure_transport=ON) and hostile fakes that record
// every byte they receive.
#include <doctest/doctest.h>
#include <errmsg.h>
#include <mysql.h>
#include <stdlib.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fake_server.hpp"
#include "run_cli.hpp"
#include "scoped_env.hpp"
#include "servers_env.hpp"
#include "test_pki.hpp"
#include "verifull.h"
#include "verifull/verifull.hpp"

using namespace verifull;
namespace fs = std::filesystem;

namespace {

std::string url(const std::string& host, const std::string& port, const std::string& user = servers::user(),
                const std::string& password = servers::password()) {
  return "mysql://" + user + ":" + password + "@" + host + ":" + port + "/" + servers::database();
}

std::string query_one(MYSQL* m, const std::string& sql) {
  REQUIRE(mysql_query(m, sql.c_str()) == 0);
  MYSQL_RES* res = mysql_store_result(m);
  REQUIRE(res != nullptr);
  MYSQL_ROW row = mysql_fetch_row(res);
  REQUIRE(row != nullptr);
  const unsigned int last = mysql_num_fields(res) - 1;  // SHOW STATUS: the value column
  std::string value = row[last] ? row[last] : "NULL";
  mysql_free_result(res);
  return value;
}

// The HandshakeResponse carries the user name; the password must never appear.
void check_no_credentials(const fakes::FakeServer& fake) {
  const auto got = fake.received();
  CHECK_MESSAGE(got.find(servers::user()) == std::string::npos, "a HandshakeResponse (user name) reached the fake");
  CHECK_MESSAGE(got.find(servers::password()) == std::string::npos, "the password reached the fake");
}

fakes::FakeServer tls_fake(const testpki::Cert& cert) {
  return fakes::FakeServer([cert](fakes::Conn& c) {
    if (fakes::mysql_accept_tls(c, cert)) c.drain(500);
  });
}


// The server whose certificate this file rotates: maria-rotate, a maria-tls of this
// suite's own, so the suites sharing maria-tls never meet a certificate mid-swap.
std::string rotate_port() { return servers::env("VERIFULL_MYSQL_ROTATE_PORT"); }

// Replaces maria-rotate's certificate and makes it reload (MariaDB's FLUSH SSL).
void install_server_cert(const std::string& name) {
  const fs::path dir = fs::path(servers::env("VERIFULL_SERVERS_DIR")) / "maria-rotate";
  for (const char* ext : {".pem", ".key"})
    fs::copy_file(servers::pki(name + ext), dir / (std::string("server") + ext), fs::copy_options::overwrite_existing);
  mysql::ApprovedCache fresh;
  auto admin = mysql::connect(url("localhost", rotate_port(), "verifull_admin", servers::env("VERIFULL_ADMIN_PASSWORD")),
                              servers::trust(), Policy{}, fresh);
  REQUIRE_MESSAGE(admin.report.ok(), admin.report.message);
  REQUIRE(mysql_query(admin.conn.get(), "FLUSH SSL") == 0);
}

}  // namespace

TEST_CASE("connects to the real MariaDB over verified TLS and runs a query") {
  mysql::ApprovedCache cache;
  auto c = mysql::connect(url("localhost", servers::mysql_port()), servers::trust(), Policy{}, cache);
  REQUIRE_MESSAGE(c.report.ok(), c.report.message);
  CHECK(query_one(c.conn.get(), "SELECT 1") == "1");
  CHECK(query_one(c.conn.get(), "SHOW STATUS LIKE 'Ssl_version'").rfind("TLSv1.", 0) == 0);
  CHECK(std::string(mysql_get_ssl_cipher(c.conn.get())).size() > 0);
}

TEST_CASE("a same-CA certificate for another name is refused; plain Connector/C with only a CA accepts it") {
  mysql::ApprovedCache cache;
  auto c = mysql::connect(url("127.0.0.1", servers::mysql_port()), servers::trust(), Policy{}, cache);
  CHECK(c.report.outcome == Outcome::name_mismatch);
  CHECK_FALSE(c.conn);
  // What an application gets from Connector/C 3.3 with only MYSQL_OPT_SSL_CA set.
  MYSQL* plain = mysql_init(nullptr);
  const std::string ca_path = servers::pki("ca.pem");
  mysql_optionsv(plain, MYSQL_OPT_SSL_CA, ca_path.c_str());
  const bool connected = mysql_real_connect(plain, "127.0.0.1", servers::user().c_str(), servers::password().c_str(),
                                            servers::database().c_str(),
                                            static_cast<unsigned>(std::stoi(servers::mysql_port())), nullptr, 0);
  CHECK_MESSAGE(connected, "plain Connector/C refused too: " << mysql_error(plain));
  mysql_close(plain);
}

TEST_CASE("another CA, and a server without TLS, are refused") {
  mysql::ApprovedCache cache;
  CHECK(mysql::connect(url("localhost", servers::mysql_port()), servers::trust("other-ca.pem"), Policy{}, cache).report.outcome ==
        Outcome::untrusted_issuer);
  CHECK(mysql::connect(url("localhost", servers::mysql_plain_port()), servers::trust(), Policy{}, cache).report.outcome ==
        Outcome::tls_unavailable);
}

TEST_CASE("a cache hit skips the probe: one TCP connection instead of two") {
  fakes::FakeServer relay([](fakes::Conn& c) { c.forward_to(static_cast<std::uint16_t>(std::stoi(servers::mysql_port()))); });
  mysql::ApprovedCache cache;
  const auto through_relay = url("localhost", std::to_string(relay.port()));
  auto first = mysql::connect(through_relay, servers::trust(), Policy{}, cache);
  REQUIRE_MESSAGE(first.report.ok(), first.report.message);
  CHECK(relay.connections() == 2);  // the probe, then the real connection
  auto second = mysql::connect(through_relay, servers::trust(), Policy{}, cache);
  REQUIRE_MESSAGE(second.report.ok(), second.report.message);
  CHECK(relay.connections() == 3);  // no probe this time
  CHECK(cache.probes() == 1);
  CHECK(cache.hits() == 1);
  // A different trust set is a different approval: it probes again.
  auto other_trust = mysql::connect(through_relay, Trust::combine({servers::trust(), servers::trust("other-ca.pem")}), Policy{}, cache);
  CHECK(other_trust.report.ok());
  CHECK(cache.probes() == 2);
}

TEST_CASE("after the server's certificate rotates, the next connect succeeds after one re-probe") {
  mysql::ApprovedCache cache;
  REQUIRE(mysql::connect(url("localhost", rotate_port()), servers::trust(), Policy{}, cache).report.ok());
  CHECK(cache.probes() == 1);
  install_server_cert("server2");
  auto after = mysql::connect(url("localhost", rotate_port()), servers::trust(), Policy{}, cache);
  install_server_cert("server");  // restore for the other tests before asserting
  CHECK_MESSAGE(after.report.ok(), after.report.message);
  CHECK(cache.hits() == 1);    // the stale approval was tried
  CHECK(cache.probes() == 2);  // and re-probed exactly once
}

TEST_CASE("a greeting without CLIENT_SSL is refused and gets no HandshakeResponse") {
  fakes::FakeServer fake([](fakes::Conn& c) {
    c.write(fakes::mysql_greeting(false));
    c.drain(500);
  });
  mysql::ApprovedCache cache;
  auto c = mysql::connect(url("localhost", std::to_string(fake.port())), servers::trust(), Policy{}, cache);
  CHECK(c.report.outcome == Outcome::tls_unavailable);
  CHECK(fake.received().empty());
  check_no_credentials(fake);
}

TEST_CASE("impostors with a same-CA wrong-name or another CA's certificate get no auth bytes") {
  for (const auto& [name, outcome] : {std::pair{"wrong-name", Outcome::name_mismatch},
                                      std::pair{"impostor", Outcome::untrusted_issuer}}) {
    auto fake = tls_fake(servers::cert(name));
    mysql::ApprovedCache cache;
    auto c = mysql::connect(url("localhost", std::to_string(fake.port())), servers::trust(), Policy{}, cache);
    CHECK(c.report.outcome == outcome);
    CHECK(fake.received().size() == 36);  // the probe's SSLRequest; nothing inside TLS
    check_no_credentials(fake);
  }
}

TEST_CASE("a verified server asking for mysql_clear_password is refused with verifull's sentence and without the password") {
  const auto valid = servers::cert("server2");
  fakes::FakeServer fake([valid](fakes::Conn& c) {
    if (!fakes::mysql_accept_tls(c, valid)) return;
    if (fakes::mysql_read_packet(c).empty()) return;  // the probe hangs up here
    c.write(fakes::mysql_packet(3, std::string("\xfe") + "mysql_clear_password" + '\0'));
    c.drain(1000);
  });
  mysql::ApprovedCache cache;
  auto c = mysql::connect(url("localhost", std::to_string(fake.port())), servers::trust(), Policy{}, cache);
  CHECK_FALSE(c.report.ok());
  CHECK(c.report.message.find("mysql_clear_password") != std::string::npos);
  // verifull's sentence, not Connector/C's advice about its restricted_auth list
  CHECK(c.report.message.find("restricted_auth plugin list") == std::string::npos);
  CHECK(c.report.message.find("verifull stopped before sending the password") != std::string::npos);
  CHECK(fake.received().find(servers::password()) == std::string::npos);
  CHECK(fake.received().find(servers::user()) != std::string::npos);  // it did reach authentication
}

TEST_CASE("a man in the middle who swaps certificates after the probe is refused by the pin") {
  // The relay forwards the probe to the real server, then answers the real connection
  // itself with a valid same-CA certificate for the same name: only the fingerprint
  // pin tells them apart. Option files and environment switches must not matter.
  const auto valid = servers::cert("server2");
  const fs::path home = fs::temp_directory_path() / "verifull-mysql-home";
  fs::create_directories(home);
  std::ofstream(home / ".my.cnf") << "[client]\nssl=0\nssl-verify-server-cert=0\n";
  ScopedEnv env({{"HOME", home.string()}, {"MYSQL_HOME", home.string()},
                 {"MARIADB_TLS_DISABLE_PEER_VERIFICATION", "1"}});
  fakes::FakeServer mitm([valid](fakes::Conn& c) {
    static int n = 0;
    if (n++ == 0) {
      c.forward_to(static_cast<std::uint16_t>(std::stoi(servers::mysql_port())));
    } else if (fakes::mysql_accept_tls(c, valid)) {
      c.drain(500);
    }
  });
  mysql::ApprovedCache cache;
  auto c = mysql::connect(url("localhost", std::to_string(mitm.port())), servers::trust(), Policy{}, cache);
  fs::remove_all(home);
  CHECK(c.report.outcome == Outcome::pin_mismatch);
  CHECK_FALSE(c.conn);
  CHECK(mitm.connections() == 2);
  CHECK(mitm.received().find(servers::user()) == std::string::npos);
  CHECK(mitm.received().find(servers::password()) == std::string::npos);
}

TEST_CASE("bad input is an input error") {
  CHECK_THROWS_AS(mysql::connect("postgres://localhost/x", servers::trust()), InputError);
  CHECK_THROWS_AS(mysql::connect("mysql://localhost:0/x", servers::trust()), InputError);
  Policy bad_pin;
  bad_pin.pins = {"sha256/nope"};
  CHECK_THROWS_AS(mysql::connect(url("localhost", servers::mysql_port()), servers::trust(), bad_pin), InputError);
  CHECK_THROWS_AS(mysql::connect(nullptr, parse_url(url("localhost", servers::mysql_port())), servers::trust()), InputError);
}

TEST_CASE("configuring the caller's own MYSQL handle") {
  MYSQL* m = mysql_init(nullptr);
  mysql::ApprovedCache cache;
  auto report = mysql::connect(m, parse_url(url("localhost", servers::mysql_port())), servers::trust(), Policy{}, cache);
  CHECK_MESSAGE(report.ok(), report.message);
  CHECK(query_one(m, "SELECT 5") == "5");
  mysql_close(m);
}

TEST_CASE("the C ABI: vf_mysql_connect, report, and the MYSQL handle") {
  vf_trust_t trust = nullptr;
  REQUIRE(vf_trust_from_file(&trust, servers::pki("ca.pem").c_str()) == VF_OK);
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  vf_mysql_t my = nullptr;
  REQUIRE(vf_mysql_connect(&my, url("localhost", servers::mysql_port()).c_str(), trust, &opts) == VF_OK);
  vf_report_t report = nullptr;
  REQUIRE(vf_mysql_report(my, &report) == VF_OK);
  int outcome = -1;
  vf_report_outcome(report, &outcome);
  CHECK(outcome == VF_OUTCOME_OK);
  vf_report_destroy(report);
  void* handle = nullptr;
  REQUIRE(vf_mysql_conn(my, &handle) == VF_OK);
  REQUIRE(handle != nullptr);
  CHECK(query_one(static_cast<MYSQL*>(handle), "SELECT 6") == "6");
  vf_mysql_destroy(my);

  REQUIRE(vf_mysql_connect(&my, url("127.0.0.1", servers::mysql_port()).c_str(), trust, &opts) == VF_OK);
  REQUIRE(vf_mysql_report(my, &report) == VF_OK);
  vf_report_outcome(report, &outcome);
  CHECK(outcome == VF_OUTCOME_NAME_MISMATCH);
  CHECK(vf_mysql_conn(my, &handle) == VF_OK);
  CHECK(handle == nullptr);
  vf_report_destroy(report);
  vf_mysql_destroy(my);

  MYSQL* own = mysql_init(nullptr);
  REQUIRE(vf_mysql_connect_handle(own, url("localhost", servers::mysql_port()).c_str(), trust, &opts, &report) == VF_OK);
  vf_report_outcome(report, &outcome);
  CHECK(outcome == VF_OUTCOME_OK);
  CHECK(query_one(own, "SELECT 7") == "7");
  vf_report_destroy(report);
  mysql_close(own);
  vf_trust_destroy(trust);
}

TEST_CASE("verifull connect mysql:// runs the query; the password may come from MYSQL_PWD") {
  auto r = testcli::verifull({"connect", url("localhost", servers::mysql_port()), "--ca", servers::pki("ca.pem"),
                              "--query", "SELECT 40 + 2", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(nlohmann::json::parse(r.out)["rows"][0][0] == 42);  // typed: a number
  ScopedEnv env({{"MYSQL_PWD", servers::password()}});
  const auto no_password = "mariadb://" + servers::user() + "@localhost:" + servers::mysql_port() + "/" + servers::database();
  CHECK(testcli::verifull({"connect", no_password, "--ca", servers::pki("ca.pem")}).exit_code == 0);
  CHECK(testcli::verifull({"connect", url("127.0.0.1", servers::mysql_port()), "--ca", servers::pki("ca.pem")}).exit_code == 1);
}

namespace {
// A relay that passes the probe (its first connection) to the real server honestly and
// then does `then` to the real connection.
fakes::FakeServer honest_probe_then(std::function<void(fakes::Conn&)> then) {
  auto count = std::make_shared<std::atomic<int>>(0);
  return fakes::FakeServer([count, then](fakes::Conn& c) {
    if ((*count)++ == 0) {
      c.forward_to(static_cast<std::uint16_t>(std::stoi(servers::mysql_port())));
    } else {
      then(c);
    }
  });
}
}  // namespace

TEST_CASE("stripping CLIENT_SSL after an honest probe is tls_unavailable, not pin_mismatch, and gets nothing") {
  auto mitm = honest_probe_then([](fakes::Conn& c) {
    c.write(fakes::mysql_greeting(false));
    c.drain(500);
  });
  mysql::ApprovedCache cache;
  auto c = mysql::connect(url("localhost", std::to_string(mitm.port())), servers::trust(), Policy{}, cache);
  CHECK_MESSAGE(c.report.outcome == Outcome::tls_unavailable, outcome_name(c.report.outcome) << ": " << c.report.message);
  CHECK(mitm.connections() == 2);  // no re-probe loop
  check_no_credentials(mitm);
}

TEST_CASE("a connection dropped in the TLS handshake after an honest probe is not reported as pin_mismatch") {
  auto mitm = honest_probe_then([](fakes::Conn& c) {
    c.write(fakes::mysql_greeting(true));
    c.read(4096, 2000);  // the SSLRequest; then hang up in the handshake
  });
  mysql::ApprovedCache cache;
  auto c = mysql::connect(url("localhost", std::to_string(mitm.port())), servers::trust(), Policy{}, cache);
  CHECK_FALSE(c.report.ok());
  CHECK_MESSAGE(c.report.outcome != Outcome::pin_mismatch, c.report.message);
  CHECK(mitm.connections() == 2);
  check_no_credentials(mitm);
}

TEST_CASE("a caller's handle that would read option files is refused: ~/.my.cnf must not override the pin") {
  for (const auto option : {MYSQL_READ_DEFAULT_GROUP, MYSQL_READ_DEFAULT_FILE}) {
    MYSQL* m = mysql_init(nullptr);
    mysql_options(m, option, option == MYSQL_READ_DEFAULT_GROUP ? "client" : "/tmp/verifull-nonexistent.cnf");
    mysql::ApprovedCache cache;
    CHECK_THROWS_WITH_AS(
        mysql::connect(m, parse_url(url("localhost", servers::mysql_port())), servers::trust(), Policy{}, cache),
        doctest::Contains("option file"), InputError);
    CHECK(cache.probes() == 0);  // refused before any traffic
    mysql_close(m);
  }
}

TEST_CASE("TLS 1.2 without forward secrecy or AEAD is refused: weak_tls from the probe, and Connector/C's cipher list") {
  const auto trusted_rsa = servers::cert("server-rsa");
  fakes::FakeServer weak([trusted_rsa](fakes::Conn& c) {
    if (fakes::mysql_accept_tls(c, trusted_rsa, "AES128-SHA")) c.drain(500);
  });
  mysql::ApprovedCache cache;
  auto c = mysql::connect(url("localhost", std::to_string(weak.port())), servers::trust(), Policy{}, cache);
  CHECK_MESSAGE(c.report.outcome == Outcome::weak_tls, outcome_name(c.report.outcome) << ": " << c.report.message);
  check_no_credentials(weak);
  // After an honest probe, the real connection meets the genuine certificate (its
  // fingerprint matches the approval) over a weak suite: Connector/C's cipher list
  // refuses it before any credential.
  const auto genuine = servers::cert("server");  // what the real server presents (EC)
  auto mitm = honest_probe_then([genuine](fakes::Conn& m) {
    if (fakes::mysql_accept_tls(m, genuine, "ECDHE-ECDSA-AES128-SHA")) m.drain(500);
  });
  mysql::ApprovedCache cache2;
  auto d = mysql::connect(url("localhost", std::to_string(mitm.port())), servers::trust(), Policy{}, cache2);
  CHECK_FALSE(d.report.ok());
  CHECK(mitm.connections() == 2);
  check_no_credentials(mitm);
}

TEST_CASE("the timeout bounds the whole call: a peer trickling the real TLS handshake after an honest probe") {
  auto mitm = honest_probe_then([](fakes::Conn& c) {
    c.forward_to(static_cast<std::uint16_t>(std::stoi(servers::mysql_port())), 150);
  });
  Policy policy;
  policy.timeout = std::chrono::seconds(3);
  mysql::ApprovedCache cache;
  const auto start = std::chrono::steady_clock::now();
  auto c = mysql::connect(url("localhost", std::to_string(mitm.port())), servers::trust(), policy, cache);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK_MESSAGE(c.report.outcome == Outcome::timeout, outcome_name(c.report.outcome) << ": " << c.report.message);
  CHECK(took < std::chrono::seconds(3) + std::chrono::milliseconds(1500));  // the deadline plus a margin
  CHECK_FALSE(c.conn);
  check_no_credentials(mitm);
  // The same through the CLI and the C ABI entry points that share this code path.
  auto cli = testcli::verifull({"connect", url("localhost", std::to_string(mitm.port())), "--ca", servers::pki("ca.pem"),
                                "--timeout", "2"});
  CHECK(cli.exit_code == 3);
}

TEST_CASE("the approval cache keys on the whole policy: a stricter call never reuses a looser approval") {
  mysql::ApprovedCache cache;
  const auto endpoint = parse_url(url("localhost", servers::mysql_port()));
  REQUIRE(mysql::approve(endpoint, servers::trust(), Policy{}, cache).report.ok());
  Policy later;
  later.verification_time = static_cast<std::int64_t>(std::time(nullptr)) + 20L * 365 * 86400;  // after the leaf expires
  CHECK(mysql::approve(endpoint, servers::trust(), later, cache).report.outcome == Outcome::expired);
  Policy other_engine;
  other_engine.engine = Engine::botan;
  CHECK(mysql::approve(endpoint, servers::trust(), other_engine, cache).report.ok());
  CHECK(cache.probes() == 3);  // each policy was probed, none reused another's approval
  CHECK(cache.hits() == 0);
  REQUIRE(mysql::approve(endpoint, servers::trust(), Policy{}, cache).report.ok());
  CHECK(cache.hits() == 1);  // the same policy does reuse it
}

TEST_CASE("CLI: MySQL rows are typed in JSON, and a wrong password exits 4") {
  auto typed = testcli::verifull({"connect", url("localhost", servers::mysql_port()), "--ca", servers::pki("ca.pem"),
                                  "--query", "SELECT NULL AS n, 42 AS i, 2.5 AS d, 'x' AS s", "--json"});
  REQUIRE(typed.exit_code == 0);
  const auto row = nlohmann::json::parse(typed.out)["rows"][0];
  CHECK(row[0].is_null());
  CHECK(row[1] == 42);
  CHECK(row[2] == 2.5);
  CHECK(row[3] == "x");
  auto login = testcli::verifull({"connect", url("localhost", servers::mysql_port(), servers::user(), "wrong"), "--ca",
                                  servers::pki("ca.pem")});
  CHECK(login.exit_code == 4);
}

namespace {
// A relay that forwards an honest probe to the real server and, on the connection
// after it, drips the server's TLS records from `record` on: header at once, then one
// byte every 0.5 s, so the reader is always inside one TLS record.
fakes::FakeServer dripping_after_probe(int record) {
  return honest_probe_then([record](fakes::Conn& c) {
    fakes::TlsRelayPlan plan;
    plan.drip_from_server_record = record;
    c.relay_tls(static_cast<std::uint16_t>(std::stoi(servers::mysql_port())), plan);
  });
}
}  // namespace

TEST_CASE("the timeout bounds Connector/C inside a TLS record: one byte every 0.5 s after an honest probe") {
  // Record 0 is the ServerHello (the handshake); a later one carries the login's answer.
  for (const int record : {0, 4}) {
    CAPTURE(record);
    auto relay = dripping_after_probe(record);
    Policy policy;
    policy.timeout = std::chrono::seconds(3);
    mysql::ApprovedCache cache;
    const auto start = std::chrono::steady_clock::now();
    auto c = mysql::connect(url("localhost", std::to_string(relay.port())), servers::trust(), policy, cache);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK_MESSAGE(c.report.outcome == Outcome::timeout, outcome_name(c.report.outcome) << ": " << c.report.message);
    CHECK(took < std::chrono::seconds(3) + std::chrono::seconds(2));  // the deadline plus a margin
    CHECK_FALSE(c.conn);
    CHECK(relay.received().find(servers::password()) == std::string::npos);  // nothing in clear
  }
  // The CLI (a fresh relay: its probe must be honest too).
  auto relay = dripping_after_probe(0);
  const auto start = std::chrono::steady_clock::now();
  auto cli = testcli::verifull({"connect", url("localhost", std::to_string(relay.port())), "--ca",
                                servers::pki("ca.pem"), "--timeout", "3"});
  CHECK_MESSAGE(cli.exit_code == 3, cli.err);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(6));
  CHECK(relay.received().find(servers::password()) == std::string::npos);
}
