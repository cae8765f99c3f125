// verifull's certificate profile: structural rules checked on every verified chain,
// whichever engine built it, so both engines reach the same verdict.
//
// Two kinds of rule. An "always" rule holds in every profile: the security rules (a
// certificate that signs others must be a CA; every name must be decidable against
// the chain's name constraints) and what OpenSSL's default verification, and so libpq
// verify-full, refuses anyway (a critical authorityInfoAccess, explicit curve
// parameters, an empty extendedKeyUsage), so the Botan engine refuses the same chains.
// An encoding rule (RFC 5280 / CA/B profile: key identifiers, criticality, serial
// numbers, versions) refuses only in the strict profile; the standard profile accepts
// the chain, as libpq verify-full does, and reports each deviation as a warning so an
// operator learns what strict would refuse. The strict rules cover what OpenSSL's
// X509_V_FLAG_X509_STRICT checks, so Botan refuses exactly the same chains there too.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/openssl_types.hpp"

namespace verifull::detail {

struct ProfileFinding {
  std::size_t depth = 0;  // 0 = the server's certificate
  std::string rule;       // what is wrong, as a clause: "its serial number is zero"
  bool always = false;    // true: refused in every profile
};

// `chain`: leaf first, anchor last (a single certificate is a self-signed server
// certificate trusted as its own anchor). Every finding, in chain order.
std::vector<ProfileFinding> check_profile(const std::vector<X509Ptr>& chain);

// A DNS name as a certificate may carry it: LDH labels (and '_'), a '*' only as the
// whole leftmost label.
bool is_valid_dns_san(const std::string& name);

}  // namespace verifull::detail
