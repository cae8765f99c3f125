// Verified MySQL/MariaDB connections over MariaDB Connector/C. Connector/C exposes no
// peer certificate, so verifull probes the endpoint first, verifies the chain with the
// core, and then opens the real connection pinned to exactly the certificate it
// approved (MARIADB_OPT_TLS_PEER_FP, checked in addition to the CA chain and the name).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "verifull/endpoint.hpp"
#include "verifull/export.hpp"
#include "verifull/owned.hpp"
#include "verifull/policy.hpp"
#include "verifull/report.hpp"
#include "verifull/trust.hpp"

// Connector/C's handle type, declared here so this header does not include mysql.h.
typedef struct st_mysql MYSQL;

namespace verifull {
inline namespace v0 {
namespace mysql {

// Certificates verifull approved per endpoint, so later connects skip the probe. An
// entry lives until the certificate expires or `ttl` passes, whichever is first. A
// fingerprint failure on a cached entry re-probes once (certificate rotation).
// Thread-safe.
class VERIFULL_API ApprovedCache {
 public:
  explicit ApprovedCache(std::chrono::seconds ttl = std::chrono::hours(1));
  ~ApprovedCache();
  ApprovedCache(const ApprovedCache&) = delete;
  ApprovedCache& operator=(const ApprovedCache&) = delete;
  void clear();
  // Counters for tests and diagnostics.
  std::uint64_t probes() const;
  std::uint64_t hits() const;
  // The process-wide cache connect() uses by default.
  static ApprovedCache& shared();

 private:
  struct Impl;                        // the entries and counters (src/mysql/cache.hpp)
  friend struct ApprovedCacheAccess;  // the library's one way in (src/mysql/cache.hpp)
  std::unique_ptr<Impl> impl_;
};

// An owning MYSQL* (mysql_close on destruction) that keeps the Trust alive, because
// Connector/C names its anchors file.
using Connection = OwnedConnection<MYSQL>;

struct Connected {
  Connection conn;  // null unless report.ok()
  Report report;
};

// Probe and verify only (or reuse a cached approval): the verdict and, when it is ok,
// the SHA-1 fingerprint (lower-case hex) of the approved certificate, for clients that
// configure Connector/C themselves (mysqlclient through an option file, say).
struct Approved {
  Report report;
  std::string sha1_fingerprint;  // empty unless report.ok()
};
VERIFULL_API Approved approve(const Endpoint& endpoint, const Trust& trust, const Policy& policy = {},
                              ApprovedCache& cache = ApprovedCache::shared());

// For drivers configured only through a Connector/C option file (mysqlclient's
// read_default_file): the path of an option file whose group [verifull] makes
// Connector/C connect as connect() does: host, port, protocol=1 (TCP, also for
// "localhost", which Connector/C would otherwise reach by Unix socket), ssl-ca (the anchors),
// ssl-verify-server-cert, tls-version, ssl-cipher, ssl-fp = `sha1_fingerprint` (from
// approve()), restricted-auth. The file is content-addressed and kept (it outlives the
// Trust and works in child processes). Give the driver no host and port of its own and
// unix_socket = option_file_missing_socket: should the file ever be unreadable there is
// then no host, Connector/C goes to that socket, and the connection fails instead of
// falling back to plaintext (Connector/C skips a missing option file silently).
VERIFULL_API std::string option_file(const Endpoint& endpoint, const Trust& trust, const std::string& sha1_fingerprint);
// The same with the policy's connection settings: its client certificate (ssl-cert,
// ssl-key; also from the URL) and allow_cleartext_password (mysql_clear_password in
// restricted-auth). A key passphrase is refused: the file is kept, so it would stay on disk.
VERIFULL_API std::string option_file(const Endpoint& endpoint, const Trust& trust, const std::string& sha1_fingerprint,
                                     const Policy& policy);
constexpr const char* option_file_missing_socket = "/nonexistent/verifull-option-file-missing";

// InputError for URL parameters verifull does not honour, naming each with the reason
// (ssl*, tls*, protocol, socket, host, port, option files, authentication plugins, client_flag,
// unknown names). Honoured: charset, init_command, sql_mode, autocommit,
// connect_timeout, read_timeout, write_timeout, compress, local_infile, ssl-crl,
// ssl-crlpath (the README's table "Connection settings"); use_unicode and binary_prefix
// pass here for Python's drivers and are refused by connect(). connect() and approve()
// check this; `verifull check` too, so it refuses what `verifull connect` would.
VERIFULL_API void validate(const Endpoint& endpoint);

// mysql:// or mariadb:// URL; the password from the URL, else from MYSQL_PWD. A URL
// without a user is an InputError (Connector/C would log in as the operating-system user).
// InputError for bad input; a refusal is a Report with a null connection.
VERIFULL_API Connected connect(const std::string& url, const Trust& trust, const Policy& policy = {},
                               ApprovedCache& cache = ApprovedCache::shared());

// Configures and connects the caller's own handle (from mysql_init). On refusal the
// handle is left unconnected and the Report says why. InputError for a handle that would
// read option files (MYSQL_READ_DEFAULT_FILE/GROUP): they could replace the CA and pin.
VERIFULL_API Report connect(MYSQL* mysql, const Endpoint& endpoint, const Trust& trust, const Policy& policy = {},
                            ApprovedCache& cache = ApprovedCache::shared());

}  // namespace mysql
}  // namespace v0
}  // namespace verifull
