// The C ABI's calls that take no handle: a URL's parts, the TLS-strength rule and the
// strong cipher list for bindings that run their own TLS, the MySQL parameter and
// authentication-plugin rules for bindings whose drivers take them, and the read-only
// user's SQL.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capi/handle.hpp"
#include "core/list_syntax.hpp"
#include "core/tls_strength.hpp"
#include "mysql/url_parameters.hpp"

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

int vf_mysql_url_parameters(const char* url, char* buf, size_t* len) {
  return guard([&] {
    require(url, "url must not be NULL");
    const Endpoint ep = parse_url(url);
    mysql::validate(ep);  // the parameters, then the URL's client certificate (mysql/url_parameters.hpp)
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : mysql::url_parameters(ep)) {
      nlohmann::json value;
      switch (p.type) {
        case mysql::ParameterType::flag: value = p.flag; break;
        case mysql::ParameterType::seconds: value = p.seconds; break;
        case mysql::ParameterType::text: value = p.value; break;
      }
      const char* role = p.role == mysql::ParameterRole::driver   ? "driver"
                         : p.role == mysql::ParameterRole::policy ? "policy"
                                                                  : "python_driver";
      out.push_back({{"given", p.given}, {"name", p.name}, {"role", role}, {"value", value}});
    }
    return write_string(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), buf, len);
  });
}

int vf_mysql_keyword_refusal(const char* keyword, char* buf, size_t* len) {
  return guard([&] {
    require(keyword, "keyword must not be NULL");
    return write_string(mysql::replaces_verified_settings(keyword).value_or(""), buf, len);
  });
}

int vf_mysql_auth_plugin_sends_password(const char* name, int* yes) {
  return guard([&] {
    require(name, "name must not be NULL");
    return write_value(yes, mysql::auth_plugin_sends_password(name) ? 1 : 0, "yes must not be NULL");
  });
}

int vf_mysql_clear_text_auth_plugins(char* buf, size_t* len) {
  return guard([&] { return write_string(mysql::kClearTextAuthPlugins, buf, len); });
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
