// Verified libpq connections. libpq runs sslmode=verify-full against the anchors; in
// addition verifull's own verdict (pins, engines, key floor, profile) runs on the
// presented chain at the one moment it is available and nothing has been sent yet:
// PQconnectPoll reports CONNECTION_MADE with TLS in use right after the handshake and
// before the startup packet. A refusal there closes the socket; no extra round trip.
#include <libpq-fe.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <cstring>

#include "core/bounded_cache.hpp"
#include "core/cert_facts.hpp"
#include "core/checked_policy.hpp"
#include "core/crl.hpp"
#include "core/deadline.hpp"
#include "core/openssl_types.hpp"
#include "core/fork_safe.hpp"
#include "core/list_syntax.hpp"
#include "core/trust_data.hpp"
#include "audit/audit_internal.hpp"
#include "postgres/params_internal.hpp"
#include "probe/failure.hpp"
#include "core/tls_strength.hpp"
#include "core/verdict.hpp"
#include "verifull/audit.hpp"
#include "verifull/errors.hpp"
#include "verifull/postgres.hpp"
#include "verifull/probe.hpp"

namespace verifull {
inline namespace v0 {
namespace postgres {
namespace {

// libpq's words, which may quote the server's: escaped for a terminal, valid UTF-8.
std::string trimmed_error(const PGconn* conn) {
  std::string message = conn ? PQerrorMessage(conn) : "out of memory";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return detail::escape_display(message);
}

std::string endpoint_of(const PGconn* conn) {
  const std::string host = PQhost(conn) ? PQhost(conn) : "";
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + (PQport(conn) ? PQport(conn) : "");
}

// verifull's verdict on the chain libpq just received, before anything is sent.
Report verify_in_band(PGconn* conn, const Trust& trust, const Policy& policy) {
  auto* ssl = static_cast<SSL*>(PQsslStruct(conn, "OpenSSL"));
  STACK_OF(X509)* chain = ssl ? SSL_get_peer_cert_chain(ssl) : nullptr;
  Report report;
  if (!chain || sk_X509_num(chain) == 0) {
    report.outcome = Outcome::protocol_violation;  // fail closed: nothing to verify
    report.message = "libpq reports TLS in use but no server certificate is available";
  } else {
    Policy effective = policy;
    effective.host = PQhost(conn);
    report = detail::verify_chain(chain, nullptr, trust, effective);
    report.tls_version = SSL_get_version(ssl);
    report.cipher = SSL_get_cipher_name(ssl);
    // libpq takes no cipher list, so the negotiated suite is checked here, in-band.
    if (auto weak = detail::weak_tls_reason(ssl); report.ok() && weak) {
      report.outcome = Outcome::weak_tls;
      report.message = *weak;
    }
  }
  report.endpoint = endpoint_of(conn);
  return report;
}

// What a verified server asked for first after the startup packet, seen before libpq
// reads it (peek_authentication_request).
enum class AuthRequest { not_arrived, other, cleartext_password };

// libpq 15 answers a request for the password in clear text (AuthenticationCleartext-
// Password, the `password` hba method; PAM, LDAP and RADIUS too) by itself: it has no
// require_auth (PostgreSQL 16). So while libpq awaits the server's answer to its startup
// packet, verifull peeks into libpq's own TLS session (SSL_peek: decrypted, nothing
// consumed) and reads the message types and authentication codes the verified server
// sent, before libpq may read them; libpq is polled only after that (step()).
AuthRequest peek_authentication_request(PGconn* conn) {
  auto* ssl = static_cast<SSL*>(PQsslStruct(conn, "OpenSSL"));
  if (!ssl) return AuthRequest::other;
  unsigned char buf[4096];
  ERR_clear_error();
  const int n = SSL_peek(ssl, buf, sizeof buf);
  const int why = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, n);
  ERR_clear_error();
  if (n <= 0) return why == SSL_ERROR_WANT_READ ? AuthRequest::not_arrived : AuthRequest::other;  // libpq reports it
  constexpr std::uint32_t kCleartextPassword = 3;  // AUTH_REQ_PASSWORD
  for (int at = 0; at < n;) {
    if (n - at < 5) break;
    const std::uint32_t length = (std::uint32_t{buf[at + 1]} << 24) | (std::uint32_t{buf[at + 2]} << 16) |
                                 (std::uint32_t{buf[at + 3]} << 8) | buf[at + 4];
    if (buf[at] == 'R') {
      // An authentication request whose code is not visible in this record: fail closed.
      if (n - at < 9) return AuthRequest::cleartext_password;
      const std::uint32_t code = (std::uint32_t{buf[at + 5]} << 24) | (std::uint32_t{buf[at + 6]} << 16) |
                                 (std::uint32_t{buf[at + 7]} << 8) | buf[at + 8];
      if (code == kCleartextPassword) return AuthRequest::cleartext_password;
    }
    if (length < 4) break;  // malformed: libpq refuses it
    at += 1 + static_cast<int>(std::min<std::uint32_t>(length, sizeof buf));
  }
  return AuthRequest::other;
}

// libpq's words when its own verification refused the server's certificate (OpenSSL's
// "certificate verify failed", or libpq's name check).
bool libpq_refused_certificate(const std::string& libpq_says) {
  return libpq_says.find("certificate verify failed") != std::string::npos ||
         libpq_says.find("does not match host name") != std::string::npos ||
         libpq_says.find("could not get server's host name from server certificate") != std::string::npos;
}

// A connection option libpq was given ("" when unset).
std::string conn_option(PGconn* conn, const char* keyword) {
  std::string value;
  PQconninfoOption* options = PQconninfo(conn);
  for (PQconninfoOption* o = options; o && o->keyword; ++o)
    if (std::strcmp(o->keyword, keyword) == 0 && o->val) value = o->val;
  PQconninfoFree(options);
  return value;
}

// libpq could not read verifull's anchors file (sslrootcert): something removed it
// after verifull wrote it. libpq's own message would advise turning verification off.
bool anchors_file_missing(PGconn* conn) {
  const std::string path = conn_option(conn, "sslrootcert");
  return !path.empty() && ::access(path.c_str(), R_OK) != 0;
}

// verifull's probe accepted the chain that libpq's own verify-full refused during the
// TLS handshake: the outcome says which check refused it, never "verified, then failed".
void name_libpq_refusal(PGconn* conn, const std::string& libpq_says, Report& report) {
  report.engines.push_back({"libpq", Outcome::invalid_chain, libpq_says});
  // The CRLs libpq was given (sslcrl: verifull's file of the policy's CRLs, core/crl.hpp).
  Policy given;
  for (const char* keyword : {"sslcrl", "sslcrldir"})
    if (auto location = conn_option(conn, keyword); !location.empty()) given.crls.push_back(location);
  std::optional<std::string> revoked;
  try {
    revoked = detail::revoked_in(report.chain, detail::load_crls(given));
  } catch (const InputError&) {  // the file went away since: libpq's words say what it found
  }
  if (revoked) {
    report.outcome = Outcome::revoked;
    report.message = *revoked + ", so libpq refused the server during the TLS handshake, before anything was sent: "
                     "libpq: " + libpq_says;
  } else {
    report.outcome = Outcome::engines_disagree;
    report.message = "verifull accepted the server's chain, but libpq's verify-full refused it during the TLS "
                     "handshake, before anything was sent: libpq: " + libpq_says;
  }
  report.engines.back().outcome = report.outcome;
}

// libpq refused before verifull saw a chain. Pre-TLS failures are classified from
// libpq's words; failures during TLS are diagnosed by probing the same host (no
// credential is sent) so the user gets verifull's sentence, not only libpq's.
Report diagnose_failure(PGconn* conn, ConnStatusType failed_in, const Trust& trust, const Policy& policy,
                        detail::Clock::time_point deadline) {
  const std::string libpq_says = trimmed_error(conn);
  Report report;
  report.endpoint = endpoint_of(conn);
  const bool during_tls = failed_in == CONNECTION_MADE || failed_in == CONNECTION_SSL_STARTUP;
  if (during_tls && PQhost(conn) && PQport(conn)) {
    Endpoint ep;
    ep.protocol = Protocol::postgres;
    const char* address = PQhostaddr(conn);
    ep.host = address && *address ? address : PQhost(conn);
    ep.port = static_cast<std::uint16_t>(std::atoi(PQport(conn)));
    Policy probe_policy = detail::within(policy, deadline);
    probe_policy.host = PQhost(conn);
    report = check(ep, trust, probe_policy);
    report.endpoint = endpoint_of(conn);
    if (!report.ok()) {
      report.engines.push_back({"libpq", report.outcome, libpq_says});
      return report;
    }
    if (libpq_refused_certificate(libpq_says)) {
      name_libpq_refusal(conn, libpq_says, report);
      return report;
    }
  }
  if (libpq_says.find("could not translate host name") != std::string::npos) {
    report.outcome = Outcome::name_not_resolved;
  } else if (libpq_says.find("Connection refused") != std::string::npos) {
    report.outcome = Outcome::connection_refused;
  } else if (libpq_says.find("timeout expired") != std::string::npos) {
    report.outcome = Outcome::timeout;
  } else if (failed_in == CONNECTION_STARTED || failed_in == CONNECTION_NEEDED) {
    report.outcome = Outcome::network_error;
  } else {
    report.outcome = Outcome::connection_failed;
  }
  report.message = "libpq: " + libpq_says;
  return report;
}

// Which anchor each endpoint's chain ended at, per Trust and policy: libpq's
// sslrootcert is narrowed to it on the next connect (see State).
namespace narrowing {

constexpr std::size_t kMostEntries = 4096;
// key -> the sha256 of the anchor the endpoint's chain ended at; bounded, it only saves time.
detail::BoundedCache<std::string, std::string> anchors(kMostEntries);

std::string key(const Params& params, const Trust& trust, const Policy& policy) {
  std::string k = detail::trust_identity(trust) + "|" + engine_name(policy.engine) + "|" + profile_name(policy.profile);
  for (const auto& [name, value] : params)
    if (name == "host" || name == "hostaddr" || name == "port") k += "|" + name + "=" + value;
  return k;
}

std::optional<std::string> find(const std::string& k) { return anchors.find(k); }

void remember(const std::string& k, const std::string& anchor_sha256) {
  if (!anchor_sha256.empty()) anchors.store(k, anchor_sha256);
}

void forget(const std::string& k) { anchors.erase(k); }

}  // namespace narrowing

// "host:port" of the first server a connection string names (libpq's default port
// when none), for a report made before libpq has a connection to name it.
std::string endpoint_of(const Params& params) {
  std::string host, port = "5432";
  for (const auto& [key, value] : params) {
    if (key == "host") host = detail::split_list(value).front();
    if (key == "port" && !detail::split_list(value).front().empty()) port = detail::split_list(value).front();
  }
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
}

Report timed_out_report(const Policy& policy, const std::string& endpoint) {
  Report report;
  report.endpoint = endpoint;
  report.outcome = Outcome::timeout;
  report.message = "the connection did not complete within the timeout of " + std::to_string(policy.timeout.count()) +
                   " ms (TCP, TLS and login together) — an IP-filtered endpoint silently drops packets from "
                   "addresses not on its allowlist, or a peer is stalling";
  return report;
}

PGconn* start(const Params& hardened) {
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : hardened) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  // expand_dbname = 0: a dbname is only a name, never a second connection string.
  return PQconnectStartParams(keys.data(), values.data(), 0);
}

}  // namespace

// ---- AsyncConnect ----------------------------------------------------------------

struct AsyncConnect::State {
  Trust trust;
  Policy policy;
  detail::Clock::time_point deadline = detail::deadline_of(policy);  // the whole connect
  PGconn* conn = nullptr;
  Wait wait = Wait::write;
  bool done = false;
  bool checked_this_attempt = false;
  ConnStatusType last_status = CONNECTION_NEEDED;
  Report report;
  bool connected = false;

