// No input crashes anything: every class of bad host, port and scheme, mixed with the
// real test servers, through `check --from FILE`, `check --from -`, several URL
// arguments and the C ABI's vf_check. Each bad endpoint is reported with its reason
// (and never with its password); the good ones are still verified.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "run_cli.hpp"
#include "servers_env.hpp"
#include "test_pki.hpp"
#include "verifull.h"

namespace {

const std::string kPassword = "bad-input-password-marker";

struct BadUrl {
  std::string url;
  std::string reason;  // what the message must say
};

// Every class of bad host, port and scheme. `port` is a real server's, so only the
// named defect makes each one bad.
std::vector<BadUrl> bad_urls(const std::string& port) {
  const std::string creds = "app:" + kPassword + "@";
  const std::string long_label(64, 'a');
  std::string long_name;
  for (int i = 0; i < 6; ++i) long_name += std::string(45, 'b') + ".";
  long_name += "example.com";  // 287 characters, every label short enough
  return {
      {"postgres://" + creds + "-bad.example.com:" + port, "starts or ends with a hyphen"},
      {"postgres://bad-.example.com:" + port, "starts or ends with a hyphen"},
      {"mysql://" + creds + "db.-bad.example.com:" + port, "starts or ends with a hyphen"},
      {"postgres://10.0.0:" + port, "looks like an IP address"},
      {"mysql://192.000.002.001:" + port, "looks like an IP address"},
      {"postgres://" + creds + ":" + port, "no host"},
      {"postgres://" + long_label + ".example.com:" + port, "longer than 63"},
      {"postgres://" + long_name + ":" + port, "1 to 253"},
      {"postgres://" + creds + "bad%01host:" + port, "is not allowed"},
      {"postgres://bad%00host:" + port, "%00"},
      {"mysql://bad\xE2\x80\xA8host:" + port, "is not allowed"},  // U+2028
      {"postgres://localhost:0", "port must be a number"},
      {"postgres://localhost:65536", "port must be a number"},
      {"mysql://" + creds + "localhost:abc", "port must be a number"},
      {"postgres://localhost:", "port must be a number"},
      {"http://" + creds + "localhost:" + port, "unknown scheme"},
      {"localhost:" + port, "no scheme"},
  };
}

std::vector<std::string> good_urls() {
  return {"postgres://localhost:" + servers::pg_port(), "mysql://localhost:" + servers::mysql_port()};
}

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> objects;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) objects.push_back(nlohmann::json::parse(line));
  return objects;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A list mixing the good endpoints with every bad one (and a raw NUL and a raw control
// byte, which only a file can hold); returns, per non-comment line, the reason expected
// ("" for a good endpoint).
std::vector<std::string> write_mixed_list(const std::string& path) {
  std::string text = "# a fleet with typos\n";
  std::vector<std::string> expected;
  const auto good = good_urls();
  text += good[0] + "\n";
  expected.push_back("");
  for (const auto& bad : bad_urls(servers::pg_port())) {
    text += bad.url + "\n";
    expected.push_back(bad.reason);
  }
  text += std::string("postgres://nul\0host:", 20) + servers::pg_port() + "\n";
  expected.push_back("is not allowed");
  text += "postgres://bell\ahost:" + servers::pg_port() + "\n";
  expected.push_back("is not allowed");
  text += good[1] + "\n";
  expected.push_back("");
  testpki::write_file(path, text);
  return expected;
}

void check_rows(const std::vector<nlohmann::json>& rows, const std::vector<std::string>& expected, bool with_lines) {
  REQUIRE(rows.size() == expected.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(i);
    CAPTURE(rows[i].dump());
    if (with_lines) CHECK(rows[i]["line"] == i + 2);  // after the comment line, in the file's order
    if (expected[i].empty()) {
      CHECK(rows[i]["outcome"] == "ok");
      CHECK(rows[i]["ok"] == true);
      continue;
    }
    CHECK(rows[i]["outcome"] == "input_error");
    CHECK(rows[i]["ok"] == false);
    CHECK(rows[i]["endpoint"].is_null());
    CHECK(contains(rows[i]["message"].get<std::string>(), expected[i]));
    CHECK(rows[i]["input"].get<std::string>().size() <= 150);
  }
}

}  // namespace

