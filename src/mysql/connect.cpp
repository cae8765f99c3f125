// Probe, verify, pin: the core verifies what the endpoint presents, then Connector/C
// opens the real connection with the CA, name verification, TLS >= 1.2, and the SHA-1
// fingerprint of exactly the approved certificate, so it can only reach that
// certificate. Approvals are cached per endpoint; a fingerprint failure on a cached
// approval re-probes once (the server's certificate was rotated), never more.
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <poll.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509_vfy.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/cert_facts.hpp"
#include "core/client_cert.hpp"
#include "core/deadline.hpp"
#include "core/crl.hpp"
#include "core/driver_files.hpp"
#include "core/fork_safe.hpp"
#include "core/tls_strength.hpp"
#include "core/trust_data.hpp"
#include "core/checked_policy.hpp"
#include "mysql/cache.hpp"
#include "mysql/handle_internal.hpp"
#include "mysql/url_parameters.hpp"
#include "audit/audit_internal.hpp"
#include "probe/failure.hpp"
#include "probe/resolve.hpp"
#include "probe/socket.hpp"
#include "verifull/audit.hpp"
#include "verifull/errors.hpp"
#include "verifull/probe.hpp"

namespace verifull {
inline namespace v0 {
namespace mysql {
namespace {

// Authentication plugins that never put the password on the wire in clear text
// (mysql_clear_password and dialog, which can prompt for it, are left out).
constexpr const char* kAllowedAuth = "mysql_native_password,client_ed25519,caching_sha2_password,sha256_password";
// With Policy::allow_cleartext_password: mysql_clear_password too (RDS IAM tokens, PAM and
// LDAP accounts). Only ever set on a connection pinned to the certificate verifull just
// approved, so the password goes to the verified server only. dialog stays out: it
// shows the server's prompts, and verifull has no one to show them to.
constexpr const char* kAllowedAuthWithClearText =
    "mysql_native_password,client_ed25519,caching_sha2_password,sha256_password,mysql_clear_password";

const char* allowed_auth(const Policy& policy) {
  return policy.allow_cleartext_password ? kAllowedAuthWithClearText : kAllowedAuth;
}

std::string sha1_hex_of_pem(const std::string& pem) {
  detail::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  detail::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) throw std::runtime_error("cannot re-read an approved certificate");
  const auto der = detail::der_of(cert.get());
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(der.data()), der.size(), digest);
  return detail::hex_lower(std::string(reinterpret_cast<const char*>(digest), sizeof digest));
}

// Every field of the policy that changes a verdict is in the key, so a stricter call
// never reuses a looser call's approval.
std::string cache_key(const Endpoint& ep, const Trust& trust, const Policy& policy) {
  std::string key = ep.host_port() + "|" + policy.host + "|" + engine_name(policy.engine) + "|" +
                    profile_name(policy.profile) + "|" + (policy.allow_cn_fallback ? "cn" : "san") + "|" +
                    (policy.verification_time ? std::to_string(*policy.verification_time) : "now") + "|" +
                    std::to_string(policy.max_intermediates.value_or(max_chain_intermediates)) + "|";
  key += detail::trust_identity(trust) + "|";
  for (const auto& p : policy.pins) key += p + ",";
  key += std::string("|crl") + (policy.require_crl ? "+required" : "") + "|" + detail::hex_lower(detail::sha256(policy.crl_pem));
  for (const auto& c : policy.crls) key += "|" + c;
  return key;
}

Approval approve(const Report& report, const Trust& trust, std::chrono::seconds ttl) {
  Approval a;
  a.driver_anchors = trust.narrowed({report.anchor_sha256});
  a.sha1_hex = sha1_hex_of_pem(report.chain.at(0).pem);
  // Compared in seconds: a certificate valid until the year 3024 (MariaDB's own recipe
  // uses -days 365000) does not fit a nanosecond time_point.
  const auto now = std::chrono::system_clock::now();
  const std::int64_t cert_expiry = parse_rfc3339(report.chain.at(0).not_after);
  const std::int64_t ttl_end = static_cast<std::int64_t>(std::chrono::system_clock::to_time_t(now)) + ttl.count();
  a.valid_until = cert_expiry < ttl_end ? std::chrono::system_clock::from_time_t(static_cast<std::time_t>(cert_expiry))
                                        : now + ttl;
  a.report = report;
  return a;
}

void set_option(MYSQL* m, enum mysql_option option, const void* value, const char* name) {
  if (mysql_optionsv(m, option, value) != 0)
    throw std::runtime_error(std::string("Connector/C refused option ") + name + "; refusing to connect without it");
}

}  // namespace

void configure(MYSQL* m, const Trust& trust, const Policy& policy, const std::string& fingerprint) {
  // Per-step timeouts as a second line; real_connect_until bounds the whole connect.
  const unsigned int seconds = static_cast<unsigned int>(std::max(1.0, std::ceil(policy.timeout.count() / 1000.0)));
  set_option(m, MYSQL_OPT_CONNECT_TIMEOUT, &seconds, "MYSQL_OPT_CONNECT_TIMEOUT");
  set_option(m, MYSQL_OPT_READ_TIMEOUT, &seconds, "MYSQL_OPT_READ_TIMEOUT");
  set_option(m, MYSQL_OPT_WRITE_TIMEOUT, &seconds, "MYSQL_OPT_WRITE_TIMEOUT");
  // "localhost" would otherwise mean a Unix socket, where there is no TLS.
  const unsigned int tcp = MYSQL_PROTOCOL_TCP;
  set_option(m, MYSQL_OPT_PROTOCOL, &tcp, "MYSQL_OPT_PROTOCOL");
  set_option(m, MYSQL_OPT_SSL_CA, trust.anchors_file().c_str(), "MYSQL_OPT_SSL_CA");
  const my_bool on = 1;
  set_option(m, MYSQL_OPT_SSL_ENFORCE, &on, "MYSQL_OPT_SSL_ENFORCE");
  set_option(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on, "MYSQL_OPT_SSL_VERIFY_SERVER_CERT");
  set_option(m, MARIADB_OPT_TLS_VERSION, "TLSv1.2,TLSv1.3", "MARIADB_OPT_TLS_VERSION");
  // TLS 1.2 only with forward secrecy and AEAD (TLS 1.3's suites are not affected).
  set_option(m, MYSQL_OPT_SSL_CIPHER, detail::kStrongTls12Ciphers, "MYSQL_OPT_SSL_CIPHER");
  set_option(m, MARIADB_OPT_TLS_PEER_FP, fingerprint.c_str(), "MARIADB_OPT_TLS_PEER_FP");
  set_option(m, MARIADB_OPT_RESTRICTED_AUTH, allowed_auth(policy), "MARIADB_OPT_RESTRICTED_AUTH");
  if (policy.allow_cleartext_password) {
    const my_bool enable = 1;
    set_option(m, MYSQL_ENABLE_CLEARTEXT_PLUGIN, &enable, "MYSQL_ENABLE_CLEARTEXT_PLUGIN");
  }
  // The policy's client certificate, checked by effective_policy (core/client_cert.hpp).
  if (!policy.client_cert.empty()) {
    set_option(m, MYSQL_OPT_SSL_CERT, policy.client_cert.c_str(), "MYSQL_OPT_SSL_CERT");
    set_option(m, MYSQL_OPT_SSL_KEY, policy.client_key.c_str(), "MYSQL_OPT_SSL_KEY");
    if (!policy.client_key_passphrase.empty())
      set_option(m, MARIADB_OPT_TLS_PASSPHRASE, policy.client_key_passphrase.c_str(), "MARIADB_OPT_TLS_PASSPHRASE");
  }
  // The policy's CRLs (the URL's ssl-crl / ssl-crlpath among them), as one PEM file:
  // Connector/C checks them too (CRL_CHECK_ALL: a CRL for every certificate of the chain).
  const auto crls = detail::load_crls(policy);
  if (!crls.crls.empty())
    set_option(m, MYSQL_OPT_SSL_CRL, detail::driver_file(detail::crls_pem(crls), ".crl.pem").c_str(), "MYSQL_OPT_SSL_CRL");
}

namespace {

// The stack Connector/C's non-blocking API runs the connect on (its own default in 3.3).
constexpr std::size_t kConnectStackBytes = 256 * 1024;

// The non-blocking API keeps its context, with the stack the connect ran on, in the
// handle until mysql_close: the pages the TLS handshake touched (~70 KiB) stayed
// resident with every open connection. Setting MYSQL_OPT_NONBLOCK again frees that
// context and makes a fresh one; one page larger than the connect's, so malloc cannot
// hand the freed stack straight back: it goes to the next connect instead, and the open
// connection keeps an untouched context (a few KiB resident) of at least the default
// size, still usable by a caller's own mysql_*_start calls. Only memory is at stake:
// should Connector/C refuse, the old context stays.
void release_connect_stack(MYSQL* m) {
  const detail::NoForkHere no_fork;  // malloc's and Connector/C's locks (core/fork_safe.hpp)
  std::size_t fresh_stack_bytes = kConnectStackBytes + 4096;
  mysql_optionsv(m, MYSQL_OPT_NONBLOCK, &fresh_stack_bytes);
}

// mysql_real_connect bounded by `deadline`. Connector/C's own timeouts are per step, so
// a peer that trickles the TLS handshake a byte at a time would never trip them; the
// connect runs on Connector/C's non-blocking API instead, and when the deadline passes
// mariadb_cancel shuts the socket so the operation in progress fails at once (the
// handle stays valid for mysql_close). The non-blocking API still reads a TLS record
// from a blocking socket, where the loop here never gets control back; a watchdog
// shuts the socket at the deadline to end that read too. Connector/C resolves the host
// itself with getaddrinfo, which takes no timeout: the name is resolved first within
// the deadline (c-ares), so a resolver that does not answer is a timeout here, before
// Connector/C asks it again. Returns false with timed_out set when the deadline ended it.
bool real_connect_until(MYSQL* m, const Endpoint& ep, const char* password, detail::Clock::time_point deadline,
                        bool& timed_out) {
  timed_out = false;
  try {
    detail::resolve(ep.host, ep.port, deadline);
  } catch (const detail::ProbeFailure& e) {
    timed_out = e.outcome == Outcome::timeout;
    if (timed_out) return false;  // any other failure: Connector/C reports it in its words
  }
  const detail::NoForkHere no_fork;  // Connector/C's and OpenSSL's locks, between the polls (core/fork_safe.hpp)
  std::size_t stack_bytes = kConnectStackBytes;
  set_option(m, MYSQL_OPT_NONBLOCK, &stack_bytes, "MYSQL_OPT_NONBLOCK");
  detail::SocketWatchdog watchdog(deadline);  // stopped before this returns: never shuts a reused descriptor
  MYSQL* connected = nullptr;
  int status = mysql_real_connect_start(&connected, m, ep.host.c_str(), ep.user.c_str(), password,
                                        ep.database.empty() ? nullptr : ep.database.c_str(), ep.port, nullptr, 0);
  while (status != 0) {
    watchdog.watch(mysql_get_socket(m));
    if (detail::passed(deadline)) {
      timed_out = true;
      mariadb_cancel(m);
      // Let the operation run into the closed socket (or its timeout) and finish.
      for (int i = 0; status != 0 && i < 1000; ++i)
        status = mysql_real_connect_cont(&connected, m, status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_TIMEOUT));
      return false;
    }
    auto wait = detail::remaining(deadline).count();
    if (status & MYSQL_WAIT_TIMEOUT) wait = std::min<long long>(wait, mysql_get_timeout_value_ms(m));
    pollfd p{mysql_get_socket(m), 0, 0};
    if (status & MYSQL_WAIT_READ) p.events |= POLLIN;
    if (status & MYSQL_WAIT_WRITE) p.events |= POLLOUT;
    if (status & MYSQL_WAIT_EXCEPT) p.events |= POLLPRI;
    const int n = [&] {
      const detail::AllowFork waiting_for_the_peer;
      return ::poll(&p, 1, static_cast<int>(wait));
    }();
    int happened = 0;
    if (n > 0) {
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) happened |= MYSQL_WAIT_READ;
      if (p.revents & (POLLOUT | POLLHUP | POLLERR)) happened |= MYSQL_WAIT_WRITE;
      if (p.revents & POLLPRI) happened |= MYSQL_WAIT_EXCEPT;
      happened &= status;
    } else if (n == 0 && (status & MYSQL_WAIT_TIMEOUT) && !detail::passed(deadline)) {
      happened = MYSQL_WAIT_TIMEOUT;  // Connector/C's own step timeout: the connect fails as timed out
      timed_out = true;
    }
    if (happened == 0) continue;  // poll interrupted, or the deadline: checked above
    status = mysql_real_connect_cont(&connected, m, happened);
  }
  // A connect that completed just as the watchdog shut its socket is dead all the same.
  if (connected && !watchdog.disarm()) return true;
  // A failure that the watchdog caused (it shut the socket under a blocking read) is the
  // deadline's doing, whatever Connector/C calls it ("Lost connection", "SSL error").
  if (watchdog.fired() || detail::passed(deadline)) timed_out = true;
  return false;
}

