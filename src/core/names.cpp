#include "core/names.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "core/cert_facts.hpp"
#include "core/profile.hpp"

namespace verifull::detail {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// RFC 5280 4.2.1.10 for dNSName: "example.com" covers the name and every name below it;
// ".example.com" (a common form OpenSSL also reads) only the names below it; "" all.
bool dns_within(const std::string& host, std::string base) {
  base = lower(base);
  if (!base.empty() && base.back() == '.') base.pop_back();
  if (base.empty()) return true;
  if (base.front() == '.') {
    return host.size() > base.size() && host.compare(host.size() - base.size(), base.size(), base) == 0;
  }
  if (host == base) return true;
  return host.size() > base.size() && host.compare(host.size() - base.size(), base.size(), base) == 0 &&
         host[host.size() - base.size() - 1] == '.';
}

// iPAddress constraints are an address and a mask of the same family (8 or 32 octets).
bool ip_within(const std::string& ip, const ASN1_OCTET_STRING* range) {
  const std::string r = asn1_text(range);
  if (r.size() != 2 * ip.size()) return false;  // the other family, or malformed
  for (std::size_t i = 0; i < ip.size(); ++i) {
    const auto mask = static_cast<unsigned char>(r[ip.size() + i]);
    if ((static_cast<unsigned char>(ip[i]) & mask) != (static_cast<unsigned char>(r[i]) & mask)) return false;
  }
  return true;
}

int general_name_type(const PeerName& peer) { return peer.kind == PeerName::Kind::ip ? GEN_IPADD : GEN_DNS; }

// Whether `peer` falls in `subtree` (which has the peer's own name type).
bool within(const PeerName& peer, const GENERAL_SUBTREE* subtree) {
  const GENERAL_NAME* base = subtree->base;
  if (peer.kind == PeerName::Kind::ip) return ip_within(peer.ip_bytes, base->d.iPAddress);
  return dns_within(peer.value, asn1_text(base->d.dNSName));
}

std::string describe(const GENERAL_SUBTREE* subtree) {
  const GENERAL_NAME* base = subtree->base;
  if (base->type == GEN_DNS) {
    const auto name = asn1_text(base->d.dNSName);
    return name.empty() ? "every DNS name" : name;
  }
  const std::string r = asn1_text(base->d.iPAddress);
  if (r.size() != 8 && r.size() != 32) return "a malformed IP range";
  char text[64];
  const int family = r.size() == 8 ? AF_INET : AF_INET6;
  if (!inet_ntop(family, r.data(), text, sizeof text)) return "an IP range";
  int bits = 0;
  for (std::size_t i = r.size() / 2; i < r.size(); ++i) bits += __builtin_popcount(static_cast<unsigned char>(r[i]));
  return std::string(text) + "/" + std::to_string(bits);
}

std::optional<std::string> violation_of(const NAME_CONSTRAINTS* nc, const PeerName& peer) {
  const int type = general_name_type(peer);
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); ++i) {
    const GENERAL_SUBTREE* s = sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, i);
    if (s->base->type == type && within(peer, s)) return "its name constraints exclude " + describe(s);
  }
  bool any_permitted = false;
  for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); ++i) {
    const GENERAL_SUBTREE* s = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);
    if (s->base->type != type) continue;
    any_permitted = true;
    if (within(peer, s)) return std::nullopt;
  }
  if (any_permitted) return std::string("its name constraints do not permit ") + (type == GEN_DNS ? "this DNS name" : "this IP address");
  return std::nullopt;
}

}  // namespace

bool dns_name_matches(const std::string& pattern_in, const std::string& host) {
  std::string pattern = lower(pattern_in);
  if (!pattern.empty() && pattern.back() == '.') pattern.pop_back();
  if (!is_valid_dns_san(pattern)) return false;
  if (pattern.rfind("*.", 0) != 0) return pattern == host;
  const std::string suffix = pattern.substr(1);  // ".a.test"
  if (std::count(suffix.begin(), suffix.end(), '.') < 2) return false;
  if (host.size() <= suffix.size() || host.compare(host.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  const std::string first_label = host.substr(0, host.size() - suffix.size());
  return !first_label.empty() && first_label.find('.') == std::string::npos;
}

bool uses_cn_fallback(const X509* leaf, const PeerName& peer, bool allowed) {
  return allowed && peer.kind == PeerName::Kind::dns && !has_san_extension(leaf);
}

std::string single_common_name(const X509* leaf) {
  const X509_NAME* subject = X509_get_subject_name(leaf);
  const int first = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (first < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, first) >= 0) return "";
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, first));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, value);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  if (out.find('\0') != std::string::npos) return "";
  return out;
}

bool common_name_matches(const X509* leaf, const PeerName& peer) {
  if (peer.kind != PeerName::Kind::dns) return false;
  const std::string cn = single_common_name(leaf);
  return !cn.empty() && dns_name_matches(cn, peer.value);
}

std::optional<NameConstraintViolation> check_peer_against_name_constraints(
    const std::vector<X509Ptr>& chain, const PeerName& peer) {
  for (std::size_t depth = 1; depth < chain.size(); ++depth) {
    const X509* ca = chain[depth].get();
    if (X509_get_ext_by_NID(ca, NID_name_constraints, -1) < 0) continue;
    std::unique_ptr<NAME_CONSTRAINTS, OpenSslDeleter<NAME_CONSTRAINTS, NAME_CONSTRAINTS_free>> nc(
        static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(ca, NID_name_constraints, nullptr, nullptr)));
    if (!nc) return NameConstraintViolation{depth, "its nameConstraints extension cannot be decoded"};
    if (auto clause = violation_of(nc.get(), peer)) return NameConstraintViolation{depth, *clause};
  }
  return std::nullopt;
}

}  // namespace verifull::detail
