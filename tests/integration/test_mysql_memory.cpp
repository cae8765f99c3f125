// What an open verified MySQL connection holds, against the real MariaDB: resident
// memory per open connection compared with bare Connector/C verifying the same server
// (docs/design.md, "Memory per open connection"), and the handle's non-blocking context
// that verifull replaces after the connect still serving a caller's own mysql_*_start calls.
#include <doctest/doctest.h>
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

std::string url() {
  return "mysql://" + servers::user() + ":" + servers::password() + "@localhost:" + servers::mysql_port() + "/" +
         servers::database();
}

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

// Resident KiB per connection that `open_one` keeps, measured in a child process: one
// connection opened and closed first (one-time library state), the free memory the
// test process had given back to the system (malloc_trim), so the connections cannot
// hide in it, then `count` opened and kept. Negative when a connect failed.
double kib_per_open_connection(const std::function<bool()>& open_one, const std::function<void()>& warm_up, int count) {
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
    const long before = rss_kib();
    double per = 0;
    for (int i = 0; i < count; ++i)
      if (!open_one()) per = -1;
    if (per == 0) per = static_cast<double>(rss_kib() - before) / count;
    const ssize_t written = write(fds[1], &per, sizeof per);
    _exit(written == sizeof per ? 0 : 1);  // the connections end with the process
  }
  close(fds[1]);
  double per = -1;
  if (read(fds[0], &per, sizeof per) != sizeof per) per = -1;
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return per;
}

}  // namespace

TEST_CASE("an open verified MySQL connection holds little more resident memory than a bare Connector/C one") {
  const Trust trust = servers::trust();
  constexpr int kConnections = 20;
  // Best of three per side: another process's work can only add to a measurement.
  double raw = 1e9, ours = 1e9;
  for (int round = 0; round < 3; ++round) {
    const double r = kib_per_open_connection([] { return raw_connect() != nullptr; },
                                             [] { mysql_close(raw_connect()); }, kConnections);
    const double o = kib_per_open_connection(
        [&] {
          static std::vector<mysql::Connection> kept;
          auto connected = mysql::connect(url(), trust);
          if (!connected.report.ok()) return false;
          kept.push_back(std::move(connected.conn));
          return true;
        },
        [&] { mysql::connect(url(), trust); }, kConnections);
    REQUIRE_MESSAGE(r >= 0, "a bare Connector/C connect failed");
    REQUIRE_MESSAGE(o >= 0, "a verified connect failed");
    raw = std::min(raw, r);
    ours = std::min(ours, o);
  }
  MESSAGE("resident KiB per open connection: verifull " << ours << ", bare Connector/C " << raw);
  // Before the non-blocking context was replaced after the connect, the stack the TLS
  // handshake ran on stayed with each connection: 70-85 KiB more than bare Connector/C.
  CHECK(ours - raw <= 32);
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
