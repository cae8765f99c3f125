// Hardened libpq parameters: everything that decides whether the server is verified
// is set explicitly, so no environment variable, service file or default can weaken
// it, and a caller's weaker setting is an error rather than silently replaced.
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <optional>
#include <memory>
#include <set>
#include <vector>

#include "core/client_cert.hpp"
#include "core/deadline.hpp"
#include "probe/failure.hpp"
#include "probe/resolve.hpp"
#include "core/peer_name.hpp"
#include "verifull/errors.hpp"
#include "core/crl.hpp"
#include "core/driver_files.hpp"
#include "core/list_syntax.hpp"
#include "core/port.hpp"
#include "verifull/policy.hpp"
#include "verifull/postgres.hpp"
#include "postgres/params_internal.hpp"
#include "core/url_rules.hpp"

namespace verifull {
inline namespace v0 {
namespace postgres {
namespace {

const std::string* find(const Params& params, const std::string& key) {
  for (const auto& [k, v] : params)
    if (k == key) return &v;
  return nullptr;
}

// Calls `each` for every element of a comma-separated libpq list ("a,b,c"; an empty
// element stands for libpq's default), read by the one list syntax (core/list_syntax.hpp).
template <typename F>
void for_each_listed(const std::string& value, F each) {
  for (const auto& item : detail::split_list(value, ',')) each(item);
}

void refuse_bad_port(const std::string& port) {
  if (port.empty()) return;  // libpq's default, 5432
  if (!detail::parse_port(port))
    throw InputError("invalid port \"" + port + "\" (expected " + detail::kPortRule + ")");
}

// libpq's own parser turns the deprecated requiressl into sslmode (1 -> require,
// anything else -> prefer), so the refusal is worded for the keyword the caller wrote.
InputError requiressl_refusal(const std::string& value) {
  return InputError("requiressl=" + value + " asks libpq to allow a connection without TLS; verifull always "
                    "uses sslmode=verify-full (remove requiressl)");
}

// The value the caller gave the deprecated keyword requiressl, if any: libpq's parser
// has already replaced it by sslmode in its result, so the text is read again, the way
// libpq reads it (a URL's query; or keyword = value pairs, values quoted with ' and
// escaped with \), so a password that happens to contain the word is not mistaken for it.
std::optional<std::string> requiressl_in(const std::string& text) {
  std::optional<std::string> found;
  if (text.rfind("postgres://", 0) == 0 || text.rfind("postgresql://", 0) == 0) {
    const auto q = text.find('?');
    if (q == std::string::npos) return found;
    for (const auto& pair : detail::split_list(text.substr(q + 1), '&')) {
      const auto eq = pair.find('=');
      if (eq != std::string::npos && pair.substr(0, eq) == "requiressl") found = pair.substr(eq + 1);
    }
    return found;
  }
  std::size_t i = 0;
  const auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  while (true) {
    skip_space();
    if (i >= text.size()) return found;
    std::string key;
    while (i < text.size() && text[i] != '=' && !std::isspace(static_cast<unsigned char>(text[i]))) key += text[i++];
    skip_space();
    if (i >= text.size() || text[i] != '=') return found;  // libpq refuses such a string anyway
    ++i;
    skip_space();
    std::string value;
    const bool quoted = i < text.size() && text[i] == '\'';
    if (quoted) ++i;
    while (i < text.size()) {
      const char c = text[i];
      if (quoted ? c == '\'' : std::isspace(static_cast<unsigned char>(c))) break;
      if (c == '\\' && i + 1 < text.size()) ++i;
      value += text[i++];
    }
    if (quoted && i < text.size()) ++i;  // the closing quote
    if (key == "requiressl") found = value;
  }
}

void refuse_weakening(const std::string& key, const std::string& value) {
  if (key == "sslmode" && value != "verify-full")
    throw InputError("sslmode=" + value + " would weaken verification; verifull always uses sslmode=verify-full "
                     "(remove sslmode from the connection string)");
  if (key == "sslrootcert")
    throw InputError("sslrootcert is set by verifull from the trust anchors; pass the CA as the trust instead");
  if (key == "gssencmode" && value != "disable")
    throw InputError("gssencmode=" + value + " would let GSSAPI encryption replace verified TLS; verifull "
                     "sets gssencmode=disable");
  if (key == "ssl_min_protocol_version" && value != "TLSv1.2" && value != "TLSv1.3")
    throw InputError("ssl_min_protocol_version=" + value + " is below verifull's minimum, TLSv1.2");
  if (key == "requiressl" && value != "1") throw requiressl_refusal(value);
  if (key == "sslsni" && value != "1")
    throw InputError("sslsni=" + value + " would hide the host name from the server's TLS layer; verifull always "
                     "sends it (sslsni=1), since servers and proxies that route by name pick the certificate from "
                     "it and verifull verifies the name it sends: remove sslsni");
  if (key == "service" || key == "servicefile")
    throw InputError(key + "=" + value + " would let a service file outside your code decide where the connection "
                     "goes; give host, port and dbname in the connection string instead");
  if (key == "hostaddr")
    for_each_listed(value, [&](const std::string& address) {
      if (!address.empty() && !is_ip_literal(address))
        throw InputError("hostaddr " + address + " is not an IP address");
    });
  if (key == "port") for_each_listed(value, refuse_bad_port);
  if (key == "host") {
    for_each_listed(value, [&](const std::string& host) {
      if (host.empty())
        throw InputError("an empty host in host=\"" + value + "\"; verifull needs the name of each server to verify");
      if (host.front() == '/' || host.front() == '@')
        throw InputError("host " + host + " is a Unix-domain socket; libpq never uses TLS there, so verifull "
                         "cannot verify it (connect over TCP)");
      // The name rule every entry point shares, before any resolver sees the name
      // ("10.0.0" would otherwise resolve to 10.0.0.0, "-bad.example.com" read as unresolvable).
      detail::parse_peer_name(host);
    });
  }
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out;
}

// Every address of `host`, as libpq would try them (an IP literal is its own address),
// resolved before `deadline`; none when the name does not resolve. A resolver that does
// not answer in time is a ProbeFailure (timeout), not "no such name".
std::vector<std::string> addresses_of(const std::string& host, detail::Clock::time_point deadline) {
  if (is_ip_literal(host)) return {host};
  std::vector<std::string> out;
  try {
    for (const auto& address : detail::resolve(host, 0, deadline)) {
      const std::string text = address.text();
      if (!text.empty() && std::find(out.begin(), out.end(), text) == out.end()) out.push_back(text);
    }
  } catch (const detail::ProbeFailure& e) {
    if (e.outcome == Outcome::timeout) throw;
  }
  return out;
}

// libpq fills every parameter the caller left unset from the environment (PGHOSTADDR,
// PGPORT, PGSERVICE and the service file it names). Those that decide where the
// connection goes are set explicitly here, so none of them can redirect it: the port
// (5432 when not given), and hostaddr. With Resolve::yes (a connect made now) hostaddr
// is resolved from host within the deadline (each address becomes its own host entry,
// the order libpq would try them in); with Resolve::when_connecting (a string kept for
// later connects) it is an explicitly empty hostaddr: libpq 15 reads the environment and
// service file only for keywords left unset, and treats an empty hostaddr as none, so it
// resolves host itself on every connect and a moved name is followed, never frozen.
void pin_destination(const Params& params, Params& out, Resolve resolve, detail::Clock::time_point deadline) {
  const std::vector<std::string> hosts = detail::split_list(*find(params, "host"));
  std::vector<std::string> ports = detail::split_list(find(params, "port") ? *find(params, "port") : "5432");
  if (ports.size() == 1) ports.assign(hosts.size(), ports.front().empty() ? "5432" : ports.front());
  if (ports.size() != hosts.size())
    throw InputError("host lists " + std::to_string(hosts.size()) + " servers but port lists " +
                     std::to_string(ports.size()) + " ports");
  for (auto& port : ports)
    if (port.empty()) port = "5432";
  if (const auto* given = find(params, "hostaddr")) {
    out.emplace_back("hostaddr", *given);
    out.emplace_back("port", join_list(ports));
    return;
  }
  if (resolve == Resolve::when_connecting) {
    out.emplace_back("hostaddr", "");
    out.emplace_back("port", join_list(ports));
    return;
  }
  std::vector<std::string> out_hosts, out_addresses, out_ports;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    for (const auto& address : addresses_of(hosts[i], deadline)) {
      out_hosts.push_back(hosts[i]);
      out_addresses.push_back(address);
      out_ports.push_back(ports[i]);
    }
  }
  if (out_hosts.empty())
    throw NetworkError("could not resolve " + join_list(hosts) + " (name resolution failed)", Outcome::name_not_resolved);
  for (auto& [key, value] : out)
    if (key == "host") value = join_list(out_hosts);
  out.emplace_back("hostaddr", join_list(out_addresses));
  out.emplace_back("port", join_list(out_ports));
}

std::string quote_value(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// A postgres:// URL whose query names host (see core/url_rules.hpp).
void refuse_url_host_parameter(const std::string& text) {
  if (text.rfind("postgres://", 0) != 0 && text.rfind("postgresql://", 0) != 0) return;
  const auto q = text.find('?');
  if (q == std::string::npos) return;
  const std::string query = text.substr(q + 1);
  for (const auto& pair : detail::split_list(query, '&'))
    if (pair.substr(0, pair.find('=')) == "host") throw detail::postgres_url_host_parameter_refused();
}

// What conninfo() cannot hand over: libpq connects by itself with the string, so only
// its own verify-full runs, on every connect made with it. A policy asking for more is
// refused by name rather than returned weaker.
void refuse_policy_a_string_cannot_carry(const Policy& policy) {
  std::vector<std::string> asked;
  if (!policy.pins.empty()) asked.emplace_back("pins");
  if (policy.engine != Engine::openssl) asked.emplace_back(std::string("engine=") + engine_name(policy.engine));
  if (policy.profile != Profile::standard) asked.emplace_back(std::string("profile=") + profile_name(policy.profile));
  if (policy.allow_cn_fallback) asked.emplace_back("allow_cn_fallback (verifull's CN rule)");
  if (policy.max_intermediates) asked.emplace_back("max_intermediates");
  if (policy.verification_time) asked.emplace_back("verification_time");
  if (policy.refuse_admin_credentials) asked.emplace_back("refuse_admin_credentials");
  if (asked.empty()) return;
  throw InputError("a libpq connection string cannot carry " + join_list(asked) +
                   ": libpq would connect with it by itself and check only its own verify-full, on every reconnect; "
                   "use verifull's in-band connect instead, which checks them before any credential is sent "
                   "(postgres::connect / vf_pg_connect / verifull.psycopg.connect)");
}

// The client certificate (mutual TLS): from the string (sslcert, sslkey, sslpassword) or
// from the policy, never from both, checked before any traffic (core/client_cert.hpp):
// libpq itself skips a certificate file it cannot find and sends none, so a typo would
// otherwise surface only as the server's refusal. The policy's are added to `out`.
void add_client_certificate(const Params& params, const Policy& policy, Params& out) {
  const auto given = [&](const char* key) {
    const auto* value = find(params, key);
    return value ? *value : std::string();
  };
  const detail::ClientSetting cert{given("sslcert"), "sslcert"}, key{given("sslkey"), "sslkey"},
      passphrase{given("sslpassword"), "sslpassword"};
  const bool in_string = !cert.value.empty() || !key.value.empty() || !passphrase.value.empty();
  if (!detail::has_client_certificate(policy)) {
    detail::check_client_certificate(cert, key, passphrase);
    return;
  }
  if (in_string)
    throw InputError("a client certificate is given both in the connection string (sslcert, sslkey, sslpassword) "
                     "and in the policy (client_cert, client_key, client_key_passphrase); give it in one place");
  detail::check_client_certificate(policy);
  out.emplace_back("sslcert", policy.client_cert);
  out.emplace_back("sslkey", policy.client_key);
  if (!policy.client_key_passphrase.empty()) out.emplace_back("sslpassword", policy.client_key_passphrase);
}

}  // namespace

Params parse_conninfo(const std::string& conninfo_or_url) {
  refuse_url_host_parameter(conninfo_or_url);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo_or_url.c_str(), &error);
  if (!options) {
    std::string why = error ? error : "out of memory";
    PQfreemem(error);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    // libpq quotes the string it could not parse, password included; InputError
    // replaces it (errors.cpp).
    throw InputError("invalid PostgreSQL connection string: " + why);
  }
  Params params;
  for (const PQconninfoOption* o = options; o->keyword; ++o)
    if (o->val) params.emplace_back(o->keyword, o->val);
  PQconninfoFree(options);
  if (const auto requiressl = requiressl_in(conninfo_or_url)) {
    // libpq stored it as sslmode=require (for 1) or sslmode=prefer: requiressl=1 asks
    // for no less than verify-full gives, anything else for a plaintext fallback.
    if (*requiressl != "1") throw requiressl_refusal(*requiressl);
    params.erase(std::remove_if(params.begin(), params.end(),
                                [](const auto& kv) { return kv.first == "sslmode" && kv.second == "require"; }),
                 params.end());
  }
  return params;
}

Params hardened_params(const std::string& conninfo_or_url, const Trust& trust, const Policy& policy) {
  return hardened_params(parse_conninfo(conninfo_or_url), trust, policy);
}

Params hardened_params(const Params& params, const Trust& trust, const Policy& policy) {
  try {
    return harden(params, trust, policy, Resolve::yes);
  } catch (const detail::ProbeFailure& e) {  // the resolver did not answer within policy.timeout
    throw NetworkError(e.what(), e.outcome);
  }
}

void refuse_weak_params(const Params& params) {
  for (const auto& [key, value] : params) refuse_weakening(key, value);
  if (!find(params, "host"))
    throw InputError("no host given; verifull connects over TCP to a named host (libpq would fall back to a "
                     "Unix socket or PGHOST)");
}

// The keys harden() sets itself. At namespace scope, built at load: a function-local
// static whose initialisation a fork() interrupts stays "in progress" in the child
// (core/fork_safe.hpp).
const std::set<std::string> kOurs = {"sslmode",  "sslrootcert", "gssencmode", "ssl_min_protocol_version",
                                     "requiressl", "sslsni",    "hostaddr",   "port"};

Params harden(const Params& params, const Trust& trust, const Policy& policy, Resolve resolve) {
  refuse_weak_params(params);
  Params out;
  for (const auto& [key, value] : params)
    if (!kOurs.count(key) && !detail::is_url_crl_parameter(Protocol::postgres, key)) out.emplace_back(key, value);
  add_client_certificate(params, policy, out);
  if (resolve != Resolve::no) pin_destination(params, out, resolve, detail::deadline_of(policy));
  const auto* min_tls = find(params, "ssl_min_protocol_version");
  out.emplace_back("sslmode", "verify-full");
  out.emplace_back("sslrootcert", trust.anchors_file());
  out.emplace_back("gssencmode", "disable");
  out.emplace_back("ssl_min_protocol_version", min_tls ? *min_tls : "TLSv1.2");
  out.emplace_back("sslsni", "1");
  // The policy's CRLs and the URL's sslcrl/sslcrldir, as one PEM file: libpq checks
  // them too (its CRL_CHECK_ALL: a CRL for every certificate of the chain).
  const auto crls = detail::load_crls(detail::with_url_crls(policy, Protocol::postgres, params));
  if (!crls.crls.empty()) out.emplace_back("sslcrl", detail::driver_file(detail::crls_pem(crls), ".crl.pem"));
  if (!find(params, "connect_timeout")) {
    const auto seconds = static_cast<long>(std::ceil(policy.timeout.count() / 1000.0));
    out.emplace_back("connect_timeout", std::to_string(std::max(2L, seconds)));
  }
  return out;
}

void validate(const std::string& conninfo_or_url) {
  const Params params = parse_conninfo(conninfo_or_url);
  refuse_weak_params(params);
  Params unused;
  add_client_certificate(params, Policy{}, unused);
}

std::string conninfo(const std::string& conninfo_or_url, const Trust& trust, const Policy& policy) {
  refuse_policy_a_string_cannot_carry(policy);
  std::string out;
  // The string outlives this call (pools, settings made at import): no name is resolved
  // now, libpq resolves it on each connect (pin_destination).
  for (const auto& [key, value] : harden(parse_conninfo(conninfo_or_url), trust, policy, Resolve::when_connecting))
    out += (out.empty() ? "" : " ") + key + "=" + quote_value(value);
  return out;
}

}  // namespace postgres
}  // namespace v0
}  // namespace verifull
