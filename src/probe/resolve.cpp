#include "probe/resolve.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/fork_safe.hpp"
#include "probe/failure.hpp"

namespace verifull::detail {
namespace {

// Test-only: the integration tests point the resolver at a DNS server of their own (one
// that never answers) without touching /etc/resolv.conf. Only a loopback address is
// accepted, so the variable cannot send a name to a resolver elsewhere; and resolving
// decides nothing about trust (the certificate is verified against the name dialled).
constexpr const char* kTestDnsServer = "VERIFULL_TEST_DNS_SERVER";

void use_test_dns_server(ares_channel channel) {
  const char* value = std::getenv(kTestDnsServer);
  if (!value || !*value) return;
  const std::string text = value;
  const auto colon = text.rfind(':');
  in_addr address{};
  const bool loopback_with_port = colon != std::string::npos && colon + 1 < text.size() && colon + 6 >= text.size() &&
                                  text.find_first_not_of("0123456789", colon + 1) == std::string::npos &&
                                  ::inet_pton(AF_INET, text.substr(0, colon).c_str(), &address) == 1 &&
                                  (ntohl(address.s_addr) >> 24) == 127;
  if (!loopback_with_port || ares_set_servers_ports_csv(channel, text.c_str()) != ARES_SUCCESS)
    throw ProbeFailure(Outcome::network_error, std::string(kTestDnsServer) +
                                                   " (a test-only setting) must be 127.x.y.z:port; unset it");
}

struct Lookup {
  bool done = false;
  int status = ARES_ENOTFOUND;
  std::vector<ResolvedAddress> found;
};

void on_result(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  auto& lookup = *static_cast<Lookup*>(arg);
  lookup.done = true;
  lookup.status = status;
  if (!result) return;
  for (const ares_addrinfo_node* n = result->nodes; n; n = n->ai_next) {
    if ((n->ai_family != AF_INET && n->ai_family != AF_INET6) || n->ai_addrlen > sizeof(sockaddr_storage)) continue;
    ResolvedAddress a;
    std::memcpy(&a.address, n->ai_addr, n->ai_addrlen);
    a.length = n->ai_addrlen;
    a.family = n->ai_family;
    lookup.found.push_back(a);
  }
  ares_freeaddrinfo(result);
}

struct ChannelFree {
  void operator()(ares_channel c) const { ares_destroy(c); }
};
using Channel = std::unique_ptr<ares_channeldata, ChannelFree>;

// Reusing a channel (docs/design.md, section 7). Starting one reads resolv.conf and the
// lookup-order files and seeds its query ids (~30 us of CPU on the test machine, about
// half of a lookup), once in every warm MySQL connect. So each thread keeps the channel
// of its last lookup (a channel is not safe to share between threads, and a thread runs
// one lookup at a time) and reuses it while nothing it was started from has changed:
// the first lookup after a change to any of these files or variables starts a new
// channel, so a moved address is seen by the next connect, not some seconds later.
// Answers are not kept: a c-ares with a query cache has it turned off below, and the
// hosts file (which a newer c-ares keeps per channel) is among the files watched.
const char* const kLookupOrderFiles[] = {"/etc/nsswitch.conf", "/etc/host.conf", "/etc/svc.conf"};
const char* const kVariables[] = {"LOCALDOMAIN", "RES_OPTIONS", kTestDnsServer};
// A file changed this shortly before its stamp was taken could change again within the
// same tick of its file system's clock (coarse, or 1-2 s on some), unseen in its stamp:
// a channel started then serves one lookup only.
constexpr long kRacySeconds = 2;

// Test-only (use_test_resolver_files): a resolv.conf instead of the system's, and the
// hosts file that CARES_HOSTS names instead of /etc/hosts.
std::atomic<const char*> test_resolv_conf{nullptr};
std::atomic<unsigned long> channels_started{0};

struct FileStamp {
  int error = 0;  // of stat(): a missing file is stamped as such
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  timespec modified{}, changed{};
  bool operator==(const FileStamp& o) const {
    return error == o.error && device == o.device && inode == o.inode && size == o.size &&
           modified.tv_sec == o.modified.tv_sec && modified.tv_nsec == o.modified.tv_nsec &&
           changed.tv_sec == o.changed.tv_sec && changed.tv_nsec == o.changed.tv_nsec;
  }
};

// What a channel is started from, as stamps (stat() follows a symlinked resolv.conf to
// the file it names now). Five stat() calls: a few microseconds.
struct Configuration {
  std::vector<FileStamp> files;
  std::vector<std::string> variables;  // "" when unset, "=" + the value when set
  bool racy = false;                   // a file changed within kRacySeconds
  pid_t process = 0;                   // the process looking up

