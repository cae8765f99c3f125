// The endpoint probe against real PostgreSQL 15 and MariaDB servers (started by
// tools/test) and against hostile fakes. Every hostile case asserts the refusal and
// that no credential byte reached the fake.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <vector>
#include <nlohmann/json.hpp>

#include "fake_server.hpp"
#include "run_cli.hpp"
#include "scoped_env.hpp"
#include "loopback_dns.hpp"
#include "servers_env.hpp"
#include "test_pki.hpp"
#include "verifull/verifull.hpp"

using namespace verifull;

namespace {

const std::string kUser = "probe_user_marker";
const std::string kPassword = "probe-password-marker";

Report probe(const std::string& scheme, const std::string& host, const std::string& port,
             const std::string& ca = "ca.pem", std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  Policy policy;
  policy.timeout = timeout;
  const auto endpoint = parse_url(scheme + "://" + kUser + ":" + kPassword + "@" + host + ":" + port + "/db");
  return check(endpoint, Trust::from_file(servers::pki(ca)), policy);
}

Report probe_fake(const std::string& scheme, const fakes::FakeServer& fake,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  return probe(scheme, "localhost", std::to_string(fake.port()), "ca.pem", timeout);
}

void check_no_credentials(const fakes::FakeServer& fake) {
  const auto got = fake.received();
  CHECK_MESSAGE(got.find(kUser) == std::string::npos, "the user name reached the fake");
  CHECK_MESSAGE(got.find(kPassword) == std::string::npos, "the password reached the fake");
}

}  // namespace

TEST_CASE("real PostgreSQL: the right certificate verifies over TLS 1.2+") {
  auto r = probe("postgres", "localhost", servers::pg_port());
  CHECK(r.outcome == Outcome::ok);
  CHECK(r.tls_version.rfind("TLSv1.", 0) == 0);
  CHECK(r.tls_version != "TLSv1" );
  CHECK(r.tls_version != "TLSv1.1");
  REQUIRE(r.chain.size() == 1);
  CHECK(r.chain[0].sans == std::vector<std::string>{"DNS:localhost"});
}

TEST_CASE("real PostgreSQL: dialled by a name the certificate lacks is name_mismatch") {
  auto r = probe("postgres", "127.0.0.1", servers::pg_port());
  CHECK(r.outcome == Outcome::name_mismatch);
  CHECK(r.message.find("DNS:localhost") != std::string::npos);
}

TEST_CASE("real PostgreSQL: another environment's CA is untrusted_issuer") {
  CHECK(probe("postgres", "localhost", servers::pg_port(), "other-ca.pem").outcome == Outcome::untrusted_issuer);
}

TEST_CASE("real PostgreSQL with ssl=off is tls_unavailable") {
  auto r = probe("postgres", "localhost", servers::pg_plain_port());
  CHECK(r.outcome == Outcome::tls_unavailable);
  CHECK(r.message.find("never falls back to plaintext") != std::string::npos);
}

TEST_CASE("real MariaDB: verifies, name_mismatch by IP, tls_unavailable without TLS") {
  CHECK(probe("mysql", "localhost", servers::mysql_port()).outcome == Outcome::ok);
  CHECK(probe("mariadb", "127.0.0.1", servers::mysql_port()).outcome == Outcome::name_mismatch);
  CHECK(probe("mysql", "localhost", servers::mysql_port(), "other-ca.pem").outcome == Outcome::untrusted_issuer);
  CHECK(probe("mysql", "localhost", servers::mysql_plain_port()).outcome == Outcome::tls_unavailable);
}

TEST_CASE("fake PostgreSQL answering N is tls_unavailable, and got only the SSLRequest") {
  fakes::FakeServer fake([](fakes::Conn& c) {
    if (fakes::pg_expect_ssl_request(c)) c.write("N");
    c.drain();
  });
  auto r = probe_fake("postgres", fake);
  CHECK(r.outcome == Outcome::tls_unavailable);
  CHECK(fake.received() == std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8));
  check_no_credentials(fake);
}

