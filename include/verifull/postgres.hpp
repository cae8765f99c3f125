// Verified libpq connections: a PGconn that only exists if the server proved, before
// the startup packet (and any credential) left, that it holds a certificate chaining
// to the caller's anchors and naming the host that was dialled.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "verifull/export.hpp"
#include "verifull/owned.hpp"
#include "verifull/policy.hpp"
#include "verifull/report.hpp"
#include "verifull/trust.hpp"

// libpq's connection type, declared here so this header does not include libpq-fe.h.
typedef struct pg_conn PGconn;

namespace verifull {
inline namespace v0 {
namespace postgres {

using Params = std::vector<std::pair<std::string, std::string>>;

// An owning PGconn (PQfinish on destruction) that keeps the Trust alive, because libpq
// reads sslrootcert from the Trust's anchors file.
using Connection = OwnedConnection<PGconn>;

struct Connected {
  Connection conn;  // null unless report.ok()
  Report report;    // why, either way
};

// The hardened keyword/value parameters for `conninfo_or_url` (a postgres:// URL or a
// "key=value ..." string): sslmode=verify-full, sslrootcert=<the anchors>,
// gssencmode=disable, ssl_min_protocol_version=TLSv1.2 (or the caller's TLSv1.3),
// sslsni=1, connect_timeout from the policy, and where to connect, explicitly: port
// (5432 when not given) and hostaddr (each host resolved now, unless the caller gave
// hostaddr), so PGHOSTADDR, PGPORT and PGSERVICE cannot redirect the connection.
// InputError for a malformed string or a caller setting that would weaken them
// (sslmode other than verify-full, an sslrootcert, a gssencmode other than disable, a
// TLS minimum below 1.2, sslsni other than 1, requiressl=0, a service or servicefile, a
// ?host= in a postgres:// URL); NetworkError when no host resolves. Every setting's
// treatment: the README's table "Connection settings".
VERIFULL_API Params hardened_params(const std::string& conninfo_or_url, const Trust& trust, const Policy& policy = {});
VERIFULL_API Params hardened_params(const Params& params, const Trust& trust, const Policy& policy = {});

// The same as one conninfo string, for libpq users that cannot use connect() (psycopg).
// The string names the Trust's anchors file, which is kept: the string stays correct
// after the Trust is gone and in child processes. It resolves nothing: instead of a
// resolved hostaddr it holds an explicitly empty one (hostaddr=''), which libpq treats
// as none while reading no PGHOSTADDR or service-file value for it, so libpq resolves
// the host on each connect (a moved name is followed) and the environment still cannot
// redirect it.
// libpq then connects by itself and runs only its own verify-full, so what only
// verifull's in-band check enforces cannot be carried: a policy with pins, an engine
// other than openssl, the strict profile, allow_cn_fallback, max_intermediates,
// verification_time or refuse_admin_credentials is an InputError naming them and
// connect() (vf_pg_connect, verifull.psycopg.connect) as the alternative. The key floor
// and the TLS 1.2 cipher check are likewise only enforced by connect().
VERIFULL_API std::string conninfo(const std::string& conninfo_or_url, const Trust& trust, const Policy& policy = {});

// The input checks of hardened_params alone (no name resolution, no Trust): InputError
// for a malformed string or a setting that would weaken verification. `verifull check`
// refuses what `verifull connect` would refuse.
VERIFULL_API void validate(const std::string& conninfo_or_url);

// Connects with the hardened parameters and checks the server's chain with verifull's
// own verdict (pins, engines, key floor, profile) the moment the TLS handshake is done,
// before libpq sends the startup packet. Every host of a multi-host string is checked.
// InputError for bad input; any refusal is a Report with a null connection.
VERIFULL_API Connected connect(const std::string& conninfo_or_url, const Trust& trust, const Policy& policy = {});
VERIFULL_API Connected connect(const Params& params, const Trust& trust, const Policy& policy = {});

// The same, driven by the caller's event loop (libpq's PQconnectPoll model):
//   AsyncConnect c(params, trust, policy);
//   while (c.step() != AsyncConnect::Wait::done)
//     wait for c.socket() per c.wait(), at most c.time_left();
//   Connected result = c.finish();
// The constructor resolves the host names (bounded by policy.timeout); the deadline
// covers the whole connect, so an event loop that waits at most time_left() and then
// calls step() gets outcome timeout at the deadline whatever the peer does.
class VERIFULL_API AsyncConnect {
 public:
  enum class Wait { read, write, done };
  AsyncConnect(const std::string& conninfo_or_url, const Trust& trust, const Policy& policy = {});
  AsyncConnect(const Params& params, const Trust& trust, const Policy& policy = {});
  AsyncConnect(AsyncConnect&&) noexcept;
  AsyncConnect& operator=(AsyncConnect&&) noexcept;
  ~AsyncConnect();
  // Advances the connection; call it again when socket() is ready for wait().
  Wait step();
  Wait wait() const;
  int socket() const;
  // How long to wait for socket() before calling step() anyway: the time left until the
  // deadline, 0 once it passed (step() then ends the connect with outcome timeout).
  std::chrono::milliseconds time_left() const;
  // After step() returned done: the connection or the refusal.
  Connected finish();

 private:
  struct State;
  State* state_;
};

}  // namespace postgres
}  // namespace v0
}  // namespace verifull
