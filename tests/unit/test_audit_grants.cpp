// mysql::audit_grants, the SHOW GRANTS parser behind mysql::audit (an internal unit:
// no server needed).
#include <doctest/doctest.h>

#include <string>

#include "audit/audit_internal.hpp"

using namespace verifull;

TEST_CASE("SHOW GRANTS parsing: credentials removed, column lists, PROXY, roles, grant option") {
  const auto r = mysql::audit_grants(
      "u@%", {"GRANT USAGE ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*0123456789ABCDEF0123456789ABCDEF01234567'",
              "GRANT SELECT (`a`, `b`), INSERT ON `db`.`t` TO `u`@`%`", "GRANT `reporting` TO `u`@`%`"});
  CHECK(r.verdict == PrivilegeLevel::broad);  // the role is not expanded: not least privilege
  CHECK(r.table_privileges.at("SELECT") == 1);
  CHECK(r.table_privileges.at("INSERT") == 1);
  for (const auto& g : r.grants) CHECK(g.find("0123456789ABCDEF") == std::string::npos);
  CHECK(mysql::audit_grants("root@localhost", {"GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION"}).verdict ==
        PrivilegeLevel::admin);
  CHECK(mysql::audit_grants("u@%", {"GRANT SELECT ON `db`.`t` TO `u`@`%` WITH GRANT OPTION"}).verdict ==
        PrivilegeLevel::broad);
  CHECK(mysql::audit_grants("u@%", {"GRANT FILE ON *.* TO `u`@`%`"}).verdict == PrivilegeLevel::admin);
  CHECK(mysql::audit_grants("u@%", {"GRANT USAGE ON *.* TO `u`@`%`"}).verdict == PrivilegeLevel::least_privilege);
}
