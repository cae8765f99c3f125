#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "audit/audit_internal.hpp"
#include "core/cert_facts.hpp"
#include "verifull/errors.hpp"

namespace verifull {
inline namespace v0 {

const char* privilege_level_name(PrivilegeLevel level) {
  switch (level) {
    case PrivilegeLevel::least_privilege: return "least_privilege";
    case PrivilegeLevel::broad: return "broad";
    case PrivilegeLevel::admin: return "admin";
  }
  return "unknown";
}

std::string AuditReport::to_json() const {
  const nlohmann::json j = {{"user", user},
                            {"verdict", privilege_level_name(verdict)},
                            {"message", message},
                            {"admin_findings", admin_findings},
                            {"broad_findings", broad_findings},
                            {"table_privileges", table_privileges},
                            {"grants", grants}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace v0

namespace detail {

void conclude(AuditReport& report) {
  const auto list = [](const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
    return out;
  };
  const std::string advice =
      " — give each integration its own user with only the privileges it needs "
      "(`verifull audit --suggest-readonly` prints the SQL for one)";
  if (!report.admin_findings.empty()) {
    report.verdict = PrivilegeLevel::admin;
    report.message = report.user + " is an administrator credential: " + list(report.admin_findings) + advice;
  } else if (!report.broad_findings.empty()) {
    report.verdict = PrivilegeLevel::broad;
    report.message = report.user + " has broad privileges: " + list(report.broad_findings) + advice;
  } else {
    report.verdict = PrivilegeLevel::least_privilege;
    std::vector<std::string> can;
    for (const auto& [kind, count] : report.table_privileges)
      if (count > 0) can.push_back(kind + " on " + std::to_string(count) + " table" + (count == 1 ? "" : "s"));
    report.message = report.user + " holds only object-level privileges" +
                     (can.empty() ? std::string(" (none on tables)") : ": " + list(can));
  }
}

std::string generated_password() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a password");
  std::string b64 = base64(std::string(reinterpret_cast<char*>(bytes), sizeof bytes));
  for (auto& c : b64) {  // URL-safe, so it needs no quoting in SQL, URLs or shells
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return b64;  // 32 characters, 192 bits
}

void check_identifier(const std::string& name, const std::string& what) {
  const bool ok = !name.empty() && name.size() <= 63 &&
                  (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                  name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$") ==
                      std::string::npos;
  if (!ok)
    throw InputError("invalid " + what + " \"" + name + "\": use letters, digits, _ and $, starting with a letter or _");
}

}  // namespace detail
}  // namespace verifull
