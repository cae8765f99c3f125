// `verifull check --format prometheus|nagios` and --warn-days, against the real servers
// (tests/servers/servers.py): the metrics and perfdata carry the server certificate's real
// expiry, the Nagios exit codes 0-3, bad input rows, and never a password or user name.
// docs/design.md, section 5; the README's "Monitoring".
#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "fake_server.hpp"
#include "run_cli.hpp"
#include "servers_env.hpp"
#include "test_pki.hpp"

namespace {

// Runs the CLI (the namespace verifull of servers_env.hpp hides testcli::verifull).
testcli::Run run(const std::vector<std::string>& args) { return testcli::verifull(args); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

using servers::mysql_url;
using servers::pg_url;

// The TLS PostgreSQL dialled by an address its certificate does not name: name_mismatch.
std::string pg_by_ip() { return "postgres://127.0.0.1:" + servers::pg_port(); }
// A bad host with a user and password of its own: an input_error row.
const std::string bad_url = "postgres://monitor-user:monitor-S3cret@-bad.example.com:5432/db";

// Seconds from now until the certificate in `pem_path` expires, as OpenSSL reads it.
std::int64_t seconds_until_not_after(const std::string& pem_path) {
  FILE* f = std::fopen(pem_path.c_str(), "r");
  REQUIRE(f != nullptr);
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  REQUIRE(cert != nullptr);
  int days = 0, seconds = 0;
  REQUIRE(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)) == 1);
  X509_free(cert);
  return std::int64_t{days} * 86400 + seconds;
}

// The value of the sample whose name and labels are exactly `series`, or "" when absent.
std::string sample(const std::string& exposition, const std::string& series) {
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
  return "";
}

std::int64_t as_int(const std::string& text) {
  REQUIRE_MESSAGE(!text.empty(), "no such sample");
  return std::stoll(text);
}

// No password is ever printed.
void check_no_password(const std::string& text) {
  CHECK_MESSAGE(!contains(text, servers::password()), "the servers' password was printed");
  CHECK_MESSAGE(!contains(text, "monitor-S3cret"), "the bad URL's password was printed");
}

// Output a monitoring system stores (standard output): no password, nor the user of any
// URL given. Standard error quotes bad input as the table does (the user, password ***).
void check_no_credentials(const std::string& stored, const std::string& err) {
  check_no_password(stored + err);
  CHECK_MESSAGE(!contains(stored, servers::user()), "the user name was printed");
  CHECK_MESSAGE(!contains(stored, "monitor-user"), "the bad URL's user name was printed");
}

std::size_t line_count(const std::string& text) {
  std::size_t n = 0;
  for (const char c : text) n += c == '\n';
  return n;
}

// A perfdata entry "'label'=VALUE..." of a Nagios status line: VALUE and what follows.
std::string perf(const std::string& line, const std::string& label) {
  const auto at = line.find("'" + label + "'=");
  if (at == std::string::npos) return "";
  const auto start = at + label.size() + 3;
  return line.substr(start, line.find(' ', start) - start);
}

}  // namespace

