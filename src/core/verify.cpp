#include "verifull/verify.hpp"

#include "core/pem.hpp"
#include "core/verdict.hpp"

namespace verifull {
inline namespace v0 {

namespace {
detail::X509StackPtr to_stack(std::vector<detail::ParsedCert> certs) {
  detail::X509StackPtr stack(sk_X509_new_null());
  for (auto& c : certs) sk_X509_push(stack.get(), c.cert.release());
  return stack;
}
}  // namespace

Report verify_pem(std::string_view presented_pem, std::string_view extra_untrusted_pem,
                  const Trust& trust, const Policy& policy) {
  auto presented = to_stack(detail::parse_certificates(presented_pem, "the presented chain",
                                                       "a certificate chain"));
  detail::X509StackPtr extra;
  if (!extra_untrusted_pem.empty()) {
    extra = to_stack(detail::parse_certificates(extra_untrusted_pem, "the untrusted intermediates",
                                                "intermediates"));
  }
  return detail::verify_chain(presented.get(), extra.get(), trust, policy);
}

}  // namespace v0
}  // namespace verifull