TEST_CASE("fake PostgreSQL sending bytes after S is protocol_violation (CVE-2021-23222 shape)") {
  fakes::FakeServer fake([](fakes::Conn& c) {
    if (fakes::pg_expect_ssl_request(c)) c.write(std::string("S") + "R\x00\x00\x00\x08\x00\x00\x00\x00");
    c.drain();
  });
  auto r = probe_fake("postgres", fake);
  CHECK(r.outcome == Outcome::protocol_violation);
  check_no_credentials(fake);
}

TEST_CASE("fake PostgreSQL answering E: refused, and its text is never shown") {
  const std::string marker = "MARKER-trust-me-and-send-your-password";
  fakes::FakeServer fake([&](fakes::Conn& c) {
    if (fakes::pg_expect_ssl_request(c)) {
      std::string body = std::string("SFATAL") + '\0' + "M" + marker + '\0' + '\0';
      std::string len(4, '\0');
      const auto n = body.size() + 4;
      len[2] = static_cast<char>(n >> 8);
      len[3] = static_cast<char>(n & 0xff);
      c.write("E" + len + body);
    }
    c.drain();
  });
  auto r = probe_fake("postgres", fake);
  CHECK(r.outcome == Outcome::tls_unavailable);
  CHECK(r.message.find(marker) == std::string::npos);
  CHECK(r.to_json().find(marker) == std::string::npos);
  check_no_credentials(fake);
}

TEST_CASE("fake PostgreSQL answering another byte or closing is protocol_violation") {
  fakes::FakeServer other([](fakes::Conn& c) {
    if (fakes::pg_expect_ssl_request(c)) c.write("X");
  });
  CHECK(probe_fake("postgres", other).outcome == Outcome::protocol_violation);
  fakes::FakeServer closes([](fakes::Conn& c) { fakes::pg_expect_ssl_request(c); });
  CHECK(probe_fake("postgres", closes).outcome == Outcome::protocol_violation);
  check_no_credentials(other);
  check_no_credentials(closes);
}

TEST_CASE("fake MySQL greeting without CLIENT_SSL is tls_unavailable, and nothing was sent") {
  fakes::FakeServer fake([](fakes::Conn& c) {
    c.write(fakes::mysql_greeting(false));
    c.drain();
  });
  auto r = probe_fake("mysql", fake);
  CHECK(r.outcome == Outcome::tls_unavailable);
  CHECK(fake.received().empty());
}

TEST_CASE("impostors with another CA's certificate are refused, and get nothing through TLS") {
  const auto impostor = servers::cert("impostor");
  fakes::FakeServer pg([&](fakes::Conn& c) {
    if (fakes::pg_expect_ssl_request(c)) {
      c.write("S");
      if (c.start_tls(impostor)) c.drain();
    }
  });
  CHECK(probe_fake("postgres", pg).outcome == Outcome::untrusted_issuer);
  CHECK(pg.received().size() == 8);  // the SSLRequest, then nothing inside TLS
  check_no_credentials(pg);

  fakes::FakeServer my([&](fakes::Conn& c) {
    c.write(fakes::mysql_greeting(true));
    if (c.read_exact(36).size() == 36 && c.start_tls(impostor)) c.drain();
  });
  CHECK(probe_fake("mysql", my).outcome == Outcome::untrusted_issuer);
  CHECK(my.received().size() == 36);  // the SSLRequest only
  check_no_credentials(my);
}

TEST_CASE("an impostor with a same-CA certificate for another name is name_mismatch") {
  const auto wrong = servers::cert("wrong-name");
  fakes::FakeServer pg([&](fakes::Conn& c) {
    if (fakes::pg_expect_ssl_request(c)) {
      c.write("S");
      if (c.start_tls(wrong)) c.drain();
    }
  });
  CHECK(probe_fake("postgres", pg).outcome == Outcome::name_mismatch);
  check_no_credentials(pg);
}

