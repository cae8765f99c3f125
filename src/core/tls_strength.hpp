// What a negotiated TLS session must have, wherever verifull sees one (the probe, a
// libpq connection in-band): TLS 1.3, or TLS 1.2 with forward secrecy (ECDHE or DHE)
// and an AEAD cipher (AES-GCM, ChaCha20-Poly1305). Static-RSA key exchange lets a stolen
// server key decrypt recorded sessions; CBC suites carry the padding-oracle history.
#pragma once

#include <openssl/ssl.h>

#include <optional>
#include <string>
#include <string_view>

namespace verifull::detail {

// TLS 1.2 cipher suites verifull offers to drivers that take a list (Connector/C).
constexpr const char* kStrongTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20";

// Why the session is too weak, as a sentence; nullopt when it is strong enough.
std::optional<std::string> weak_tls_reason(const SSL* ssl);

// The same rule for a session another TLS stack negotiated (Node's own TLS), named the
// way OpenSSL names them: `protocol` "TLSv1.3", "TLSv1.2", ...; `cipher` an OpenSSL or
// IANA suite name ("ECDHE-RSA-AES128-GCM-SHA256" or "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").
// A protocol or suite this OpenSSL does not know is weak: the rule cannot vouch for it.
std::optional<std::string> weak_tls_reason(std::string_view protocol, std::string_view cipher);

}  // namespace verifull::detail
