// The least-privilege audit against the real servers: an administrator, a read-only user
// on two tables, a user with broad grants, and a user made from the suggested SQL.
#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <mysql.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <regex>

#include "fake_server.hpp"
#include "run_cli.hpp"
#include "servers_env.hpp"
#include "verifull/verifull.hpp"

using namespace verifull;

namespace {

std::string pg_url(const std::string& user, const std::string& password, const std::string& db = servers::database()) {
  return "postgres://" + user + ":" + password + "@localhost:" + servers::pg_port() + "/" + db;
}

std::string my_url(const std::string& user, const std::string& password) {
  return "mysql://" + user + ":" + password + "@localhost:" + servers::mysql_port() + "/" + servers::database();
}

std::string admin_password() { return servers::env("VERIFULL_ADMIN_PASSWORD"); }

void pg_exec(PGconn* conn, const std::string& sql) {
  PGresult* res = PQexec(conn, sql.c_str());
  const auto status = PQresultStatus(res);
  const std::string why = PQresultErrorMessage(res);
  PQclear(res);
  REQUIRE_MESSAGE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK), sql << ": " << why);
}

void my_exec(MYSQL* m, const std::string& sql) { REQUIRE_MESSAGE(mysql_query(m, sql.c_str()) == 0, sql << ": " << mysql_error(m)); }

// Drops a role and what it was granted, so the test can run again on the same server.
std::string drop_role(const std::string& role) {
  return "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + role + "') THEN "
         "EXECUTE 'DROP OWNED BY " + role + "'; EXECUTE 'DROP ROLE " + role + "'; END IF; END $$";
}

std::string password_in(const std::string& sql) {
  std::smatch m;
  REQUIRE(std::regex_search(sql, m, std::regex("PASSWORD '([A-Za-z0-9_-]+)'|BY '([A-Za-z0-9_-]+)'")));
  return m[1].matched ? m[1].str() : m[2].str();
}

postgres::Connection pg_admin() {
  auto c = postgres::connect(pg_url("postgres", admin_password()), servers::trust());
  REQUIRE_MESSAGE(c.report.ok(), c.report.message);
  return std::move(c.conn);
}

mysql::Connection my_admin() {
  auto c = mysql::connect(my_url("verifull_admin", admin_password()), servers::trust());
  REQUIRE_MESSAGE(c.report.ok(), c.report.message);
  return std::move(c.conn);
}

AuditReport pg_audit_as(const std::string& user, const std::string& password) {
  auto c = postgres::connect(pg_url(user, password), servers::trust());
  REQUIRE_MESSAGE(c.report.ok(), c.report.message);
  return postgres::audit(c.conn.get());
}

AuditReport my_audit_as(const std::string& user, const std::string& password) {
  auto c = mysql::connect(my_url(user, password), servers::trust());
  REQUIRE_MESSAGE(c.report.ok(), c.report.message);
  return mysql::audit(c.conn.get());
}

}  // namespace

TEST_CASE("PostgreSQL: the administrator, a broad user and a read-only user on two tables") {
  auto admin = pg_admin();
  CHECK(postgres::audit(admin.get()).verdict == PrivilegeLevel::admin);
  {
    auto db = postgres::connect(pg_url("postgres", admin_password()), servers::trust());
    pg_exec(db.conn.get(), "CREATE TABLE IF NOT EXISTS audit_t1 (id int); CREATE TABLE IF NOT EXISTS audit_t2 (id int); "
                           "CREATE TABLE IF NOT EXISTS audit_t3 (id int)");
    pg_exec(db.conn.get(), drop_role("audit_ro"));
    pg_exec(db.conn.get(), "CREATE ROLE audit_ro LOGIN PASSWORD 'ro-Pa55word'; "
                           "GRANT SELECT ON audit_t1, audit_t2 TO audit_ro");
    pg_exec(db.conn.get(), drop_role("audit_broad"));
    pg_exec(db.conn.get(), "CREATE ROLE audit_broad LOGIN CREATEDB PASSWORD 'broad-Pa55word'; "
                           "GRANT pg_read_all_data TO audit_broad");
  }
  const auto ro = pg_audit_as("audit_ro", "ro-Pa55word");
  CHECK(ro.verdict == PrivilegeLevel::least_privilege);
  CHECK(ro.table_privileges.at("SELECT") == 2);
  CHECK(ro.table_privileges.at("INSERT") == 0);
  const auto broad = pg_audit_as("audit_broad", "broad-Pa55word");
  CHECK(broad.verdict == PrivilegeLevel::broad);
  CHECK(broad.message.find("member of pg_read_all_data") != std::string::npos);
  CHECK(broad.message.find("CREATEDB") != std::string::npos);
  // The application's own user owns its database: broad, not admin.
  CHECK(pg_audit_as(servers::user(), servers::password()).verdict == PrivilegeLevel::broad);
}