  static Configuration now() {
    Configuration c;
    c.process = ::getpid();
    timespec clock{};
    ::clock_gettime(CLOCK_REALTIME, &clock);  // file times are wall-clock times
    const auto stamp = [&c, &clock](const char* path) {
      FileStamp f;
      struct stat s {};
      if (::stat(path, &s) != 0) {
        f.error = errno;
      } else {
        f.device = s.st_dev;
        f.inode = s.st_ino;
        f.size = s.st_size;
        f.modified = s.st_mtim;
        f.changed = s.st_ctim;
        const auto recent = clock.tv_sec - kRacySeconds;
        if (s.st_mtim.tv_sec >= recent || s.st_ctim.tv_sec >= recent) c.racy = true;  // or in the future
      }
      c.files.push_back(f);
    };
    const char* test_files = test_resolv_conf.load();
    stamp(test_files ? test_files : "/etc/resolv.conf");
    stamp("/etc/hosts");
    if (test_files) {
      const char* hosts = std::getenv("CARES_HOSTS");
      c.variables.push_back(hosts ? std::string("=") + hosts : std::string());
      if (hosts) stamp(hosts);
    }
    for (const char* path : kLookupOrderFiles) stamp(path);
    for (const char* name : kVariables) {
      const char* value = std::getenv(name);
      c.variables.push_back(value ? std::string("=") + value : std::string());
    }
    return c;
  }

  bool operator==(const Configuration& o) const {
    return process == o.process && files == o.files && variables == o.variables;
  }
};

// This thread's channel between its lookups: idle (no query left in it), and used only
// in the process that started it. A fork()ed child's thread finds its parent's channel
// here and starts its own (sharing the parent's sockets or its sequence of query ids
// would let either process take the other's answers); the copies of other threads'
// channels a child inherits are never touched.
struct KeptChannel {
  Channel channel;
  Configuration started_from;  // its process included
};
thread_local KeptChannel kept;

Channel start_channel(const std::string& host) {
  ares_options options{};  // the system's configuration, as glibc would use it
  int mask = 0;
  if (const char* path = test_resolv_conf.load()) {
    options.resolvconf_path = const_cast<char*>(path);
    mask |= ARES_OPT_RESOLVCONF;
  }
#ifdef ARES_OPT_QUERY_CACHE
  options.qcache_max_ttl = 0;  // c-ares 1.23 and later: no cache (addresses move on failover)
  mask |= ARES_OPT_QUERY_CACHE;
#endif
  ares_channel raw = nullptr;
  if (const int rc = ares_init_options(&raw, &options, mask); rc != ARES_SUCCESS)
    throw ProbeFailure(Outcome::network_error,
                       "cannot start name resolution for " + host + ": " + ares_strerror(rc));
  Channel channel(raw);
  use_test_dns_server(channel.get());
  channels_started.fetch_add(1, std::memory_order_relaxed);
  return channel;
}

// This thread's kept channel if nothing it was started from has changed, else a new one.
Channel take_channel(const std::string& host, Configuration& config) {
  config = Configuration::now();
  Channel channel = std::move(kept.channel);
  if (channel && !kept.started_from.racy && kept.started_from == config)
    return channel;
  channel.reset();  // a parent's in a fork()ed child: frees the child's copy only
  return start_channel(host);
}

// Back to this thread after a lookup that ended (with addresses or without).
void keep_channel(Channel channel, Configuration config) {
  ares_cancel(channel.get());  // nothing should be left in it; if anything is, it ends here
  kept.channel = std::move(channel);
  kept.started_from = std::move(config);
}

int milliseconds_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// An IP literal needs no resolver (and getaddrinfo with AI_NUMERICHOST never asks one).
bool numeric(const std::string& host, std::uint16_t port, std::vector<ResolvedAddress>& out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) return false;
  for (const addrinfo* a = found; a; a = a->ai_next) {
    if (a->ai_addrlen > sizeof(sockaddr_storage)) continue;
    ResolvedAddress r;
    std::memcpy(&r.address, a->ai_addr, a->ai_addrlen);
    r.length = a->ai_addrlen;
    r.family = a->ai_family;
    out.push_back(r);
  }
  ::freeaddrinfo(found);
  return !out.empty();
}

void set_port(ResolvedAddress& a, std::uint16_t port) {
  if (a.family == AF_INET) reinterpret_cast<sockaddr_in*>(&a.address)->sin_port = htons(port);
  if (a.family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&a.address)->sin6_port = htons(port);
}

// "localhost" and names under it are the loopback addresses (RFC 6761), which glibc finds
// through nss-myhostname when /etc/hosts does not list them; c-ares 1.18 does not.
bool is_localhost(std::string host) {
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!host.empty() && host.back() == '.') host.pop_back();
  const std::string suffix = ".localhost";
  return host == "localhost" ||
         (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0);
}

