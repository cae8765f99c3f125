// The one table of MySQL URL parameters (url_parameters.hpp). The README's table
// "Connection settings" lists each with its treatment; tests/unit/test_settings.cpp walks
// that table against this code.
#include "mysql/url_parameters.hpp"

#include <mysql.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/display_text.hpp"
#include "mysql/handle_internal.hpp"
#include "verifull/errors.hpp"

namespace verifull {
inline namespace v0 {
namespace mysql {

const char* const kClearTextAuthPlugins = "mysql_clear_password,dialog";

bool auth_plugin_sends_password(const std::string& name) { return name == "mysql_clear_password" || name == "dialog"; }

std::string parameter_key(const std::string& key) {
  std::string k;
  for (char c : key) k += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k;
}

namespace {

// A flag in any case (?autocommit=True, as Python's drivers were given it).
bool is_flag(const std::string& value) {
  const std::string v = parameter_key(value);
  return v == "0" || v == "1" || v == "true" || v == "false" || v == "yes" || v == "no" || v == "on" || v == "off";
}
bool flag_on(const std::string& value) {
  const std::string v = parameter_key(value);
  return v == "1" || v == "true" || v == "yes" || v == "on";
}

bool only_chars(const std::string& v, const char* allowed_punctuation) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr(allowed_punctuation, c);
  });
}

unsigned int seconds_of(const std::string& key, const std::string& v) {
  if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos || std::stoul(v) == 0)
    throw InputError("the URL parameter " + key + " must be a whole number of seconds from 1 to 999999");
  return static_cast<unsigned int>(std::stoul(v));
}

void require_readable(const std::string& key, const std::string& path, bool directory) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0 || (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) ||
      ::access(path.c_str(), R_OK) != 0)
    throw InputError("the URL parameter " + key + " must name a readable " + (directory ? "directory" : "file") +
                     " of CRLs; \"" + verifull::detail::escape_display(path.substr(0, 200)) + "\" is not one");
}

void no_check(const std::string&, const std::string&) {}

// A parameter verifull takes: its role and type, the check of its value beyond the type
// (InputError), and how Connector/C gets it (nullptr: not on the handle; a policy
// parameter reaches Connector/C through the policy, a Python one never does).
struct Parameter {
  const char* name;
  ParameterRole role;
  ParameterType type;
  void (*check)(const std::string& key, const std::string& value);
  void (*apply)(MYSQL* m, const UrlParameter& p);
};

void set_text(MYSQL* m, enum mysql_option option, const std::string& value, const char* name) {
  if (mysql_optionsv(m, option, value.c_str()) != 0)
    throw std::runtime_error(std::string("Connector/C refused option ") + name);
}
void set_uint(MYSQL* m, enum mysql_option option, unsigned int value, const char* name) {
  if (mysql_optionsv(m, option, &value) != 0) throw std::runtime_error(std::string("Connector/C refused option ") + name);
}

constexpr auto kDriver = ParameterRole::driver;
constexpr auto kPolicy = ParameterRole::policy;
constexpr auto kPython = ParameterRole::python_driver;
constexpr auto kFlag = ParameterType::flag;
constexpr auto kSeconds = ParameterType::seconds;
constexpr auto kText = ParameterType::text;

const Parameter kParameters[] = {
    {"charset", kDriver, kText,
     [](const std::string& k, const std::string& v) {
       if (!only_chars(v, "_")) throw InputError("the URL parameter " + k + " must be a character set name");
     },
     [](MYSQL* m, const UrlParameter& p) { set_text(m, MYSQL_SET_CHARSET_NAME, p.value, "MYSQL_SET_CHARSET_NAME"); }},
    {"init_command", kDriver, kText, no_check,
     [](MYSQL* m, const UrlParameter& p) { set_text(m, MYSQL_INIT_COMMAND, p.value, "MYSQL_INIT_COMMAND"); }},
    {"sql_mode", kDriver, kText,
     [](const std::string& k, const std::string& v) {
       if (!only_chars(v, "_,")) throw InputError("the URL parameter " + k + " must be a comma-separated list of modes");
     },
     [](MYSQL* m, const UrlParameter& p) {
       set_text(m, MYSQL_INIT_COMMAND, "SET SESSION sql_mode='" + p.value + "'", "MYSQL_INIT_COMMAND");
     }},
    {"autocommit", kDriver, kFlag, no_check,
     [](MYSQL* m, const UrlParameter& p) {
       set_text(m, MYSQL_INIT_COMMAND, std::string("SET autocommit=") + (p.flag ? "1" : "0"), "MYSQL_INIT_COMMAND");
     }},
    {"compress", kDriver, kFlag, no_check,
     [](MYSQL* m, const UrlParameter& p) {
       if (p.flag && mysql_optionsv(m, MYSQL_OPT_COMPRESS, nullptr) != 0)
         throw std::runtime_error("Connector/C refused option MYSQL_OPT_COMPRESS");
     }},
    {"local_infile", kDriver, kFlag, no_check,
     [](MYSQL* m, const UrlParameter& p) {
       set_uint(m, MYSQL_OPT_LOCAL_INFILE, p.flag ? 1 : 0, "MYSQL_OPT_LOCAL_INFILE");
     }},
    // Per-step timeouts of Connector/C; the whole connect stays bounded by Policy::timeout.
    {"connect_timeout", kDriver, kSeconds, no_check,
     [](MYSQL* m, const UrlParameter& p) {
       set_uint(m, MYSQL_OPT_CONNECT_TIMEOUT, p.seconds, "MYSQL_OPT_CONNECT_TIMEOUT");
     }},
    {"read_timeout", kDriver, kSeconds, no_check,
     [](MYSQL* m, const UrlParameter& p) { set_uint(m, MYSQL_OPT_READ_TIMEOUT, p.seconds, "MYSQL_OPT_READ_TIMEOUT"); }},
    {"write_timeout", kDriver, kSeconds, no_check,
     [](MYSQL* m, const UrlParameter& p) {
       set_uint(m, MYSQL_OPT_WRITE_TIMEOUT, p.seconds, "MYSQL_OPT_WRITE_TIMEOUT");
     }},
    // CRLs of the policy (effective_policy adds them, core/crl.hpp): verifull checks them
    // and configure() gives Connector/C all of them as one file (MYSQL_OPT_SSL_CRL).
    {"ssl_crl", kPolicy, kText, [](const std::string& k, const std::string& v) { require_readable(k, v, false); },
     nullptr},
    {"ssl_crlpath", kPolicy, kText, [](const std::string& k, const std::string& v) { require_readable(k, v, true); },
     nullptr},
    // A client certificate (mutual TLS): the three are checked together by validate()
    // (core/client_cert.hpp), before any traffic, and carried in the policy from there
    // (configure() sets it; an option file writes it).
    {"ssl_cert", kPolicy, kText, no_check,
     [](MYSQL* m, const UrlParameter& p) { set_text(m, MYSQL_OPT_SSL_CERT, p.value, "MYSQL_OPT_SSL_CERT"); }},
    {"ssl_key", kPolicy, kText, no_check,
     [](MYSQL* m, const UrlParameter& p) { set_text(m, MYSQL_OPT_SSL_KEY, p.value, "MYSQL_OPT_SSL_KEY"); }},
    {"ssl_passphrase", kPolicy, kText, no_check,
     [](MYSQL* m, const UrlParameter& p) {
       set_text(m, MARIADB_OPT_TLS_PASSPHRASE, p.value, "MARIADB_OPT_TLS_PASSPHRASE");
     }},
    // Settings of Python's MySQL drivers (value conversion in the driver) that Connector/C
    // has no equivalent for: the Python helpers carry them, a C/C++/CLI connect refuses them.
    {"use_unicode", kPython, kFlag, no_check, nullptr},
    {"binary_prefix", kPython, kFlag, no_check, nullptr},
};

