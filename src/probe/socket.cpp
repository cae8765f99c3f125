#include "probe/socket.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/fork_safe.hpp"
#include "probe/failure.hpp"

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

struct AddrInfoFree {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};

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

std::string timeout_message(const std::string& peer, const char* step) {
  return "no answer from " + peer + " while " + step +
         " before the timeout — an IP-filtered endpoint silently drops packets from addresses "
         "that are not on its allowlist: check that this machine's public IP address is allowed";
}

Socket Socket::connect(const std::string& host, std::uint16_t port, Clock::time_point deadline) {
  const std::string peer = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    throw ProbeFailure(Outcome::name_not_resolved,
                       "cannot resolve " + host + ": " + gai_strerror(rc) + " — check the host name");
  }
  std::unique_ptr<addrinfo, AddrInfoFree> addresses(found);
  bool timed_out = false;
  int last_error = 0;
  for (addrinfo* a = addresses.get(); a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    Socket s(fd);
    s.peer = peer;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) return s;
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
