// Verified libpq connections. libpq runs sslmode=verify-full against the anchors; in
// addition verifull's own verdict (pins, engines, key floor, profile) runs on the
// presented chain at the one moment it is available and nothing has been sent yet:
// PQconnectPoll reports CONNECTION_MADE with TLS in use right after the handshake and
// before the startup packet. A refusal there closes the socket; no extra round trip.
#include <libpq-fe.h>
#include <openssl/ssl.h>
#include <poll.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <cstring>

#include "core/cert_facts.hpp"
#include "core/deadline.hpp"
#include "core/fork_safe.hpp"
#include "core/trust_data.hpp"
#include "postgres/params_internal.hpp"
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

detail::ForkSafeMutex mutex;
std::unordered_map<std::string, std::string> anchors;  // key -> anchor sha256
constexpr std::size_t kMostEntries = 4096;

std::string key(const Params& params, const Trust& trust, const Policy& policy) {
  std::string k = detail::trust_identity(trust) + "|" + engine_name(policy.engine) + "|" + profile_name(policy.profile);
  for (const auto& [name, value] : params)
    if (name == "host" || name == "hostaddr" || name == "port") k += "|" + name + "=" + value;
  return k;
}

std::optional<std::string> find(const std::string& k) {
  std::lock_guard<detail::ForkSafeMutex> lock(mutex);
  const auto it = anchors.find(k);
  if (it == anchors.end()) return std::nullopt;
  return it->second;
}

void remember(const std::string& k, const std::string& anchor_sha256) {
  if (anchor_sha256.empty()) return;
  std::lock_guard<detail::ForkSafeMutex> lock(mutex);
  if (anchors.size() >= kMostEntries) anchors.clear();  // bounded; it only saves time
  anchors[k] = anchor_sha256;
}

void forget(const std::string& k) {
  std::lock_guard<detail::ForkSafeMutex> lock(mutex);
  anchors.erase(k);
}

}  // namespace narrowing

Report timed_out_report(const Policy& policy) {
  Report report;
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
  std::function<Params(const Trust&)> harden;
  std::string narrowing_key;
  bool narrowed = false;

  // `hardened`: a hardened_params call, made here so that a host that does not resolve
  // is an outcome (name_not_resolved) like any other network failure.
  State(std::function<Params(const Trust&)> hardened, Trust t, Policy p)
      : trust(std::move(t)), policy(std::move(p)), harden(std::move(hardened)) {
    const detail::NoForkHere no_fork;  // libpq's and OpenSSL's locks (core/fork_safe.hpp)
    Params params;
    try {
      params = harden(trust);
      narrowing_key = narrowing::key(params, trust, policy);
      if (auto anchor = narrowing::find(narrowing_key)) {
        const Trust narrow = trust.narrowed({*anchor});
        // Counted, not described: describing parses every anchor (core/anchor.hpp).
        if (narrow.data().anchors.size() < trust.data().anchors.size()) {
          params = harden(narrow);
          narrowed = true;
        }
      }
    } catch (const NetworkError& e) {
      report.outcome = Outcome::name_not_resolved;
      report.message = e.what();
      done = true;
      wait = Wait::done;
      return;
    }
    connect_with(params);
  }
  void connect_with(const Params& params) {
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
    : state_(new State([parsed = parse_conninfo(conninfo_or_url), policy](const Trust& anchors) {
                         return hardened_params(parsed, anchors, policy);
                       },
                       trust, policy)) {}
AsyncConnect::AsyncConnect(const Params& params, const Trust& trust, const Policy& policy)
    : state_(new State([params, policy](const Trust& anchors) { return hardened_params(params, anchors, policy); },
                       trust, policy)) {}
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

AsyncConnect::Wait AsyncConnect::step() {
  State& s = *state_;
  if (s.done) return Wait::done;
  // A step does not wait for the peer (the caller polls between steps; libpq's own name
  // resolution is the exception), so fork() waits for it to end rather than find
  // libpq's or OpenSSL's locks held (core/fork_safe.hpp).
  const detail::NoForkHere no_fork;
  if (detail::passed(s.deadline)) {
    s.report = timed_out_report(s.policy);
    s.finish_refused();
    return Wait::done;
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
        const AuditReport audit = [&] {
          const detail::AllowFork waiting_for_the_server;  // queries: no bound on the peer's pace
          return postgres::audit(s.conn);
        }();
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
      if (!verified && s.last_status == CONNECTION_SSL_STARTUP && s.widen_after_refusal()) {
        if (s.done) return Wait::done;
        s.wait = Wait::write;
        return s.wait;
      }
      if (verified) {
        // The server proved its identity; what failed came through verified TLS.
        s.report.outcome = Outcome::connection_failed;
        s.report.message = "the server was verified, then the connection failed: " + libpq_says;
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
// every step and here between them, bounds the whole call.
Connected drive(AsyncConnect& async, const Policy& policy) {
  const auto deadline = detail::deadline_of(policy);
  while (async.step() != AsyncConnect::Wait::done) {
    pollfd p{async.socket(), static_cast<short>(async.wait() == AsyncConnect::Wait::read ? POLLIN : POLLOUT), 0};
    if (detail::passed(deadline) || ::poll(&p, 1, static_cast<int>(detail::remaining(deadline).count())) == 0) {
      Connected timed_out;
      timed_out.report = timed_out_report(policy);
      return timed_out;  // ~AsyncConnect closes the half-open connection
    }
  }
  return async.finish();
}
}  // namespace

Connected connect(const std::string& conninfo_or_url, const Trust& trust, const Policy& policy) {
  AsyncConnect async(conninfo_or_url, trust, policy);
  return drive(async, policy);
}

Connected connect(const Params& params, const Trust& trust, const Policy& policy) {
  AsyncConnect async(params, trust, policy);
  return drive(async, policy);
}

}  // namespace postgres
}  // namespace v0
}  // namespace verifull
