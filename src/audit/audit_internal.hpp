// Shared by the PostgreSQL and MySQL audits.
#pragma once

#include <string>

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