TEST_CASE("check --from FILE and --from -: each bad line is its own input_error row, the good ones verify") {
  const std::string list = servers::env("VERIFULL_SERVERS_DIR") + "/mixed-fleet.txt";
  const auto expected = write_mixed_list(list);
  for (const std::string& from : {list, std::string("-")}) {
    CAPTURE(from);
    auto r = testcli::verifull({"check", "--from", from, "--ca", servers::pki("ca.pem"), "--json", "--timeout", "5"},
                               from == "-" ? list : "");
    CHECK(r.exit_code == 2);  // the highest code: bad input (the good ones exit 0)
    CHECK_FALSE(contains(r.out + r.err, kPassword));
    CHECK_FALSE(contains(r.out + r.err, "terminate"));
    check_rows(json_lines(r.out), expected, true);
    CHECK(contains(r.err, std::to_string(expected.size()) + " endpoints: 2 ok, 0 refused, 0 unreachable, " +
                              std::to_string(expected.size() - 2) + " not checked (bad input)"));
  }
  // The table: one row per line, BAD INPUT rows named by their line in the messages.
  auto table = testcli::verifull({"check", "--from", list, "--ca", servers::pki("ca.pem"), "--timeout", "5"});
  CHECK(table.exit_code == 2);
  CHECK(contains(table.out, "input_error"));
  CHECK(contains(table.out, "BAD INPUT"));
  CHECK(contains(table.out, "line 3: invalid host name \"-bad.example.com\": a label starts or ends with a hyphen"));
  CHECK(contains(table.out, "localhost:" + servers::pg_port() + " "));
  CHECK(contains(table.out, "OK"));
  CHECK_FALSE(contains(table.out + table.err, kPassword));
}

TEST_CASE("check URL URL...: a bad argument is its own row, and one bad URL alone exits 2 with the reason") {
  std::vector<std::string> args = {"check", "--ca", servers::pki("ca.pem"), "--json", "--timeout", "5"};
  std::vector<std::string> expected;
  const auto good = good_urls();
  args.push_back(good[0]);
  expected.push_back("");
  for (const auto& bad : bad_urls(servers::mysql_port())) {
    args.push_back(bad.url);
    expected.push_back(bad.reason);
  }
  args.push_back(good[1]);
  expected.push_back("");
  auto r = testcli::verifull(args);
  CHECK(r.exit_code == 2);
  CHECK_FALSE(contains(r.out + r.err, kPassword));
  check_rows(json_lines(r.out), expected, false);

  for (const auto& bad : bad_urls(servers::pg_port())) {
    CAPTURE(bad.url);
    auto one = testcli::verifull({"check", bad.url, "--ca", servers::pki("ca.pem"), "--timeout", "5"});
    CHECK(one.exit_code == 2);  // was SIGABRT (134) for a bad host
    CHECK(contains(one.err, bad.reason));
    CHECK(one.out.empty());
    CHECK_FALSE(contains(one.err, kPassword));
  }
}

TEST_CASE("C ABI vf_check: a bad URL is VF_ERROR_INPUT with its reason, no report; the good ones verify") {
  vf_trust_t trust = nullptr;
  REQUIRE(vf_trust_from_file(&trust, servers::pki("ca.pem").c_str()) == VF_OK);
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  opts.timeout_ms = 5000;
  for (const auto& bad : bad_urls(servers::pg_port())) {
    CAPTURE(bad.url);
    vf_report_t report = nullptr;
    CHECK(vf_check(&report, bad.url.c_str(), trust, &opts) == VF_ERROR_INPUT);
    CHECK(report == nullptr);
    const std::string message = vf_last_error_message();
    CHECK(contains(message, bad.reason));
    CHECK_FALSE(contains(message, kPassword));
    // A long input is quoted by an excerpt, never whole.
    if (bad.url.size() > 150) CHECK_FALSE(contains(message, bad.url.substr(11, 150)));
  }
  for (const auto& url : good_urls()) {
    CAPTURE(url);
    vf_report_t report = nullptr;
    REQUIRE(vf_check(&report, url.c_str(), trust, &opts) == VF_OK);
    int outcome = -1;
    CHECK(vf_report_outcome(report, &outcome) == VF_OK);
    CHECK(outcome == VF_OUTCOME_OK);
    vf_report_destroy(report);
  }
  vf_trust_destroy(trust);
}
