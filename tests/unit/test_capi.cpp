// The C ABI contract: codes, caller buffers, handles, last error; no exception crosses.
#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "loopback_dns.hpp"
#include "scoped_env.hpp"
#include "test_pki.hpp"
#include "verifull.h"

namespace {

struct Fixture {
  testpki::Cert root = testpki::make_root(testpki::ca_spec("CAPI CA"));
  testpki::Cert leaf = testpki::issue(root, testpki::leaf_spec("db", {"db.example.com"}));
};

Fixture& fx() {
  static Fixture f;
  return f;
}

vf_trust_t load_trust() {
  vf_trust_t trust = nullptr;
  const auto pem = fx().root.pem();
  REQUIRE(vf_trust_from_pem(&trust, pem.data(), pem.size()) == VF_OK);
  return trust;
}

vf_report_t verify(vf_trust_t trust, const char* host) {
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  opts.host = host;
  vf_report_t report = nullptr;
  const auto pem = fx().leaf.pem();
  REQUIRE(vf_verify_pem(&report, pem.data(), pem.size(), nullptr, 0, trust, &opts) == VF_OK);
  return report;
}

std::string message_of(vf_report_t report) {
  size_t len = 0;
  CHECK(vf_report_message(report, nullptr, &len) == VF_ERROR_BUFFER_TOO_SMALL);
  std::string buf(len, '\0');
  CHECK(vf_report_message(report, buf.data(), &len) == VF_OK);
  buf.resize(len - 1);
  return buf;
}

}  // namespace

TEST_CASE("the ABI version and outcome names are available at run time") {
  CHECK(vf_abi_version() == VERIFULL_ABI_VERSION);
  CHECK(std::string(vf_version_string()) == VERIFULL_VERSION_STRING);
  CHECK(std::string(vf_outcome_name(VF_OUTCOME_NAME_MISMATCH)) == "name_mismatch");
  CHECK(std::string(vf_outcome_name(VF_OUTCOME_OK)) == "ok");
  CHECK(std::string(vf_outcome_name(12345)) == "unknown");
}

TEST_CASE("vf_error_description: a distinct fixed sentence for every code, never NULL, and no change to the last error") {
  const int codes[] = {VF_OK,           VF_ERROR_INPUT,       VF_ERROR_NULL_POINTER,  VF_ERROR_INVALID_HANDLE,
                       VF_ERROR_BUFFER_TOO_SMALL, VF_ERROR_NETWORK, VF_ERROR_BAD_VERSION, VF_ERROR_OUT_OF_RANGE,
                       VF_ERROR_INTERNAL};
  const std::string unknown = vf_error_description(12345);
  CHECK(unknown == "unknown error code");
  CHECK(std::string(vf_error_description(-8)) == unknown);
  std::vector<std::string> seen;
  for (const int code : codes) {
    const char* text = vf_error_description(code);
    REQUIRE(text != nullptr);
    const std::string description = text;
    CAPTURE(code);
    CHECK_FALSE(description.empty());
    CHECK(description != unknown);
    for (const auto& other : seen) CHECK(description != other);
    seen.push_back(description);
  }
  CHECK(std::string(vf_error_description(VF_ERROR_INPUT)) == "bad input");
  // It reports no failure of its own: the last error stays the caller's.
  vf_trust_t trust = nullptr;
  CHECK(vf_trust_from_pem(&trust, "junk", 4) == VF_ERROR_INPUT);
  const std::string before = vf_last_error_message();
  (void)vf_error_description(VF_ERROR_INTERNAL);
  CHECK(std::string(vf_last_error_message()) == before);
}

