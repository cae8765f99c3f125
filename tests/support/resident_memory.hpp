// The process's memory, for the memory benchmark (tests/bench, section 4) and the test
// that holds verified connections to a bound (tests/integration/test_memory.cpp).
#pragma once

#include <malloc.h>

#include <cstddef>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

// Resident KiB of this process (VmRSS in /proc/self/status); 0 when it cannot be read.
inline long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> value;
      return value;
    }
    status.ignore(1 << 16, '\n');
  }
  return 0;
}

// KiB that malloc has handed out and not taken back (all arenas, mmapped chunks too),
// whether or not their pages were ever touched.
inline double heap_in_use_kib() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd) / 1024.0;
}

// Least-squares slope of ys over 0, 1, 2, ...
inline double slope(const std::vector<double>& ys) {
  const double n = static_cast<double>(ys.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < ys.size(); ++i) {
    const double x = static_cast<double>(i);
    sx += x;
    sy += ys[i];
    sxx += x * x;
    sxy += x * ys[i];
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

// What each further call of `open_one` (which opens a connection and keeps it) adds to
// this process: resident KiB and heap-in-use KiB, the slopes of both read after each of
// `count` calls, leaving out the first `settle` calls. Those fill the free memory that
// a warm-up connect and the libraries' start-up left, so they grow the process by less
// than they hold, by however much happened to be free: the old measurement (the growth
// from before the first connection, divided by their number) moved by a few KiB per
// connection with that. Call in a fresh process (not a fork of one that freed memory),
// after one connect of the kind made and closed. Needs count - settle >= 2.
struct Growth {
  double rss_kib, heap_kib;
};

inline Growth growth_per_connection(const std::function<void()>& open_one, int count, int settle) {
  std::vector<double> rss, heap;
  for (int i = 0; i < count; ++i) {
    open_one();
    if (i < settle) continue;
    rss.push_back(static_cast<double>(rss_kib()));
    heap.push_back(heap_in_use_kib());
  }
  return {slope(rss), slope(heap)};
}
