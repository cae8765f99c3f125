// The one cache type of verifull: every cache (certificate descriptions, profile
// findings, libpq's narrowed anchors, MySQL approvals) is a BoundedCache, so none can
// grow without bound (docs/design.md, section 13).
//
// Thread-safe (a ForkSafeMutex), at most `capacity` entries, least recently used evicted
// first; an entry may also expire, after the cache's TTL or at a time given when it is
// stored, and an expired entry is never returned. `now` is a parameter so the tests can
// move time; callers leave it to the clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include "core/fork_safe.hpp"

namespace verifull::detail {

template <typename Key, typename Value, typename Clock = std::chrono::steady_clock>
class BoundedCache {
 public:
  using TimePoint = typename Clock::time_point;
  using Duration = typename Clock::duration;

  // capacity: at least 1. ttl: how long an entry lives after it is stored (none: until
  // it is evicted); an expiry given to store() wins over it.
  explicit BoundedCache(std::size_t capacity, std::optional<Duration> ttl = std::nullopt)
      : capacity_(capacity < 1 ? 1 : capacity), ttl_(ttl) {}
  BoundedCache(const BoundedCache&) = delete;
  BoundedCache& operator=(const BoundedCache&) = delete;

  // A copy of the entry's value, which becomes the most recently used; nullopt when
  // there is none or it has expired (then it is dropped).
  std::optional<Value> find(const Key& key, TimePoint now = Clock::now()) {
    std::lock_guard<ForkSafeMutex> lock(mutex_);
    const auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    if (it->second->expires && now >= *it->second->expires) {
      order_.erase(it->second);
      index_.erase(it);
      return std::nullopt;
    }
    order_.splice(order_.begin(), order_, it->second);
    return it->second->value;
  }

  // Stores (or replaces) the entry, expiring after the TTL, or at `expires` when given;
  // evicts the least recently used entry when the cache is full.
  void store(const Key& key, Value value, std::optional<TimePoint> expires = std::nullopt,
             TimePoint now = Clock::now()) {
    if (!expires && ttl_) expires = now + *ttl_;
    std::lock_guard<ForkSafeMutex> lock(mutex_);
    if (const auto it = index_.find(key); it != index_.end()) {
      it->second->value = std::move(value);
      it->second->expires = expires;
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.push_front(Node{key, std::move(value), expires});
    index_.emplace(key, order_.begin());
    while (order_.size() > capacity_) {
      index_.erase(order_.back().key);
      order_.pop_back();
    }
  }

  void erase(const Key& key) {
    std::lock_guard<ForkSafeMutex> lock(mutex_);
    const auto it = index_.find(key);
    if (it == index_.end()) return;
    order_.erase(it->second);
    index_.erase(it);
  }

  void clear() {
    std::lock_guard<ForkSafeMutex> lock(mutex_);
    index_.clear();
    order_.clear();
  }

  // Entries held, expired ones not yet dropped included.
  std::size_t size() const {
    std::lock_guard<ForkSafeMutex> lock(mutex_);
    return order_.size();
  }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Node {
    Key key;
    Value value;
    std::optional<TimePoint> expires;
  };
  const std::size_t capacity_;
  const std::optional<Duration> ttl_;
  mutable ForkSafeMutex mutex_;
  std::list<Node> order_;  // most recently used first
  std::unordered_map<Key, typename std::list<Node>::iterator> index_;
};

}  // namespace verifull::detail
