// How the probe's layers report an endpoint outcome: thrown inside src/probe, caught
// by probe.cpp and turned into a Report. Never crosses the public API.
#pragma once

#include <stdexcept>
#include <string>

#include "verifull/report.hpp"

namespace verifull::detail {

struct ProbeFailure : std::runtime_error {
  Outcome outcome;
  ProbeFailure(Outcome o, const std::string& message) : std::runtime_error(message), outcome(o) {}
};

}  // namespace verifull::detail
