#include "probe/socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <set>
#include <thread>

#include "core/fork_safe.hpp"
#include "probe/failure.hpp"
#include "probe/resolve.hpp"

namespace verifull::detail {
namespace {

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// poll() until `events` or the deadline; false on timeout.
bool poll_until(int fd, short events, Clock::time_point deadline) {
  const AllowFork waiting_for_the_peer;  // core/fork_safe.hpp
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) throw ProbeFailure(Outcome::network_error, std::string("poll failed: ") + std::strerror(errno));
  }
}

}  // namespace

static_assert(sizeof(sigset_t) <= 128, "SigpipeGuard's buffer must hold a sigset_t");

SigpipeGuard::SigpipeGuard() {
  sigset_t pending, block;
  sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, reinterpret_cast<sigset_t*>(saved_mask_));
}

SigpipeGuard::~SigpipeGuard() {
  sigset_t pending;
  sigpending(&pending);
  if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
    sigset_t only_pipe;
    sigemptyset(&only_pipe);
    sigaddset(&only_pipe, SIGPIPE);
    const timespec zero{0, 0};
    sigtimedwait(&only_pipe, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, reinterpret_cast<sigset_t*>(saved_mask_), nullptr);
}

// The one thread that shuts the sockets of every SocketWatchdog of the process at their
// deadlines. Each watchdog is in `armed` from its construction until disarmed or fired;
// the thread touches a watchdog only while it is there, under `mutex`, so a disarmed
// watchdog can go away at once. Made once per process and never destroyed (the thread
// sleeps until the next deadline for as long as the process lives); after fork() the
// child, which has no such thread, makes its own on its first watchdog and leaves the
// parent's copy untouched (its lock is a ForkSafeMutex, never held across fork()).
class WatchdogThread {
 public:
  static WatchdogThread& of_this_process() {
    static ForkSafeMutex mutex;
    static WatchdogThread* current = nullptr;
    static pid_t owner = 0;
    std::lock_guard<ForkSafeMutex> lock(mutex);
    if (!current || owner != ::getpid()) {
      current = new WatchdogThread(current);  // kept for the life of the process, as its thread is
      owner = ::getpid();
    }
    return *current;
  }

  void arm(SocketWatchdog* w) {
    bool earlier;
    {
      std::lock_guard<ForkSafeMutex> lock(mutex);
      armed.insert(w);
      earlier = w->deadline_ < next_wake_;
    }
    // Woken only for a deadline before the one it sleeps until: connects one after
    // another (each disarmed long before its deadline) wake it once per timeout, not
    // once each; at that wake it looks at the watchdogs armed then.
    if (earlier) wake.notify_all();
  }

  ForkSafeMutex mutex;
  std::set<SocketWatchdog*> armed;

 private:
  // `parent` (the copy fork() left, if any) stays reachable: never freed, as a lock of it
  // that no thread here will release may be held (condition_variable_any's own).
  explicit WatchdogThread(WatchdogThread* parent) : parent_(parent) {
    // With every signal blocked, so the process's signals go to its own threads.
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    try {
      std::thread([this] { run(); }).detach();
    } catch (...) {
      pthread_sigmask(SIG_SETMASK, &saved, nullptr);
      throw;
    }
    pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  }

  void run() {
    std::unique_lock<ForkSafeMutex> lock(mutex);
    for (;;) {
      const auto now = Clock::now();
      auto next = Clock::time_point::max();
      for (auto it = armed.begin(); it != armed.end();) {
        SocketWatchdog* w = *it;
        if (w->deadline_ <= now) {
          w->fired_ = true;
          if (w->duplicate_ >= 0) ::shutdown(w->duplicate_, SHUT_RDWR);
          it = armed.erase(it);
        } else {
          next = std::min(next, w->deadline_);
          ++it;
        }
      }
      // A deadline that has gone (its watchdog disarmed) is kept as the wake-up time: a
      // wake-up with nothing to do is cheaper than one per connect.
      if (next_wake_ <= now || next < next_wake_) next_wake_ = next;
      if (next_wake_ == Clock::time_point::max())
        wake.wait(lock);
      else
        wake.wait_until(lock, next_wake_);
    }
  }

  std::condition_variable_any wake;
  Clock::time_point next_wake_ = Clock::time_point::max();  // when the thread wakes next (guarded by mutex)
  [[maybe_unused]] WatchdogThread* const parent_;
};

SocketWatchdog::SocketWatchdog(Clock::time_point deadline)
    : deadline_(deadline), watcher_(WatchdogThread::of_this_process()) {
  watcher_.arm(this);
}

