// `verifull check` over many endpoints: a bounded pool of probes (never more than
// `parallel` connections at once), a progress line on a terminal, and a summary.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "verifull/verifull.hpp"

namespace verifull::cli {

struct FleetOptions {
  std::size_t parallel = 16;  // connections at once
  bool progress = false;      // a progress line on standard error (a terminal)
};

// One Report per endpoint, in the order given.
std::vector<Report> check_all(const std::vector<Endpoint>& endpoints, const Trust& trust, const Policy& policy,
                              const FleetOptions& options);

struct FleetSummary {
  std::size_t ok = 0, refused = 0, unreachable = 0;
  std::vector<std::string> expiring;  // "endpoint: subject expires on date"
};

// Counts, and the endpoints whose presented chain holds a certificate that expires
// within `warn_days` of now (or has expired).
FleetSummary summarize(const std::vector<Report>& reports, int warn_days);

// URLs from a file (or "-" for standard input): one per line; blank lines and lines
// starting with # are skipped. InputError for an unreadable file.
std::vector<std::string> read_url_list(const std::string& path);

}  // namespace verifull::cli