std::vector<ResolvedAddress> numeric_loopback(std::uint16_t port) {
  std::vector<ResolvedAddress> out;
  numeric("::1", port, out);
  numeric("127.0.0.1", port, out);
  return out;
}

std::string timed_out(const std::string& host) {
  return "no answer from the DNS resolver for " + host +
         " before the timeout — the name server this machine uses (/etc/resolv.conf) is unreachable or not "
         "answering; check the DNS configuration or connect by IP address";
}

}  // namespace

std::string ResolvedAddress::text() const {
  char out[NI_MAXHOST] = "";
  ::getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, out, sizeof out, nullptr, 0, NI_NUMERICHOST);
  return out;
}

std::vector<ResolvedAddress> resolve(const std::string& host, std::uint16_t port, Clock::time_point deadline) {
  std::vector<ResolvedAddress> out;
  if (numeric(host, port, out)) return out;
  static std::once_flag library_ready;
  std::call_once(library_ready, [] { ares_library_init(ARES_LIB_INIT_ALL); });

  Lookup lookup;  // outlives the channel: ares_destroy calls on_result for a lookup in progress
  Configuration config;
  Channel channel = take_channel(host, config);
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (test_resolv_conf.load()) hints.ai_flags |= ARES_AI_ENVHOSTS;  // CARES_HOSTS, for the tests only
  ares_getaddrinfo(channel.get(), host.c_str(), nullptr, &hints, on_result, &lookup);
  while (!lookup.done) {
    const int left = milliseconds_until(deadline);
    if (left == 0) {
      channel.reset();
      throw ProbeFailure(Outcome::timeout, timed_out(host));
    }
    ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(channel.get(), sockets, ARES_GETSOCK_MAXNUM);
    pollfd fds[ARES_GETSOCK_MAXNUM];
    nfds_t count = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events) fds[count++] = pollfd{sockets[i], events, 0};
    }
    timeval most{left / 1000, (left % 1000) * 1000}, next{};
    const timeval* wait = ares_timeout(channel.get(), &most, &next);
    const int wait_ms = static_cast<int>(wait->tv_sec * 1000 + (wait->tv_usec + 999) / 1000);
    const int n = [&] {
      const AllowFork waiting_for_the_resolver;  // core/fork_safe.hpp
      return ::poll(fds, count, wait_ms);
    }();
    if (n < 0 && errno != EINTR)
      throw ProbeFailure(Outcome::network_error, std::string("poll failed: ") + std::strerror(errno));
    if (n <= 0) {
      ares_process_fd(channel.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // c-ares's own retry timers
      continue;
    }
    for (nfds_t i = 0; i < count; ++i)
      ares_process_fd(channel.get(), (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD,
                      (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD);
  }
  keep_channel(std::move(channel), std::move(config));
  if (lookup.status == ARES_SUCCESS && !lookup.found.empty()) {
    for (auto& a : lookup.found) set_port(a, port);
    return lookup.found;
  }
  if (lookup.status == ARES_ETIMEOUT) throw ProbeFailure(Outcome::timeout, timed_out(host));
  if (is_localhost(host)) return numeric_loopback(port);
  throw ProbeFailure(Outcome::name_not_resolved,
                     "cannot resolve " + host + ": " +
                         (lookup.status == ARES_SUCCESS ? "no address" : ares_strerror(lookup.status)) +
                         " — check the host name");
}

void use_test_resolver_files(const char* resolv_conf) { test_resolv_conf.store(resolv_conf); }

unsigned long resolver_channels_started() { return channels_started.load(std::memory_order_relaxed); }

}  // namespace verifull::detail
