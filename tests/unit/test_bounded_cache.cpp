// The one cache type (core/bounded_cache.hpp): the size limit evicts the least recently
// used entry, the TTL and a per-entry expiry hide and drop an entry, and the limit holds
// under threads. Internal unit, so linked with the library's internals.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/bounded_cache.hpp"

using namespace std::chrono_literals;
using Cache = verifull::detail::BoundedCache<std::string, int>;
using Clock = std::chrono::steady_clock;

TEST_CASE("the size limit: a full cache evicts the least recently used entry") {
  Cache cache(3);
  const auto t = Clock::now();
  cache.store("a", 1, std::nullopt, t);
  cache.store("b", 2, std::nullopt, t);
  cache.store("c", 3, std::nullopt, t);
  CHECK(cache.size() == 3);
  CHECK(cache.find("a", t) == 1);  // "a" is now the most recently used; "b" the least
  cache.store("d", 4, std::nullopt, t);
  CHECK(cache.size() == 3);
  CHECK(cache.find("b", t) == std::nullopt);
  CHECK(cache.find("a", t) == 1);
  CHECK(cache.find("c", t) == 3);
  CHECK(cache.find("d", t) == 4);
  // Replacing an entry neither grows the cache nor evicts another.
  cache.store("c", 30, std::nullopt, t);
  CHECK(cache.size() == 3);
  CHECK(cache.find("c", t) == 30);
  CHECK(cache.find("a", t) == 1);
  CHECK(cache.find("d", t) == 4);
  // Many more entries than the limit: only the last three stay.
  for (int i = 0; i < 100; ++i) cache.store("k" + std::to_string(i), i, std::nullopt, t);
  CHECK(cache.size() == 3);
  CHECK(cache.find("k99", t) == 99);
  CHECK(cache.find("k97", t) == 97);
  CHECK(cache.find("k96", t) == std::nullopt);
  CHECK(cache.find("a", t) == std::nullopt);
}

TEST_CASE("the TTL: an entry is found until it expires, then dropped") {
  Cache cache(8, std::chrono::duration_cast<Clock::duration>(10s));
  const auto t = Clock::now();
  cache.store("a", 1, std::nullopt, t);
  CHECK(cache.find("a", t) == 1);
  CHECK(cache.find("a", t + 9s) == 1);
  CHECK(cache.find("a", t + 10s) == std::nullopt);
  CHECK(cache.size() == 0);  // dropped when found expired
  // Storing again starts a new lifetime.
  cache.store("a", 2, std::nullopt, t + 20s);
  CHECK(cache.find("a", t + 29s) == 2);
  CHECK(cache.find("a", t + 31s) == std::nullopt);
}

TEST_CASE("a per-entry expiry wins over the TTL; without either an entry lives until evicted") {
  Cache with_ttl(8, std::chrono::duration_cast<Clock::duration>(1h));
  const auto t = Clock::now();
  with_ttl.store("short", 1, t + 5s, t);  // e.g. a certificate that expires before the TTL
  CHECK(with_ttl.find("short", t + 4s) == 1);
  CHECK(with_ttl.find("short", t + 5s) == std::nullopt);

  Cache no_ttl(8);
  no_ttl.store("a", 1, std::nullopt, t);
  CHECK(no_ttl.find("a", t + 24h * 365) == 1);
}

TEST_CASE("erase, clear, and a capacity of 0 taken as 1") {
  Cache cache(4);
  cache.store("a", 1);
  cache.store("b", 2);
  cache.erase("a");
  cache.erase("missing");
  CHECK(cache.find("a") == std::nullopt);
  CHECK(cache.find("b") == 2);
  cache.clear();
  CHECK(cache.size() == 0);
  CHECK(cache.find("b") == std::nullopt);

  Cache tiny(0);
  CHECK(tiny.capacity() == 1);
  tiny.store("a", 1);
  tiny.store("b", 2);
  CHECK(tiny.size() == 1);
  CHECK(tiny.find("a") == std::nullopt);
  CHECK(tiny.find("b") == 2);
}

TEST_CASE("threads storing and finding at once never take the cache over its limit") {
  Cache cache(16);
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n) {
    threads.emplace_back([&cache, n] {
      for (int i = 0; i < 2000; ++i) {
        const std::string key = std::to_string(n) + ":" + std::to_string(i % 64);
        cache.store(key, i);
        cache.find(std::to_string((n + 1) % 4) + ":" + std::to_string(i % 64));
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(cache.size() == 16);
}