Report refused(Report report, Outcome outcome, const std::string& message) {
  report.outcome = outcome;
  report.message = message;
  return report;
}

// The pin refused the certificate: it is not the one verifull approved.
bool fingerprint_refused(MYSQL* m) {
  return std::string(mysql_error(m)).find("Fingerprint verification") != std::string::npos;
}

// Connector/C 3.3 reports every TLS failure as CR_SSL_CONNECTION_ERROR; only these
// words mean it refused the certificate it got (the pin, or the chain or name against
// the anchors).
bool presented_other_certificate(const std::string& says) {
  if (says.find("Fingerprint verification") != std::string::npos ||
      says.find("certificate verify failed") != std::string::npos ||
      says.find("Validation of SSL server certificate failed") != std::string::npos)
    return true;
  // Connector/C also reports OpenSSL's verification result in OpenSSL's words
  // ("TLS/SSL error: unable to get local issuer certificate").
  for (int code = 1; code < 100; ++code) {
    const std::string words = X509_verify_cert_error_string(code);
    if (words.rfind("error number", 0) != 0 && says.find("TLS/SSL error: " + words) != std::string::npos) return true;
  }
  return false;
}

bool presented_other_certificate(MYSQL* m) { return presented_other_certificate(std::string(mysql_error(m))); }