TEST_CASE("check --format prometheus: per endpoint verified, outcome, leaf and chain expiry, duration") {
  const std::string ca = servers::pki("ca.pem");
  const std::string pg = "localhost:" + servers::pg_port();
  const std::string my = "localhost:" + servers::mysql_port();
  auto r = run({"check", pg_url(), mysql_url(), pg_by_ip(), bad_url, "--ca", ca, "--format", "prometheus"});
  CAPTURE(r.out);
  CAPTURE(r.err);
  CHECK(r.exit_code == 2);  // as the table's: the bad input row makes it at least 2
  for (const char* family : {"verifull_endpoint_verified", "verifull_leaf_expiry_seconds",
                             "verifull_chain_expiry_seconds", "verifull_check_duration_seconds"}) {
    CHECK(contains(r.out, std::string("# HELP ") + family + " "));
    CHECK(contains(r.out, std::string("# TYPE ") + family + " gauge\n"));
  }
  const std::string pg_id = "{endpoint=\"" + pg + "\",protocol=\"postgres\"}";
  const std::string my_id = "{endpoint=\"" + my + "\",protocol=\"mysql\"}";
  CHECK(sample(r.out, "verifull_endpoint_verified{endpoint=\"" + pg + "\",protocol=\"postgres\",outcome=\"ok\"}") == "1");
  CHECK(sample(r.out, "verifull_endpoint_verified{endpoint=\"" + my + "\",protocol=\"mysql\",outcome=\"ok\"}") == "1");
  CHECK(sample(r.out, "verifull_endpoint_verified{endpoint=\"127.0.0.1:" + servers::pg_port() +
                          "\",protocol=\"postgres\",outcome=\"name_mismatch\"}") == "0");
  // The bad row: named by its input without userinfo, not checked, so no other metric.
  CHECK(sample(r.out, "verifull_endpoint_verified{endpoint=\"postgres://-bad.example.com:5432/db\","
                      "outcome=\"input_error\"}") == "0");
  CHECK(!contains(r.out, "_seconds{endpoint=\"postgres://-bad"));
  CHECK(contains(r.err, "invalid host name"));  // why, for whoever runs it by hand

  // Both servers present pki/server.pem, whose anchor (10 years) outlives it: leaf and
  // chain expiry are its notAfter, within the seconds this test takes.
  const std::int64_t expected = seconds_until_not_after(servers::pki("server.pem"));
  for (const auto& id : {pg_id, my_id}) {
    CAPTURE(id);
    CHECK(std::llabs(as_int(sample(r.out, "verifull_leaf_expiry_seconds" + id)) - expected) <= 60);
    CHECK(std::llabs(as_int(sample(r.out, "verifull_chain_expiry_seconds" + id)) - expected) <= 60);
    const double duration = std::stod(sample(r.out, "verifull_check_duration_seconds" + id));
    CHECK(duration > 0);
    CHECK(duration < 10 + 5);  // the default --timeout, plus a margin
  }
  check_no_credentials(r.out, r.err);

  // A quote and a backslash in an input are escaped as the format requires.
  const std::string list = servers::env("VERIFULL_SERVERS_DIR") + "/monitoring-list.txt";
  testpki::write_file(list, "# endpoints\n" + pg_url() + "\npostgres://db\"x\\y:5432\n");
  auto listed = run({"check", "--from", list, "--ca", ca, "--format", "prometheus"});
  CAPTURE(listed.out);
  CHECK(listed.exit_code == 2);
  CHECK(sample(listed.out, "verifull_endpoint_verified{endpoint=\"postgres://db\\\"x\\\\y:5432\",line=\"3\","
                           "outcome=\"input_error\"}") == "0");
  CHECK(sample(listed.out, "verifull_endpoint_verified{endpoint=\"" + pg + "\",protocol=\"postgres\",outcome=\"ok\"}") ==
        "1");
  check_no_credentials(listed.out, listed.err);

  // All verified: exit 0, as the default format's.
  CHECK(run({"check", pg_url(), "--ca", ca, "--format", "prometheus"}).exit_code == 0);
  // The same endpoint twice is one series (a scraper refuses duplicates).
  auto twice = run({"check", pg_url(), pg_url(), "--ca", ca, "--format", "prometheus"});
  std::size_t series = 0;
  for (std::size_t at = twice.out.find("verifull_endpoint_verified{"); at != std::string::npos;
       at = twice.out.find("verifull_endpoint_verified{", at + 1))
    ++series;
  CHECK(series == 1);
}