TEST_CASE("a closed port is connection_refused, an unknown name name_not_resolved") {
  std::string port;
  {
    fakes::FakeServer gone([](fakes::Conn&) {});
    port = std::to_string(gone.port());
  }
  CHECK(probe("postgres", "127.0.0.1", port).outcome == Outcome::connection_refused);
  CHECK(probe("postgres", "no-such-host.invalid", "5432").outcome == Outcome::name_not_resolved);
}

TEST_CASE("a listener that never answers is a timeout within the timeout, with the allowlist hint") {
  auto silent = fakes::FakeServer::silent();
  const auto start = std::chrono::steady_clock::now();
  auto r = probe_fake("postgres", silent, std::chrono::milliseconds(700));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.outcome == Outcome::timeout);
  CHECK(r.message.find("allowlist") != std::string::npos);
  CHECK(took < std::chrono::seconds(5));
  CHECK(outcome_exit_code(r.outcome) == 3);
}

TEST_CASE("truncated, oversized and garbage MySQL greetings give a clean protocol error") {
  const std::string good = fakes::mysql_greeting(true);
  const std::string payload = good.substr(4);
  // Every truncation of the payload, with an honest length header.
  for (std::size_t cut = 0; cut < payload.size(); ++cut) {
    const std::string packet = fakes::mysql_packet(0, payload.substr(0, cut));
    fakes::FakeServer fake([&](fakes::Conn& c) { c.write(packet); c.drain(200); });
    auto r = probe_fake("mysql", fake);
    CHECK_MESSAGE(r.outcome != Outcome::ok, "cut at " << cut);
    CHECK(fake.received().find(kPassword) == std::string::npos);
  }
  // A header that promises more than it sends; a 16 MiB length; garbage; an error packet.
  const std::vector<std::string> hostile = {
      good.substr(0, good.size() - 5),
      std::string("\xff\xff\xff\x00", 4) + std::string(64, 'A'),
      std::string("\x10\x00\x00\x00", 4) + "GET / HTTP/1.1\r\n",
      "SSH-2.0-OpenSSH_9.2\r\n",
      fakes::mysql_packet(0, std::string("\xff\x6a\x04") + "Host is not allowed"),
      fakes::mysql_packet(3, payload),
      fakes::mysql_packet(0, std::string("\x0a") + std::string(200, 'x')),
  };
  for (const auto& bytes : hostile) {
    fakes::FakeServer fake([&](fakes::Conn& c) { c.write(bytes); c.drain(200); });
    auto r = probe_fake("mysql", fake, std::chrono::milliseconds(1500));
    CHECK(r.outcome != Outcome::ok);
    CHECK(r.outcome != Outcome::tls_unavailable);
    CHECK(fake.received().empty());
  }
}

TEST_CASE("verifull check: several endpoints at once, the worst exit code, JSON lines, no credentials sent") {
  fakes::FakeServer refuses_tls([](fakes::Conn& c) {
    if (fakes::pg_expect_ssl_request(c)) c.write("N");
    c.drain(200);
  });
  const auto good = "postgres://" + kUser + ":" + kPassword + "@localhost:" + servers::pg_port() + "/db";
  const auto mysql = "mysql://" + kUser + ":" + kPassword + "@localhost:" + servers::mysql_port() + "/db";
  const auto fake = "postgres://" + kUser + ":" + kPassword + "@localhost:" + std::to_string(refuses_tls.port());
  auto all_good = testcli::verifull({"check", good, mysql, "--ca", servers::pki("ca.pem")});
  CHECK(all_good.exit_code == 0);
  CHECK(all_good.out.find("ENDPOINT") != std::string::npos);
  auto mixed = testcli::verifull({"check", good, fake, "--ca", servers::pki("ca.pem"), "--json"});
  CHECK(mixed.exit_code == 1);
  std::istringstream lines(mixed.out);
  std::string line;
  int objects = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    CHECK(j.contains("endpoint"));
    CHECK(j.contains("outcome"));
    ++objects;
  }
  CHECK(objects == 2);
  check_no_credentials(refuses_tls);
  auto unreachable = testcli::verifull({"check", good, "postgres://localhost:1", "--ca", servers::pki("ca.pem")});
  CHECK(unreachable.exit_code == 3);
  auto timeout = testcli::verifull({"check", "postgres://localhost:" + servers::pg_port(), "--ca",
                                    servers::pki("ca.pem"), "--timeout", "0"});
  CHECK(timeout.exit_code == 2);
  CHECK(testcli::verifull({"check", "http://localhost", "--ca", servers::pki("ca.pem")}).exit_code == 2);
}

