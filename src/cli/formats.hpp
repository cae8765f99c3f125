// `verifull check --format prometheus|nagios`: the fleet rows (fleet.hpp) written for
// monitoring systems. Each format lives in its own file (format_prometheus.cpp,
// format_nagios.cpp); docs/design.md, section 5, and the README's "Monitoring" describe
// what they print and how they exit.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "fleet.hpp"

namespace verifull::cli {

// Prometheus text exposition format 0.0.4, one series per row and metric, the expiry
// metrics relative to `now` (Unix time). The exit code stays check's (docs/design.md).
void print_prometheus(const std::vector<FleetRow>& rows, std::int64_t now, std::ostream& out);

// Nagios plugin thresholds, in days (--warn-days, --crit-days).
struct NagiosThresholds {
  int warn_days = 30;
  int crit_days = 7;
};

// Nagios plugin states, which are the plugin's exit codes.
enum NagiosState { nagios_ok = 0, nagios_warning = 1, nagios_critical = 2, nagios_unknown = 3 };

// One status line, "VERIFULL STATE - text|perfdata", for all rows; returns the state.
int print_nagios(const std::vector<FleetRow>& rows, const NagiosThresholds& thresholds, std::int64_t now,
                 std::ostream& out);

// Runs `check` and turns whatever it throws (bad options, an unreadable list) into the
// plugin's UNKNOWN line and exit code 3.
int nagios_unknown_on_error(const std::function<int()>& check, std::ostream& out);

// Whether the command line asks for --format nagios (so that a command-line parse error
// can still be reported as UNKNOWN, exit code 3).
bool nagios_requested(int argc, const char* const* argv);

}  // namespace verifull::cli
