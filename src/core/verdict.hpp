// From a presented chain to a Report: engine(s), the engine-independent checks (key
// and signature floor, pins), and the one sentence a person can act on. Every path
// that verifies a server certificate (offline, probe, libpq in-band) comes through here.
#pragma once

#include "core/openssl_types.hpp"
#include "verifull/policy.hpp"
#include "verifull/report.hpp"
#include "verifull/trust.hpp"

namespace verifull::detail {

// `presented`: the leaf first, then the intermediates the server sent (not owned).
// `extra_untrusted`: more candidate intermediates (may be null).
// Throws InputError for a bad policy (host, pins, engine).
Report verify_chain(STACK_OF(X509) * presented, STACK_OF(X509) * extra_untrusted,
                    const Trust& trust, const Policy& policy);

}  // namespace verifull::detail