// OpenSSL's words for X509_V_ERR_CERT_REVOKED, as Connector/C passes them on.
bool says_revoked(const std::string& says) {
  return says.find(X509_verify_cert_error_string(X509_V_ERR_CERT_REVOKED)) != std::string::npos;
}

bool says_revoked(MYSQL* m) { return says_revoked(std::string(mysql_error(m))); }

Report failure_report(MYSQL* m, const Report& approved, bool presented_client_certificate) {
  const unsigned int code = mysql_errno(m);
  const std::string says = detail::escape_display(mysql_error(m));  // may quote the server
  switch (code) {
    case CR_SSL_CONNECTION_ERROR:
      if (says_revoked(m))
        return refused(approved, Outcome::revoked,
                       "the server's certificate chain passed verifull's checks, but the CRL given to Connector/C "
                       "(ssl-crl / MYSQL_OPT_SSL_CRL) lists a certificate of it as revoked; nothing was sent: " + says);
      if (fingerprint_refused(m))
        return refused(approved, Outcome::pin_mismatch,
                       "the endpoint presented a different certificate than the one verifull verified for it "
                       "moments ago, so Connector/C refused it: " + says);
      if (presented_other_certificate(m))
        return refused(approved, Outcome::engines_disagree,
                       "verifull verified the endpoint's certificate against these anchors, but Connector/C's own "
                       "verification (OpenSSL) refused it, with the whole set of anchors too; nothing was sent: " +
                           says);
      if (says.find("does not support") != std::string::npos || says.find("SSL is required") != std::string::npos)
        return refused(approved, Outcome::tls_unavailable,
                       "the endpoint offered TLS to verifull's probe, then not to the connection (something on the "
                       "path strips it); verifull never falls back to plaintext: " + says);
      return refused(approved, Outcome::handshake_failed,
                     "the TLS handshake with the verified endpoint failed (the connection was dropped or the TLS "
                     "setup changed); nothing was sent: " + says);
    case CR_PLUGIN_NOT_ALLOWED:
    case CR_AUTH_PLUGIN_CANNOT_LOAD:
      // Connector/C's own words name the wrong plugin ("plugin 'mysql_native_password'
      // couldn't be found in restricted_auth plugin list"), so they are not shown.
      return refused(approved, Outcome::connection_failed,
                     "the verified server asked for an authentication method that verifull does not allow "
                     "(mysql_clear_password or dialog, which would send the password as it is, or a plugin "
                     "Connector/C cannot load); verifull stopped before sending the password. An account that needs "
                     "the password as it is (an RDS IAM token, PAM or LDAP) can be allowed with "
                     "allow_cleartext_password (CLI --allow-cleartext-password): verifull then sends it only over "
                     "the connection it verified");
    case CR_CONN_HOST_ERROR:
    case CR_CONNECTION_ERROR:
    case CR_UNKNOWN_HOST:
      return refused(approved, Outcome::network_error, "the verified endpoint could not be reached again: " + says);
    case ER_ACCESS_DENIED_ERROR:
      if (!presented_client_certificate)
        // MariaDB does not say why; REQUIRE X509 / SUBJECT / ISSUER accounts are refused
        // exactly this way when no certificate is presented.
        return refused(approved, Outcome::connection_failed,
                       "the server was verified, then refused the login: " + says +
                           " — no client certificate was presented; if this account requires one (REQUIRE X509, "
                           "SUBJECT or ISSUER), give it with client_cert and client_key (CLI --cert, --key; URL "
                           "ssl-cert, ssl-key)");
      return refused(approved, Outcome::connection_failed, "the server was verified, then the connection failed: " + says);
    default:
      return refused(approved, Outcome::connection_failed,
                     "the server was verified, then the connection failed: " + says);
  }
}

}  // namespace