  // libpq's own verify-full reads its sslrootcert on every connect. When verifull saw
  // this endpoint's chain end at one anchor before, libpq is given that anchor alone
  // (a subset: libpq can only be stricter; verifull's own verdict always uses the whole
  // Trust). If libpq then refuses the certificate (a rotation to another anchor), the
  // attempt is made again once with the whole set.
  Params requested;  // the caller's parameters, hardened for each attempt
  std::string narrowing_key;
  bool narrowed = false;

  // hardened_params for `anchors`, its name resolution within what is left of the
  // deadline. Made here so that a host that does not resolve is an outcome
  // (name_not_resolved, or timeout when the resolver does not answer) like any other
  // network failure.
  Params harden(const Trust& anchors) const {
    return postgres::harden(requested, anchors, detail::within(policy, deadline), Resolve::yes);
  }
  // The parameters hardened for `anchors` in `out`; false when the name did not resolve
  // (or the resolver did not answer in time), and the call has ended with that outcome.
  bool harden_or_refuse(const Trust& anchors, Params& out) {
    try {
      out = harden(anchors);
      return true;
    } catch (const detail::ProbeFailure& e) {
      report.outcome = e.outcome;
      report.message = e.what();
    } catch (const NetworkError& e) {
      report.outcome = Outcome::name_not_resolved;
      report.message = e.what();
    }
    report.endpoint = endpoint_of(requested);
    finish_refused();
    return false;
  }

