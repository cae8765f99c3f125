// Verified libpq connections against the real PostgreSQL 15 (tools/test starts it with
// TLS from the test PKI, scram-sha-256, hostssl only) and against hostile fakes that
// record every byte they receive.
#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "fake_server.hpp"
#include "run_cli.hpp"
#include "scoped_env.hpp"
#include "servers_env.hpp"
#include "test_pki.hpp"
#include "verifull.h"
#include "verifull/verifull.hpp"

using namespace verifull;

namespace {

std::string url(const std::string& host, const std::string& port, const std::string& extra = "") {
  return "postgres://" + servers::user() + ":" + servers::password() + "@" + host + ":" + port + "/" +
         servers::database() + extra;
}

std::string query_one(PGconn* conn, const std::string& sql) {
  PGresult* res = PQexec(conn, sql.c_str());
  REQUIRE(PQresultStatus(res) == PGRES_TUPLES_OK);
  std::string value = PQgetvalue(res, 0, 0);
  PQclear(res);
  return value;
}

// What a fake must never see: the startup packet's user name, or the password.
void check_no_credentials(const fakes::FakeServer& fake) {
  const auto got = fake.received();
  CHECK_MESSAGE(got.find(servers::user()) == std::string::npos, "the user name (startup packet) reached the fake");
  CHECK_MESSAGE(got.find(servers::password()) == std::string::npos, "the password reached the fake");
}

// A fake PostgreSQL that agrees to TLS with `cert` and records what comes through it.
fakes::FakeServer tls_fake(const testpki::Cert& cert) {
  return fakes::FakeServer([cert](fakes::Conn& c) {
    if (fakes::pg_expect_ssl_request(c)) {
      c.write("S");
      if (c.start_tls(cert)) c.drain(500);
    }
  });
}


}  // namespace

