// The inside of mysql::ApprovedCache.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

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

struct ApprovedCache::Impl {
  std::chrono::seconds ttl;
  mutable detail::ForkSafeMutex mutex;
  std::map<std::string, Approval> entries;
  std::uint64_t probes = 0, hits = 0;

  std::optional<Approval> find(const std::string& key) {
    std::lock_guard<detail::ForkSafeMutex> lock(mutex);
    auto it = entries.find(key);
    if (it == entries.end()) return std::nullopt;
    if (std::chrono::system_clock::now() >= it->second.valid_until) {
      entries.erase(it);
      return std::nullopt;
    }
    ++hits;
    return it->second;
  }
  void store(const std::string& key, Approval approval) {
    std::lock_guard<detail::ForkSafeMutex> lock(mutex);
    ++probes;
    entries[key] = std::move(approval);
  }
  void count_probe() {
    std::lock_guard<detail::ForkSafeMutex> lock(mutex);
    ++probes;
  }
  void forget(const std::string& key) {
    std::lock_guard<detail::ForkSafeMutex> lock(mutex);
    entries.erase(key);
  }
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