TEST_CASE("every handle family refuses the others' handles and names itself in the message") {
  vf_trust_t trust = load_trust();
  vf_report_t report = verify(trust, "db.example.com");
  void* conn = nullptr;
  vf_report_t out = nullptr;
  unsigned int ms = 0;
  size_t count = 0;
  const auto message_names = [](const char* family) {
    return std::string(vf_last_error_message()) == std::string("not a valid ") + family + " handle";
  };
  CHECK(vf_trust_anchor_count(reinterpret_cast<vf_trust_t>(report), &count) == VF_ERROR_INVALID_HANDLE);
  CHECK(message_names("trust"));
  CHECK(vf_pg_conn(reinterpret_cast<vf_pg_t>(trust), &conn) == VF_ERROR_INVALID_HANDLE);
  CHECK(message_names("pg"));
  CHECK(vf_pg_connect_time_left(reinterpret_cast<vf_pg_t>(report), &ms) == VF_ERROR_INVALID_HANDLE);
  CHECK(vf_mysql_report(reinterpret_cast<vf_mysql_t>(trust), &out) == VF_ERROR_INVALID_HANDLE);
  CHECK(message_names("mysql"));
  CHECK(out == nullptr);
  CHECK(vf_mysql_destroy(reinterpret_cast<vf_mysql_t>(report)) == VF_ERROR_INVALID_HANDLE);
  CHECK(vf_pg_destroy(reinterpret_cast<vf_pg_t>(report)) == VF_ERROR_INVALID_HANDLE);
  CHECK(vf_trust_destroy(reinterpret_cast<vf_trust_t>(report)) == VF_ERROR_INVALID_HANDLE);
  // Still alive after all that: the refusals touched nothing.
  int outcome = -1;
  CHECK(vf_report_outcome(report, &outcome) == VF_OK);
  CHECK(outcome == VF_OUTCOME_OK);
  CHECK(vf_trust_anchor_count(trust, &count) == VF_OK);
  CHECK(count == 1);
  // A NULL output pointer is VF_ERROR_NULL_POINTER, checked after the handle.
  CHECK(vf_report_outcome(report, nullptr) == VF_ERROR_NULL_POINTER);
  CHECK(vf_report_chain_length(report, nullptr) == VF_ERROR_NULL_POINTER);
  CHECK(vf_trust_anchor_count(trust, nullptr) == VF_ERROR_NULL_POINTER);
  vf_report_destroy(report);
  vf_trust_destroy(trust);
}

TEST_CASE("a verification returns VF_OK and a report, also when refused") {
  vf_trust_t trust = load_trust();
  vf_report_t good = verify(trust, "db.example.com");
  int outcome = -1;
  CHECK(vf_report_outcome(good, &outcome) == VF_OK);
  CHECK(outcome == VF_OUTCOME_OK);
  vf_report_t bad = verify(trust, "other.example.com");
  CHECK(vf_report_outcome(bad, &outcome) == VF_OK);
  CHECK(outcome == VF_OUTCOME_NAME_MISMATCH);
  CHECK(message_of(bad).find("does not name other.example.com") != std::string::npos);

  size_t n = 0;
  CHECK(vf_report_chain_length(good, &n) == VF_OK);
  CHECK(n == 1);
  char subject[256];
  size_t len = sizeof subject;
  CHECK(vf_report_cert_field(good, 0, VF_CERT_SUBJECT, subject, &len) == VF_OK);
  CHECK(std::string(subject) == "CN=db");
  CHECK(len == 6);
  len = sizeof subject;
  CHECK(vf_report_cert_field(good, 1, VF_CERT_SUBJECT, subject, &len) == VF_ERROR_OUT_OF_RANGE);
  len = sizeof subject;
  CHECK(vf_report_cert_field(good, 0, 999, subject, &len) == VF_ERROR_INPUT);

  std::string json(8192, '\0');
  len = json.size();
  CHECK(vf_report_json(good, json.data(), &len) == VF_OK);
  CHECK(json.find("\"outcome\":\"ok\"") != std::string::npos);

  CHECK(vf_report_destroy(good) == VF_OK);
  CHECK(vf_report_destroy(bad) == VF_OK);
  CHECK(vf_trust_destroy(trust) == VF_OK);
}

TEST_CASE("a too-small buffer gets the size needed and is left untouched") {
  vf_trust_t trust = load_trust();
  char buf[4] = {'x', 'x', 'x', 'x'};
  size_t len = sizeof buf;
  CHECK(vf_trust_anchor_field(trust, 0, VF_CERT_SUBJECT, buf, &len) == VF_ERROR_BUFFER_TOO_SMALL);
  CHECK(len == std::string("CN=CAPI CA").size() + 1);
  CHECK(buf[0] == 'x');
  size_t count = 0;
  CHECK(vf_trust_anchor_count(trust, &count) == VF_OK);
  CHECK(count == 1);
  vf_trust_destroy(trust);
}