TEST_CASE("connects to the real server over verified TLS and runs a query") {
  auto c = postgres::connect(url("localhost", servers::pg_port()), servers::trust());
  REQUIRE_MESSAGE(c.report.ok(), c.report.message);
  REQUIRE(c.conn);
  CHECK(query_one(c.conn.get(), "SELECT 1") == "1");
  CHECK(query_one(c.conn.get(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "t");
  CHECK(query_one(c.conn.get(), "SELECT current_user") == servers::user());
  CHECK(c.report.tls_version.rfind("TLSv1.", 0) == 0);
  CHECK(c.report.endpoint == "localhost:" + servers::pg_port());
}

TEST_CASE("keyword/value conninfo with hostaddr verifies a DNS name on loopback") {
  const std::string conninfo = "host=localhost hostaddr=127.0.0.1 port=" + servers::pg_port() + " user=" +
                               servers::user() + " password=" + servers::password() + " dbname=" + servers::database();
  auto c = postgres::connect(conninfo, servers::trust());
  REQUIRE_MESSAGE(c.report.ok(), c.report.message);
  postgres::Params params = {{"host", "localhost"}, {"hostaddr", "127.0.0.1"}, {"port", servers::pg_port()},
                             {"user", servers::user()}, {"password", servers::password()}, {"dbname", servers::database()}};
  CHECK(postgres::connect(params, servers::trust()).report.ok());
}

TEST_CASE("the real server's certificate for another name, or from another CA, is refused") {
  auto by_ip = postgres::connect(url("127.0.0.1", servers::pg_port()), servers::trust());
  CHECK(by_ip.report.outcome == Outcome::name_mismatch);
  CHECK_FALSE(by_ip.conn);
  auto other_ca = postgres::connect(url("localhost", servers::pg_port()), servers::trust("other-ca.pem"));
  CHECK(other_ca.report.outcome == Outcome::untrusted_issuer);
  CHECK_FALSE(other_ca.conn);
}

TEST_CASE("a server with ssl=off is refused as tls_unavailable") {
  auto c = postgres::connect(url("localhost", servers::pg_plain_port()), servers::trust());
  CHECK(c.report.outcome == Outcome::tls_unavailable);
  CHECK_FALSE(c.conn);
}

TEST_CASE("pins: the server's key is accepted, another key is refused") {
  const auto probe = check(parse_url(url("localhost", servers::pg_port())), servers::trust(), Policy{});
  REQUIRE(probe.ok());
  Policy pinned;
  pinned.pins = {probe.chain[0].spki_sha256};
  CHECK(postgres::connect(url("localhost", servers::pg_port()), servers::trust(), pinned).report.ok());
  Policy wrong;
  wrong.pins = {"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
  auto c = postgres::connect(url("localhost", servers::pg_port()), servers::trust(), wrong);
  CHECK(c.report.outcome == Outcome::pin_mismatch);
  CHECK_FALSE(c.conn);
}

TEST_CASE("PGSSLMODE, PGSSLROOTCERT, PGGSSENCMODE and friends cannot weaken or redirect it") {
  ScopedEnv env({{"PGSSLMODE", "disable"},
                 {"PGSSLROOTCERT", "/wrong/root.crt"},
                 {"PGGSSENCMODE", "require"},
                 {"PGSSLMINPROTOCOLVERSION", "TLSv1"},
                 {"PGREQUIRESSL", "0"},
                 {"PGSSLSNI", "0"}});
  auto good = postgres::connect(url("localhost", servers::pg_port()), servers::trust());
  REQUIRE_MESSAGE(good.report.ok(), good.report.message);
  CHECK(query_one(good.conn.get(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "t");
  // PGSSLMODE=disable would have connected to the plain server; verifull does not.
  CHECK(postgres::connect(url("localhost", servers::pg_plain_port()), servers::trust()).report.outcome == Outcome::tls_unavailable);
  CHECK(postgres::connect(url("localhost", servers::pg_port()), servers::trust("other-ca.pem")).report.outcome ==
        Outcome::untrusted_issuer);
}

TEST_CASE("a weaker sslmode, an sslrootcert, a Unix socket or a malformed conninfo is an input error") {
  for (const char* mode : {"disable", "allow", "prefer", "require", "verify-ca"}) {
    CHECK_THROWS_WITH_AS(postgres::connect(url("localhost", servers::pg_port(), std::string("?sslmode=") + mode), servers::trust()),
                         doctest::Contains("would weaken verification"), InputError);
  }
  CHECK_THROWS_AS(postgres::connect(url("localhost", servers::pg_port(), "?sslrootcert=/tmp/x.pem"), servers::trust()), InputError);
  CHECK_THROWS_AS(postgres::connect(url("localhost", servers::pg_port(), "?gssencmode=require"), servers::trust()), InputError);
  CHECK_THROWS_AS(postgres::connect(url("localhost", servers::pg_port(), "?ssl_min_protocol_version=TLSv1.1"), servers::trust()), InputError);
  CHECK_THROWS_AS(postgres::connect("host=/var/run/postgresql dbname=x", servers::trust()), InputError);
  CHECK_THROWS_AS(postgres::connect("dbname=x user=y", servers::trust()), InputError);  // no host
  CHECK_THROWS_AS(postgres::connect("host=localhost port", servers::trust()), InputError);
  CHECK_THROWS_AS(postgres::connect("postgres://localhost:99999999/x", servers::trust()), InputError);
  CHECK_THROWS_AS(postgres::connect("host='unterminated", servers::trust()), InputError);
}

TEST_CASE("an impostor with another CA's certificate is refused and gets no startup packet") {
  auto fake = tls_fake(servers::cert("impostor"));
  auto c = postgres::connect(url("localhost", std::to_string(fake.port())), servers::trust());
  CHECK(c.report.outcome == Outcome::untrusted_issuer);
  CHECK_FALSE(c.conn);
  check_no_credentials(fake);
}

TEST_CASE("an impostor with a same-CA certificate for another name is refused and gets nothing") {
  auto fake = tls_fake(servers::cert("wrong-name"));
  auto c = postgres::connect(url("localhost", std::to_string(fake.port())), servers::trust());
  CHECK(c.report.outcome == Outcome::name_mismatch);
  check_no_credentials(fake);
}

TEST_CASE("a fake answering N is refused and gets no startup packet") {
  fakes::FakeServer fake([](fakes::Conn& c) {
    if (fakes::pg_expect_ssl_request(c)) c.write("N");
    c.drain(500);
  });
  auto c = postgres::connect(url("localhost", std::to_string(fake.port())), servers::trust());
  CHECK(c.report.outcome == Outcome::tls_unavailable);
  check_no_credentials(fake);
}

TEST_CASE("a pin refusal happens in-band, before the startup packet (the fake would have seen it)") {
  // The fake holds a valid certificate for localhost from the right CA, so libpq's own
  // verify-full accepts it; only verifull's pin stands between it and the credentials.
  const auto valid = servers::cert("server2");
  {
    auto control = tls_fake(valid);
    auto c = postgres::connect(url("localhost", std::to_string(control.port())), servers::trust());
    CHECK(c.report.outcome != Outcome::ok);  // the fake speaks no further protocol
    CHECK_MESSAGE(control.received().find(servers::user()) != std::string::npos,
                  "control: without a pin, libpq sends the startup packet to this fake");
  }
  auto fake = tls_fake(valid);
  const auto real = check(parse_url(url("localhost", servers::pg_port())), servers::trust(), Policy{});
  Policy pinned;
  pinned.pins = {real.chain[0].spki_sha256};  // the real server's key, not the fake's
  auto c = postgres::connect(url("localhost", std::to_string(fake.port())), servers::trust(), pinned);
  CHECK(c.report.outcome == Outcome::pin_mismatch);
  CHECK(fake.connections() == 1);  // refused in-band: no second connection, no probe
  CHECK(fake.received().size() == 8);  // the SSLRequest, then nothing inside TLS
  check_no_credentials(fake);
}

TEST_CASE("multi-host: every host attempted is checked") {
  auto fake = tls_fake(servers::cert("server2"));
  const auto real = check(parse_url(url("localhost", servers::pg_port())), servers::trust(), Policy{});
  Policy pinned;
  pinned.pins = {real.chain[0].spki_sha256};
  const std::string both_ports = std::to_string(fake.port()) + "," + servers::pg_port();
  const std::string conninfo = "host=localhost,localhost port=" + both_ports + " user=" + servers::user() +
                               " password=" + servers::password() + " dbname=" + servers::database();
  auto c = postgres::connect(conninfo, servers::trust(), pinned);
  CHECK(c.report.outcome == Outcome::pin_mismatch);
  CHECK(c.report.endpoint == "localhost:" + std::to_string(fake.port()));
  check_no_credentials(fake);
  // A first host that refuses TCP is skipped by libpq; the second is verified.
  const std::string refused_then_real = "host=127.0.0.2,localhost port=" + servers::pg_port() + "," +
                                        servers::pg_port() + " user=" + servers::user() + " password=" +
                                        servers::password() + " dbname=" + servers::database();
  auto ok = postgres::connect(refused_then_real, servers::trust(), pinned);
  CHECK_MESSAGE(ok.report.ok(), ok.report.message);
}

TEST_CASE("conninfo() gives libpq a hardened string whose anchors file outlives the Trust and is never reused") {
  std::string s;
  std::string path;
  {
    auto trust = servers::trust();
    s = postgres::conninfo(url("localhost", servers::pg_port()), trust);
    path = trust.anchors_file();
  }  // the Trust is gone; the string must stay correct
  CHECK(s.find("sslmode='verify-full'") != std::string::npos);
  CHECK(s.find("gssencmode='disable'") != std::string::npos);
  CHECK(s.find("sslrootcert='" + path + "'") != std::string::npos);
  CHECK(s.find("ssl_min_protocol_version='TLSv1.2'") != std::string::npos);
  // Another Trust (another CA) made afterwards gets its own file: no path is reused.
  auto other = servers::trust("other-ca.pem");
  CHECK(other.anchors_file() != path);
  ScopedEnv env({{"PGSSLMODE", "disable"}});
  PGconn* conn = PQconnectdb(s.c_str());
  CHECK_MESSAGE(PQstatus(conn) == CONNECTION_OK, PQerrorMessage(conn));
  CHECK(PQsslInUse(conn) == 1);
  PQfinish(conn);
  // The file holds exactly the anchors, and only its owner can reach its folder.
  CHECK(access(path.c_str(), R_OK) == 0);
  struct stat dir {};
  REQUIRE(stat(std::filesystem::path(path).parent_path().c_str(), &dir) == 0);
  CHECK((dir.st_mode & 077) == 0);
}

TEST_CASE("the non-blocking AsyncConnect can be driven by an event loop") {
  postgres::AsyncConnect async(url("localhost", servers::pg_port()), servers::trust());
  int steps = 0;
  while (async.step() != postgres::AsyncConnect::Wait::done) {
    pollfd p{async.socket(), static_cast<short>(async.wait() == postgres::AsyncConnect::Wait::read ? POLLIN : POLLOUT), 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    ++steps;
  }
  auto c = async.finish();
  CHECK(steps > 2);
  REQUIRE_MESSAGE(c.report.ok(), c.report.message);
  CHECK(query_one(c.conn.get(), "SELECT 2") == "2");
}

TEST_CASE("the C ABI connects, reports, and hands over the PGconn") {
  vf_trust_t trust = nullptr;
  REQUIRE(vf_trust_from_file(&trust, servers::pki("ca.pem").c_str()) == VF_OK);
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  vf_pg_t pg = nullptr;
  REQUIRE(vf_pg_connect(&pg, url("localhost", servers::pg_port()).c_str(), trust, &opts) == VF_OK);
  vf_report_t report = nullptr;
  REQUIRE(vf_pg_report(pg, &report) == VF_OK);
  int outcome = -1;
  vf_report_outcome(report, &outcome);
  CHECK(outcome == VF_OUTCOME_OK);
  void* conn = nullptr;
  REQUIRE(vf_pg_release(pg, &conn) == VF_OK);
  REQUIRE(conn != nullptr);
  CHECK(query_one(static_cast<PGconn*>(conn), "SELECT 3") == "3");
  PQfinish(static_cast<PGconn*>(conn));
  vf_report_destroy(report);
  vf_pg_destroy(pg);

  vf_pg_t refused = nullptr;
  REQUIRE(vf_pg_connect(&refused, url("127.0.0.1", servers::pg_port()).c_str(), trust, &opts) == VF_OK);
  REQUIRE(vf_pg_report(refused, &report) == VF_OK);
  vf_report_outcome(report, &outcome);
  CHECK(outcome == VF_OUTCOME_NAME_MISMATCH);
  CHECK(vf_pg_conn(refused, &conn) == VF_OK);
  CHECK(conn == nullptr);
  vf_report_destroy(report);
  vf_pg_destroy(refused);

  CHECK(vf_pg_connect(&pg, (url("localhost", servers::pg_port()) + "?sslmode=require").c_str(), trust, &opts) ==
        VF_ERROR_INPUT);
  char buf[2048];
  size_t len = sizeof buf;
  CHECK(vf_pg_conninfo(url("localhost", servers::pg_port()).c_str(), trust, &opts, buf, &len) == VF_OK);
  CHECK(std::string(buf).find("verify-full") != std::string::npos);

  // Non-blocking through the C ABI.
  REQUIRE(vf_pg_connect_start(&pg, url("localhost", servers::pg_port()).c_str(), trust, &opts) == VF_OK);
  int wait = 0, fd = -1;
  for (;;) {
    REQUIRE(vf_pg_connect_poll(pg, &wait, &fd) == VF_OK);
    if (wait == VF_WAIT_DONE) break;
    pollfd p{fd, static_cast<short>(wait == VF_WAIT_READ ? POLLIN : POLLOUT), 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
  }
  REQUIRE(vf_pg_report(pg, &report) == VF_OK);
  vf_report_outcome(report, &outcome);
  CHECK(outcome == VF_OUTCOME_OK);
  vf_report_destroy(report);
  vf_pg_destroy(pg);
  vf_trust_destroy(trust);
}

TEST_CASE("verifull connect runs the query; the password may come from PGPASSWORD") {
  auto r = testcli::verifull({"connect", url("localhost", servers::pg_port()), "--ca", servers::pki("ca.pem"),
                              "--query", "SELECT 40 + 2 AS answer", "--json"});
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["outcome"] == "ok");
  CHECK(j["rows"][0][0] == 42);  // typed: a number
  ScopedEnv env({{"PGPASSWORD", servers::password()}});
  const auto no_password = "postgres://" + servers::user() + "@localhost:" + servers::pg_port() + "/" + servers::database();
  auto p = testcli::verifull({"connect", no_password, "--ca", servers::pki("ca.pem")});
  CHECK(p.exit_code == 0);
  CHECK(p.out.find("query: SELECT 1") != std::string::npos);
  CHECK(testcli::verifull({"connect", url("127.0.0.1", servers::pg_port()), "--ca", servers::pki("ca.pem")}).exit_code == 1);
  CHECK(testcli::verifull({"connect", url("localhost", servers::pg_port(), "?sslmode=disable"), "--ca",
                           servers::pki("ca.pem")}).exit_code == 2);
}

namespace {
// A fake on 127.0.0.3 at the real server's port: where PGHOSTADDR or a service file
// would redirect libpq. It presents the impostor's certificate and records.
fakes::FakeServer redirect_target() {
  const auto impostor = servers::cert("impostor");
  return fakes::FakeServer(
      [impostor](fakes::Conn& c) {
        if (fakes::pg_expect_ssl_request(c)) {
          c.write("S");
          if (c.start_tls(impostor)) c.drain(500);
        }
      },
      "127.0.0.3", static_cast<std::uint16_t>(std::stoi(servers::pg_port())));
}
}  // namespace

TEST_CASE("PGHOSTADDR, PGPORT and PGSERVICE cannot redirect a connection; ?service= is an input error") {
  auto fake = redirect_target();
  const std::string dir = std::filesystem::temp_directory_path() / "verifull-pg-service";
  std::filesystem::create_directories(dir);
  testpki::write_file(dir + "/pg_service.conf", "[elsewhere]\nhostaddr=127.0.0.3\nport=1\n");
  ScopedEnv env({{"PGHOSTADDR", "127.0.0.3"},
                 {"PGPORT", "1"},
                 {"PGSERVICE", "elsewhere"},
                 {"PGSERVICEFILE", dir + "/pg_service.conf"}});
  auto c = postgres::connect(url("localhost", servers::pg_port()), servers::trust());
  CHECK_MESSAGE(c.report.ok(), c.report.message);
  CHECK(fake.connections() == 0);
  // The conninfo string for other libpq users is pinned the same way.
  PGconn* conn = PQconnectdb(postgres::conninfo(url("localhost", servers::pg_port()), servers::trust()).c_str());
  CHECK_MESSAGE(PQstatus(conn) == CONNECTION_OK, PQerrorMessage(conn));
  PQfinish(conn);
  CHECK(fake.connections() == 0);
  CHECK_THROWS_WITH_AS(postgres::connect(url("localhost", servers::pg_port(), "?service=elsewhere"), servers::trust()),
                       doctest::Contains("service file outside your code"), InputError);
  CHECK_THROWS_AS(postgres::connect("host=localhost servicefile=/tmp/x.conf", servers::trust()), InputError);
  std::filesystem::remove_all(dir);
}

TEST_CASE("?hostaddr= is dialled by check and by connect alike, and the name is still verified") {
  // A transparent relay on 127.0.0.3 to the real server: whoever dials hostaddr reaches it.
  fakes::FakeServer relay([](fakes::Conn& c) { c.forward_to(static_cast<std::uint16_t>(std::stoi(servers::pg_port()))); },
                          "127.0.0.3", static_cast<std::uint16_t>(std::stoi(servers::pg_port())));
  const auto u = url("localhost", servers::pg_port(), "?hostaddr=127.0.0.3");
  const auto probed = check(parse_url(u), servers::trust(), Policy{});
  CHECK_MESSAGE(probed.ok(), probed.message);
  CHECK(relay.connections() == 1);
  auto c = postgres::connect(u, servers::trust());
  CHECK_MESSAGE(c.report.ok(), c.report.message);
  CHECK(relay.connections() == 2);
  CHECK_THROWS_AS(check(parse_url(url("localhost", servers::pg_port(), "?hostaddr=not-an-ip")), servers::trust(), Policy{}),
                  InputError);
}

TEST_CASE("TLS 1.2 without forward secrecy or AEAD is weak_tls, refused in-band before the startup packet") {
  // A certificate the client trusts for localhost (RSA: static-RSA suites need one):
  // only the cipher suite is wrong.
  for (const char* suite : {"AES128-SHA", "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA"}) {
    CAPTURE(std::string(suite));
    const auto genuine = servers::cert("server-rsa");
    fakes::FakeServer weak([genuine, suite](fakes::Conn& c) {
      if (fakes::pg_expect_ssl_request(c)) {
        c.write("S");
        if (c.start_tls(genuine, suite)) c.drain(500);
      }
    });
    auto c = postgres::connect(url("localhost", std::to_string(weak.port())), servers::trust());
    CHECK_MESSAGE(c.report.outcome == Outcome::weak_tls, outcome_name(c.report.outcome) << ": " << c.report.message);
    CHECK_FALSE(c.conn);
    check_no_credentials(weak);
    const auto probed = check(parse_url(url("localhost", std::to_string(weak.port()))), servers::trust(), Policy{});
    CHECK(probed.outcome == Outcome::weak_tls);
    const bool names_the_gap = probed.message.find("forward secrecy") != std::string::npos ||
                               probed.message.find("AEAD") != std::string::npos;
    CHECK_MESSAGE(names_the_gap, probed.message);
  }
}

TEST_CASE("the timeout bounds the whole call: a peer trickling the TLS handshake gets timeout, not twice the wait") {
  fakes::FakeServer slow([](fakes::Conn& c) { c.forward_to(static_cast<std::uint16_t>(std::stoi(servers::pg_port())), 150); });
  Policy policy;
  policy.timeout = std::chrono::seconds(3);
  const auto start = std::chrono::steady_clock::now();
  auto c = postgres::connect(url("localhost", std::to_string(slow.port())), servers::trust(), policy);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK_MESSAGE(c.report.outcome == Outcome::timeout, outcome_name(c.report.outcome) << ": " << c.report.message);
  CHECK(took < std::chrono::seconds(3) + std::chrono::milliseconds(1500));
  CHECK_FALSE(c.conn);
  check_no_credentials(slow);
  // The probe too.
  const auto probe_start = std::chrono::steady_clock::now();
  const auto probed = check(parse_url(url("localhost", std::to_string(slow.port()))), servers::trust(), policy);
  CHECK(probed.outcome == Outcome::timeout);
  CHECK(std::chrono::steady_clock::now() - probe_start < std::chrono::seconds(3) + std::chrono::milliseconds(1500));
}

TEST_CASE("CLI: connect --json types its rows; a wrong password or a failed query after verification exits 4") {
  auto typed = testcli::verifull({"connect", url("localhost", servers::pg_port()), "--ca", servers::pki("ca.pem"),
                                  "--query", "SELECT NULL AS n, 42 AS i, 2.5::float8 AS f, true AS b, 'x' AS s",
                                  "--json"});
  REQUIRE(typed.exit_code == 0);
  const auto row = nlohmann::json::parse(typed.out)["rows"][0];
  CHECK(row[0].is_null());
  CHECK(row[1] == 42);
  CHECK(row[2] == 2.5);
  CHECK(row[3] == true);
  CHECK(row[4] == "x");
  const auto wrong_password = "postgres://" + servers::user() + ":wrong@localhost:" + servers::pg_port() + "/" +
                              servers::database();
  auto login = testcli::verifull({"connect", wrong_password, "--ca", servers::pki("ca.pem"), "--json"});
  CHECK(login.exit_code == 4);
  CHECK(nlohmann::json::parse(login.out)["outcome"] == "connection_failed");
  auto query = testcli::verifull({"connect", url("localhost", servers::pg_port()), "--ca", servers::pki("ca.pem"),
                                  "--query", "SELECT * FROM no_such_table"});
  CHECK(query.exit_code == 4);
}

TEST_CASE("CLI: show --json gives the chain as check does, and with --ca the anchor it leads to") {
  auto bare = testcli::verifull({"show", url("localhost", servers::pg_port()), "--json"});
  REQUIRE(bare.exit_code == 0);
  const auto j = nlohmann::json::parse(bare.out);
  CHECK(j["protocol"] == "postgres");
  REQUIRE(j["chain"].size() == 1);
  for (const char* key : {"subject", "issuer", "sans", "not_before", "not_after", "sha256", "spki_sha256"})
    CHECK(j["chain"][0].contains(key));
  CHECK(j["verified"].is_null());
  auto with_ca = testcli::verifull({"show", url("localhost", servers::pg_port()), "--ca", servers::pki("ca.pem"),
                                    "--json"});
  const auto v = nlohmann::json::parse(with_ca.out)["verified"];
  CHECK(v["ok"] == true);
  CHECK(v["anchor"] == "CN=verifull demo CA");
  auto other = testcli::verifull({"show", url("localhost", servers::pg_port()), "--ca", servers::pki("other-ca.pem"),
                                  "--json"});
  CHECK(other.exit_code == 0);  // show trusts nothing: it reports, it does not refuse
  CHECK(nlohmann::json::parse(other.out)["verified"]["outcome"] == "untrusted_issuer");
}

TEST_CASE("PostgreSQL: a TLS record dripped one byte every 0.5 s ends at the deadline as timeout, naming the endpoint") {
  fakes::FakeServer drip([](fakes::Conn& c) {
    fakes::TlsRelayPlan plan;
    plan.mysql = false;
    plan.drip_from_server_record = 0;
    c.relay_tls(static_cast<std::uint16_t>(std::stoi(servers::pg_port())), plan);
  });
  Policy policy;
  policy.timeout = std::chrono::seconds(3);
  const auto start = std::chrono::steady_clock::now();
  auto c = postgres::connect(url("localhost", std::to_string(drip.port())), servers::trust(), policy);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3) + std::chrono::seconds(2));
  CHECK_MESSAGE(c.report.outcome == Outcome::timeout, outcome_name(c.report.outcome) << ": " << c.report.message);
  CHECK(c.report.endpoint == "localhost:" + std::to_string(drip.port()));
  CHECK_FALSE(c.conn);
  check_no_credentials(drip);
  // The CLI's report names it too.
  auto cli = testcli::verifull({"connect", url("localhost", std::to_string(drip.port())), "--ca",
                                servers::pki("ca.pem"), "--timeout", "2", "--json"});
  CHECK(cli.exit_code == 3);
  CHECK(cli.out.find("\"endpoint\":\"localhost:" + std::to_string(drip.port()) + "\"") != std::string::npos);
}

TEST_CASE("an event loop that waits at most time_left() ends a stalled connect at the deadline (C++ and C ABI)") {
  auto silent = fakes::FakeServer::silent();  // TCP connects, nothing ever answers the SSLRequest
  const std::string target = url("localhost", std::to_string(silent.port()));
  Policy policy;
  policy.timeout = std::chrono::seconds(1);
  auto start = std::chrono::steady_clock::now();
  postgres::AsyncConnect async(target, servers::trust(), policy);
  CHECK(async.time_left() <= std::chrono::seconds(1));
  while (async.step() != postgres::AsyncConnect::Wait::done) {
    pollfd p{async.socket(), static_cast<short>(async.wait() == postgres::AsyncConnect::Wait::read ? POLLIN : POLLOUT), 0};
    poll(&p, 1, static_cast<int>(async.time_left().count()));
  }
  CHECK(async.time_left() == std::chrono::milliseconds(0));
  auto c = async.finish();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1) + std::chrono::milliseconds(1500));
  CHECK_MESSAGE(c.report.outcome == Outcome::timeout, outcome_name(c.report.outcome) << ": " << c.report.message);
  CHECK(c.report.endpoint == "localhost:" + std::to_string(silent.port()));

  vf_trust_t trust = nullptr;
  REQUIRE(vf_trust_from_file(&trust, servers::pki("ca.pem").c_str()) == VF_OK);
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  opts.timeout_ms = 1000;
  vf_pg_t pg = nullptr;
  start = std::chrono::steady_clock::now();
  REQUIRE(vf_pg_connect_start(&pg, target.c_str(), trust, &opts) == VF_OK);
  int wait = 0, fd = -1;
  unsigned int left = 0;
  for (;;) {
    REQUIRE(vf_pg_connect_poll(pg, &wait, &fd) == VF_OK);
    if (wait == VF_WAIT_DONE) break;
    REQUIRE(vf_pg_connect_time_left(pg, &left) == VF_OK);
    CHECK(left <= 1000);
    pollfd p{fd, static_cast<short>(wait == VF_WAIT_READ ? POLLIN : POLLOUT), 0};
    poll(&p, 1, static_cast<int>(left));
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1) + std::chrono::milliseconds(1500));
  REQUIRE(vf_pg_connect_time_left(pg, &left) == VF_OK);
  CHECK(left == 0);
  vf_report_t report = nullptr;
  REQUIRE(vf_pg_report(pg, &report) == VF_OK);
  int outcome = -1;
  vf_report_outcome(report, &outcome);
  CHECK(outcome == VF_OUTCOME_TIMEOUT);
  CHECK(vf_pg_connect_time_left(pg, nullptr) == VF_ERROR_NULL_POINTER);
  vf_report_destroy(report);
  vf_pg_destroy(pg);
  vf_trust_destroy(trust);
}