TEST_CASE("PostgreSQL: the suggested read-only SQL makes a least-privilege user") {
  const auto sql = postgres::suggest_readonly_sql({"audit_t1", "public.audit_t2"}, "audit_suggested");
  auto db = postgres::connect(pg_url("postgres", admin_password()), servers::trust());
  REQUIRE(db.report.ok());
  pg_exec(db.conn.get(), "CREATE TABLE IF NOT EXISTS audit_t1 (id int); CREATE TABLE IF NOT EXISTS audit_t2 (id int)");
  pg_exec(db.conn.get(), drop_role("audit_suggested"));
  pg_exec(db.conn.get(), sql);
  const auto report = pg_audit_as("audit_suggested", password_in(sql));
  CHECK(report.verdict == PrivilegeLevel::least_privilege);
  CHECK(report.table_privileges.at("SELECT") == 2);
  CHECK_THROWS_AS(postgres::suggest_readonly_sql({"bad name"}), InputError);
  CHECK_THROWS_AS(postgres::suggest_readonly_sql({}), InputError);
}

TEST_CASE("PostgreSQL: refuse_admin_credentials refuses the administrator, not the read-only user") {
  Policy policy;
  policy.refuse_admin_credentials = true;
  auto admin = postgres::connect(pg_url("postgres", admin_password()), servers::trust(), policy);
  CHECK(admin.report.outcome == Outcome::admin_credential);
  CHECK_FALSE(admin.conn);
  auto ro = postgres::connect(pg_url("audit_ro", "ro-Pa55word"), servers::trust(), policy);
  CHECK_MESSAGE(ro.report.ok(), ro.report.message);
}

TEST_CASE("MySQL: the administrator, a broad user and a read-only user on two tables") {
  auto admin = my_admin();
  CHECK(mysql::audit(admin.get()).verdict == PrivilegeLevel::admin);
  my_exec(admin.get(), "CREATE TABLE IF NOT EXISTS verifull_test.audit_t1 (id int)");
  my_exec(admin.get(), "CREATE TABLE IF NOT EXISTS verifull_test.audit_t2 (id int)");
  my_exec(admin.get(), "DROP USER IF EXISTS 'audit_ro'@'%'");
  my_exec(admin.get(), "CREATE USER 'audit_ro'@'%' IDENTIFIED BY 'ro-Pa55word'");
  my_exec(admin.get(), "GRANT SELECT ON verifull_test.audit_t1 TO 'audit_ro'@'%'");
  my_exec(admin.get(), "GRANT SELECT ON verifull_test.audit_t2 TO 'audit_ro'@'%'");
  my_exec(admin.get(), "DROP USER IF EXISTS 'audit_broad'@'%'");
  my_exec(admin.get(), "CREATE USER 'audit_broad'@'%' IDENTIFIED BY 'broad-Pa55word'");
  my_exec(admin.get(), "GRANT SELECT, SHOW DATABASES ON *.* TO 'audit_broad'@'%'");
  const auto ro = my_audit_as("audit_ro", "ro-Pa55word");
  CHECK(ro.verdict == PrivilegeLevel::least_privilege);
  CHECK(ro.table_privileges.at("SELECT") == 2);
  const auto broad = my_audit_as("audit_broad", "broad-Pa55word");
  CHECK(broad.verdict == PrivilegeLevel::broad);
  CHECK(broad.message.find("SELECT on *.*") != std::string::npos);
  for (const auto& g : my_audit_as("audit_broad", "broad-Pa55word").grants)
    CHECK(g.find("*") != std::string::npos);  // kept, with credentials removed
}

