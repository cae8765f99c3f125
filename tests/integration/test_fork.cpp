// fork() while other threads use verifull: every child must be able to use verifull at
// once (load a trust, verify, connect to the real servers) and finish. A lock some other
// thread held at the moment of fork() stays locked forever in the child (only the forking
// thread exists there), so any of verifull's locks held across fork() hangs children;
// the parent waits for each child with a bound and kills (and counts) those that hang.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <iterator>
#include <thread>
#include <vector>

#include "servers_env.hpp"
#include "verifull/verifull.hpp"

using namespace verifull;

namespace {

using servers::mysql_url;
using servers::pg_url;

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Policy bounded() {
  Policy p;
  p.timeout = std::chrono::seconds(5);
  return p;
}

// What a child does: each step takes the locks a thread of the parent may have held.
// Exit status 0 when all of it worked.
[[noreturn]] void child_work(const Trust& shared, const std::string& ca_pem, const std::string& server_pem, int n) {
  int status = 0;
  try {
    (void)shared.anchors_file();
    (void)Trust::from_pem(ca_pem, "child").anchors_file();
    Policy policy = bounded();
    policy.host = "localhost";
    if (!verify_pem(server_pem, "", shared, policy).ok()) status = 1;
    if (n % 2 == 0) {
      if (!postgres::connect(pg_url(), shared, bounded()).report.ok()) status = 2;
    } else {
      if (!mysql::connect(mysql_url(), shared, bounded(), mysql::ApprovedCache::shared()).report.ok()) status = 3;
    }
  } catch (...) {
    status = 4;
  }
  ::_exit(status);
}

// Waits for `pid` until `until`; then kills it. True when it exited by itself.
bool finished_by(pid_t pid, std::chrono::steady_clock::time_point until, int& status) {
  while (std::chrono::steady_clock::now() < until) {
    const pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return false;
}

}  // namespace

TEST_CASE("children forked while threads verify and connect all finish, and can verify and connect") {
  const Trust shared = servers::trust();
  const std::string ca_pem = file_text(servers::pki("ca.pem"));
  const std::string server_pem = file_text(servers::pki("server.pem"));
  std::atomic<bool> stop{false};
  std::atomic<int> thread_failures{0};
  std::vector<std::thread> threads;
  std::mutex first_error_mutex;
  std::string first_error;
  // A thread's work in a loop until `stop`; an exception counts as a failure.
  const auto looping = [&](std::function<bool(int)> work) {
    return std::thread([&, work] {
      for (int i = 0; !stop; ++i) {
        try {
          if (!work(i)) ++thread_failures;
        } catch (const std::exception& e) {
          ++thread_failures;
          std::lock_guard<std::mutex> lock(first_error_mutex);
          if (first_error.empty()) first_error = e.what();
        }
      }
    });
  };
  // Each kind of work in a loop: connects (the trust's driver file, the narrowing and
  // approval caches), fresh trusts and their driver files, verifications (lazy anchor
  // parsing, descriptions), MySQL option files.
  threads.push_back(looping([&](int) { return postgres::connect(pg_url(), shared, bounded()).report.ok(); }));
  threads.push_back(looping([&](int) {
    return mysql::connect(mysql_url(), shared, bounded(), mysql::ApprovedCache::shared()).report.ok();
  }));
  threads.push_back(looping([&](int i) {
    Policy policy;
    policy.host = "localhost";
    const Trust fresh = Trust::from_pem(ca_pem, "thread");
    (void)fresh.anchors_file();
    (void)shared.anchors_file();
    (void)fresh.anchors();
    const std::string fingerprint = std::string(39, '0') + "0123456789abcdef"[i % 16];
    (void)mysql::option_file(parse_url("mysql://127.0.0.1:" + servers::mysql_port()), shared, fingerprint);
    return verify_pem(server_pem, "", i % 2 ? fresh : shared, policy).ok();
  }));

  constexpr int kChildren = 160;
  constexpr int kAtOnce = 8;
  int hung = 0, failed = 0;
  std::vector<int> failure_statuses;
  for (int started = 0; started < kChildren; started += kAtOnce) {
    std::vector<pid_t> children;
    for (int i = 0; i < kAtOnce; ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(300 * (i + 1)));  // different moments of the threads' work
      const pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a hung child never outlives the test
        child_work(shared, ca_pem, server_pem, started + i);
      }
      children.push_back(pid);
    }
    // Each child connects once with a 5 s timeout: 15 s is ample, also on a busy machine.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    for (const pid_t pid : children) {
      int status = 0;
      if (!finished_by(pid, until, status)) {
        ++hung;
      } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        ++failed;
        failure_statuses.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
      }
    }
  }
  stop = true;
  for (auto& t : threads) t.join();
  CHECK_MESSAGE(hung == 0, hung << " of " << kChildren << " children hung (killed after 15 s)");
  CHECK_MESSAGE(failed == 0, failed << " of " << kChildren << " children failed; first status "
                                    << (failure_statuses.empty() ? 0 : failure_statuses.front()));
  CHECK_MESSAGE(thread_failures == 0, thread_failures.load() << " failures in the threads; first exception: " << first_error);
}
