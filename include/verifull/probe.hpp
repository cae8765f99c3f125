// The endpoint probe: speaks just enough PostgreSQL or MySQL to reach TLS, captures
// the chain the server presents, and never sends a credential.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "verifull/endpoint.hpp"
#include "verifull/export.hpp"
#include "verifull/policy.hpp"
#include "verifull/report.hpp"
#include "verifull/trust.hpp"

namespace verifull {
inline namespace v0 {

struct ProbeResult {
  Outcome outcome = Outcome::network_error;  // ok when a chain was captured
  std::string message;
  std::string tls_version;
  std::string cipher;
  std::string server_version;  // MySQL greeting (unauthenticated, informational)
  std::vector<CertInfo> chain;  // as presented: leaf first
};

// Captures the presented chain, trusting nothing (`verifull show`). InputError for a host
// that is not a valid name or address (before any traffic).
VERIFULL_API ProbeResult fetch_chain(const Endpoint& endpoint, std::chrono::milliseconds timeout);

// Probes the endpoint and verifies what it presents. The name verified is
// policy.host when set (connect by address, verify a name), else endpoint.host.
// Network and protocol failures are outcomes in the Report; InputError for bad input.
VERIFULL_API Report check(const Endpoint& endpoint, const Trust& trust, const Policy& policy);

}  // namespace v0
}  // namespace verifull