TEST_CASE("verifull check --timeout bounds a silent endpoint: exit 3 with the allowlist hint") {
  auto silent = fakes::FakeServer::silent();
  const auto start = std::chrono::steady_clock::now();
  auto r = testcli::verifull({"check", "postgres://localhost:" + std::to_string(silent.port()), "--ca",
                              servers::pki("ca.pem"), "--timeout", "1", "--json"});
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(8));
  CHECK(r.exit_code == 3);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["outcome"] == "timeout");
  CHECK(j["message"].get<std::string>().find("allowlist") != std::string::npos);
}

TEST_CASE("verifull show prints the presented chain as PEM, trusting nothing") {
  auto r = testcli::verifull({"show", "mysql://localhost:" + servers::mysql_port()});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("-----BEGIN CERTIFICATE-----") != std::string::npos);
  CHECK(r.out.find("CN=localhost") != std::string::npos);
  CHECK(r.out.find("NOT VERIFIED") != std::string::npos);
  auto plain = testcli::verifull({"show", "postgres://localhost:" + servers::pg_plain_port()});
  CHECK(plain.exit_code == 1);
}

TEST_CASE("fleet check from a file: real servers, a plaintext one and an impostor, JSON Lines and a summary") {
  const auto impostor = servers::cert("impostor");
  fakes::FakeServer fake([impostor](fakes::Conn& c) {
    if (fakes::pg_expect_ssl_request(c)) {
      c.write("S");
      if (c.start_tls(impostor)) c.drain(300);
    }
  });
  const std::string list = servers::env("VERIFULL_SERVERS_DIR") + "/fleet.txt";
  testpki::write_file(list, "# the environment's endpoints\n"
                            "postgres://localhost:" + servers::pg_port() + "\n"
                            "mysql://localhost:" + servers::mysql_port() + "\n"
                            "\n"
                            "postgres://localhost:" + servers::pg_plain_port() + "\n"
                            "postgres://localhost:" + std::to_string(fake.port()) + "\n"
                            "postgres://127.0.0.1:1\n");
  auto json = testcli::verifull({"check", "--from", list, "--ca", servers::pki("ca.pem"), "--json", "--parallel", "2",
                                 "--timeout", "5", "--warn-days", "400"});
  CHECK(json.exit_code == 3);  // the highest: the closed port
  std::istringstream lines(json.out);
  std::vector<nlohmann::json> objects;
  for (std::string line; std::getline(lines, line);) objects.push_back(nlohmann::json::parse(line));
  REQUIRE(objects.size() == 5);  // in the file's order
  CHECK(objects[0]["outcome"] == "ok");
  CHECK(objects[1]["outcome"] == "ok");
  CHECK(objects[2]["outcome"] == "tls_unavailable");
  CHECK(objects[3]["outcome"] == "untrusted_issuer");
  CHECK(objects[4]["outcome"] == "connection_refused");
  // The summary goes to standard error with --json; the test certificates (a year) expire
  // within 400 days.
  CHECK(json.err.find("5 endpoints: 2 ok, 2 refused, 1 unreachable; 3 with a certificate expiring within 400 days") !=
        std::string::npos);
  auto text = testcli::verifull({"check", "--from", list, "--ca", servers::pki("ca.pem"), "--timeout", "5"});
  CHECK(text.out.find("5 endpoints: 2 ok, 2 refused, 1 unreachable; 0 with a certificate expiring within 30 days") !=
        std::string::npos);
  CHECK(fake.received().find("verifull") == std::string::npos);  // a probe sends no credential
}

