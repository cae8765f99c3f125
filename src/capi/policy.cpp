// The C ABI's policy: vf_policy_options as a Policy, the struct's defaults, and the
// checks and files a binding's own TLS stack needs from it.
#include <cstddef>
#include <cstring>
#include <string>

#include "capi/handle.hpp"
#include "core/client_cert.hpp"
#include "core/crl.hpp"
#include "core/driver_files.hpp"

namespace verifull::capi {

Policy to_policy(const vf_policy_options* o, bool host_required) {
  // The one place the options version is checked: every entry point goes through here.
  if (o->version < 1 || o->version > VF_POLICY_OPTIONS_VERSION)
    throw CallError(VF_ERROR_BAD_VERSION, "vf_policy_options.version is " + std::to_string(o->version) +
                                              "; this library knows versions 1 to " +
                                              std::to_string(VF_POLICY_OPTIONS_VERSION));
  Policy p;
  if (!o->host && host_required) throw InputError("vf_policy_options.host is required");
  if (o->host) p.host = o->host;
  if (o->pin_count && !o->pins) throw InputError("vf_policy_options.pins is NULL but pin_count is not 0");
  for (std::size_t i = 0; i < o->pin_count; ++i) {
    if (!o->pins[i]) throw InputError("vf_policy_options.pins[" + std::to_string(i) + "] is NULL");
    p.pins.emplace_back(o->pins[i]);
  }
  switch (o->engine) {
    case VF_ENGINE_DEFAULT: break;
    case VF_ENGINE_OPENSSL: p.engine = Engine::openssl; break;
    case VF_ENGINE_BOTAN: p.engine = Engine::botan; break;
    case VF_ENGINE_BOTH: p.engine = Engine::both; break;
    default: throw InputError("unknown engine " + std::to_string(o->engine));
  }
  if (o->has_verification_time) p.verification_time = o->verification_time;
  if (o->max_intermediates >= 0) p.max_intermediates = o->max_intermediates;
  if (o->timeout_ms) p.timeout = std::chrono::milliseconds(o->timeout_ms);
  if (o->version >= 2) p.refuse_admin_credentials = o->refuse_admin_credentials != 0;
  if (o->version >= 3) {
    switch (o->profile) {
      case VF_PROFILE_STANDARD: p.profile = Profile::standard; break;
      case VF_PROFILE_STRICT: p.profile = Profile::strict; break;
      default: throw InputError("unknown profile " + std::to_string(o->profile) + " (VF_PROFILE_STANDARD or VF_PROFILE_STRICT)");
    }
    p.allow_cn_fallback = o->allow_cn_fallback != 0;
  }
  if (o->version >= 4) {
    if (o->crl_count && !o->crls) throw InputError("vf_policy_options.crls is NULL but crl_count is not 0");
    for (std::size_t i = 0; i < o->crl_count; ++i) {
      if (!o->crls[i]) throw InputError("vf_policy_options.crls[" + std::to_string(i) + "] is NULL");
      p.crls.emplace_back(o->crls[i]);
    }
    if (o->crl_pem_len && !o->crl_pem) throw InputError("vf_policy_options.crl_pem is NULL but crl_pem_len is not 0");
    if (o->crl_pem) p.crl_pem.assign(o->crl_pem, o->crl_pem_len);
    p.require_crl = o->require_crl != 0;
    // Credentials: checked by the connect that uses them (core/client_cert.hpp), never echoed.
    if (o->client_cert) p.client_cert = o->client_cert;
    if (o->client_key) p.client_key = o->client_key;
    if (o->client_key_passphrase) p.client_key_passphrase = o->client_key_passphrase;
    p.allow_cleartext_password = o->allow_cleartext_password != 0;
  }
  return p;
}

namespace {

// The size of a version-3 struct: every field before the version-4 block (the
// version-3 struct ended there, padding included, as crls is pointer-aligned).
constexpr std::size_t kPolicyOptionsV3Size = offsetof(vf_policy_options, crls);

// Fills the first `size` bytes of *options with VF_POLICY_OPTIONS_INIT for the version
// whose layout is that size: a caller's struct is never written past its own end.
int init_policy_options(vf_policy_options* options, std::size_t size) {
  if (!options) return fail(VF_ERROR_NULL_POINTER, "options must not be NULL");
  unsigned version = 0;
  if (size == kPolicyOptionsV3Size) version = 3;
  if (size == sizeof(vf_policy_options)) version = VF_POLICY_OPTIONS_VERSION;
  if (!version)
    return fail(VF_ERROR_INPUT, "size " + std::to_string(size) + " is not the size of a vf_policy_options of version 3 (" +
                                    std::to_string(kPolicyOptionsV3Size) + ") or " +
                                    std::to_string(VF_POLICY_OPTIONS_VERSION) + " (" +
                                    std::to_string(sizeof(vf_policy_options)) + ")");
  vf_policy_options defaults = VF_POLICY_OPTIONS_INIT;  // the one definition of the defaults
  defaults.version = version;
  std::memcpy(options, &defaults, size);
  return VF_OK;
}

}  // namespace
}  // namespace verifull::capi

using namespace verifull;
using namespace verifull::capi;

extern "C" {

int vf_policy_options_init(vf_policy_options* options) {
  // Shipped with version 3: a caller built against that header has a struct of that size,
  // so this fills exactly the version-3 layout (see vf_policy_options_init_size).
  return guard([&] { return init_policy_options(options, kPolicyOptionsV3Size); });
}

int vf_policy_options_init_size(vf_policy_options* options, size_t size) {
  return guard([&] { return init_policy_options(options, size); });
}

int vf_client_certificate_check(const vf_policy_options* options) {
  return guard([&] {
    require(options, "options must not be NULL");
    detail::check_client_certificate(to_policy_without_host(options));
    return VF_OK;
  });
}

int vf_policy_crl_file(const vf_policy_options* options, char* buf, size_t* len) {
  return guard([&] {
    require(options, "options must not be NULL");
    const auto crls = detail::load_crls(to_policy_without_host(options));
    return write_string(crls.crls.empty() ? std::string() : detail::driver_file(detail::crls_pem(crls), ".crl.pem"), buf,
                        len);
  });
}

}  // extern "C"
