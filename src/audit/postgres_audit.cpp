// What a PostgreSQL credential may do, from the catalogs (direct and inherited roles).
#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>

#include "audit/audit_internal.hpp"
#include "probe/failure.hpp"
#include "verifull/errors.hpp"
#include "verifull/policy.hpp"

namespace verifull {
inline namespace v0 {
namespace postgres {
namespace {

std::string timed_out(const char* step) {
  return std::string("the server did not answer the audit queries (") + step +
         ") before the timeout — a stalling server or path";
}

// Waits until `conn`'s socket is ready for `events`, or throws at the deadline.
void wait_for(PGconn* conn, short events, detail::Clock::time_point deadline, const char* step) {
  for (;;) {
    if (detail::passed(deadline)) throw detail::ProbeFailure(Outcome::timeout, timed_out(step));
    pollfd p{PQsocket(conn), events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(detail::remaining(deadline).count()));
    if (n > 0) return;
    if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("audit: poll failed: ") + std::strerror(errno));
  }
}

// Runs a query that returns rows of text, before `deadline` (PQexec would wait for the
// server for ever); throws with the server's message on failure.
std::vector<std::vector<std::string>> rows(PGconn* conn, const char* sql, detail::Clock::time_point deadline) {
  const int was_nonblocking = PQisnonblocking(conn);
  PQsetnonblocking(conn, 1);  // PQsendQuery and PQflush then never wait on a full socket
  struct Restore {
    PGconn* conn;
    int mode;
    ~Restore() { PQsetnonblocking(conn, mode); }
  } restore{conn, was_nonblocking};
  if (!PQsendQuery(conn, sql)) throw std::runtime_error(std::string("audit query failed: ") + PQerrorMessage(conn));
  for (int flushed; (flushed = PQflush(conn)) != 0;) {
    if (flushed < 0) throw std::runtime_error(std::string("audit query failed: ") + PQerrorMessage(conn));
    wait_for(conn, POLLOUT, deadline, "sending");
  }
  std::vector<std::vector<std::string>> out;
  std::string failure;
  for (;;) {
    while (PQisBusy(conn)) {
      wait_for(conn, POLLIN, deadline, "waiting for the answer");
      if (!PQconsumeInput(conn)) throw std::runtime_error(std::string("audit query failed: ") + PQerrorMessage(conn));
    }
    PGresult* res = PQgetResult(conn);
    if (!res) break;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
      if (failure.empty()) failure = PQresultErrorMessage(res);
    } else {
      for (int r = 0; r < PQntuples(res); ++r) {
        std::vector<std::string> row;
        for (int c = 0; c < PQnfields(res); ++c) row.emplace_back(PQgetvalue(res, r, c));
        out.push_back(std::move(row));
      }
    }
    PQclear(res);
  }
  if (!failure.empty()) throw std::runtime_error("audit query failed: " + failure);
  return out;
}

// Predefined roles that reach outside the database (files, programs): administrators.
const std::set<std::string> kAdminRoles = {"pg_execute_server_program", "pg_read_server_files",
                                           "pg_write_server_files"};
// Predefined roles that read or write everything, or watch everyone: broad.
const std::set<std::string> kBroadRoles = {"pg_read_all_data", "pg_write_all_data", "pg_monitor",
                                           "pg_read_all_settings", "pg_read_all_stats", "pg_stat_scan_tables",
                                           "pg_signal_backend", "pg_checkpoint"};

constexpr const char* kUserTables =
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r','p','v','m','f') AND n.nspname NOT IN ('pg_catalog','information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%'";

}  // namespace

AuditReport audit(PGconn* conn) { return audit(conn, Policy{}.timeout); }

AuditReport audit(PGconn* conn, std::chrono::milliseconds timeout) {
  try {
    return audit_until(conn, detail::Clock::now() + timeout);
  } catch (const detail::ProbeFailure& e) {
    throw NetworkError(e.what());
  }
}

AuditReport audit_until(PGconn* conn, detail::Clock::time_point deadline) {
  if (!conn || PQstatus(conn) != CONNECTION_OK) throw InputError("audit needs an open PostgreSQL connection");
  AuditReport report;
  const auto role = rows(conn,
                         "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
                         "FROM pg_roles WHERE rolname = current_user",
                         deadline);
  if (role.empty()) throw std::runtime_error("audit: the current role is not in pg_roles");
  report.user = role[0][0];
  const char* attributes[] = {nullptr, "superuser", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS"};
  for (int i = 1; i <= 5; ++i) {
    if (role[0][i] != "t") continue;
    (i == 3 ? report.broad_findings : report.admin_findings).push_back(attributes[i]);
  }
  for (const auto& r : rows(conn,
                            "SELECT rolname FROM pg_roles WHERE rolname LIKE 'pg\\_%' "
                            "AND rolname <> 'pg_database_owner' AND pg_has_role(current_user, oid, 'MEMBER') "
                            "ORDER BY rolname",
                            deadline)) {
    if (kAdminRoles.count(r[0])) report.admin_findings.push_back("member of " + r[0]);
    if (kBroadRoles.count(r[0])) report.broad_findings.push_back("member of " + r[0]);
  }
  for (const auto& r : rows(conn,
                            "SELECT datname FROM pg_database WHERE pg_has_role(current_user, datdba, 'MEMBER') "
                            "ORDER BY datname",
                            deadline))
    report.broad_findings.push_back("owns database " + r[0]);
  for (const auto& r : rows(conn,
                            "SELECT nspname FROM pg_namespace WHERE pg_has_role(current_user, nspowner, 'MEMBER') "
                            "AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY nspname",
                            deadline))
    report.broad_findings.push_back("owns schema " + r[0]);
  const auto owned = rows(conn, (std::string("SELECT count(*) ") + kUserTables +
                                 " AND pg_has_role(current_user, c.relowner, 'MEMBER')").c_str(),
                          deadline);
  if (owned[0][0] != "0") report.broad_findings.push_back("owns " + owned[0][0] + " tables");
  const char* kinds[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"};
  std::string sql = "SELECT ";
  for (int i = 0; i < 7; ++i)
    sql += std::string(i ? ", " : "") + "count(*) FILTER (WHERE has_table_privilege(c.oid, '" + kinds[i] + "'))";
  const auto counts = rows(conn, (sql + " " + kUserTables).c_str(), deadline);
  for (int i = 0; i < 7; ++i) report.table_privileges[kinds[i]] = std::stoi(counts[0][i]);
  detail::conclude(report);
  return report;
}

std::string suggest_readonly_sql(const std::vector<std::string>& tables, const std::string& user) {
  detail::check_identifier(user, "user name");
  if (tables.empty()) throw InputError("name at least one table to grant SELECT on");
  std::set<std::string> schemas;
  std::string table_list;
  for (const auto& t : tables) {
    const auto dot = t.find('.');
    const std::string schema = dot == std::string::npos ? "public" : t.substr(0, dot);
    const std::string name = dot == std::string::npos ? t : t.substr(dot + 1);
    detail::check_identifier(schema, "schema name");
    detail::check_identifier(name, "table name");
    schemas.insert(schema);
    table_list += (table_list.empty() ? "" : ", ") + ("\"" + schema + "\".\"" + name + "\"");
  }
  const std::string quoted_user = "\"" + user + "\"";
  std::string sql = "-- A dedicated read-only login for one integration. Keep the password in a secret store.\n";
  sql += "CREATE ROLE " + quoted_user + " LOGIN PASSWORD '" + detail::generated_password() +
         "' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 10;\n";
  sql += "DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO " + quoted_user +
         "', current_database()); END $$;\n";
  for (const auto& s : schemas) sql += "GRANT USAGE ON SCHEMA \"" + s + "\" TO " + quoted_user + ";\n";
  sql += "GRANT SELECT ON TABLE " + table_list + " TO " + quoted_user + ";\n";
  return sql;
}

}  // namespace postgres
}  // namespace v0
}  // namespace verifull
