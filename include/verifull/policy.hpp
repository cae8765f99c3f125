// What a verification demands beyond "chains to the anchors".
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "verifull/export.hpp"

namespace verifull {
inline namespace v0 {

enum class Engine {
  openssl,  // OpenSSL 3 X509_verify_cert with strict flags
  botan,    // Botan 2 x509_path_validate (builds with -Dbotan=enabled)
  both,     // accept only when both accept
};

struct Policy {
  // The name that was dialled: a DNS name, or an IPv4/IPv6 literal (matched against
  // IP SANs only). Required: verifull never verifies without a name.
  std::string host;
  // SPKI SHA-256 pins, "sha256/BASE64". When any are given, at least one must match a
  // certificate of the verified chain (leaf, intermediate or anchor), in addition to
  // the chain itself being trusted.
  std::vector<std::string> pins;
  Engine engine = Engine::openssl;
  // Verify as of this instant (Unix seconds) instead of now: tests and conformance.
  std::optional<std::int64_t> verification_time;
  // The most intermediates a chain may hold; unset means OpenSSL's default (100).
  std::optional<int> max_intermediates;
  // Network timeouts (connect, each read, handshake) for probes and connections.
  std::chrono::milliseconds timeout{10000};
  // Connections only: after logging in, audit the credential and refuse (outcome
  // admin_credential) when it is an administrator. For BI tools and other
  // integrations that must never hold one.
  bool refuse_admin_credentials = false;
};

// "2024-05-01T12:00:00Z" or with an offset; InputError otherwise.
VERIFULL_API std::int64_t parse_rfc3339(const std::string& text);
// Validates a pin and returns its 32 raw bytes; InputError otherwise.
VERIFULL_API std::string decode_pin(const std::string& pin);
// True when `host` is an IPv4 or IPv6 literal (brackets allowed around IPv6).
VERIFULL_API bool is_ip_literal(const std::string& host);
VERIFULL_API const char* engine_name(Engine engine);
// "openssl", "botan", "both"; InputError otherwise.
VERIFULL_API Engine parse_engine(const std::string& name);

}  // namespace v0
}  // namespace verifull
