// Client certificates (mutual TLS) and the clear-text password opt-in, against the real
// servers (tests/servers/servers.py: PostgreSQL's verifull_cert role needs
// clientcert=verify-full, MariaDB's verifull_cert user REQUIRE SUBJECT; PostgreSQL's
// verifull_clear role is asked for its password in clear text) and recording fakes.
#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <tuple>

#include "fake_server.hpp"
#include "run_cli.hpp"
#include "servers_env.hpp"
#include "test_pki.hpp"
#include "verifull.h"
#include "verifull/verifull.hpp"

using namespace verifull;
namespace fs = std::filesystem;

namespace {

std::string cert_user() { return servers::env("VERIFULL_CERT_USER"); }
std::string cert_password() { return servers::env("VERIFULL_CERT_PASSWORD"); }

std::string pg_url(const std::string& user, const std::string& password, const std::string& port = servers::pg_port(),
                   const std::string& extra = "") {
  return "postgres://" + user + ":" + password + "@localhost:" + port + "/" + servers::database() + extra;
}
std::string my_url(const std::string& user, const std::string& password,
                   const std::string& port = servers::mysql_port(), const std::string& extra = "") {
  return "mysql://" + user + ":" + password + "@localhost:" + port + "/" + servers::database() + extra;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
std::string passphrase() {
  std::string line;
  std::ifstream in(servers::pki("client-enc.pass"));
  std::getline(in, line);
  return line;
}

Policy with_client_cert(const std::string& cert = "client", const std::string& pass = "") {
  Policy p;
  p.client_cert = servers::pki(cert + ".pem");
  p.client_key = servers::pki(cert + ".key");
  p.client_key_passphrase = pass;
  return p;
}

// A copy of `from` in a fresh folder with `mode`: the loose-permission and mismatch cases.
std::string copy_with_mode(const std::string& from, const std::string& name, mode_t mode) {
  const fs::path dir = fs::temp_directory_path() / ("verifull-clientcert-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path to = dir / name;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  REQUIRE(::chmod(to.c_str(), mode) == 0);
  return to.string();
}

std::string input_error_of(const std::function<void()>& attempt) {
  try {
    attempt();
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("no InputError");
  return "";
}

// A listener that records what it receives and answers nothing: a connect refused as
// input must never reach it.
fakes::FakeServer silent_fake() {
  return fakes::FakeServer([](fakes::Conn& c) { c.drain(300); });
}

}  // namespace

TEST_CASE("PostgreSQL: the verifull_cert role logs in with its certificate (policy, URL, encrypted key)") {
  auto c = postgres::connect(pg_url(cert_user(), cert_password()), servers::trust(), with_client_cert());
  REQUIRE_MESSAGE(c.report.ok(), c.report.message);
  PGresult* r = PQexec(c.conn.get(), "SELECT current_user");
  CHECK(std::string(PQgetvalue(r, 0, 0)) == cert_user());
  PQclear(r);

  const std::string in_url = "?sslcert=" + servers::pki("client.pem") + "&sslkey=" + servers::pki("client.key");
  auto by_url = postgres::connect(pg_url(cert_user(), cert_password(), servers::pg_port(), in_url), servers::trust());
  CHECK_MESSAGE(by_url.report.ok(), by_url.report.message);

  auto encrypted =
      postgres::connect(pg_url(cert_user(), cert_password()), servers::trust(), with_client_cert("client-enc", passphrase()));
  CHECK_MESSAGE(encrypted.report.ok(), encrypted.report.message);
}

TEST_CASE("PostgreSQL: without a certificate the refusal says that the server required one") {
  auto c = postgres::connect(pg_url(cert_user(), cert_password()), servers::trust());
  CHECK(c.report.outcome == Outcome::connection_failed);
  CHECK_MESSAGE(c.report.message.find("requires a client certificate") != std::string::npos, c.report.message);
  CHECK(c.report.message.find(cert_password()) == std::string::npos);
}

TEST_CASE("MySQL: the REQUIRE SUBJECT user logs in with its certificate (policy, URL, encrypted key)") {
  mysql::ApprovedCache cache;
  auto c = mysql::connect(my_url(cert_user(), cert_password()), servers::trust(), with_client_cert(), cache);
  REQUIRE_MESSAGE(c.report.ok(), c.report.message);
  CHECK(mysql_query(c.conn.get(), "SELECT 1") == 0);
  mysql_free_result(mysql_store_result(c.conn.get()));

  const std::string in_url = "?ssl-cert=" + servers::pki("client.pem") + "&ssl-key=" + servers::pki("client.key");
  auto by_url = mysql::connect(my_url(cert_user(), cert_password(), servers::mysql_port(), in_url), servers::trust(),
                               Policy{}, cache);
  CHECK_MESSAGE(by_url.report.ok(), by_url.report.message);

  auto encrypted = mysql::connect(my_url(cert_user(), cert_password()), servers::trust(),
                                  with_client_cert("client-enc", passphrase()), cache);
  CHECK_MESSAGE(encrypted.report.ok(), encrypted.report.message);
}

TEST_CASE("MySQL: without a certificate the refusal says a client certificate may be what the account requires") {
  mysql::ApprovedCache cache;
  auto c = mysql::connect(my_url(cert_user(), cert_password()), servers::trust(), Policy{}, cache);
  CHECK(c.report.outcome == Outcome::connection_failed);
  CHECK_MESSAGE(c.report.message.find("no client certificate was presented") != std::string::npos, c.report.message);
  CHECK(c.report.message.find(cert_password()) == std::string::npos);
}

TEST_CASE("a key readable by others, a key of another certificate, a wrong or missing passphrase: input errors "
          "before any traffic, naming the file and never its contents") {
  const std::string loose = copy_with_mode(servers::pki("client.key"), "loose.key", 0644);
  const std::string group = copy_with_mode(servers::pki("client.key"), "group.key", 0640);
  const std::string other = copy_with_mode(servers::pki("server.key"), "other.key", 0600);
  const std::string key_text = read_text(servers::pki("client.key"));
  auto fake = silent_fake();
  const std::string port = std::to_string(fake.port());
  struct Case {
    std::string key, pass, cert = "client", expect;
  };
  const Case cases[] = {
      {loose, "", "client", "mode 0644"},
      {group, "", "client", "mode 0640"},  // owned by this user: 0600 or stricter (libpq's rule)
      {other, "", "client", "does not belong to the client certificate"},
      {servers::pki("client-enc.key"), "", "client-enc", "is encrypted; give its passphrase"},
      {servers::pki("client-enc.key"), "not-the-passphrase", "client-enc", "does not decrypt"},
  };
  for (const auto& k : cases) {
    CAPTURE(k.expect);
    Policy p = with_client_cert(k.cert, k.pass);
    p.client_key = k.key;
    for (const std::string& why :
         {input_error_of([&] { postgres::connect(pg_url(cert_user(), cert_password(), port), servers::trust(), p); }),
          input_error_of([&] { mysql::connect(my_url(cert_user(), cert_password(), port), servers::trust(), p); }),
          input_error_of([&] { check(parse_url("postgres://localhost:" + port), servers::trust(), p); })}) {
      CHECK_MESSAGE(why.find(k.expect) != std::string::npos, why);
      CHECK(why.find(k.key) != std::string::npos);  // names the file
      CHECK(why.find("BEGIN") == std::string::npos);
      CHECK(why.find(key_text.substr(40, 30)) == std::string::npos);
      if (!k.pass.empty()) CHECK(why.find(k.pass) == std::string::npos);
    }
  }
  // The same rule by the URL's names.
  const std::string why = input_error_of([&] {
    postgres::connect(pg_url(cert_user(), cert_password(), port, "?sslcert=" + servers::pki("client.pem") + "&sslkey=" + loose),
                      servers::trust());
  });
  CHECK_MESSAGE(why.find("sslkey") != std::string::npos, why);
  const std::string my_why = input_error_of([&] {
    mysql::connect(my_url(cert_user(), cert_password(), port, "?ssl-cert=" + servers::pki("client.pem") + "&ssl-key=" + other),
                   servers::trust());
  });
  CHECK_MESSAGE(my_why.find("ssl-key") != std::string::npos, my_why);
  CHECK(fake.received().empty());
}

TEST_CASE("a client certificate given both in the URL and in the policy is refused; the option file carries it") {
  const std::string in_url = "?sslcert=" + servers::pki("client.pem") + "&sslkey=" + servers::pki("client.key");
  CHECK(input_error_of([&] {
          postgres::connect(pg_url(cert_user(), cert_password(), servers::pg_port(), in_url), servers::trust(),
                            with_client_cert());
        }).find("give it in one place") != std::string::npos);
  // An option-file driver reaches "localhost" by Unix socket: the file needs an address.
  const Endpoint ep = parse_url("mysql://" + cert_user() + "@127.0.0.1:" + servers::mysql_port() + "/db");
  const std::string file = mysql::option_file(ep, servers::trust(), std::string(40, 'a'), with_client_cert());
  const std::string content = read_text(file);
  CHECK(content.find("ssl-cert=" + servers::pki("client.pem")) != std::string::npos);
  CHECK(content.find("ssl-key=" + servers::pki("client.key")) != std::string::npos);
  CHECK(input_error_of([&] {
          mysql::option_file(ep, servers::trust(), std::string(40, 'a'), with_client_cert("client-enc", passphrase()));
        }).find("passphrase") != std::string::npos);
}

TEST_CASE("C ABI: vf_policy_options version 4 carries the client certificate") {
  vf_trust_t trust = nullptr;
  REQUIRE(vf_trust_from_file(&trust, servers::pki("ca.pem").c_str()) == VF_OK);
  const std::string cert = servers::pki("client.pem"), key = servers::pki("client.key");
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  CHECK(opts.version == 4);
  opts.client_cert = cert.c_str();
  opts.client_key = key.c_str();
  CHECK(vf_client_certificate_check(&opts) == VF_OK);

  vf_pg_t pg = nullptr;
  REQUIRE(vf_pg_connect(&pg, pg_url(cert_user(), cert_password()).c_str(), trust, &opts) == VF_OK);
  vf_report_t report = nullptr;
  REQUIRE(vf_pg_report(pg, &report) == VF_OK);
  int outcome = -1;
  vf_report_outcome(report, &outcome);
  CHECK(outcome == VF_OUTCOME_OK);
  vf_report_destroy(report);
  vf_pg_destroy(pg);

  vf_mysql_cache_clear();
  vf_mysql_t my = nullptr;
  REQUIRE(vf_mysql_connect(&my, my_url(cert_user(), cert_password()).c_str(), trust, &opts) == VF_OK);
  REQUIRE(vf_mysql_report(my, &report) == VF_OK);
  vf_report_outcome(report, &outcome);
  CHECK(outcome == VF_OUTCOME_OK);
  vf_report_destroy(report);
  vf_mysql_destroy(my);

  const std::string other = copy_with_mode(servers::pki("server.key"), "other-capi.key", 0600);
  opts.client_key = other.c_str();
  CHECK(vf_client_certificate_check(&opts) == VF_ERROR_INPUT);
  CHECK(std::string(vf_last_error_message()).find("does not belong") != std::string::npos);
  // A version 3 struct has no such fields: they are not read.
  vf_policy_options v3 = VF_POLICY_OPTIONS_INIT;
  v3.version = 3;
  CHECK(vf_client_certificate_check(&v3) == VF_OK);
  vf_trust_destroy(trust);
}

TEST_CASE("CLI: connect --cert --key [--key-passphrase-file] logs in; without them the refusal names the need") {
  for (const std::string& url : {pg_url(cert_user(), cert_password()), my_url(cert_user(), cert_password())}) {
    CAPTURE(url.substr(0, 8));
    auto ok = testcli::verifull({"connect", url, "--ca", servers::pki("ca.pem"), "--cert", servers::pki("client.pem"),
                                 "--key", servers::pki("client.key")});
    CHECK_MESSAGE(ok.exit_code == 0, (ok.out + ok.err));
    auto enc = testcli::verifull({"connect", url, "--ca", servers::pki("ca.pem"), "--cert",
                                  servers::pki("client-enc.pem"), "--key", servers::pki("client-enc.key"),
                                  "--key-passphrase-file", servers::pki("client-enc.pass")});
    CHECK_MESSAGE(enc.exit_code == 0, (enc.out + enc.err));
    CHECK((enc.out + enc.err).find(passphrase()) == std::string::npos);
    auto without = testcli::verifull({"connect", url, "--ca", servers::pki("ca.pem")});
    CHECK(without.exit_code == 4);
    CHECK_MESSAGE((without.out + without.err).find("client certificate") != std::string::npos, (without.out + without.err));
  }
  const std::string loose = copy_with_mode(servers::pki("client.key"), "loose-cli.key", 0604);
  auto refused = testcli::verifull({"connect", pg_url(cert_user(), cert_password()), "--ca", servers::pki("ca.pem"),
                                    "--cert", servers::pki("client.pem"), "--key", loose});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("mode 0604") != std::string::npos);
}

TEST_CASE("mysql_clear_password: a verified server gets the password only with allow_cleartext_password; an "
          "impostor never does") {
  const std::string secret = "clear-text-secret-4711";
  const auto valid = servers::cert("server2");
  const auto clear_text_fake = [secret](const testpki::Cert& cert) {
    return fakes::FakeServer([cert](fakes::Conn& c) {
      if (!fakes::mysql_accept_tls(c, cert)) return;
      if (fakes::mysql_read_packet(c).empty()) return;  // the probe hangs up here
      c.write(fakes::mysql_packet(3, std::string("\xfe") + "mysql_clear_password" + '\0'));
      c.drain(1000);
    });
  };
  const std::string user_url_prefix = "mysql://" + servers::user() + ":" + secret + "@localhost:";
  {
    auto fake = clear_text_fake(valid);
    mysql::ApprovedCache cache;
    auto c = mysql::connect(user_url_prefix + std::to_string(fake.port()) + "/db", servers::trust(), Policy{}, cache);
    CHECK_FALSE(c.report.ok());
    CHECK_MESSAGE(c.report.message.find("allow_cleartext_password") != std::string::npos, c.report.message);
    CHECK(fake.received().find(secret) == std::string::npos);
  }
  {
    auto fake = clear_text_fake(valid);
    mysql::ApprovedCache cache;
    Policy allow;
    allow.allow_cleartext_password = true;
    auto c = mysql::connect(user_url_prefix + std::to_string(fake.port()) + "/db", servers::trust(), allow, cache);
    CHECK_FALSE(c.report.ok());  // the fake never finishes the login
    CHECK_MESSAGE(fake.received().find(secret + '\0') != std::string::npos, "the verified server did not get it");
  }
  for (bool allowed : {false, true}) {
    auto fake = clear_text_fake(servers::cert("impostor"));
    mysql::ApprovedCache cache;
    Policy p;
    p.allow_cleartext_password = allowed;
    auto c = mysql::connect(user_url_prefix + std::to_string(fake.port()) + "/db", servers::trust(), p, cache);
    CHECK(c.report.outcome == Outcome::untrusted_issuer);
    CHECK(fake.received().find(secret) == std::string::npos);
    CHECK(fake.received().find(servers::user()) == std::string::npos);
  }
}

TEST_CASE("PostgreSQL's cleartext password request: the real server's password method, refused without "
          "allow_cleartext_password, answered with it") {
  const std::string url = pg_url(servers::env("VERIFULL_CLEAR_USER"), servers::env("VERIFULL_CLEAR_PASSWORD"));
  auto refused = postgres::connect(url, servers::trust());
  CHECK(refused.report.outcome == Outcome::connection_failed);
  CHECK_MESSAGE(refused.report.message.find("allow_cleartext_password") != std::string::npos, refused.report.message);
  Policy allow;
  allow.allow_cleartext_password = true;
  auto allowed = postgres::connect(url, servers::trust(), allow);
  CHECK_MESSAGE(allowed.report.ok(), allowed.report.message);
  // The CLI's switch.
  CHECK(testcli::verifull({"connect", url, "--ca", servers::pki("ca.pem")}).exit_code == 4);
  auto cli = testcli::verifull({"connect", url, "--ca", servers::pki("ca.pem"), "--allow-cleartext-password"});
  CHECK_MESSAGE(cli.exit_code == 0, (cli.out + cli.err));
}

TEST_CASE("PostgreSQL's cleartext password request: a verified fake gets the password only with the option, an "
          "impostor never") {
  const std::string secret = "pg-clear-text-secret-4711";
  const auto fake_asking_in_clear = [](const testpki::Cert& cert) {
    return fakes::FakeServer([cert](fakes::Conn& c) {
      if (!fakes::pg_expect_ssl_request(c)) return;
      c.write("S");
      if (!c.start_tls(cert)) return;
      if (c.read(4096).empty()) return;  // the startup packet
      c.write(std::string("R\0\0\0\x08\0\0\0\x03", 9));  // AuthenticationCleartextPassword
      c.drain(1000);
    });
  };
  for (const auto& row :
       {std::tuple{"server2", false, false}, std::tuple{"server2", true, true}, std::tuple{"impostor", false, false},
        std::tuple{"impostor", true, false}}) {
    // Named copies, not a structured binding: CAPTURE's lambda cannot capture one (clang's C++17).
    const char* const name = std::get<0>(row);
    const bool allowed = std::get<1>(row), password_expected = std::get<2>(row);
    CAPTURE(name);
    CAPTURE(allowed);
    auto fake = fake_asking_in_clear(servers::cert(name));
    Policy p;
    p.allow_cleartext_password = allowed;
    p.timeout = std::chrono::seconds(3);
    auto c = postgres::connect(pg_url("someone", secret, std::to_string(fake.port())), servers::trust(), p);
    CHECK_FALSE(c.report.ok());
    CHECK((fake.received().find(secret) != std::string::npos) == password_expected);
    if (std::string(name) == "impostor") {
      CHECK(c.report.outcome == Outcome::untrusted_issuer);
      CHECK(fake.received().find("someone") == std::string::npos);  // refused in-band, before the startup packet
    }
    if (std::string(name) == "server2" && !allowed)
      CHECK(c.report.message.find("allow_cleartext_password") != std::string::npos);
  }
}
