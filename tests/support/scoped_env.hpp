// Sets environment variables for one scope (a test), and removes them after.
#pragma once

#include <stdlib.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

struct ScopedEnv {
  std::vector<std::string> names;
  ScopedEnv(std::initializer_list<std::pair<std::string, std::string>> vars) {
    for (const auto& [k, v] : vars) {
      setenv(k.c_str(), v.c_str(), 1);
      names.push_back(k);
    }
  }
  ~ScopedEnv() {
    for (const auto& n : names) unsetenv(n.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
};
