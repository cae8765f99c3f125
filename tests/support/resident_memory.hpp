// The process's resident memory, for the memory benchmark (tests/bench) and the test
// that holds verified MySQL connections to a bound (tests/integration/test_mysql_memory.cpp).
#pragma once

#include <fstream>
#include <string>

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