// ---- ApprovedCache ----------------------------------------------------------------

ApprovedCache::ApprovedCache(std::chrono::seconds ttl) : impl_(std::make_unique<Impl>()) { impl_->ttl = ttl; }
ApprovedCache::~ApprovedCache() = default;
void ApprovedCache::clear() { impl_->entries.clear(); }
std::uint64_t ApprovedCache::probes() const {
  std::lock_guard<detail::ForkSafeMutex> lock(impl_->mutex);
  return impl_->probes;
}
std::uint64_t ApprovedCache::hits() const {
  std::lock_guard<detail::ForkSafeMutex> lock(impl_->mutex);
  return impl_->hits;
}
ApprovedCache& ApprovedCache::shared() {
  const detail::NoForkHere no_fork;  // a fork() during the first call's initialisation would hang the child
  static ApprovedCache cache;
  return cache;
}

bool presented_another_certificate(unsigned int error_code, const std::string& error_message) {
  return error_code == CR_SSL_CONNECTION_ERROR && !says_revoked(error_message) &&
         presented_other_certificate(error_message);
}

namespace {

// The client certificate a mysql:// URL gives (ssl-cert, ssl-key, ssl-passphrase), each
// named as the caller wrote it.
struct UrlClientCertificate {
  detail::ClientSetting cert{"", "ssl-cert"}, key{"", "ssl-key"}, passphrase{"", "ssl-passphrase"};
  bool given() const { return !cert.value.empty() || !key.value.empty() || !passphrase.value.empty(); }
};

UrlClientCertificate url_client_certificate(const Endpoint& endpoint) {
  UrlClientCertificate out;
  for (const auto& [key, value] : endpoint.params) {
    const std::string k = parameter_key(key);
    auto* setting = k == "ssl_cert" ? &out.cert : k == "ssl_key" ? &out.key : k == "ssl_passphrase" ? &out.passphrase
                                                                                                     : nullptr;
    if (setting) *setting = {value, key};
  }
  return out;
}

}  // namespace

