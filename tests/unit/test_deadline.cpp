// The deadline's building blocks on their own: the socket watchdog (ends a blocking read
// at the deadline, and never touches a descriptor number reused after it was watched)
// and the bounded resolver. Internal units, so linked with the library's internals.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <memory>
#include <utility>
#include <vector>

#include "probe/failure.hpp"
#include "probe/resolve.hpp"
#include "probe/socket.hpp"
#include "loopback_dns.hpp"
#include "scoped_env.hpp"

using namespace std::chrono_literals;
using verifull::detail::Clock;

namespace {

struct Pair {
  int fd[2] = {-1, -1};
  Pair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) == 0); }
  ~Pair() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
};

// True when fd's peer has shut it: a read returns at once with 0 (end of stream).
bool shut(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) != 1) return false;
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

// A blocking read of a socket that nothing is ever sent to, under a watchdog whose
// deadline is `timeout` away: what the read returned, how long it took, whether it fired.
struct BlockedRead {
  ssize_t n;
  Clock::duration took;
  bool fired;
};

BlockedRead blocked_read(Clock::duration timeout) {
  Pair pair;
  const auto start = Clock::now();
  verifull::detail::SocketWatchdog watchdog(start + timeout);
  watchdog.watch(pair.fd[0]);
  char c;
  const ssize_t n = ::recv(pair.fd[0], &c, 1, 0);
  return {n, Clock::now() - start, watchdog.fired()};
}

}  // namespace

TEST_CASE("the watchdog ends a blocking read at the deadline") {
  const BlockedRead read = blocked_read(300ms);
  CHECK(read.n == 0);
  CHECK(read.took >= 290ms);
  CHECK(read.took < 3s);
  CHECK(read.fired);
}

TEST_CASE("a disarmed watchdog shuts nothing, and reports whether it had fired") {
  Pair pair;
  {
    verifull::detail::SocketWatchdog watchdog(Clock::now() + 100ms);
    watchdog.watch(pair.fd[0]);
    CHECK_FALSE(watchdog.disarm());
    std::this_thread::sleep_for(250ms);
    CHECK_FALSE(watchdog.fired());
  }
  CHECK_FALSE(shut(pair.fd[0]));
  verifull::detail::SocketWatchdog late(Clock::now() + 50ms);
  late.watch(pair.fd[0]);
  std::this_thread::sleep_for(200ms);
  CHECK(late.disarm());
}

TEST_CASE("the watchdog never shuts a descriptor number reused after the watched socket was closed") {
  Pair first;
  verifull::detail::SocketWatchdog watchdog(Clock::now() + 300ms);
  watchdog.watch(first.fd[0]);
  const int number = first.fd[0];
  ::close(first.fd[0]);  // the library closes its socket...
  first.fd[0] = -1;
  Pair second;           // ...and the lowest free number goes to someone else's
  REQUIRE((second.fd[0] == number || second.fd[1] == number));
  std::this_thread::sleep_for(600ms);
  CHECK(watchdog.fired());
  CHECK_FALSE(shut(second.fd[0]));
  CHECK_FALSE(shut(second.fd[1]));
  CHECK(::send(second.fd[1], "x", 1, MSG_NOSIGNAL) == 1);  // still open both ways
  char c;
  CHECK(::recv(second.fd[0], &c, 1, 0) == 1);
}

