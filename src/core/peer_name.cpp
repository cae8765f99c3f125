// The host rule: the dialled host is an IP literal or a DNS name (core/dns_name.hpp),
// checked once for every entry point (docs/design.md, section 13).
#include "core/peer_name.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "core/dns_name.hpp"
#include "verifull/errors.hpp"
#include "verifull/policy.hpp"

namespace verifull {
inline namespace v0 {
namespace {

std::string strip_brackets(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

}  // namespace

bool is_ip_literal(const std::string& host) {
  const auto bare = strip_brackets(host);
  unsigned char buf[16];
  return inet_pton(AF_INET, bare.c_str(), buf) == 1 || inet_pton(AF_INET6, bare.c_str(), buf) == 1;
}

}  // namespace v0

namespace detail {

PeerName parse_peer_name(const std::string& host) {
  if (host.empty()) {
    throw InputError("no host name given; verifull always checks that the certificate names "
                     "the host that was dialled");
  }
  PeerName name;
  const auto bare = strip_brackets(host);
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  for (const int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, bare.c_str(), buf) == 1) {
      name.kind = PeerName::Kind::ip;
      name.ip_bytes.assign(reinterpret_cast<char*>(buf), family == AF_INET ? 4 : 16);
      name.value = inet_ntop(family, buf, text, sizeof text);
      return name;
    }
  }
  std::string dns = host;
  if (dns.back() == '.') dns.pop_back();
  if (auto problem = dns_name_problem(dns, false))
    throw InputError("invalid host name " + quote_input(host) + ": " + *problem);
  std::transform(dns.begin(), dns.end(), dns.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // All-numeric final label ("10.0.0") would be read as an address by resolvers.
  const auto last = dns.substr(dns.rfind('.') == std::string::npos ? 0 : dns.rfind('.') + 1);
  if (last.find_first_not_of("0123456789") == std::string::npos)
    throw InputError("invalid host name " + quote_input(host) + ": it looks like an IP address but is not a valid one");
  name.kind = PeerName::Kind::dns;
  name.value = dns;
  return name;
}

}  // namespace detail
}  // namespace verifull