TEST_CASE("check --format nagios: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, one status line with perfdata") {
  const std::string ca = servers::pki("ca.pem");
  const std::string pg = "localhost:" + servers::pg_port();
  const std::int64_t expected = seconds_until_not_after(servers::pki("server.pem"));
  // server.pem is valid for a year: OK by default, WARNING and CRITICAL with thresholds
  // beyond its expiry.
  struct Case {
    std::vector<std::string> extra;
    int exit_code;
    const char* status;
  };
  for (const Case& c : {Case{{}, 0, "VERIFULL OK - "}, Case{{"--warn-days", "400"}, 1, "VERIFULL WARNING - "},
                        Case{{"--warn-days", "400", "--crit-days", "400"}, 2, "VERIFULL CRITICAL - "}}) {
    std::vector<std::string> args = {"check", pg_url(), "--ca", ca, "--format", "nagios"};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    auto r = run(args);
    CAPTURE(r.out);
    CHECK(r.exit_code == c.exit_code);
    CHECK(r.out.rfind(c.status, 0) == 0);
    CHECK(line_count(r.out) == 1);
    const auto bar = r.out.find('|');
    REQUIRE(bar != std::string::npos);
    CHECK(r.out.find('|', bar + 1) == std::string::npos);
    // 'host:port expiry'=SECONDSs;WARN:;CRIT:;; (alert below the thresholds, in seconds)
    const std::string expiry = perf(r.out, pg + " expiry");
    CAPTURE(expiry);
    REQUIRE(!expiry.empty());
    CHECK(std::llabs(std::stoll(expiry) - expected) <= 60);
    const int warn = c.extra.empty() ? 30 : 400, crit = c.extra.size() == 4 ? 400 : 7;
    CHECK(expiry.substr(expiry.find('s')) ==
          "s;" + std::to_string(warn * 86400) + ":;" + std::to_string(crit * 86400) + ":;;");
    CHECK(perf(r.out, pg + " time").find("s;;;0;") != std::string::npos);
    CHECK(contains(r.out, c.exit_code == 0 ? "ok=1;;;0;1" : "ok=0;;;0;1"));
    check_no_credentials(r.out, r.err);
  }

  // Refused (name_mismatch) and unreachable endpoints are CRITICAL, with their outcome.
  auto refused = run({"check", pg_url(), pg_by_ip(), "--ca", ca, "--format", "nagios"});
  CAPTURE(refused.out);
  CHECK(refused.exit_code == 2);
  CHECK(refused.out.rfind("VERIFULL CRITICAL - 2 endpoints: 1 ok, 0 warning, 1 critical, 0 unknown; 127.0.0.1:", 0) == 0);
  CHECK(contains(refused.out, "(name_mismatch)"));
  fakes::FakeServer closed = fakes::FakeServer::silent();
  auto unreachable =
      run({"check", "postgres://127.0.0.1:" + std::to_string(closed.port()), "--ca", ca, "--format", "nagios",
                "--timeout", "1"});
  CHECK(unreachable.exit_code == 2);
  CHECK(unreachable.out.rfind("VERIFULL CRITICAL - ", 0) == 0);
  CHECK(contains(unreachable.out, "(timeout)"));

  // Bad input is UNKNOWN: an endpoint's URL, an option, an unreadable CA file.
  auto bad = run({"check", pg_url(), bad_url, "--ca", ca, "--format", "nagios"});
  CAPTURE(bad.out);
  CHECK(bad.exit_code == 3);
  CHECK(bad.out.rfind("VERIFULL UNKNOWN - 2 endpoints: 1 ok, 0 warning, 0 critical, 1 unknown; ", 0) == 0);
  CHECK(contains(bad.out, "(input_error)"));
  check_no_credentials(bad.out, bad.err);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"check", pg_url(), "--ca", ca, "--format", "nagios", "--no-such-option"},
           {"check", pg_url(), "--ca", ca + ".missing", "--format", "nagios"},
           {"check", pg_url(), "--ca", ca, "--format=nagios", "--crit-days", "31"},  // above --warn-days 30
           {"check", pg_url(), "--ca", ca, "--format", "nagios", "--json"}}) {
    auto r = run(args);
    CAPTURE(r.out);
    CHECK(r.exit_code == 3);
    CHECK(r.out.rfind("VERIFULL UNKNOWN - ", 0) == 0);
    CHECK(line_count(r.out) == 1);
    check_no_credentials(r.out, r.err);
  }

  // A --warn-days below the default --crit-days lowers it: WARNING and CRITICAL at 5 days.
  auto low = run({"check", pg_url(), "--ca", ca, "--format", "nagios", "--warn-days", "5"});
  CAPTURE(low.out);
  CHECK(low.exit_code == 0);
  CHECK(perf(low.out, pg + " expiry").find("s;432000:;432000:;;") != std::string::npos);

  // Many endpoints from a list: the worst state, CRITICAL before UNKNOWN.
  const std::string list = servers::env("VERIFULL_SERVERS_DIR") + "/nagios-list.txt";
  testpki::write_file(list, pg_url() + "\n" + mysql_url() + "\n");
  auto fleet = run({"check", "--from", list, "--ca", ca, "--format", "nagios"});
  CAPTURE(fleet.out);
  CHECK(fleet.exit_code == 0);
  CHECK(fleet.out.rfind("VERIFULL OK - 2 endpoints: 2 ok, 0 warning, 0 critical, 0 unknown; all verified", 0) == 0);
  CHECK(!perf(fleet.out, "localhost:" + servers::mysql_port() + " expiry").empty());
  testpki::write_file(list, pg_url() + "\n" + bad_url + "\n" + pg_by_ip() + "\n");
  auto mixed = run({"check", "--from", list, "--ca", ca, "--format", "nagios"});
  CAPTURE(mixed.out);
  CHECK(mixed.exit_code == 2);
  CHECK(mixed.out.rfind("VERIFULL CRITICAL - 3 endpoints: 1 ok, 0 warning, 1 critical, 1 unknown; ", 0) == 0);
  CHECK(contains(mixed.out, "line 2 "));
  check_no_credentials(fleet.out + mixed.out, fleet.err + mixed.err);
}

