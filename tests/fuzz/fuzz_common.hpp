// Shared by the libFuzzer targets: a fixed trust set made once, and a socketpair that
// feeds fuzz bytes to the probe's protocol code as if a server had sent them.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "probe/socket.hpp"
#include "test_pki.hpp"
#include "verifull/verifull.hpp"

namespace fuzz {

inline const verifull::Trust& trust() {
  static const verifull::Trust t = verifull::Trust::from_pem(testpki::make_root(testpki::ca_spec("Fuzz CA")).pem());
  return t;
}

// A connection whose server has already sent `data` and then stopped sending. The
// server's end stays open (and unread) while the probe runs, so the probe's own
// requests succeed and every answer is reached, not only the first write's EPIPE.
struct ServerSaid {
  verifull::detail::Socket socket;
  int server_fd;
  ~ServerSaid() { close(server_fd); }
};

inline ServerSaid server_said(const uint8_t* data, size_t size) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0) abort();
  // Fuzz inputs are small; cap them to what the socket buffer takes without blocking.
  const size_t n = size < 65536 ? size : 65536;
  if (n && write(fds[1], data, n) < 0) abort();
  shutdown(fds[1], SHUT_WR);
  return ServerSaid{verifull::detail::Socket::adopt(fds[0], "fuzz:0"), fds[1]};
}

}  // namespace fuzz