const Parameter* parameter_named(const std::string& name) {
  for (const auto& p : kParameters)
    if (name == p.name) return &p;
  return nullptr;
}

// Why a parameter that is not in the table is refused.
std::string refusal_reason(const std::string& k) {
  if (auto why = replaces_verified_settings(k)) return *why;
  std::string known;
  for (const auto& p : kParameters)
    if (p.role != kPython) known += (known.empty() ? "" : ", ") + std::string(p.name);
  return "is not a setting verifull knows (it honours " + known + ")";
}

UrlParameter checked(const std::string& given, const std::string& value) {
  const std::string name = parameter_key(given);
  const Parameter* p = parameter_named(name);
  if (!p) throw InputError("the URL parameter " + given + " " + refusal_reason(name) + "; remove it");
  UrlParameter out{given, name, p->role, p->type, value, false, 0};
  if (p->type == kFlag) {
    if (!is_flag(value)) throw InputError("the URL parameter " + given + " must be 1 or 0 (true or false)");
    out.flag = flag_on(value);
  } else if (p->type == kSeconds) {
    out.seconds = seconds_of(given, value);
  }
  p->check(given, value);
  return out;
}

}  // namespace

std::optional<std::string> replaces_verified_settings(const std::string& key) {
  const std::string k = parameter_key(key);
  if (k.rfind("ssl", 0) == 0 || k.rfind("tls", 0) == 0)
    return "would change how verifull secures the connection (verifull sets the CA, name check, pin and TLS versions "
           "itself)";
  if (k == "protocol" || k == "socket" || k == "unix_socket" || k == "named_pipe" || k == "host" || k == "port" ||
      k == "bind_address" || k == "shared_memory_base_name")
    return "would change where the connection goes (verifull connects by TCP to the URL's host and port)";
  if (k == "read_default_file" || k == "read_default_group" || k == "default_file" || k == "default_group")
    return "would let an option file replace the CA and the certificate pin";
  if (k == "default_auth" || k == "plugin_dir" || k == "restricted_auth" || k == "enable_cleartext_plugin" ||
      k == "auth_plugin" || k == "server_public_key" || k == "get_server_public_key" || k == "secure_auth")
    return "would change which authentication methods may receive the password (verifull allows only those that "
           "never send it as it is)";
  if (k == "client_flag")
    return "would change the connection's capability flags, CLIENT_SSL among them (verifull sets how the connection "
           "is secured)";
  return std::nullopt;
}

std::vector<UrlParameter> url_parameters(const Endpoint& endpoint) {
  if (endpoint.protocol != Protocol::mysql) throw InputError(endpoint.display() + " is not a mysql:// endpoint");
  std::vector<UrlParameter> out;
  for (const auto& [key, value] : endpoint.params) out.push_back(checked(key, value));
  return out;
}

void apply_url_parameters(MYSQL* m, const Endpoint& endpoint) {
  for (const auto& p : url_parameters(endpoint)) {
    if (p.role == ParameterRole::python_driver)
      throw InputError("the URL parameter " + p.given + " is a setting of Python's MySQL drivers; Connector/C has no "
                       "such setting, so a C, C++ or CLI connection cannot honour it: remove it");
    if (const auto apply = parameter_named(p.name)->apply) apply(m, p);
  }
}

}  // namespace mysql
}  // namespace v0
}  // namespace verifull