TEST_CASE("MySQL: the suggested read-only SQL makes a least-privilege user; refuse_admin_credentials") {
  const auto sql = mysql::suggest_readonly_sql({"verifull_test.audit_t1", "verifull_test.audit_t2"}, "audit_suggested");
  auto admin = my_admin();
  my_exec(admin.get(), "CREATE TABLE IF NOT EXISTS verifull_test.audit_t1 (id int)");
  my_exec(admin.get(), "CREATE TABLE IF NOT EXISTS verifull_test.audit_t2 (id int)");
  my_exec(admin.get(), "DROP USER IF EXISTS 'audit_suggested'@'%'");
  std::size_t start = 0;
  while (start < sql.size()) {  // one statement per line; skip the comment
    auto end = sql.find('\n', start);
    const auto line = sql.substr(start, end - start);
    if (!line.empty() && line.rfind("--", 0) != 0) my_exec(admin.get(), line);
    start = end + 1;
  }
  const auto report = my_audit_as("audit_suggested", password_in(sql));
  CHECK(report.verdict == PrivilegeLevel::least_privilege);
  CHECK(report.table_privileges.at("SELECT") == 2);
  CHECK_THROWS_AS(mysql::suggest_readonly_sql({"no_database"}), InputError);

  Policy policy;
  policy.refuse_admin_credentials = true;
  auto refused = mysql::connect(my_url("verifull_admin", admin_password()), servers::trust(), policy);
  CHECK(refused.report.outcome == Outcome::admin_credential);
  CHECK_FALSE(refused.conn);
  CHECK(mysql::connect(my_url("audit_suggested", password_in(sql)), servers::trust(), policy).report.ok());
}

TEST_CASE("verifull audit: exit codes, JSON, and --suggest-readonly") {
  auto admin = testcli::verifull({"audit", pg_url("postgres", admin_password()), "--ca", servers::pki("ca.pem"), "--json"});
  CHECK(admin.exit_code == 1);
  CHECK(admin.out.find("\"verdict\":\"admin\"") != std::string::npos);
  CHECK(testcli::verifull({"audit", pg_url("audit_ro", "ro-Pa55word"), "--ca", servers::pki("ca.pem")}).exit_code == 0);
  CHECK(testcli::verifull({"audit", my_url("audit_ro", "ro-Pa55word"), "--ca", servers::pki("ca.pem")}).exit_code == 0);
  auto sql = testcli::verifull({"audit", "--suggest-readonly", "--kind", "postgres", "orders,customers"});
  CHECK(sql.exit_code == 0);
  CHECK(sql.out.find("GRANT SELECT ON TABLE \"public\".\"orders\", \"public\".\"customers\"") != std::string::npos);
  CHECK(testcli::verifull({"audit", "--suggest-readonly", "--kind", "oracle", "t"}).exit_code == 2);
  CHECK(testcli::verifull({"audit", pg_url("audit_ro", "ro-Pa55word")}).exit_code == 2);  // no --ca
}

namespace {

// A relay to the real server whose server goes silent right after login: once the
// client has sent as many TLS application-data records as a login takes, nothing more
// of the server's reaches it, so the audit's first query never gets an answer. The
// number is counted on a first connection through the relay (calibrate()), not assumed.
struct StallAfterLogin {
  struct Shared {
    bool mysql = false;
    std::atomic<int> login_records{-1};  // -1 while calibrating: never stall
    std::atomic<int> seen{0};            // the current connection's records
  };
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  fakes::FakeServer relay;