  // The URL's sslcrl/sslcrldir are CRLs of the policy: verifull checks them in-band
  // too, and libpq gets them with the others (harden, core/crl.hpp).
  State(Params params_in, Trust t, Policy p)
      : trust(std::move(t)),
        policy(detail::with_url_crls(std::move(p), Protocol::postgres, params_in)),
        requested(std::move(params_in)) {
    // Hardening writes driver files and hashes with OpenSSL, libpq starts: OpenSSL's and
    // libpq's locks (core/fork_safe.hpp); the name resolution inside lets fork() through.
    const detail::NoForkHere no_fork;
    Params params;
    if (!harden_or_refuse(trust, params)) return;
    check_policy_for_each_host();
    narrowing_key = narrowing::key(params, trust, policy);
    if (auto anchor = narrowing::find(narrowing_key)) {
      const Trust narrow = trust.narrowed({*anchor});
      // Counted, not described: describing parses every anchor (core/anchor.hpp).
      if (detail::trust_data(narrow).anchors.size() < detail::trust_data(trust).anchors.size()) {
        if (!harden_or_refuse(narrow, params)) return;
        narrowed = true;
      }
    }
    connect_with(params);
  }
  // The policy's input (pins, verification time, intermediate limit) is refused before
  // any traffic to a server, as every entry point refuses it (core/checked_policy.hpp),
  // with each host libpq may dial as the one the certificate must name.
  void check_policy_for_each_host() const {
    for (const auto& [key, value] : requested) {
      if (key != "host") continue;
      for (const auto& host : detail::split_list(value)) {
        Policy each = policy;
        each.host = host;
        detail::check_policy(each);
      }
    }
  }
  void connect_with(const Params& params) {
    const detail::NoForkHere no_fork;  // libpq's and OpenSSL's locks (core/fork_safe.hpp)
    conn = start(params);
    if (!conn) throw std::bad_alloc();
    if (PQstatus(conn) == CONNECTION_BAD) {
      report = diagnose_failure(conn, CONNECTION_NEEDED, trust, policy, deadline);
      finish_refused();
    }
  }
  // libpq refused the certificate with the narrowed anchors: forget them, and connect
  // again with the whole Trust. True when it did.
  bool widen_after_refusal() {
    if (!narrowed) return false;
    narrowing::forget(narrowing_key);
    narrowed = false;
    PQfinish(conn);
    conn = nullptr;
    last_status = CONNECTION_NEEDED;
    checked_this_attempt = false;
    Params params;
    if (harden_or_refuse(trust, params)) connect_with(params);
    return true;
  }
  // libpq found verifull's anchors file gone (removed after hardening): harden again,
  // which writes it anew (Trust::anchors_file), and connect once more. True when it did.
  bool anchors_rewritten = false;
  bool rewrite_anchors_after_removal() {
    if (anchors_rewritten || !anchors_file_missing(conn)) return false;
    anchors_rewritten = true;
    PQfinish(conn);
    conn = nullptr;
    last_status = CONNECTION_NEEDED;
    checked_this_attempt = false;
    narrowed = false;  // the whole Trust: always acceptable, narrowing only saves time
    connect_with(harden(trust));
    return true;
  }
  ~State() {
    const detail::NoForkHere no_fork;
    if (conn) PQfinish(conn);
  }
  void finish_refused() {
    if (conn) PQfinish(conn);  // closes the socket before anything more is sent
    conn = nullptr;
    done = true;
    wait = Wait::done;
  }
};

AsyncConnect::AsyncConnect(const std::string& conninfo_or_url, const Trust& trust, const Policy& policy)
    : state_(new State(parse_conninfo(conninfo_or_url), trust, policy)) {}
AsyncConnect::AsyncConnect(const Params& params, const Trust& trust, const Policy& policy)
    : state_(new State(params, trust, policy)) {}
AsyncConnect::AsyncConnect(AsyncConnect&& other) noexcept : state_(other.state_) { other.state_ = nullptr; }
AsyncConnect& AsyncConnect::operator=(AsyncConnect&& other) noexcept {
  if (this != &other) {
    delete state_;
    state_ = other.state_;
    other.state_ = nullptr;
  }
  return *this;
}
AsyncConnect::~AsyncConnect() { delete state_; }

AsyncConnect::Wait AsyncConnect::wait() const { return state_->wait; }
int AsyncConnect::socket() const { return state_->conn ? PQsocket(state_->conn) : -1; }
std::chrono::milliseconds AsyncConnect::time_left() const {
  if (state_->done || detail::passed(state_->deadline)) return std::chrono::milliseconds(0);
  return detail::remaining(state_->deadline);
}

AsyncConnect::Wait AsyncConnect::step() {
  State& s = *state_;
  if (s.done) return Wait::done;
  // A step does not wait for the peer (the caller polls between steps; libpq's own name
  // resolution is the exception), so fork() waits for it to end rather than find
  // libpq's or OpenSSL's locks held (core/fork_safe.hpp).
  const detail::NoForkHere no_fork;
  if (detail::passed(s.deadline)) {
    s.report = timed_out_report(s.policy, endpoint_of(s.conn));
    s.finish_refused();
    return Wait::done;
  }
  if (!s.policy.allow_cleartext_password && s.checked_this_attempt && s.report.ok() &&
      PQstatus(s.conn) == CONNECTION_AWAITING_RESPONSE) {
    switch (peek_authentication_request(s.conn)) {
      case AuthRequest::not_arrived:  // libpq is not polled: it would read what was not seen
        s.wait = Wait::read;
        return s.wait;
      case AuthRequest::cleartext_password:
        s.report.outcome = Outcome::connection_failed;
        s.report.message = "the verified server asked for the password in clear text (PostgreSQL's password "
                           "method, also used for PAM, LDAP and RADIUS accounts); verifull stopped before libpq "
                           "sent it. If this account needs it, allow it with allow_cleartext_password (CLI "
                           "--allow-cleartext-password): the password then goes only to the server verifull verified";
        s.finish_refused();
        return Wait::done;
      case AuthRequest::other: break;
    }
  }
  const PostgresPollingStatusType polled = PQconnectPoll(s.conn);
  const ConnStatusType status = PQstatus(s.conn);
  if (!PQsslInUse(s.conn)) s.checked_this_attempt = false;  // a new host or attempt
  if (status == CONNECTION_MADE && PQsslInUse(s.conn) && !s.checked_this_attempt) {
    s.checked_this_attempt = true;
    s.report = verify_in_band(s.conn, s.trust, s.policy);
    if (!s.report.ok()) {
      s.finish_refused();
      return Wait::done;
    }
  }
  switch (polled) {
    case PGRES_POLLING_READING: s.wait = Wait::read; break;
    case PGRES_POLLING_WRITING: s.wait = Wait::write; break;
    case PGRES_POLLING_OK:
      if (!PQsslInUse(s.conn) || !s.checked_this_attempt) {
        // Cannot happen with sslmode=verify-full; refuse rather than trust it.
        s.report.outcome = Outcome::tls_unavailable;
        s.report.message = "libpq connected without a TLS session verifull could check; refused";
        s.finish_refused();
        return Wait::done;
      }
      if (s.policy.refuse_admin_credentials) {
        AuditReport audit;
        try {
          const detail::AllowFork waiting_for_the_server;  // queries wait for the peer (core/fork_safe.hpp)
          audit = postgres::audit_until(s.conn, s.deadline);
        } catch (const detail::ProbeFailure& e) {  // the server stalled after login
          s.report.outcome = Outcome::timeout;
          s.report.message = "the server was verified and the login done, but " + std::string(e.what());
          s.finish_refused();
          return Wait::done;
        }
        if (audit.is_admin()) {
          s.report.outcome = Outcome::admin_credential;
          s.report.message = "the server was verified, but this connection must not use an administrator "
                             "credential: " + audit.message;
          s.finish_refused();
          return Wait::done;
        }
      }
      narrowing::remember(s.narrowing_key, s.report.anchor_sha256);
      s.connected = true;
      s.done = true;
      s.wait = Wait::done;
      break;
    default: {
      const bool verified = s.checked_this_attempt && s.report.ok();
      const std::string libpq_says = trimmed_error(s.conn);
      if (!verified && s.rewrite_anchors_after_removal()) {
        if (s.done) return Wait::done;
        s.wait = Wait::write;
        return s.wait;
      }
      if (!verified && anchors_file_missing(s.conn)) {
        s.report.outcome = Outcome::handshake_failed;
        s.report.message = "verifull's anchors file for libpq (" + detail::escape_display(conn_option(s.conn, "sslrootcert")) +
                           ") was removed while connecting, twice (something deletes files in verifull's private "
                           "folder); nothing was sent, verification stays on: try again";
        s.report.endpoint = endpoint_of(s.conn);
        s.finish_refused();
        return Wait::done;
      }
      if (!verified && s.last_status == CONNECTION_SSL_STARTUP && s.widen_after_refusal()) {
        if (s.done) return Wait::done;
        s.wait = Wait::write;
        return s.wait;
      }
      if (verified) {
        // The server proved its identity; what failed came through verified TLS.
        s.report.outcome = Outcome::connection_failed;
        s.report.message = "the server was verified, then the connection failed: " + libpq_says;
        // PostgreSQL's words for an hba rule with clientcert=verify-full (or the cert
        // method) met by a connection without a certificate.
        if (libpq_says.find("requires a valid client certificate") != std::string::npos)
          s.report.message = "the server was verified, then refused the login: it requires a client certificate "
                             "(issued by a CA it trusts) and none it accepts was presented; give one with client_cert "
                             "and client_key (CLI --cert, --key; sslcert, sslkey in a URL): " + libpq_says;
      } else {
        s.report = diagnose_failure(s.conn, s.last_status, s.trust, s.policy, s.deadline);
      }
      s.finish_refused();
      return Wait::done;
    }
  }
  s.last_status = status;
  return s.wait;
}

Connected AsyncConnect::finish() {
  State& s = *state_;
  if (!s.done) throw InputError("AsyncConnect::finish() called before step() returned done");
  Connected result;
  result.report = std::move(s.report);
  if (s.connected) {
    result.conn = Connection(s.conn, PQfinish, s.trust);
    s.conn = nullptr;
  }
  return result;
}

// ---- blocking connect --------------------------------------------------------------

namespace {
// libpq's connect_timeout bounds each host attempt; the state's deadline, checked on
// every step, bounds the whole call (name resolution included): the wait here ends at
// that deadline, and the step after it reports the timeout, with the endpoint.
Connected drive(AsyncConnect& async) {
  while (async.step() != AsyncConnect::Wait::done) {
    pollfd p{async.socket(), static_cast<short>(async.wait() == AsyncConnect::Wait::read ? POLLIN : POLLOUT), 0};
    ::poll(&p, 1, static_cast<int>(async.time_left().count()));
  }
  return async.finish();
}
}  // namespace

Connected connect(const std::string& conninfo_or_url, const Trust& trust, const Policy& policy) {
  AsyncConnect async(conninfo_or_url, trust, policy);
  return drive(async);
}

Connected connect(const Params& params, const Trust& trust, const Policy& policy) {
  AsyncConnect async(params, trust, policy);
  return drive(async);
}

}  // namespace postgres
}  // namespace v0
}  // namespace verifull