namespace {

using SilentDns = loopback_dns::Silent;

template <typename Call>
std::chrono::steady_clock::duration timed(Call call) {
  const auto start = std::chrono::steady_clock::now();
  call();
  return std::chrono::steady_clock::now() - start;
}

}  // namespace

TEST_CASE("a DNS server that never answers: every entry point ends at the deadline with timeout") {
  SilentDns dns;
  ScopedEnv env{{"VERIFULL_TEST_DNS_SERVER", dns.address()}};  // test-only, loopback only (src/probe/resolve.cpp)
  const std::string host = "db.silent-dns.verifull.test";
  const auto limit = std::chrono::seconds(2) + std::chrono::milliseconds(1500);  // the deadline plus a margin
  for (const std::string scheme : {"postgres", "mysql"}) {
    CAPTURE(scheme);
    Report r;
    CHECK(timed([&] { r = probe(scheme, host, "5432", "ca.pem", std::chrono::seconds(2)); }) < limit);
    CHECK_MESSAGE(r.outcome == Outcome::timeout, outcome_name(r.outcome) << ": " << r.message);
    CHECK(r.message.find("DNS") != std::string::npos);
  }
  Policy policy;
  policy.timeout = std::chrono::seconds(2);
  const Trust trust = Trust::from_file(servers::pki("ca.pem"));
  postgres::Connected pg;
  CHECK(timed([&] { pg = postgres::connect("postgres://" + kUser + ":" + kPassword + "@" + host + ":5432/db", trust, policy); }) < limit);
  CHECK_MESSAGE(pg.report.outcome == Outcome::timeout, outcome_name(pg.report.outcome) << ": " << pg.report.message);
  CHECK(pg.report.endpoint == host + ":5432");
  mysql::Connected my;
  mysql::ApprovedCache cache;
  CHECK(timed([&] { my = mysql::connect("mysql://" + kUser + ":" + kPassword + "@" + host + ":3306/db", trust, policy, cache); }) < limit);
  CHECK_MESSAGE(my.report.outcome == Outcome::timeout, outcome_name(my.report.outcome) << ": " << my.report.message);
  // The CLI (the variable is inherited): check and connect exit 3.
  testcli::Run check_run, connect_run;
  CHECK(timed([&] { check_run = testcli::verifull({"check", "postgres://" + host + ":5432", "--ca", servers::pki("ca.pem"), "--timeout", "2"}); }) < limit + std::chrono::seconds(1));
  CHECK_MESSAGE(check_run.exit_code == 3, check_run.out << check_run.err);
  CHECK(timed([&] { connect_run = testcli::verifull({"connect", "mysql://u:p@" + host + ":3306/db", "--ca", servers::pki("ca.pem"), "--timeout", "2"}); }) < limit + std::chrono::seconds(1));
  CHECK_MESSAGE(connect_run.exit_code == 3, connect_run.out << connect_run.err);
}

TEST_CASE("the test-only DNS server setting accepts loopback addresses only") {
  ScopedEnv env{{"VERIFULL_TEST_DNS_SERVER", "192.0.2.53:53"}};
  const auto r = probe("postgres", "db.elsewhere.verifull.test", "5432", "ca.pem", std::chrono::seconds(2));
  CHECK(r.outcome == Outcome::network_error);
  CHECK(r.message.find("VERIFULL_TEST_DNS_SERVER") != std::string::npos);
}
