// What an open verified connection holds, against the real servers: what each further
// open connection adds to the process (resident memory, and malloc's heap in use)
// compared with the bare driver verifying the same server (README, "Performance";
// docs/design.md, "Memory per open connection"), and the MySQL handle's non-blocking
// context, which verifull replaces after the connect, still serving a caller's own
// mysql_*_start calls.
#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <malloc.h>
#include <mysql.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "servers_env.hpp"
#include "resident_memory.hpp"
#include "verifull/verifull.hpp"

using namespace verifull;

namespace {

std::string url() { return servers::mysql_url(); }

// Bare Connector/C as a careful user writes it: the CA, name verification, TCP.
MYSQL* raw_connect() {
  MYSQL* m = mysql_init(nullptr);
  const my_bool on = 1;
  const unsigned int tcp = MYSQL_PROTOCOL_TCP;
  const std::string ca = servers::pki("ca.pem");
  mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &tcp);
  mysql_optionsv(m, MYSQL_OPT_SSL_CA, ca.c_str());
  mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
  if (!mysql_real_connect(m, "localhost", servers::user().c_str(), servers::password().c_str(),
                          servers::database().c_str(), static_cast<unsigned>(std::stoi(servers::mysql_port())), nullptr,
                          0)) {
    mysql_close(m);
    return nullptr;
  }
  return m;
}

// Bare libpq with verify-full and the same CA.
PGconn* raw_pg_connect() {
  const std::string ca = servers::pki("ca.pem"), port = servers::pg_port(), user = servers::user(),
                    password = servers::password(), db = servers::database();
  const char* keys[] = {"host", "port", "user", "password", "dbname", "sslmode", "sslrootcert", nullptr};
  const char* values[] = {"localhost", port.c_str(), user.c_str(), password.c_str(), db.c_str(), "verify-full",
                          ca.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 0);
  if (PQstatus(c) == CONNECTION_OK) return c;
  PQfinish(c);
  return nullptr;
}

// At most this many connections are open at once, of this test's: the servers are shared
// with the tests running alongside (PostgreSQL accepts 60, MariaDB 80).
constexpr int kConnections = 24;
constexpr int kSettle = 8;  // left out of the slope (resident_memory.hpp)

// What each further connection that `open_one` keeps adds, measured in a child process:
// one connection opened and closed first (one-time library state), the free memory the
// test process had given back to the system (malloc_trim), so the connections cannot
// hide in it, then kConnections opened and kept. Negative when a connect failed.
Growth per_open_connection(const std::function<bool()>& open_one, const std::function<void()>& warm_up) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    // meson test sets MALLOC_PERTURB_, and glibc then fills every allocation, touching
    // pages (the whole of a 256 KiB non-blocking context) that an application never would.
    mallopt(M_PERTURB, 0);
    warm_up();
    malloc_trim(0);
    bool failed = false;
    Growth per = growth_per_connection([&] { failed = !open_one() || failed; }, kConnections, kSettle);
    if (failed) per = {-1, -1};
    const ssize_t written = write(fds[1], &per, sizeof per);
    _exit(written == sizeof per ? 0 : 1);  // the connections end with the process
  }
  close(fds[1]);
  Growth per{-1, -1};
  if (read(fds[0], &per, sizeof per) != sizeof per) per = {-1, -1};
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return per;
}

// The least of three measurements of each side: another process's work can only add.
struct Compared {
  Growth ours{1e9, 1e9}, raw{1e9, 1e9};
};

