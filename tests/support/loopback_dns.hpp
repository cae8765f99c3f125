// DNS servers on loopback for the resolver's deadline tests (src/probe/resolve.cpp reads
// VERIFULL_TEST_DNS_SERVER, loopback only): a UDP socket bound to 127.0.0.1 on a free port.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace loopback_dns {

// A UDP socket bound to 127.0.0.1 on a free port; `port` receives the port.
inline int bind_udp(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot bind a UDP socket on 127.0.0.1");
  port = ntohs(addr.sin_port);
  return fd;
}

// Takes every query and never answers (nothing is read, nothing sent back, so no ICMP
// "port unreachable" ends the wait early either).
struct Silent {
  std::uint16_t port = 0;
  int fd = bind_udp(port);
  Silent() = default;
  Silent(const Silent&) = delete;
  Silent& operator=(const Silent&) = delete;
  ~Silent() { ::close(fd); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

}  // namespace loopback_dns
