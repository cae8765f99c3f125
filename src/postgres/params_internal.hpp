// The pieces of hardened_params (verifull/postgres.hpp) that tests and fuzz targets
// reach without the library's public surface.
#pragma once

#include <string>

#include "verifull/postgres.hpp"

namespace verifull {
inline namespace v0 {
namespace postgres {

// libpq's own parse of a URL or "key=value" string; InputError when libpq refuses it.
Params parse_conninfo(const std::string& conninfo_or_url);

// InputError for a setting that would weaken verification, or no host.
void refuse_weak_params(const Params& params);

enum class Resolve { yes, no, when_connecting };
// hardened_params, and with Resolve::no everything but pinning the destination (no
// name resolution: the fuzz targets must not query DNS). With Resolve::yes, name
// resolution is bounded by policy.timeout and a resolver that does not answer in time
// throws detail::ProbeFailure (timeout); hardened_params turns that into NetworkError.
// With Resolve::when_connecting (conninfo(): a string kept for later connects) the
// destination is pinned by an explicitly empty hostaddr and an explicit port, so libpq
// resolves host itself on each connect and the environment still cannot redirect it.
Params harden(const Params& params, const Trust& trust, const Policy& policy, Resolve resolve);

}  // namespace postgres
}  // namespace v0
}  // namespace verifull
