// The interop corpus: server certificates made the way real database setups make them,
// with the `openssl` command line exactly as the recipes people copy say (the PostgreSQL
// manual's "Creating Certificates", MariaDB's generate-ssl-certs style, `openssl req
// -x509` defaults, certificates as Python's cryptography or Go make them). Generated at
// run time into a temporary folder; no key is ever checked in. Every certificate names
// "localhost" (in a SAN or only in the CN), so the live tests can serve them.
#pragma once

#include <string>
#include <vector>

namespace interop {

struct Case {
  std::string name;         // "postgres-manual-self-signed"
  std::string recipe;       // where it comes from, for messages
  std::string anchors_pem;  // what the client is given as its CA (sslrootcert)
  std::string chain_pem;    // what the server presents: leaf first, then intermediates
  std::string key_pem;      // the server's private key
  bool cn_only = false;     // no subjectAltName: needs allow_cn_fallback
  bool strict_ok = false;   // the strict profile accepts it (with the CN fallback if cn_only)
  // Substrings of the warnings the standard profile must report (what strict refuses).
  std::vector<std::string> standard_warnings;
};

// Generates the corpus once per process (RSA-2048 keys, as the recipes make them).
const std::vector<Case>& corpus();

}  // namespace interop
