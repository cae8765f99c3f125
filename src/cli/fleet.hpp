// `verifull check` over many endpoints: each URL (an argument or a line of a list)
// becomes one row, a bounded pool of probes checks the rows that parsed (never more than
// `parallel` connections at once), a progress line on a terminal, and a summary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "verifull/verifull.hpp"

namespace verifull::cli {

// The longest line a URL list may hold. A database URL is a few hundred bytes at most;
// a longer line is that line's input error (quoted by an excerpt), not a reason to stop.
// The whole list is bounded by Trust::max_input_bytes (4 MiB), from a file or a pipe.
constexpr std::size_t max_url_bytes = 4096;

// One endpoint as given: a URL argument (line 0) or a line of a URL list.
struct FleetInput {
  std::size_t line = 0;  // 1-based line of --from; 0 for a command-line argument
  std::string url;
};

// When the certificates a verified connection to an endpoint depends on stop being valid
// (Unix time): the server's own certificate (the leaf), and the earliest of the presented
// certificates and the trust anchor the chain ended at, since an anchor that expires ends
// the connections just as a leaf does.
struct ChainExpiry {
  std::int64_t leaf = 0;
  std::int64_t earliest = 0;
  std::string earliest_subject;
  std::string earliest_not_after;  // RFC 3339, as the certificate says
};

// What `check` says about one input. Most rows are checked: a Report, whose outcome says
// whether the endpoint verified, was refused or was unreachable. A row whose URL, host,
// port or parameters are bad input never reaches the network and has no certificate
// outcome: it is its own kind of row, `input_error` (exit code 2), and so is a fault of
// verifull itself while checking one endpoint (`internal_error`, exit code 2). Neither
// stops the other rows.
struct FleetRow {
  enum class Kind { checked, input_error, internal_error };
  Kind kind = Kind::checked;
  FleetInput input;
  std::optional<Endpoint> endpoint;  // once the URL parsed
  Report report;                     // kind checked
  std::string error;                 // the other kinds: the sentence that says why
  double seconds = 0;                // how long the check took (kind checked)
  std::optional<ChainExpiry> expiry; // kind checked, when the server presented a certificate

  bool ok() const { return kind == Kind::checked && report.ok(); }
  int exit_code() const { return kind == Kind::checked ? outcome_exit_code(report.outcome) : 2; }
  // "ok", "untrusted_issuer", ... for checked rows; "input_error" or "internal_error".
  const char* outcome() const;
  // The endpoint as host:port, or for a row not checked its input, quoted (short, escaped).
  std::string label() const;
};

// How monitoring output (--format prometheus, nagios) names a row: host:port once its URL
// parsed, else an excerpt of the input (quote_input: short, escaped) with any userinfo
// taken out, so a monitoring system stores neither a password nor a user name.
std::string monitoring_name(const FleetRow& row);

// One row per input, in order. Everything that can be bad input in a URL (its scheme,
// host, port, parameters that connect would refuse, its length) is decided here, before
// any connection; a bad one becomes that row's input_error.
std::vector<FleetRow> parse_rows(const std::vector<FleetInput>& inputs);

struct FleetOptions {
  std::size_t parallel = 16;  // connections at once
  bool progress = false;      // a progress line on standard error (a terminal)
};

// Checks every row that parsed, timing each check and recording its ChainExpiry. Whatever
// one endpoint raises becomes that row's input_error (bad input the library found, such
// as an invalid host name), network_error Report or internal_error: no exception leaves
// a worker thread.
void check_all(std::vector<FleetRow>& rows, const Trust& trust, const Policy& policy, const FleetOptions& options);

struct FleetSummary {
  std::size_t ok = 0, refused = 0, unreachable = 0, bad_input = 0;
  std::vector<std::string> expiring;  // "endpoint: subject expires on date"
};

// Whether a checked row's chain (see ChainExpiry) holds a certificate that expires within
// `days` of `now` (or has expired). The one expiry rule of the summary, the single
// endpoint's warning and --format nagios.
bool expires_within(const FleetRow& row, int days, std::int64_t now);

// Counts, and the endpoints whose chain holds a certificate that expires within
// `warn_days` of `now` (or has expired).
FleetSummary summarize(const std::vector<FleetRow>& rows, int warn_days, std::int64_t now);

// URLs from a file (or "-" for standard input), at most Trust::max_input_bytes: one per
// line, with its line number; blank lines and lines starting with # are skipped.
// InputError for an unreadable or oversized list, or one without any URL.
std::vector<FleetInput> read_url_list(const std::string& path);

}  // namespace verifull::cli