// The threads of this process, as /proc/self/task lists them.
int thread_count() {
  DIR* d = ::opendir("/proc/self/task");
  REQUIRE(d != nullptr);
  int n = 0;
  while (const dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

TEST_CASE("watchdogs share one thread, and each fires at its own deadline") {
  { verifull::detail::SocketWatchdog first(Clock::now() + 10s); }  // the process's watchdog thread exists now
  const int threads_before = thread_count();
  Pair early_pair, late_pair, disarmed_pair;
  std::vector<std::unique_ptr<Pair>> idle_pairs;
  std::vector<std::unique_ptr<verifull::detail::SocketWatchdog>> idle;
  const auto start = Clock::now();
  verifull::detail::SocketWatchdog late(start + 700ms);
  late.watch(late_pair.fd[0]);
  verifull::detail::SocketWatchdog early(start + 200ms);
  early.watch(early_pair.fd[0]);
  verifull::detail::SocketWatchdog disarmed(start + 300ms);
  disarmed.watch(disarmed_pair.fd[0]);
  for (int i = 0; i < 20; ++i) {  // as many connects at once, none near its deadline
    idle_pairs.push_back(std::make_unique<Pair>());
    idle.push_back(std::make_unique<verifull::detail::SocketWatchdog>(start + 60s));
    idle.back()->watch(idle_pairs.back()->fd[0]);
  }
  CHECK(thread_count() == threads_before);  // a thread per watchdog would add 23
  CHECK_FALSE(disarmed.disarm());
  std::this_thread::sleep_for(450ms - (Clock::now() - start));
  CHECK(shut(early_pair.fd[0]));
  CHECK(early.fired());
  CHECK_FALSE(shut(late_pair.fd[0]));  // the earlier deadline did not end the later one
  CHECK_FALSE(late.fired());
  CHECK_FALSE(shut(disarmed_pair.fd[0]));
  std::this_thread::sleep_for(1s - (Clock::now() - start));
  CHECK(shut(late_pair.fd[0]));
  CHECK(late.fired());
  CHECK_FALSE(disarmed.fired());
  CHECK_FALSE(shut(disarmed_pair.fd[0]));
  for (const auto& p : idle_pairs) CHECK_FALSE(shut(p->fd[0]));
  idle.clear();  // disarmed before their deadlines: gone at once
  CHECK(thread_count() == threads_before);
}

TEST_CASE("a fork()ed child's watchdog ends a blocking read at its deadline (the child starts its own thread)") {
  { verifull::detail::SocketWatchdog in_parent(Clock::now() + 10s); }  // the parent's thread exists before fork()
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const BlockedRead read = blocked_read(200ms);
    ::_exit(read.n == 0 && read.took >= 190ms && read.took < 3s && read.fired ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("resolving: an IP literal needs no resolver, a silent DNS server is a timeout by the deadline") {
  // A loopback DNS server that never answers.
  const loopback_dns::Silent dns;
  ScopedEnv env{{"VERIFULL_TEST_DNS_SERVER", dns.address()}};

  const auto literal = verifull::detail::resolve("127.0.0.1", 5432, Clock::now() + 1s);
  REQUIRE(literal.size() == 1);
  CHECK(literal[0].text() == "127.0.0.1");
  CHECK(verifull::detail::resolve("::1", 5432, Clock::now() + 1s).at(0).text() == "::1");

  const auto start = Clock::now();
  try {
    verifull::detail::resolve("db.silent.verifull.test", 5432, start + 700ms);
    FAIL("a silent resolver cannot resolve anything");
  } catch (const verifull::detail::ProbeFailure& e) {
    CHECK(e.outcome == verifull::Outcome::timeout);
    CHECK(std::string(e.what()).find("DNS") != std::string::npos);
  }
  CHECK(Clock::now() - start < 700ms + 1s);
}

namespace {

// A loopback DNS server that answers A queries for the names it was given (lower case),
// "no address" (NOERROR, no answer) for their other types, and "no such name" (NXDOMAIN)
// for the rest. TTL 0: nothing in an answer allows keeping it.
using Answers = std::vector<std::pair<std::string, std::string>>;  // name, IPv4 address

struct AnsweringDns {
  std::uint16_t port = 0;
  int fd = loopback_dns::bind_udp(port);
  const Answers names;
  std::atomic<bool> stop{false};
  std::thread thread;

  explicit AnsweringDns(Answers answers) : names(std::move(answers)) {
    thread = std::thread([this] { serve(); });
  }
  AnsweringDns(const AnsweringDns&) = delete;
  AnsweringDns& operator=(const AnsweringDns&) = delete;
  ~AnsweringDns() {
    stop = true;
    thread.join();
    ::close(fd);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }

  void serve() {
    while (!stop) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;
      unsigned char q[512];
      sockaddr_in from{};
      socklen_t from_len = sizeof from;
      const ssize_t got = ::recvfrom(fd, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
      if (got < 12) continue;
      const auto n = static_cast<std::size_t>(got);
      std::string name;  // the question's name, its labels joined by dots
      std::size_t i = 12;
      while (i < n && q[i] != 0 && q[i] < 64 && i + 1 + q[i] <= n) {
        if (!name.empty()) name += '.';
        for (std::size_t k = 0; k < q[i]; ++k) name += static_cast<char>(std::tolower(q[i + 1 + k]));
        i += 1 + q[i];
      }
      if (i + 5 > n || q[i] != 0) continue;
      const std::size_t question_end = i + 5;  // the root label, type and class
      const bool type_a = q[i + 1] == 0 && q[i + 2] == 1;
      const auto known = std::find_if(names.begin(), names.end(), [&name](const auto& e) { return e.first == name; });
      unsigned char r[600];
      std::memcpy(r, q, question_end);
      r[2] = static_cast<unsigned char>(0x80 | (q[2] & 0x01));        // a response, RD as asked
      r[3] = known != names.end() ? 0x80 : 0x83;                       // RA; no error, or no such name
      for (int k = 6; k < 12; ++k) r[k] = 0;                           // no answer, authority or additional yet
      std::size_t len = question_end;
      in_addr a{};
      if (known != names.end() && type_a && ::inet_pton(AF_INET, known->second.c_str(), &a) == 1) {
        r[7] = 1;
        const unsigned char answer[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4};  // the question's name, A, IN, TTL 0
        std::memcpy(r + len, answer, sizeof answer);
        len += sizeof answer;
        std::memcpy(r + len, &a, 4);
        len += 4;
      }
      ::sendto(fd, r, len, 0, reinterpret_cast<sockaddr*>(&from), from_len);
    }
  }
};

// A file written in place (same inode, and here the same size each time).
void write_file(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f);
  CHECK(std::fwrite(text.data(), 1, text.size(), f) == text.size());
  REQUIRE(std::fclose(f) == 0);
}

// A resolv.conf and a hosts file of the test's own, in a fresh directory, which the
// resolver reads instead of the system's while the scope lasts.
struct ResolverFiles {
  std::string dir;
  std::string resolv_conf, hosts;
  explicit ResolverFiles(const std::string& search, const std::string& hosts_text = "") {
    char path[] = "/tmp/verifull-resolver-XXXXXX";
    REQUIRE(::mkdtemp(path));
    dir = path;
    resolv_conf = dir + "/resolv.conf";
    hosts = dir + "/hosts";
    write_file(resolv_conf, "search " + search + "\n");
    write_file(hosts, hosts_text);
    verifull::detail::use_test_resolver_files(resolv_conf.c_str());
  }
  ~ResolverFiles() {
    verifull::detail::use_test_resolver_files(nullptr);
    ::unlink(resolv_conf.c_str());
    ::unlink(hosts.c_str());
    ::rmdir(dir.c_str());
  }
};

}  // namespace

TEST_CASE("resolving: no such name is name_not_resolved at once; localhost is loopback even without /etc/hosts") {
  AnsweringDns dns(Answers{});  // no such name, whatever the name
  // The system's hosts file (which lists localhost here): c-ares 1.18 answers localhost
  // itself when the hosts file does not, and leaks 10 bytes each time (LeakSanitizer).
  ScopedEnv env{{"VERIFULL_TEST_DNS_SERVER", dns.address()}};
  const auto start = Clock::now();
  try {
    verifull::detail::resolve("db.nowhere.verifull.test", 5432, start + 5s);
    FAIL("an NXDOMAIN answer cannot resolve");
  } catch (const verifull::detail::ProbeFailure& e) {
    CHECK(e.outcome == verifull::Outcome::name_not_resolved);
  }
  CHECK(Clock::now() - start < 2s);  // the answer ends it, not the deadline
  std::vector<std::string> texts;
  for (const auto& a : verifull::detail::resolve("localhost", 5432, Clock::now() + 5s)) texts.push_back(a.text());
  CHECK(std::find(texts.begin(), texts.end(), "127.0.0.1") != texts.end());
  CHECK(verifull::detail::resolve("db.LOCALHOST.", 5432, Clock::now() + 5s).size() >= 1);
}

namespace {

std::string first_address(const std::string& host) {
  return verifull::detail::resolve(host, 3306, Clock::now() + 5s).at(0).text();
}

// Searching "a.verifull.test" or "b.verifull.test" (resolv.conf), "db" is one of these.
const Answers kSearchedNames = {{"db.a.verifull.test", "127.0.0.5"},
                                                                         {"db.b.verifull.test", "127.0.0.6"}};

}  // namespace

TEST_CASE("resolving: a thread reuses its channel while resolv.conf, hosts and the variables stay; a change is seen next") {
  using verifull::detail::resolver_channels_started;
  AnsweringDns dns(kSearchedNames);
  AnsweringDns other_dns(Answers{{"db.b.verifull.test", "127.0.0.9"}});
  ResolverFiles files("a.verifull.test");
  ScopedEnv env{{"VERIFULL_TEST_DNS_SERVER", dns.address()}, {"CARES_HOSTS", files.hosts}};

  // Files changed within the last seconds start a channel per lookup (their stamps could
  // miss a change within the same tick of the file system's clock); then they settle.
  REQUIRE(first_address("db") == "127.0.0.5");
  const auto settle_by = Clock::now() + 6s;
  for (;;) {
    const auto before = resolver_channels_started();
    REQUIRE(first_address("db") == "127.0.0.5");
    if (resolver_channels_started() == before) break;
    REQUIRE(Clock::now() < settle_by);
    std::this_thread::sleep_for(250ms);
  }
  const auto settled = resolver_channels_started();
  for (int i = 0; i < 5; ++i) CHECK(first_address("db") == "127.0.0.5");
  CHECK(resolver_channels_started() == settled);  // one channel for all of them
  CHECK_THROWS(first_address("db.nowhere.verifull.test"));  // no such name: the channel stays usable
  CHECK(first_address("db") == "127.0.0.5");
  CHECK(resolver_channels_started() == settled);


  // Threads resolving at once: each its own channel, every answer right.
  constexpr int kThreads = 8;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&wrong] {
      for (int i = 0; i < 25; ++i) {
        try {
          if (first_address("db") != "127.0.0.5") ++wrong;
        } catch (...) {
          ++wrong;
        }
      }
    });
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
  CHECK(resolver_channels_started() - settled >= 1);
  CHECK(resolver_channels_started() - settled <= kThreads);  // at most one each
  const auto after_threads = resolver_channels_started();

  // A fork()ed child starts a channel of its own, and resolves; the parent keeps its own.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const auto before = resolver_channels_started();
    bool ok = false;
    try {
      ok = first_address("db") == "127.0.0.5";
    } catch (...) {
    }
    ::_exit(ok && resolver_channels_started() == before + 1 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(first_address("db") == "127.0.0.5");
  CHECK(resolver_channels_started() == after_threads);

  // resolv.conf rewritten in place, same size: the next lookup searches the new domain.
  write_file(files.resolv_conf, "search b.verifull.test\n");
  CHECK(first_address("db") == "127.0.0.6");
  CHECK(resolver_channels_started() == after_threads + 1);

  // The hosts file rewritten in place, same size: the next lookup sees the new address.
  write_file(files.hosts, "127.0.0.7 db.hosts.verifull.test\n");
  CHECK(first_address("db.hosts.verifull.test") == "127.0.0.7");
  write_file(files.hosts, "127.0.0.8 db.hosts.verifull.test\n");
  CHECK(first_address("db.hosts.verifull.test") == "127.0.0.8");

  // Another test DNS server: the next lookup asks it.
  ::setenv("VERIFULL_TEST_DNS_SERVER", other_dns.address().c_str(), 1);
  CHECK(first_address("db") == "127.0.0.9");
}

TEST_CASE("resolving: resolv.conf and the hosts file changed twice within a second are each seen by the next lookup") {
  AnsweringDns dns(kSearchedNames);
  ResolverFiles files("a.verifull.test", "127.0.0.7 db.hosts.verifull.test\n");
  ScopedEnv env{{"VERIFULL_TEST_DNS_SERVER", dns.address()}, {"CARES_HOSTS", files.hosts}};
  for (int round = 0; round < 3; ++round) {
    write_file(files.resolv_conf, "search a.verifull.test\n");
    CHECK(first_address("db") == "127.0.0.5");
    write_file(files.resolv_conf, "search b.verifull.test\n");
    CHECK(first_address("db") == "127.0.0.6");
    write_file(files.hosts, "127.0.0.8 db.hosts.verifull.test\n");
    CHECK(first_address("db.hosts.verifull.test") == "127.0.0.8");
    write_file(files.hosts, "127.0.0.7 db.hosts.verifull.test\n");
    CHECK(first_address("db.hosts.verifull.test") == "127.0.0.7");
  }
}