TEST_CASE("check --warn-days names an expiring certificate for a single endpoint too; the exit code stays 0") {
  const std::string ca = servers::pki("ca.pem");
  const std::string expiring = "expiring: localhost:" + servers::pg_port() + ": CN=localhost expires on ";
  auto text = run({"check", pg_url(), "--ca", ca, "--warn-days", "400"});
  CHECK(text.exit_code == 0);
  CHECK(contains(text.out, expiring));
  auto json = run({"check", pg_url(), "--ca", ca, "--warn-days", "400", "--json"});
  CHECK(json.exit_code == 0);
  CHECK(contains(json.err, expiring));  // standard output stays JSON Lines
  CHECK(!contains(json.out, "expiring:"));
  auto quiet = run({"check", pg_url(), "--ca", ca});  // a year away, default 30 days
  CHECK(quiet.exit_code == 0);
  CHECK(!contains(quiet.out + quiet.err, "expiring"));
}

TEST_CASE("check refuses monitoring options a format would ignore, by name") {
  const std::string ca = servers::pki("ca.pem");
  auto crit = run({"check", pg_url(), "--ca", ca, "--crit-days", "3"});
  CHECK(crit.exit_code == 2);
  CHECK(contains(crit.err, "--crit-days"));
  auto warn = run({"check", pg_url(), "--ca", ca, "--format", "prometheus", "--warn-days", "10"});
  CHECK(warn.exit_code == 2);
  CHECK(contains(warn.err, "--warn-days"));
  auto both = run({"check", pg_url(), "--ca", ca, "--format", "prometheus", "--json"});
  CHECK(both.exit_code == 2);
  CHECK(contains(both.err, "--json"));
  auto unknown = run({"check", pg_url(), "--ca", ca, "--format", "xml"});
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.err, "--format"));
  for (const auto* r : {&crit, &warn, &both, &unknown}) CHECK(r->out.empty());  // before any probe
}

TEST_CASE("the chain's expiry is its earliest certificate's, the trust anchor included; nagios names it") {
  // A CA that expires in 3.5 days (3 whole days left, whatever second this runs in) issued
  // a leaf valid for a year. No real server presents
  // such a chain, so a fake does; it gets the SSLRequest and the handshake, nothing else.
  testpki::Spec short_ca = testpki::ca_spec("Monitoring Short-Lived CA");
  short_ca.not_after = 3L * 86400 + 43200;
  const testpki::Cert root = testpki::make_root(short_ca);
  const testpki::Cert leaf = testpki::issue(root, testpki::leaf_spec("localhost", {"localhost"}));
  fakes::FakeServer fake([&](fakes::Conn& c) {
    if (!fakes::pg_expect_ssl_request(c)) return;
    c.write("S");
    if (c.start_tls(leaf)) c.drain(300);
  });
  const std::string dir = servers::env("VERIFULL_SERVERS_DIR");
  testpki::write_file(dir + "/short-ca.pem", root.pem());
  const std::string url = "postgres://monitor-user:monitor-S3cret@localhost:" + std::to_string(fake.port()) + "/db";
  const std::string id = "{endpoint=\"localhost:" + std::to_string(fake.port()) + "\",protocol=\"postgres\"}";

  auto prom = run({"check", url, "--ca", dir + "/short-ca.pem", "--format", "prometheus"});
  CAPTURE(prom.out);
  CHECK(prom.exit_code == 0);
  const std::int64_t leaf_left = as_int(sample(prom.out, "verifull_leaf_expiry_seconds" + id));
  const std::int64_t chain_left = as_int(sample(prom.out, "verifull_chain_expiry_seconds" + id));
  CHECK(std::llabs(leaf_left - 365L * 86400) <= 60);
  CHECK(std::llabs(chain_left - (3L * 86400 + 43200)) <= 60);

  auto nagios = run({"check", url, "--ca", dir + "/short-ca.pem", "--format", "nagios"});
  CAPTURE(nagios.out);
  CHECK(nagios.exit_code == 2);  // within the default --crit-days 7
  CHECK(nagios.out.rfind("VERIFULL CRITICAL - localhost:", 0) == 0);
  CHECK(contains(nagios.out, "CN=Monitoring Short-Lived CA expires in 3 days"));

  // The probe never sends a credential: the fake got only SSLRequests and handshakes.
  const std::string got = fake.received();
  CHECK(!contains(got, "monitor-user"));
  CHECK(!contains(got, "monitor-S3cret"));
  check_no_credentials(prom.out + nagios.out, prom.err + nagios.err);
}
