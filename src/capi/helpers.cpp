// The C ABI's calls that take no handle: a URL's parts, the TLS-strength rule and the
// strong cipher list for bindings that run their own TLS, and the read-only user's SQL.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capi/handle.hpp"
#include "core/list_syntax.hpp"
#include "core/tls_strength.hpp"

using namespace verifull;
using namespace verifull::capi;

extern "C" {

int vf_parse_url(const char* url, char* buf, size_t* len) {
  return guard([&] {
    require(url, "url must not be NULL");
    const Endpoint ep = parse_url(url);
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [k, v] : ep.params) params[k] = v;
    const nlohmann::json j = {{"protocol", ep.protocol == Protocol::postgres ? "postgres" : "mysql"},
                              {"host", ep.host},
                              {"port", ep.port},
                              {"user", ep.user},
                              {"password", ep.password},
                              {"database", ep.database},
                              {"params", params}};
    return write_string(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), buf, len);
  });
}

int vf_tls_weak_reason(const char* protocol, const char* cipher, char* buf, size_t* len) {
  return guard([&] {
    if (!protocol || !cipher) return fail(VF_ERROR_NULL_POINTER, "protocol and cipher must not be NULL");
    return write_string(detail::weak_tls_reason(protocol, cipher).value_or(""), buf, len);
  });
}

int vf_tls_strong_ciphers(char* buf, size_t* len) {
  return guard([&] { return write_string(detail::kStrongTls12Ciphers, buf, len); });
}

int vf_suggest_readonly_sql(int kind, const char* tables, const char* user, char* buf, size_t* len) {
  return guard([&] {
    require(tables, "tables must not be NULL");
    const std::vector<std::string> list = detail::parse_name_list(tables);  // core/list_syntax.hpp
    const std::string name = user ? user : "readonly_integration";
    if (kind == VF_KIND_POSTGRES) return write_string(postgres::suggest_readonly_sql(list, name), buf, len);
    if (kind == VF_KIND_MYSQL) return write_string(mysql::suggest_readonly_sql(list, name), buf, len);
    return fail(VF_ERROR_INPUT, "kind must be VF_KIND_POSTGRES or VF_KIND_MYSQL");
  });
}

}  // extern "C"
