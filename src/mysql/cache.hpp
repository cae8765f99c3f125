// The inside of mysql::ApprovedCache.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "core/bounded_cache.hpp"
#include "core/fork_safe.hpp"
#include "verifull/mysql.hpp"

namespace verifull {
inline namespace v0 {
namespace mysql {

struct Approval {
  std::string sha1_hex;  // the certificate Connector/C will be pinned to
  std::chrono::system_clock::time_point valid_until;
  Report report;         // the verdict that approved it
  // What Connector/C is given as its CA: the anchor the approved chain ended at and what
  // a path through it needs (Trust::narrowed; a subset of the Trust: Connector/C reads a
  // few certificates, not the whole bundle, on every connect). When Connector/C refuses
  // the chain with it, the connect is tried again with the whole Trust; a rotation to
  // another certificate fails the pin and re-probes.
  std::optional<Trust> driver_anchors;
};

// Approvals are kept in a BoundedCache (core/bounded_cache.hpp): each until its
// valid_until (the certificate's expiry or the TTL, whichever comes first), at most
// kMostApprovals of them, the least recently used dropped first.
struct ApprovedCache::Impl {
  static constexpr std::size_t kMostApprovals = 4096;
  std::chrono::seconds ttl;
  mutable detail::ForkSafeMutex mutex;  // for the counters
  detail::BoundedCache<std::string, Approval, std::chrono::system_clock> entries{kMostApprovals};
  std::uint64_t probes = 0, hits = 0;

  std::optional<Approval> find(const std::string& key) {
    auto found = entries.find(key);
    if (!found) return std::nullopt;
    std::lock_guard<detail::ForkSafeMutex> lock(mutex);
    ++hits;
    return found;
  }
  void store(const std::string& key, Approval approval) {
    const auto valid_until = approval.valid_until;
    entries.store(key, std::move(approval), valid_until);
    count_probe();
  }
  void count_probe() {
    std::lock_guard<detail::ForkSafeMutex> lock(mutex);
    ++probes;
  }
  void forget(const std::string& key) { entries.erase(key); }
};

// ApprovedCache's friend: names its private Impl for the library and reaches it. Nothing
// else in the library touches ApprovedCache's private members.
struct ApprovedCacheAccess {
  using Impl = ApprovedCache::Impl;
  static Impl& impl(ApprovedCache& cache) { return *cache.impl_; }
};
using ApprovedCacheImpl = ApprovedCacheAccess::Impl;
inline ApprovedCacheImpl& cache_impl(ApprovedCache& cache) { return ApprovedCacheAccess::impl(cache); }

}  // namespace mysql
}  // namespace v0
}  // namespace verifull