TEST_CASE("bad input returns VF_ERROR_INPUT with a message, and no handle") {
  vf_trust_t trust = reinterpret_cast<vf_trust_t>(0x1);
  const std::string junk = "not a certificate";
  CHECK(vf_trust_from_pem(&trust, junk.data(), junk.size()) == VF_ERROR_INPUT);
  CHECK(trust == nullptr);
  CHECK(std::string(vf_last_error_message()).find("no PEM certificate") != std::string::npos);
  CHECK(vf_trust_from_file(&trust, "/nonexistent/ca.pem") == VF_ERROR_INPUT);
  CHECK(vf_trust_from_file(&trust, nullptr) == VF_ERROR_NULL_POINTER);
  CHECK(vf_trust_from_file(nullptr, "/x") == VF_ERROR_NULL_POINTER);

  vf_trust_t good = load_trust();
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  vf_report_t report = nullptr;
  const auto pem = fx().leaf.pem();
  // No host: verifull never verifies without a name.
  CHECK(vf_verify_pem(&report, pem.data(), pem.size(), nullptr, 0, good, &opts) == VF_ERROR_INPUT);
  CHECK(report == nullptr);
  opts.host = "db.example.com";
  opts.version = 999;
  CHECK(vf_verify_pem(&report, pem.data(), pem.size(), nullptr, 0, good, &opts) == VF_ERROR_BAD_VERSION);
  // Every entry point that takes options reports an unknown version the same way.
  CHECK(vf_check(&report, "postgres://localhost:1", good, &opts) == VF_ERROR_BAD_VERSION);
  vf_mysql_t my = nullptr;
  CHECK(vf_mysql_connect(&my, "mysql://localhost:1", good, &opts) == VF_ERROR_BAD_VERSION);
  CHECK(my == nullptr);
  char buf[64];
  size_t len = sizeof buf;
  CHECK(vf_pg_conninfo("host=localhost", good, &opts, buf, &len) == VF_ERROR_BAD_VERSION);
  opts.version = VF_POLICY_OPTIONS_VERSION;
  const char* pins[] = {"sha256/not-a-pin"};
  opts.pins = pins;
  opts.pin_count = 1;
  CHECK(vf_verify_pem(&report, pem.data(), pem.size(), nullptr, 0, good, &opts) == VF_ERROR_INPUT);
  CHECK(std::string(vf_last_error_message()).find("invalid pin") != std::string::npos);
  vf_trust_destroy(good);
}

TEST_CASE("destroy(NULL) is a no-op and foreign handles are rejected") {
  CHECK(vf_trust_destroy(nullptr) == VF_OK);
  CHECK(vf_report_destroy(nullptr) == VF_OK);
  vf_trust_t trust = load_trust();
  // A trust handle where a report is expected is refused, not reinterpreted.
  int outcome = 0;
  CHECK(vf_report_outcome(reinterpret_cast<vf_report_t>(trust), &outcome) == VF_ERROR_INVALID_HANDLE);
  CHECK(vf_report_destroy(reinterpret_cast<vf_report_t>(trust)) == VF_ERROR_INVALID_HANDLE);
  size_t count = 0;
  CHECK(vf_trust_anchor_count(nullptr, &count) == VF_ERROR_INVALID_HANDLE);
  vf_trust_destroy(trust);
}

