// Least privilege: what the connected credential may do, and whether it is an
// administrator. A provider's default credential usually administers the whole
// database; each integration should have its own user with only what it needs.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "verifull/export.hpp"

typedef struct pg_conn PGconn;
typedef struct st_mysql MYSQL;

namespace verifull {
inline namespace v0 {

enum class PrivilegeLevel { least_privilege, broad, admin };
VERIFULL_API const char* privilege_level_name(PrivilegeLevel level);

struct AuditReport {
  std::string user;
  PrivilegeLevel verdict = PrivilegeLevel::admin;  // fail closed until proven otherwise
  std::string message;                             // the sentence why
  std::vector<std::string> admin_findings;         // "superuser", "GRANT OPTION on *.*", ...
  std::vector<std::string> broad_findings;         // "member of pg_read_all_data", ...
  std::map<std::string, int> table_privileges;     // "SELECT" -> number of tables
  std::vector<std::string> grants;                 // MySQL: SHOW GRANTS, credentials removed
  bool is_admin() const { return verdict == PrivilegeLevel::admin; }
  VERIFULL_API std::string to_json() const;
};

namespace postgres {
// Queries the catalogs over `conn`. Throws std::runtime_error if the queries fail, and
// NetworkError when the server has not answered them all within `timeout` (10 s, the
// default Policy::timeout, without it); the connection is unusable after that.
VERIFULL_API AuditReport audit(PGconn* conn);
VERIFULL_API AuditReport audit(PGconn* conn, std::chrono::milliseconds timeout);
// SQL that creates a login role with SELECT on exactly `tables` ("table" or
// "schema.table") and a generated password. InputError for a malformed name.
VERIFULL_API std::string suggest_readonly_sql(const std::vector<std::string>& tables,
                                              const std::string& user = "readonly_integration");
}  // namespace postgres

namespace mysql {
// Parses SHOW GRANTS for the current user. Bounded like postgres::audit: NetworkError
// when the server has not answered within `timeout` (10 s without it).
VERIFULL_API AuditReport audit(MYSQL* mysql);
VERIFULL_API AuditReport audit(MYSQL* mysql, std::chrono::milliseconds timeout);
// SQL that creates a user (TLS required) with SELECT on exactly `tables` ("db.table").
VERIFULL_API std::string suggest_readonly_sql(const std::vector<std::string>& tables,
                                              const std::string& user = "readonly_integration");
}  // namespace mysql

}  // namespace v0
}  // namespace verifull
