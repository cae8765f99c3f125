// A TCP connection with a deadline on every step: connect, each read, each write.
#pragma once

#include <chrono>
#include <cstddef>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace verifull::detail {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  // Resolves `host` and connects to the first address that answers. Throws
  // ProbeFailure: name_not_resolved, connection_refused, timeout, network_error.
  static Socket connect(const std::string& host, std::uint16_t port, Clock::time_point deadline);

  // Takes ownership of a connected descriptor (tests and fuzzers use a socketpair).
  static Socket adopt(int fd, std::string peer) {
    Socket s(fd);
    s.peer = std::move(peer);
    return s;
  }

  Socket(Socket&& other) noexcept : peer(std::move(other.peer)), fd_(other.fd_) { other.fd_ = -1; }
  Socket& operator=(Socket&&) = delete;
  ~Socket();

  int fd() const { return fd_; }
  void send_all(const void* data, std::size_t len, Clock::time_point deadline);
  // Reads exactly `len` bytes; throws protocol_violation if the peer closes first.
  void read_exact(void* data, std::size_t len, Clock::time_point deadline, const char* what);
  // Reads at most `len` bytes, 0 on orderly close.
  std::size_t read_some(void* data, std::size_t len, Clock::time_point deadline);
  // Bytes already waiting to be read, without consuming them.
  std::size_t pending_bytes() const;
  // Waits until readable or writable (for a non-blocking TLS handshake).
  void wait(bool for_write, Clock::time_point deadline, const char* what) const;

  std::string peer;  // "host:port" for messages

 private:
  explicit Socket(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// OpenSSL writes with write(2), which raises SIGPIPE when the peer has gone; a library
// must not kill its host process for that. Blocks SIGPIPE on this thread for the
// scope and discards one that became pending (libpq's pq_block_sigpipe technique).
class SigpipeGuard {
 public:
  SigpipeGuard();
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  unsigned char saved_mask_[128];  // sigset_t, kept opaque to avoid <signal.h> here
  bool was_pending_ = false;
};

// Shuts a socket down (both directions) when the deadline passes, so that a library
// blocked in a read or write on it returns at once: Connector/C reads a TLS record from
// a blocking socket even inside its non-blocking API, and a peer that sends one byte at
// a time would hold that read for as long as it likes. The watchdog keeps its own
// duplicate of the descriptor, so it only ever shuts the socket it was given: when the
// library closes its descriptor and the number is reused by another thread, shutting
// the duplicate still reaches the old socket, never the new one. Destroying the
// watchdog stops it before the caller goes on. One thread of the process watches every
// watchdog (WatchdogThread, started with the first one; a fork()ed child starts its own):
// a thread per watchdog cost every MySQL connect a thread start and join.
class WatchdogThread;
class SocketWatchdog {
 public:
  explicit SocketWatchdog(Clock::time_point deadline);
  ~SocketWatchdog();
  SocketWatchdog(const SocketWatchdog&) = delete;
  SocketWatchdog& operator=(const SocketWatchdog&) = delete;

  // Watches the socket behind `fd` from now on (call it again whenever the library may
  // have opened another socket; a negative fd watches nothing). If the deadline has
  // passed already, shuts it at once.
  void watch(int fd);
  // True once the deadline passed and the watched socket was shut.
  bool fired() const;
  // Stops watching for good, and says whether the socket was shut already: after a
  // success, a watchdog that fired in the meantime means the connection is dead.
  bool disarm();

 private:
  friend class WatchdogThread;
  const Clock::time_point deadline_;
  WatchdogThread& watcher_;  // its mutex guards the fields below
  int duplicate_ = -1;      // our own descriptor for the watched socket
  bool fired_ = false;
};

std::string timeout_message(const std::string& peer, const char* step);

}  // namespace verifull::detail
