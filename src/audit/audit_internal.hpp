// Shared by the PostgreSQL and MySQL audits.
#pragma once

#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "verifull/audit.hpp"

namespace verifull::detail {

// Sets verdict and message from the findings: any admin finding makes it admin, any
// broad one broad, else least_privilege.
void conclude(AuditReport& report);
// 192 random bits, URL-safe base64: no quoting needed anywhere.
std::string generated_password();
// InputError unless `name` is a plain SQL identifier.
void check_identifier(const std::string& name, const std::string& what);

}  // namespace verifull::detail

namespace verifull {
inline namespace v0 {
// The audits with every query bounded by `deadline` (the connect's, when verifull audits
// a connection it opened): a server that stops answering makes them throw
// detail::ProbeFailure (timeout), which the public audit() turns into NetworkError.
// After a timeout the connection is unusable (a query is still in flight on it).
namespace postgres {
AuditReport audit_until(PGconn* conn, detail::Clock::time_point deadline);
}
namespace mysql {
AuditReport audit_until(MYSQL* mysql, detail::Clock::time_point deadline);
// The verdict from SHOW GRANTS lines, as audit() reaches it (tests/unit/test_audit_grants.cpp).
AuditReport audit_grants(const std::string& user, const std::vector<std::string>& grants);
}
}  // namespace v0
}  // namespace verifull
