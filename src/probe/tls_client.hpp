// The probe's TLS handshake: TLS >= 1.2, SNI for DNS names, no verification inside
// OpenSSL (the core verifies the captured chain), and nothing sent after it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <openssl/ssl.h>

#include "core/openssl_types.hpp"
#include "probe/socket.hpp"

namespace verifull::detail {

struct TlsCapture {
  std::string version;  // "TLSv1.3"
  std::string cipher;
  X509StackPtr chain;   // as presented: leaf first
  std::optional<std::string> weak;  // why the session is too weak (tls_strength.hpp)
};

// Throws ProbeFailure(handshake_failed / timeout / network_error).
TlsCapture tls_handshake_and_capture(Socket& socket, const std::string& host, Clock::time_point deadline);

}  // namespace verifull::detail