void validate(const Endpoint& endpoint) {
  url_parameters(endpoint);  // every parameter checked, or refused by name (url_parameters.hpp)
  const auto client = url_client_certificate(endpoint);
  detail::check_client_certificate(client.cert, client.key, client.passphrase);
}

// ---- approve / connect ------------------------------------------------------------------

namespace {

Policy effective_policy(const Endpoint& endpoint, const Policy& policy) {
  validate(endpoint);
  Policy effective = detail::with_url_crls(policy, Protocol::mysql, endpoint.params);
  // One client certificate, from the URL or the policy (core/client_cert.hpp); the URL's
  // is carried in the policy from here on.
  if (const auto client = url_client_certificate(endpoint); client.given()) {
    if (detail::has_client_certificate(policy))
      throw InputError("a client certificate is given both in the URL (ssl-cert, ssl-key, ssl-passphrase) and in "
                       "the policy (client_cert, client_key, client_key_passphrase); give it in one place");
    effective.client_cert = client.cert.value;
    effective.client_key = client.key.value;
    effective.client_key_passphrase = client.passphrase.value;
  } else {
    detail::check_client_certificate(effective);
  }
  if (effective.host.empty()) effective.host = endpoint.host;
  detail::check_policy(effective);
  return effective;
}

// A cached approval (from_cache = true), or a fresh probe and verdict, stored when it
// approves. `report` is set when the probe refused.
std::optional<Approval> find_or_probe(const Endpoint& endpoint, const Trust& trust, const Policy& effective,
                                      ApprovedCacheImpl& impl, const std::string& key, bool use_cache,
                                      Report& report, bool& from_cache) {
  from_cache = false;
  if (use_cache) {
    if (auto cached = impl.find(key)) {
      from_cache = true;
      return cached;
    }
  }
  Report probed = check(endpoint, trust, effective);
  if (!probed.ok()) {
    impl.count_probe();
    report = std::move(probed);
    return std::nullopt;
  }
  Approval approval = approve(probed, trust, impl.ttl);
  impl.store(key, approval);
  return approval;
}

}  // namespace