TEST_CASE("profile and allow_cn_fallback (options version 3); versions 1 and 2 still work with the defaults") {
  vf_trust_t trust = load_trust();
  auto cn_only = testpki::issue(fx().root, testpki::leaf_spec("db.example.com", {}));
  const auto pem = cn_only.pem();
  const auto outcome_with = [&](vf_policy_options opts) {
    opts.host = "db.example.com";
    vf_report_t report = nullptr;
    REQUIRE(vf_verify_pem(&report, pem.data(), pem.size(), nullptr, 0, trust, &opts) == VF_OK);
    int outcome = -1;
    vf_report_outcome(report, &outcome);
    vf_report_destroy(report);
    return outcome;
  };
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  CHECK(opts.version == 4);  // version 4: client certificates, clear-text opt-in (and CRLs)
  CHECK(opts.profile == VF_PROFILE_STANDARD);
  CHECK(outcome_with(opts) == VF_OUTCOME_NAME_MISMATCH);
  opts.allow_cn_fallback = 1;
  CHECK(outcome_with(opts) == VF_OUTCOME_OK);
  opts.profile = VF_PROFILE_STRICT;  // with the fallback allowed, strict accepts a well-formed CN-only leaf
  CHECK(outcome_with(opts) == VF_OUTCOME_OK);
  // A version 2 struct: the fields after refuse_admin_credentials are not read.
  opts.version = 2;
  opts.profile = 12345;
  CHECK(outcome_with(opts) == VF_OUTCOME_NAME_MISMATCH);
  opts.version = 1;
  CHECK(outcome_with(opts) == VF_OUTCOME_NAME_MISMATCH);
  // An unknown profile is bad input, named.
  opts.version = VF_POLICY_OPTIONS_VERSION;
  opts.host = "db.example.com";
  vf_report_t report = nullptr;
  CHECK(vf_verify_pem(&report, pem.data(), pem.size(), nullptr, 0, trust, &opts) == VF_ERROR_INPUT);
  CHECK(std::string(vf_last_error_message()).find("unknown profile 12345") != std::string::npos);
  CHECK(report == nullptr);
  vf_trust_destroy(trust);
}

