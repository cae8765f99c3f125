// Client certificates (mutual TLS): the one check every entry point makes before any
// traffic, for both drivers (docs/design.md, section 8 "Client certificates").
#pragma once

#include <string>

#include "verifull/policy.hpp"

namespace verifull::detail {

// One setting of a client certificate: its value and the name the caller gave it by
// (sslcert, ssl-cert, client_cert, --cert, ...), so a refusal names what to fix.
struct ClientSetting {
  std::string value;
  std::string name;
};

// InputError, naming the setting and the file (never its contents), unless:
//  - certificate and key are both given (a passphrase needs a key);
//  - the certificate file is readable and holds at least one PEM certificate;
//  - the key file is a regular file not readable by group or others: owned by this user
//    with mode 0600 or stricter, or owned by root with 0640 or stricter (libpq's rule,
//    which Connector/C does not check);
//  - the key is a PEM private key that the passphrase decrypts (an encrypted key without
//    a passphrase is refused: OpenSSL would otherwise prompt on the terminal);
//  - the key belongs to the first certificate.
// Nothing given at all: no check.
void check_client_certificate(const ClientSetting& cert, const ClientSetting& key, const ClientSetting& passphrase);

// The same for the policy's client_cert, client_key and client_key_passphrase.
void check_client_certificate(const Policy& policy);

// True when the policy names any part of a client certificate.
inline bool has_client_certificate(const Policy& policy) {
  return !policy.client_cert.empty() || !policy.client_key.empty() || !policy.client_key_passphrase.empty();
}

}  // namespace verifull::detail