std::string option_file(const Endpoint& endpoint, const Trust& trust, const std::string& sha1_fingerprint,
                        const Policy& policy) {
  if (endpoint.protocol != Protocol::mysql) throw InputError(endpoint.display() + " is not a mysql:// endpoint");
  if (sha1_fingerprint.size() != 40 || sha1_fingerprint.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    throw InputError("the certificate fingerprint must be 40 hex digits (from approve())");
  const Policy effective = effective_policy(endpoint, policy);
  // protocol=1 (MYSQL_PROTOCOL_TCP; Connector/C reads the option as a number, so "tcp"
  // would be 0, the default): without it Connector/C reaches "localhost" through a Unix
  // socket, where there is no TLS. If the file cannot be read, the driver's unix_socket
  // (option_file_missing_socket) is where a host-less connect goes, and fails.
  std::string content = "[verifull]\nhost=" + endpoint.host + "\nport=" + std::to_string(endpoint.port) +
                        "\nprotocol=1" +
                        "\nssl-ca=" + trust.anchors_file() +
                        "\nssl-verify-server-cert=1\ntls-version=TLSv1.2,TLSv1.3\nssl-cipher=" +
                        detail::kStrongTls12Ciphers + "\nssl-fp=" + sha1_fingerprint +
                        "\nrestricted-auth=" + allowed_auth(effective) + "\n";
  if (!effective.client_cert.empty()) {
    // The file is kept (content-addressed, in verifull's private folder): a passphrase
    // would stay on disk beside the key it protects.
    if (!effective.client_key_passphrase.empty())
      throw InputError("an option file cannot carry the client key's passphrase (client_key_passphrase / "
                       "ssl-passphrase): verifull keeps its option files, so the passphrase would stay on disk; give "
                       "an unencrypted key readable only by you (mode 0600), or connect with verifull's own "
                       "Connector/C connect, which hands the passphrase over in memory");
    for (const auto* path : {&effective.client_cert, &effective.client_key})
      if (path->find_first_of("\r\n") != std::string::npos)
        throw InputError("a client certificate or key path holds a line break, which an option file cannot carry");
    content += "ssl-cert=" + effective.client_cert + "\nssl-key=" + effective.client_key + "\n";
  }
  return detail::driver_file(content, ".cnf");
}

std::string option_file(const Endpoint& endpoint, const Trust& trust, const std::string& sha1_fingerprint) {
  return option_file(endpoint, trust, sha1_fingerprint, Policy{});
}

Approved approve(const Endpoint& endpoint, const Trust& trust, const Policy& policy, ApprovedCache& cache) {
  const Policy effective = effective_policy(endpoint, policy);
  Approved out;
  bool from_cache = false;
  if (auto approval = find_or_probe(endpoint, trust, effective, cache_impl(cache), cache_key(endpoint, trust, effective),
                                    true, out.report, from_cache)) {
    out.report = approval->report;
    out.sha1_fingerprint = approval->sha1_hex;
  }
  return out;
}

// Connector/C reads option files at mysql_real_connect when the handle asks for them,
// after verifull's settings: ~/.my.cnf could then replace ssl-ca and ssl-fp. Such a
// handle is refused; it cannot be verified as configured.
void refuse_option_files(MYSQL* m) {
  for (const auto option : {MYSQL_READ_DEFAULT_FILE, MYSQL_READ_DEFAULT_GROUP}) {
    char* value = nullptr;
    if (mysql_get_optionv(m, option, &value) == 0 && value && *value)
      throw InputError(std::string("this MYSQL handle reads option files (") +
                       (option == MYSQL_READ_DEFAULT_FILE ? "MYSQL_READ_DEFAULT_FILE" : "MYSQL_READ_DEFAULT_GROUP") +
                       "), which Connector/C applies after verifull's settings, so an option file could replace the "
                       "CA and the certificate pin; use a handle without them");
  }
}

Report connect(MYSQL* m, const Endpoint& endpoint, const Trust& trust, const Policy& policy, ApprovedCache& cache) {
  if (!m) throw InputError("the MYSQL handle is NULL (call mysql_init first)");
  refuse_option_files(m);
  const Policy effective = effective_policy(endpoint, policy);
  // Connector/C logs in as the operating-system user when none is given: an identity
  // the caller never named, so it is refused rather than guessed.
  if (endpoint.user.empty())
    throw InputError(endpoint.display() + " names no user; Connector/C would log in as the operating-system user "
                     "instead: give the user in the URL (mysql://USER@host:port/db)");
  const auto deadline = detail::deadline_of(effective);  // probe, re-probe, connect, login: one deadline
  auto& impl = cache_impl(cache);
  const std::string key = cache_key(endpoint, trust, effective);
  const char* password = endpoint.password.empty() ? std::getenv("MYSQL_PWD") : endpoint.password.c_str();

  for (int attempt = 0; attempt < 2; ++attempt) {
    Report refusal;
    bool from_cache = false;
    std::optional<Approval> approval = find_or_probe(endpoint, trust, detail::within(effective, deadline), impl, key,
                                                     attempt == 0, refusal, from_cache);
    if (!approval) return refusal;
    const auto connect_with = [&](const Trust& driver_anchors, bool& timed_out) {
      configure(m, driver_anchors, detail::within(effective, deadline), approval->sha1_hex);
      apply_url_parameters(m, endpoint);
      return real_connect_until(m, endpoint, password, deadline, timed_out);
    };
    bool timed_out = false;
    bool connected = connect_with(approval->driver_anchors.value_or(trust), timed_out);
    if (!connected && !timed_out && approval->driver_anchors && mysql_errno(m) == CR_SSL_CONNECTION_ERROR &&
        !says_revoked(m) && presented_other_certificate(m) && !fingerprint_refused(m)) {
      // Connector/C found no path with the narrowed anchors (Trust::narrowed): once more
      // with the whole set before anything is concluded.
      approval->driver_anchors.reset();
      connected = connect_with(trust, timed_out);
    }
    if (connected) {
      // A refusal after login: the handle may be the caller's, so it is not freed here;
      // mariadb_cancel makes every further read and write on it fail.
      if (!mysql_get_ssl_cipher(m)) {  // cannot happen with VERIFY_SERVER_CERT; fail closed anyway
        mariadb_cancel(m);
        return refused(approval->report, Outcome::tls_unavailable, "Connector/C connected without TLS; refused");
      }
      if (effective.refuse_admin_credentials) {
        AuditReport audit;
        try {
          audit = mysql::audit_until(m, deadline);
        } catch (const detail::ProbeFailure& e) {  // the server stalled after login
          mariadb_cancel(m);
          return refused(approval->report, Outcome::timeout,
                         "the server was verified and the login done, but " + std::string(e.what()));
        }
        if (audit.is_admin()) {
          mariadb_cancel(m);
          return refused(approval->report, Outcome::admin_credential,
                         "the server was verified, but this connection must not use an administrator credential: " +
                             audit.message);
        }
      }
      release_connect_stack(m);
      return approval->report;
    }
    if (timed_out)
      return refused(approval->report, Outcome::timeout,
                     "the connection to the verified endpoint did not complete within the timeout of " +
                         std::to_string(effective.timeout.count()) + " ms (probe, TLS and login together), so "
                         "verifull cancelled it — a slow or stalling peer on the path");
    if (from_cache && presented_another_certificate(mysql_errno(m), mysql_error(m))) {
      impl.forget(key);  // rotated certificate: verify the new one, once
      continue;
    }
    return failure_report(m, approval->report, !effective.client_cert.empty());
  }
  return failure_report(m, Report{}, !effective.client_cert.empty());
}

Connected connect(const std::string& url, const Trust& trust, const Policy& policy, ApprovedCache& cache) {
  const Endpoint endpoint = parse_url(url);
  if (endpoint.protocol != Protocol::mysql) throw InputError(endpoint.display() + " is not a mysql:// URL");
  // mysql_init and mysql_close take Connector/C's and OpenSSL's locks (core/fork_safe.hpp).
  const auto close = [](MYSQL* handle) {
    const detail::NoForkHere no_fork;
    mysql_close(handle);
  };
  MYSQL* m = [] {
    const detail::NoForkHere no_fork;
    return mysql_init(nullptr);
  }();
  if (!m) throw std::bad_alloc();
  Connected result;
  try {
    result.report = connect(m, endpoint, trust, policy, cache);
  } catch (...) {
    close(m);
    throw;
  }
  if (result.report.ok()) {
    result.conn = Connection(m, mysql_close, trust);
  } else {
    close(m);
  }
  return result;
}

}  // namespace mysql
}  // namespace v0
}  // namespace verifull