TEST_CASE("a verification_time at the int64 limits is an input error, not undefined behaviour") {
  vf_trust_t trust = load_trust();
  const auto pem = fx().leaf.pem();
  for (int64_t when : {INT64_MAX, INT64_MIN, int64_t{-1}, int64_t{9'300'000'000}}) {
    vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
    opts.host = "db.example.com";
    opts.has_verification_time = 1;
    opts.verification_time = when;
    vf_report_t report = nullptr;
    CHECK(vf_verify_pem(&report, pem.data(), pem.size(), nullptr, 0, trust, &opts) == VF_ERROR_INPUT);
    CHECK(std::string(vf_last_error_message()).find("out of range") != std::string::npos);
    CHECK(report == nullptr);
  }
  vf_trust_destroy(trust);
}

TEST_CASE("no error message ever contains the password, whatever form the connection string has") {
  vf_trust_t trust = load_trust();
  const std::string secret = "S3cret-Pw";
  // Hosts are loopback or unparseable: nothing here looks up a name or reaches a server
  // but 127.0.0.1:1, which refuses.
  const std::vector<std::string> inputs = {
      "postgresql+psycopg2://app:" + secret + "@127.0.0.1/x",
      "mysql+pymysql://app:" + secret + "@127.0.0.1/x",
      "postgres://app:" + secret + "@127.0.0.1:99999/x",
      "mysql://app:" + secret + "@127.0.0.1:0/x",
      "postgres://app:" + secret + "@@127.0.0.1:1/x?sslmode=disable",
      "user=app password=" + secret + " host",
      "host=127.0.0.1 password='" + secret + " x' sslmode=disable",
      "postgres://app:" + secret + "@127.0.0.1:1/x?sslmode=require",
      "mysql://app:" + secret + "@127.0.0.1:1/x",
      "postgres://app:" + secret + "@/var/run/postgresql/x",
  };
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  opts.timeout_ms = 2000;
  const auto no_secret_in = [&](int rc, vf_report_t report) {
    std::string text = vf_last_error_message();
    if (rc == VF_OK && report) {
      char json[16384];
      size_t len = sizeof json;
      REQUIRE(vf_report_json(report, json, &len) == VF_OK);
      text = json;
    }
    CHECK_MESSAGE(text.find(secret) == std::string::npos, text);
  };
  for (const auto& input : inputs) {
    CAPTURE(input);
    char buf[4096];
    size_t len = sizeof buf;
    if (vf_parse_url(input.c_str(), buf, &len) != VF_OK) no_secret_in(-1, nullptr);
    len = sizeof buf;
    if (vf_pg_conninfo(input.c_str(), trust, &opts, buf, &len) != VF_OK) no_secret_in(-1, nullptr);
    vf_report_t report = nullptr;
    no_secret_in(vf_check(&report, input.c_str(), trust, &opts), report);
    vf_report_destroy(report);
    vf_mysql_t my = nullptr;
    const int rc = vf_mysql_connect(&my, input.c_str(), trust, &opts);
    vf_report_t my_report = nullptr;
    if (rc == VF_OK) vf_mysql_report(my, &my_report);
    no_secret_in(rc, my_report);
    vf_report_destroy(my_report);
    vf_mysql_destroy(my);
  }
  vf_trust_destroy(trust);
}

TEST_CASE("after an error that is not VF_ERROR_NETWORK, vf_last_error_outcome is -1") {
  // (vf_pg_conninfo used to be this test's VF_ERROR_NETWORK trigger: it resolved the host.
  // It no longer touches DNS, see below; what remains that can end in VF_ERROR_NETWORK
  // needs a live connection, and is covered with the servers.)
  vf_trust_t trust = load_trust();
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  char buf[2048];
  size_t buf_len = sizeof buf;
  CHECK(vf_pg_conninfo("postgres://app@-bad.example.com:5432/app", trust, &opts, buf, &buf_len) == VF_ERROR_INPUT);
  CHECK(vf_last_error_outcome() == -1);
  vf_trust_destroy(trust);
}

TEST_CASE("vf_pg_conninfo resolves nothing: libpq resolves the host on each connect, the environment still cannot") {
  // A resolver that never answers: a string kept for later connects must not depend on
  // (or freeze) what the name resolves to now, so making it does not touch DNS at all.
  const loopback_dns::Silent dns;
  ScopedEnv env{{"VERIFULL_TEST_DNS_SERVER", dns.address()}};
  vf_trust_t trust = load_trust();
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  opts.timeout_ms = 300;
  char buf[2048];
  size_t buf_len = sizeof buf;
  REQUIRE(vf_pg_conninfo("postgres://app@db.silent.verifull.test:5433/app", trust, &opts, buf, &buf_len) == VF_OK);
  const std::string conninfo(buf);
  CHECK(conninfo.find("host='db.silent.verifull.test'") != std::string::npos);
  // An explicitly empty hostaddr (libpq then reads no PGHOSTADDR or service file value
  // for it) and an explicit port, so only the name decides where libpq connects.
  CHECK(conninfo.find("hostaddr=''") != std::string::npos);
  CHECK(conninfo.find("port='5433'") != std::string::npos);
  // A caller's own hostaddr is the caller's choice and is kept.
  buf_len = sizeof buf;
  REQUIRE(vf_pg_conninfo("host=db.silent.verifull.test hostaddr=127.0.0.2", trust, &opts, buf, &buf_len) == VF_OK);
  CHECK(std::string(buf).find("hostaddr='127.0.0.2' port='5432'") != std::string::npos);
  vf_trust_destroy(trust);
}

namespace {

// A string out of the size-needed protocol, or the code of a failed call.
int string_out(const std::function<int(char*, size_t*)>& call, std::string& out) {
  size_t len = 0;
  int rc = call(nullptr, &len);
  if (rc != VF_ERROR_BUFFER_TOO_SMALL) return rc;
  std::string buf(len, '\0');
  rc = call(buf.data(), &len);
  if (rc == VF_OK) out = buf.substr(0, len - 1);
  return rc;
}

}  // namespace

TEST_CASE("vf_mysql_url_parameters: the core's table, typed, and a refused one named with its reason") {
  std::string json;
  REQUIRE(string_out([](char* b, size_t* l) {
            return vf_mysql_url_parameters("mysql://u@db:3306/d?Charset=utf8mb4&autocommit=TRUE&read-timeout=5"
                                           "&use_unicode=0&ssl-crlpath=/",
                                           b, l);
          },
                     json) == VF_OK);
  CHECK(json ==
        R"([{"given":"Charset","name":"charset","role":"driver","value":"utf8mb4"},)"
        R"({"given":"autocommit","name":"autocommit","role":"driver","value":true},)"
        R"({"given":"read-timeout","name":"read_timeout","role":"driver","value":5},)"
        R"({"given":"use_unicode","name":"use_unicode","role":"python_driver","value":false},)"
        R"({"given":"ssl-crlpath","name":"ssl_crlpath","role":"policy","value":"/"}])");
  CHECK(string_out([](char* b, size_t* l) { return vf_mysql_url_parameters("mysql://u@db/d", b, l); }, json) == VF_OK);
  CHECK(json == "[]");
  const struct {
    const char* url;
    const char* why;
  } refused[] = {
      {"mysql://u@db/d?ssl_mode=DISABLED", "the URL parameter ssl_mode would change how verifull secures"},
      {"mysql://u@db/d?socket=/tmp/s", "the URL parameter socket would change where the connection goes"},
      {"mysql://u@db/d?client_flag=0", "the URL parameter client_flag would change the connection's capability flags"},
      {"mysql://u@db/d?nope=1", "the URL parameter nope is not a setting verifull knows"},
      {"mysql://u@db/d?connect_timeout=0", "whole number of seconds from 1"},
      {"mysql://u@db/d?compress=maybe", "must be 1 or 0"},
      {"mysql://u@db/d?ssl-cert=/nonexistent/c.pem&ssl-key=/nonexistent/k.pem", "ssl-cert"},
      {"postgres://u@db/d", "is not a mysql:// endpoint"},
  };
  for (const auto& r : refused) {
    CHECK(string_out([&](char* b, size_t* l) { return vf_mysql_url_parameters(r.url, b, l); }, json) == VF_ERROR_INPUT);
    CHECK_MESSAGE(std::string(vf_last_error_message()).find(r.why) != std::string::npos, vf_last_error_message());
  }
  size_t len = 0;
  CHECK(vf_mysql_url_parameters(nullptr, nullptr, &len) == VF_ERROR_NULL_POINTER);
}

TEST_CASE("vf_mysql_keyword_refusal: the reason a driver keyword would replace verifull's settings, else empty") {
  std::string why;
  for (const char* keyword : {"ssl", "ssl_ca", "SSL-MODE", "tls_version", "unix_socket", "host", "port", "protocol",
                              "read_default_file", "default_auth", "client_flag"}) {
    CHECK(string_out([&](char* b, size_t* l) { return vf_mysql_keyword_refusal(keyword, b, l); }, why) == VF_OK);
    CHECK_MESSAGE(why.rfind("would ", 0) == 0, keyword);
  }
  for (const char* keyword : {"charset", "autocommit", "conv", "cursorclass"}) {
    CHECK(string_out([&](char* b, size_t* l) { return vf_mysql_keyword_refusal(keyword, b, l); }, why) == VF_OK);
    CHECK_MESSAGE(why.empty(), keyword);
  }
  size_t len = 0;
  CHECK(vf_mysql_keyword_refusal(nullptr, nullptr, &len) == VF_ERROR_NULL_POINTER);
}

TEST_CASE("the clear-text authentication plugins: one list, and the test of a name") {
  std::string list;
  REQUIRE(string_out([](char* b, size_t* l) { return vf_mysql_clear_text_auth_plugins(b, l); }, list) == VF_OK);
  CHECK(list == "mysql_clear_password,dialog");
  int yes = -1;
  for (const char* name : {"mysql_clear_password", "dialog"}) {
    CHECK(vf_mysql_auth_plugin_sends_password(name, &yes) == VF_OK);
    CHECK_MESSAGE(yes == 1, name);
  }
  for (const char* name : {"mysql_native_password", "caching_sha2_password", "client_ed25519", "sha256_password", ""}) {
    CHECK(vf_mysql_auth_plugin_sends_password(name, &yes) == VF_OK);
    CHECK_MESSAGE(yes == 0, name);
  }
  CHECK(vf_mysql_auth_plugin_sends_password(nullptr, &yes) == VF_ERROR_NULL_POINTER);
  CHECK(vf_mysql_auth_plugin_sends_password("dialog", nullptr) == VF_ERROR_NULL_POINTER);
}
