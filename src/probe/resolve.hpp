// Name resolution bounded by the call's deadline. glibc's getaddrinfo cannot be given a
// timeout (a resolver that never answers holds it for resolv.conf's timeout times its
// attempts, whatever verifull's timeout is), so every name verifull resolves itself goes
// through c-ares, driven here with poll() until the deadline. Each thread reuses its
// c-ares channel until resolv.conf, the hosts file or the lookup-order files change
// (the next lookup then starts a new one); no answer is kept.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace verifull::detail {

using Clock = std::chrono::steady_clock;

struct ResolvedAddress {
  sockaddr_storage address{};  // port set to the one asked for
  socklen_t length = 0;
  int family = AF_UNSPEC;
  std::string text() const;  // numeric, without the port: "192.0.2.1", "::1"
};

// Every address of `host` (an IP literal is its own address), in the order to try them
// (c-ares sorts them as RFC 6724 says, like getaddrinfo). /etc/hosts first, then DNS,
// as c-ares reads the system's configuration. Throws ProbeFailure: name_not_resolved
// (no such name, no address), timeout (no answer before `deadline`).
std::vector<ResolvedAddress> resolve(const std::string& host, std::uint16_t port, Clock::time_point deadline);

// For the internal unit tests only: a resolv.conf to read instead of /etc/resolv.conf, and
// the hosts file named by CARES_HOSTS instead of /etc/hosts (the string must outlive
// every lookup; nullptr for the system's files again). Reachable from no API, setting or
// variable.
void use_test_resolver_files(const char* resolv_conf);
// How many c-ares channels this process has started (each thread reuses its own while
// the configuration it was started from is unchanged; resolve.cpp).
unsigned long resolver_channels_started();

}  // namespace verifull::detail