  explicit StallAfterLogin(bool mysql)
      : relay([shared = shared, mysql](fakes::Conn& c) {
          shared->seen = 0;
          fakes::TlsRelayPlan plan;
          plan.mysql = mysql;
          plan.client_records = &shared->seen;
          plan.stall_after_client_records = shared->login_records;
          c.relay_tls(static_cast<std::uint16_t>(std::stoi(mysql ? servers::mysql_port() : servers::pg_port())), plan);
        }) {
    shared->mysql = mysql;
  }
  std::string url(const std::string& user, const std::string& password) const {
    return std::string(shared->mysql ? "mysql" : "postgres") + "://" + user + ":" + password +
           "@localhost:" + std::to_string(relay.port()) + "/" + servers::database();
  }
  // Connects once with the audit off and counts the login's records (while the
  // connection is open: closing sends one more).
  template <typename Connect>
  void calibrate(Connect connect) {
    shared->login_records = connect();
    REQUIRE(shared->login_records > 0);
  }
};

}  // namespace

TEST_CASE("a server that stalls after login: the audit ends at the deadline as timeout (PostgreSQL)") {
  StallAfterLogin stall(false);
  stall.calibrate([&] {
    auto c = postgres::connect(stall.url("postgres", admin_password()), servers::trust());
    REQUIRE_MESSAGE(c.report.ok(), c.report.message);
    return stall.shared->seen.load();
  });
  Policy policy;
  policy.timeout = std::chrono::seconds(3);
  policy.refuse_admin_credentials = true;
  auto start = std::chrono::steady_clock::now();
  auto c = postgres::connect(stall.url("postgres", admin_password()), servers::trust(), policy);
  CHECK_MESSAGE(c.report.outcome == Outcome::timeout, outcome_name(c.report.outcome) << ": " << c.report.message);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK_FALSE(c.conn);
  CHECK(stall.relay.received().find(admin_password()) == std::string::npos);

  // The audit of a connection the caller holds: NetworkError by its timeout.
  auto held = postgres::connect(stall.url("postgres", admin_password()), servers::trust());
  REQUIRE_MESSAGE(held.report.ok(), held.report.message);
  start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(postgres::audit(held.conn.get(), std::chrono::seconds(1)), NetworkError);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));

  // The CLI: --timeout bounds connect and audit together, exit 3 (a network failure).
  start = std::chrono::steady_clock::now();
  auto cli = testcli::verifull({"audit", stall.url("postgres", admin_password()), "--ca", servers::pki("ca.pem"),
                                "--timeout", "3"});
  CHECK_MESSAGE(cli.exit_code == 3, cli.err);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(6));
}

TEST_CASE("a server that stalls after login: the audit ends at the deadline as timeout (MySQL)") {
  StallAfterLogin stall(true);
  stall.calibrate([&] {
    mysql::ApprovedCache cache;
    auto c = mysql::connect(stall.url("verifull_admin", admin_password()), servers::trust(), Policy{}, cache);
    REQUIRE_MESSAGE(c.report.ok(), c.report.message);
    return stall.shared->seen.load();
  });
  Policy policy;
  policy.timeout = std::chrono::seconds(3);
  policy.refuse_admin_credentials = true;
  mysql::ApprovedCache cache;
  auto start = std::chrono::steady_clock::now();
  auto c = mysql::connect(stall.url("verifull_admin", admin_password()), servers::trust(), policy, cache);
  CHECK_MESSAGE(c.report.outcome == Outcome::timeout, outcome_name(c.report.outcome) << ": " << c.report.message);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK_FALSE(c.conn);
  CHECK(stall.relay.received().find(admin_password()) == std::string::npos);

  auto held = mysql::connect(stall.url("verifull_admin", admin_password()), servers::trust(), Policy{}, cache);
  REQUIRE_MESSAGE(held.report.ok(), held.report.message);
  start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(mysql::audit(held.conn.get(), std::chrono::seconds(1)), NetworkError);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));

  start = std::chrono::steady_clock::now();
  auto cli = testcli::verifull({"audit", stall.url("verifull_admin", admin_password()), "--ca",
                                servers::pki("ca.pem"), "--timeout", "3"});
  CHECK_MESSAGE(cli.exit_code == 3, cli.err);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(6));
}
