// Hardened libpq parameters: everything that decides whether the server is verified
// is set explicitly, so no environment variable, service file or default can weaken
// it, and a caller's weaker setting is an error rather than silently replaced.
#include <libpq-fe.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <vector>

#include "core/peer_name.hpp"
#include "verifull/errors.hpp"
#include "verifull/policy.hpp"
#include "verifull/postgres.hpp"
#include "postgres/params_internal.hpp"

namespace verifull {
inline namespace v0 {
namespace postgres {
namespace {

const std::string* find(const Params& params, const std::string& key) {
  for (const auto& [k, v] : params)
    if (k == key) return &v;
  return nullptr;
}

// Calls `each` for every element of a comma-separated libpq list ("a,b,c").
template <typename F>
void for_each_listed(const std::string& value, F each) {
  std::size_t start = 0;
  while (start <= value.size()) {
    auto comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    each(value.substr(start, comma - start));
    start = comma + 1;
  }
}

void refuse_bad_port(const std::string& port) {
  if (port.empty()) return;  // libpq's default, 5432
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stol(port) < 1 ||
      std::stol(port) > 65535)
    throw InputError("invalid port \"" + port + "\" (expected a number from 1 to 65535)");
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
  if (key == "requiressl" && value != "1")
    throw InputError("requiressl=" + value + " would weaken verification; remove it");
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

std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> out;
  for_each_listed(value, [&](const std::string& item) { out.push_back(item); });
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out;
}

// Every address of `host`, as libpq would try them (an IP literal is its own address).
std::vector<std::string> addresses_of(const std::string& host) {
  if (is_ip_literal(host)) return {host};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || !found) return {};
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, freeaddrinfo);
  std::vector<std::string> out;
  for (const addrinfo* a = found; a; a = a->ai_next) {
    char text[NI_MAXHOST];
    if (::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) != 0) continue;
    if (std::find(out.begin(), out.end(), text) == out.end()) out.emplace_back(text);
  }
  return out;
}

// libpq fills every parameter the caller left unset from the environment (PGHOSTADDR,
// PGPORT, PGSERVICE and the service file it names). Those that decide where the
// connection goes are set explicitly here, so none of them can redirect it: the port
// (5432 when not given), and hostaddr, resolved from host when not given (each
// address becomes its own host entry, the order libpq would try them in).
void pin_destination(const Params& params, Params& out) {
  const std::vector<std::string> hosts = split_list(*find(params, "host"));
  std::vector<std::string> ports = split_list(find(params, "port") ? *find(params, "port") : "5432");
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
  std::vector<std::string> out_hosts, out_addresses, out_ports;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    for (const auto& address : addresses_of(hosts[i])) {
      out_hosts.push_back(hosts[i]);
      out_addresses.push_back(address);
      out_ports.push_back(ports[i]);
    }
  }
  if (out_hosts.empty())
    throw NetworkError("could not resolve " + join_list(hosts) + " (name resolution failed)");
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

}  // namespace

Params parse_conninfo(const std::string& conninfo_or_url) {
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
  return params;
}

Params hardened_params(const std::string& conninfo_or_url, const Trust& trust, const Policy& policy) {
  return hardened_params(parse_conninfo(conninfo_or_url), trust, policy);
}

Params hardened_params(const Params& params, const Trust& trust, const Policy& policy) {
  return harden(params, trust, policy, Resolve::yes);
}

void refuse_weak_params(const Params& params) {
  for (const auto& [key, value] : params) refuse_weakening(key, value);
  if (!find(params, "host"))
    throw InputError("no host given; verifull connects over TCP to a named host (libpq would fall back to a "
                     "Unix socket or PGHOST)");
}

Params harden(const Params& params, const Trust& trust, const Policy& policy, Resolve resolve) {
  static const std::set<std::string> kOurs = {"sslmode", "sslrootcert", "gssencmode", "ssl_min_protocol_version",
                                              "requiressl", "sslsni", "hostaddr", "port"};
  refuse_weak_params(params);
  Params out;
  for (const auto& [key, value] : params)
    if (!kOurs.count(key)) out.emplace_back(key, value);
  if (resolve == Resolve::yes) pin_destination(params, out);
  const auto* min_tls = find(params, "ssl_min_protocol_version");
  out.emplace_back("sslmode", "verify-full");
  out.emplace_back("sslrootcert", trust.anchors_file());
  out.emplace_back("gssencmode", "disable");
  out.emplace_back("ssl_min_protocol_version", min_tls ? *min_tls : "TLSv1.2");
  out.emplace_back("sslsni", "1");
  if (!find(params, "connect_timeout")) {
    const auto seconds = static_cast<long>(std::ceil(policy.timeout.count() / 1000.0));
    out.emplace_back("connect_timeout", std::to_string(std::max(2L, seconds)));
  }
  return out;
}

void validate(const std::string& conninfo_or_url) { refuse_weak_params(parse_conninfo(conninfo_or_url)); }

std::string conninfo(const std::string& conninfo_or_url, const Trust& trust, const Policy& policy) {
  std::string out;
  for (const auto& [key, value] : hardened_params(conninfo_or_url, trust, policy))
    out += (out.empty() ? "" : " ") + key + "=" + quote_value(value);
  return out;
}

}  // namespace postgres
}  // namespace v0
}  // namespace verifull
