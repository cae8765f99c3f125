// What a MySQL/MariaDB credential may do, from SHOW GRANTS. Credentials in the grant
// lines (password hashes, authentication strings) are removed before they are kept.
#include <mysql.h>

#include <regex>
#include <set>
#include <stdexcept>

#include "audit/audit_internal.hpp"
#include "probe/failure.hpp"
#include "probe/socket.hpp"
#include "verifull/errors.hpp"
#include "verifull/policy.hpp"

namespace verifull {
inline namespace v0 {
namespace mysql {
namespace {

// Global privileges that administer the server or reach outside it.
const std::set<std::string> kAdminPrivileges = {
    "ALL PRIVILEGES", "SUPER", "CREATE USER", "FILE", "PROCESS", "RELOAD", "SHUTDOWN", "GRANT OPTION",
    "REPLICATION SLAVE", "REPLICATION CLIENT", "BINLOG ADMIN", "CONNECTION ADMIN", "READ_ONLY ADMIN",
    "REPLICATION MASTER ADMIN", "REPLICATION SLAVE ADMIN", "FEDERATED ADMIN", "SET USER", "PROXY"};

std::string strip_credentials(std::string grant) {
  static const std::regex secrets(R"(( IDENTIFIED (BY|VIA|WITH) .*?)( REQUIRE | WITH |$))", std::regex::icase);
  return std::regex_replace(grant, secrets, "$3");
}

std::string unquote(std::string s) {
  std::string out;
  for (char c : s)
    if (c != '`' && c != '\'') out += c;
  return out;
}

// "SELECT, INSERT (a, b), UPDATE" -> {"SELECT", "INSERT", "UPDATE"} (column lists dropped).
std::vector<std::string> privileges_of(const std::string& list) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (char c : list + ",") {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      const auto paren = current.find('(');
      std::string name = current.substr(0, paren);
      while (!name.empty() && name.back() == ' ') name.pop_back();
      while (!name.empty() && name.front() == ' ') name.erase(0, 1);
      if (!name.empty()) out.push_back(name);
      current.clear();
    } else {
      current += c;
    }
  }
  return out;
}

}  // namespace

AuditReport audit_grants(const std::string& user, const std::vector<std::string>& grants) {
  static const std::regex privilege_grant(R"(^GRANT (.+?) ON (.+?) TO (\S+)(.*)$)", std::regex::icase);
  static const std::regex role_grant(R"(^GRANT (\S+) TO (\S+)(.*)$)", std::regex::icase);
  AuditReport report;
  report.user = user;
  for (const auto& raw : grants) {
    const std::string grant = strip_credentials(raw);
    report.grants.push_back(grant);
    std::smatch m;
    if (std::regex_match(grant, m, privilege_grant)) {
      const std::string object = unquote(m[2]);
      const bool grant_option = m[4].str().find("GRANT OPTION") != std::string::npos;
      const bool global = object == "*.*";
      const bool database = !global && object.size() > 2 && object.compare(object.size() - 2, 2, ".*") == 0;
      for (const auto& privilege : privileges_of(m[1])) {
        if (privilege == "USAGE") continue;
        if (privilege == "PROXY") {
          report.admin_findings.push_back("PROXY on " + object);
        } else if (global && kAdminPrivileges.count(privilege)) {
          report.admin_findings.push_back(privilege + " on *.*");
        } else if (global) {
          report.broad_findings.push_back(privilege + " on *.*");
        } else if (database) {
          report.broad_findings.push_back(privilege + " on database " + object.substr(0, object.size() - 2));
        } else {
          ++report.table_privileges[privilege];
        }
      }
      if (grant_option) (global ? report.admin_findings : report.broad_findings).push_back("GRANT OPTION on " + object);
    } else if (std::regex_match(grant, m, role_grant)) {
      report.broad_findings.push_back("holds role " + unquote(m[1]) + " (its privileges are not expanded here)");
    }
  }
  detail::conclude(report);
  return report;
}

AuditReport audit(MYSQL* m) { return audit(m, Policy{}.timeout); }

AuditReport audit(MYSQL* m, std::chrono::milliseconds timeout) {
  try {
    return audit_until(m, detail::Clock::now() + timeout);
  } catch (const detail::ProbeFailure& e) {
    throw NetworkError(e.what());
  }
}

// mysql_query blocks on the socket (its read timeout is per read, and the handle may be
// the caller's, with any setting); the watchdog shuts the socket at the deadline, so a
// stalled server makes the query fail then, and the failure is reported as the timeout.
AuditReport audit_until(MYSQL* m, detail::Clock::time_point deadline) {
  if (!m) throw InputError("audit needs an open MySQL connection");
  detail::SocketWatchdog watchdog(deadline);
  watchdog.watch(mysql_get_socket(m));
  const auto failed = [&] {
    if (watchdog.fired())
      throw detail::ProbeFailure(Outcome::timeout,
                                 "the server did not answer the audit queries before the timeout — a stalling "
                                 "server or path; the connection was shut");
    throw std::runtime_error(std::string("audit: ") + mysql_error(m));
  };
  if (mysql_query(m, "SELECT CURRENT_USER()") != 0) failed();
  MYSQL_RES* res = mysql_store_result(m);
  if (!res && mysql_errno(m) != 0) failed();
  MYSQL_ROW row = res ? mysql_fetch_row(res) : nullptr;
  const std::string user = row && row[0] ? row[0] : "?";
  mysql_free_result(res);
  if (mysql_query(m, "SHOW GRANTS") != 0) failed();
  res = mysql_store_result(m);
  if (!res && mysql_errno(m) != 0) failed();
  std::vector<std::string> grants;
  while (res && (row = mysql_fetch_row(res)))
    if (row[0]) grants.emplace_back(row[0]);
  mysql_free_result(res);
  if (watchdog.disarm()) failed();  // it shut the socket just as the last answer came
  return audit_grants(user, grants);
}

std::string suggest_readonly_sql(const std::vector<std::string>& tables, const std::string& user) {
  detail::check_identifier(user, "user name");
  if (tables.empty()) throw InputError("name at least one table (as database.table) to grant SELECT on");
  const std::string account = "'" + user + "'@'%'";
  std::string sql = "-- A dedicated read-only login for one integration, TLS required. Keep the password in a secret store.\n";
  sql += "CREATE USER " + account + " IDENTIFIED BY '" + detail::generated_password() + "' REQUIRE SSL;\n";
  for (const auto& t : tables) {
    const auto dot = t.find('.');
    if (dot == std::string::npos)
      throw InputError("table \"" + t + "\" needs its database: write it as database.table");
    const std::string db = t.substr(0, dot), name = t.substr(dot + 1);
    detail::check_identifier(db, "database name");
    detail::check_identifier(name, "table name");
    sql += "GRANT SELECT ON `" + db + "`.`" + name + "` TO " + account + ";\n";
  }
  return sql;
}

}  // namespace mysql
}  // namespace v0
}  // namespace verifull
