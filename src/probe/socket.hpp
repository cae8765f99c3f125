// A TCP connection with a deadline on every step: connect, each read, each write.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

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

std::string timeout_message(const std::string& peer, const char* step);

}  // namespace verifull::detail
