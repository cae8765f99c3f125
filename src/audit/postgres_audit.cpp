// What a PostgreSQL credential may do, from the catalogs (direct and inherited roles).
#include <libpq-fe.h>

#include <set>
#include <stdexcept>

#include "audit/audit_internal.hpp"
#include "verifull/errors.hpp"

namespace verifull {
inline namespace v0 {
namespace postgres {
namespace {

// Runs a query that returns rows of text; throws with the server's message on failure.
std::vector<std::vector<std::string>> rows(PGconn* conn, const char* sql) {
  PGresult* res = PQexec(conn, sql);
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    const std::string why = PQresultErrorMessage(res);
    PQclear(res);
    throw std::runtime_error("audit query failed: " + why);
  }
  std::vector<std::vector<std::string>> out;
  for (int r = 0; r < PQntuples(res); ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < PQnfields(res); ++c) row.emplace_back(PQgetvalue(res, r, c));
    out.push_back(std::move(row));
  }
  PQclear(res);
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

AuditReport audit(PGconn* conn) {
  if (!conn || PQstatus(conn) != CONNECTION_OK) throw InputError("audit needs an open PostgreSQL connection");
  AuditReport report;
  const auto role = rows(conn,
                         "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
                         "FROM pg_roles WHERE rolname = current_user");
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
                            "ORDER BY rolname")) {
    if (kAdminRoles.count(r[0])) report.admin_findings.push_back("member of " + r[0]);
    if (kBroadRoles.count(r[0])) report.broad_findings.push_back("member of " + r[0]);
  }
  for (const auto& r : rows(conn,
                            "SELECT datname FROM pg_database WHERE pg_has_role(current_user, datdba, 'MEMBER') "
                            "ORDER BY datname"))
    report.broad_findings.push_back("owns database " + r[0]);
  for (const auto& r : rows(conn,
                            "SELECT nspname FROM pg_namespace WHERE pg_has_role(current_user, nspowner, 'MEMBER') "
                            "AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY nspname"))
    report.broad_findings.push_back("owns schema " + r[0]);
  const auto owned = rows(conn, (std::string("SELECT count(*) ") + kUserTables +
                                 " AND pg_has_role(current_user, c.relowner, 'MEMBER')").c_str());
  if (owned[0][0] != "0") report.broad_findings.push_back("owns " + owned[0][0] + " tables");
  const char* kinds[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"};
  std::string sql = "SELECT ";
  for (int i = 0; i < 7; ++i)
    sql += std::string(i ? ", " : "") + "count(*) FILTER (WHERE has_table_privilege(c.oid, '" + kinds[i] + "'))";
  const auto counts = rows(conn, (sql + " " + kUserTables).c_str());
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
