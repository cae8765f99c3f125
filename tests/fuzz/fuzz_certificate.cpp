// A server certificate of arbitrary DER through everything that looks at it: both
// engines, the profile, the key floor, the facts for the report.
#include <openssl/x509.h>

#include "core/cert_facts.hpp"
#include "core/verdict.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const unsigned char* p = data;
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(size));
  if (!cert) return 0;
  (void)verifull::detail::cert_info(cert);
  verifull::detail::X509StackPtr chain(sk_X509_new_null());
  sk_X509_push(chain.get(), cert);  // the stack owns it now
  verifull::Policy policy;
  policy.host = "db.example.com";
  policy.engine = verifull::Engine::both;
  (void)verifull::detail::verify_chain(chain.get(), nullptr, fuzz::trust(), policy).to_json();
  policy.host = "10.0.0.1";
  policy.engine = verifull::Engine::botan;
  (void)verifull::detail::verify_chain(chain.get(), nullptr, fuzz::trust(), policy);
  return 0;
}