SocketWatchdog::~SocketWatchdog() {
  disarm();
  if (duplicate_ >= 0) ::close(duplicate_);
}

void SocketWatchdog::watch(int fd) {
  std::lock_guard<ForkSafeMutex> lock(watcher_.mutex);
  if (fd >= 0 && duplicate_ >= 0) {
    struct stat watched {}, given {};
    if (::fstat(duplicate_, &watched) == 0 && ::fstat(fd, &given) == 0 && watched.st_dev == given.st_dev &&
        watched.st_ino == given.st_ino)
      return;  // the same socket
  }
  if (duplicate_ >= 0) ::close(duplicate_);
  duplicate_ = fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
  if (duplicate_ >= 0 && fired_) ::shutdown(duplicate_, SHUT_RDWR);  // a socket opened after the deadline
}

bool SocketWatchdog::fired() const {
  std::lock_guard<ForkSafeMutex> lock(watcher_.mutex);
  return fired_;
}

bool SocketWatchdog::disarm() {
  std::lock_guard<ForkSafeMutex> lock(watcher_.mutex);
  watcher_.armed.erase(this);  // the thread never touches it again
  return fired_;
}

std::string timeout_message(const std::string& peer, const char* step) {
  return "no answer from " + peer + " while " + step +
         " before the timeout — an IP-filtered endpoint silently drops packets from addresses "
         "that are not on its allowlist: check that this machine's public IP address is allowed";
}

Socket Socket::connect(const std::string& host, std::uint16_t port, Clock::time_point deadline) {
  const std::string peer = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  const std::vector<ResolvedAddress> addresses = resolve(host, port, deadline);
  bool timed_out = false;
  int last_error = 0;
  for (const ResolvedAddress& a : addresses) {
    const int fd = ::socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    Socket s(fd);
    s.peer = peer;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&a.address), a.length) == 0) return s;
    if (errno != EINPROGRESS) {
      last_error = errno;
      continue;
    }
    if (!poll_until(fd, POLLOUT, deadline)) {
      timed_out = true;
      break;  // the deadline covers all addresses
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error == 0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return s;
    }
    last_error = so_error;
  }
  if (timed_out || last_error == ETIMEDOUT) throw ProbeFailure(Outcome::timeout, timeout_message(peer, "connecting"));
  if (last_error == ECONNREFUSED)
    throw ProbeFailure(Outcome::connection_refused,
                       "connection to " + peer + " refused — nothing listens there: check the host and port");
  throw ProbeFailure(Outcome::network_error, "cannot connect to " + peer + ": " + std::strerror(last_error));
}

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

void Socket::wait(bool for_write, Clock::time_point deadline, const char* what) const {
  if (!poll_until(fd_, for_write ? POLLOUT : POLLIN, deadline))
    throw ProbeFailure(Outcome::timeout, timeout_message(peer, what));
}

void Socket::send_all(const void* data, std::size_t len, Clock::time_point deadline) {
  const auto* p = static_cast<const char*>(data);
  while (len > 0) {
    const ssize_t n = ::send(fd_, p, len, MSG_NOSIGNAL);
    if (n > 0) {
      p += n;
      len -= static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      wait(true, deadline, "sending");
    } else if (n < 0 && errno != EINTR) {
      throw ProbeFailure(Outcome::network_error, "sending to " + peer + " failed: " + std::strerror(errno));
    }
  }
}

std::size_t Socket::read_some(void* data, std::size_t len, Clock::time_point deadline) {
  for (;;) {
    const ssize_t n = ::recv(fd_, data, len, 0);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait(false, deadline, "waiting for the server's answer");
    } else if (errno == ECONNRESET) {
      return 0;
    } else if (errno != EINTR) {
      throw ProbeFailure(Outcome::network_error, "reading from " + peer + " failed: " + std::strerror(errno));
    }
  }
}

void Socket::read_exact(void* data, std::size_t len, Clock::time_point deadline, const char* what) {
  auto* p = static_cast<char*>(data);
  while (len > 0) {
    const std::size_t n = read_some(p, len, deadline);
    if (n == 0)
      throw ProbeFailure(Outcome::protocol_violation, peer + " closed the connection while verifull was reading " + what);
    p += n;
    len -= n;
  }
}

std::size_t Socket::pending_bytes() const {
  int n = 0;
  if (::ioctl(fd_, FIONREAD, &n) != 0) return 0;
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace verifull::detail