Compared compare(const std::function<bool()>& open_raw, const std::function<void()>& warm_raw,
                 const std::function<bool()>& open_ours, const std::function<void()>& warm_ours) {
  Compared c;
  for (int round = 0; round < 3; ++round) {
    const Growth r = per_open_connection(open_raw, warm_raw);
    const Growth o = per_open_connection(open_ours, warm_ours);
    REQUIRE_MESSAGE(r.rss_kib >= 0, "a bare driver connect failed");
    REQUIRE_MESSAGE(o.rss_kib >= 0, "a verified connect failed");
    c.raw = {std::min(c.raw.rss_kib, r.rss_kib), std::min(c.raw.heap_kib, r.heap_kib)};
    c.ours = {std::min(c.ours.rss_kib, o.rss_kib), std::min(c.ours.heap_kib, o.heap_kib)};
  }
  MESSAGE("per open connection: resident KiB verifull " << c.ours.rss_kib << ", bare driver " << c.raw.rss_kib
          << "; heap in use KiB verifull " << c.ours.heap_kib << ", bare driver " << c.raw.heap_kib);
  return c;
}

}  // namespace

TEST_CASE("an open verified MySQL connection holds at most 8 KiB more resident memory than a bare Connector/C one") {
  const Trust trust = servers::trust();
  const Compared c = compare([] { return raw_connect() != nullptr; }, [] { mysql_close(raw_connect()); },
                             [&] {
                               static std::vector<mysql::Connection> kept;
                               auto connected = mysql::connect(url(), trust);
                               if (!connected.report.ok()) return false;
                               kept.push_back(std::move(connected.conn));
                               return true;
                             },
                             [&] { mysql::connect(url(), trust); });
  // Before the non-blocking context was replaced after the connect, the stack the TLS
  // handshake ran on stayed with each connection: 70-85 KiB more than bare Connector/C.
  CHECK(c.ours.rss_kib - c.raw.rss_kib <= 8);
  // The heap in use: the fresh, untouched context (256 KiB of stack and one page,
  // src/mysql/connect.cpp), and no more than 2 KiB of verifull's own.
  CHECK(c.ours.heap_kib - c.raw.heap_kib <= 256 + 4 + 2);
}

TEST_CASE("an open verified PostgreSQL connection holds what bare libpq holds") {
  const Trust trust = servers::trust();
  const Compared c = compare([] { return raw_pg_connect() != nullptr; }, [] { PQfinish(raw_pg_connect()); },
                             [&] {
                               static std::vector<postgres::Connection> kept;
                               auto connected = postgres::connect(servers::pg_url(), trust);
                               if (!connected.report.ok()) return false;
                               kept.push_back(std::move(connected.conn));
                               return true;
                             },
                             [&] { postgres::connect(servers::pg_url(), trust); });
  // verifull keeps a reference to the Trust per connection, no chain, report or anchors.
  CHECK(c.ours.heap_kib - c.raw.heap_kib <= 2);
  // Resident: the same as bare libpq. (It was ~14 KiB more while the name resolution
  // before each connect made and freed a c-ares channel per call, whose touched pages the
  // connection's buffers then landed on; each thread now keeps its channel,
  // src/probe/resolve.cpp; README, "Performance".)
  CHECK(c.ours.rss_kib - c.raw.rss_kib <= 4);
}

TEST_CASE("a verified MySQL connection still serves the caller's non-blocking calls") {
  auto connected = mysql::connect(url(), servers::trust());
  REQUIRE(connected.report.ok());
  MYSQL* m = connected.conn.get();
  const std::string sql = "SELECT REPEAT('x', 100000)";
  int error = -1;
  int status = mysql_real_query_start(&error, m, sql.c_str(), sql.size());
  for (int rounds = 0; status != 0 && rounds < 1000; ++rounds) {
    pollfd p{mysql_get_socket(m), POLLIN, 0};
    ::poll(&p, 1, 1000);
    status = mysql_real_query_cont(&error, m, MYSQL_WAIT_READ);
  }
  REQUIRE(status == 0);
  REQUIRE(error == 0);
  MYSQL_RES* result = mysql_store_result(m);
  REQUIRE(result != nullptr);
  MYSQL_ROW row = mysql_fetch_row(result);
  REQUIRE(row != nullptr);
  CHECK(mysql_fetch_lengths(result)[0] == 100000);
  mysql_free_result(result);
}
