#include "verifull/probe.hpp"

#include "verifull/errors.hpp"

#include "core/cert_facts.hpp"
#include "core/checked_policy.hpp"
#include "core/client_cert.hpp"
#include "core/crl.hpp"
#include "core/fork_safe.hpp"
#include "core/peer_name.hpp"
#include "core/verdict.hpp"
#include "probe/failure.hpp"
#include "probe/starttls.hpp"
#include "probe/tls_client.hpp"

namespace verifull {
inline namespace v0 {
namespace {

struct Probed {
  detail::TlsCapture tls;
  std::string server_version;
};

// Where to dial: a postgres:// URL's ?hostaddr= (which libpq dials too, so `check` and
// `connect` reach the same address), else the host. The name verified stays the host.
std::string address_to_dial(const Endpoint& endpoint) {
  if (endpoint.protocol != Protocol::postgres) return endpoint.host;
  for (const auto& [key, value] : endpoint.params) {
    if (key != "hostaddr") continue;
    if (!is_ip_literal(value)) throw InputError("hostaddr " + value + " is not an IP address");
    return value;
  }
  return endpoint.host;
}

// Connect, the protocol's TLS request, the handshake. Throws ProbeFailure.
Probed probe(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  const auto deadline = detail::Clock::now() + timeout;
  auto socket = detail::Socket::connect(address_to_dial(endpoint), endpoint.port, deadline);
  Probed out;
  if (endpoint.protocol == Protocol::postgres) {
    detail::postgres_request_tls(socket, deadline);
  } else {
    out.server_version = detail::mysql_request_tls(socket, deadline).server_version;
  }
  out.tls = detail::tls_handshake_and_capture(socket, endpoint.host, deadline);
  return out;
}

}  // namespace

ProbeResult fetch_chain(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  detail::parse_peer_name(endpoint.host);  // as check(): a bad host is an InputError, never dialled
  ProbeResult result;
  try {
    const auto probed = probe(endpoint, timeout);
    result.outcome = Outcome::ok;
    result.tls_version = probed.tls.version;
    result.cipher = probed.tls.cipher;
    result.server_version = probed.server_version;
    const detail::NoForkHere no_fork;  // describing takes OpenSSL's locks (core/fork_safe.hpp)
    for (int i = 0; i < sk_X509_num(probed.tls.chain.get()); ++i)
      result.chain.push_back(detail::cert_info(sk_X509_value(probed.tls.chain.get(), i)));
    result.message = endpoint.host_port() + " presented " + std::to_string(result.chain.size()) +
                     " certificate" + (result.chain.size() == 1 ? "" : "s") + " over " + result.tls_version +
                     " (not verified)";
  } catch (const detail::ProbeFailure& failure) {
    result.outcome = failure.outcome;
    result.message = failure.what();
  }
  return result;
}

Report check(const Endpoint& endpoint, const Trust& trust, const Policy& policy) {
  // A CRL the URL gives the driver (sslcrl, ssl-crl, ...) is one more CRL of the
  // policy, so `check` refuses what the connect would (core/crl.hpp).
  Policy effective = detail::with_url_crls(policy, endpoint.protocol, endpoint.params);
  if (effective.host.empty()) effective.host = endpoint.host;
  detail::check_policy(effective);  // bad input is an InputError before any traffic
  // A connection would present it: a bad client certificate is input, refused before
  // any traffic here too (the probe itself never presents it).
  detail::check_client_certificate(effective);
  detail::load_crls(effective);  // a CRL that cannot be read is an InputError before any traffic
  Report report;
  try {
    const auto probed = probe(endpoint, policy.timeout);
    report = detail::verify_chain(probed.tls.chain.get(), nullptr, trust, effective);
    report.tls_version = probed.tls.version;
    report.cipher = probed.tls.cipher;
    if (report.ok() && probed.tls.weak) {
      report.outcome = Outcome::weak_tls;
      report.message = *probed.tls.weak;
    }
  } catch (const detail::ProbeFailure& failure) {
    report.outcome = failure.outcome;
    report.message = failure.what();
  }
  report.endpoint = endpoint.host_port();
  return report;
}

}  // namespace v0
}  // namespace verifull
