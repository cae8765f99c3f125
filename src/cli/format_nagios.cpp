// `verifull check --format nagios`: a Nagios plugin (also Icinga, Naemon, Sensu, Zabbix's
// external checks): one status line "VERIFULL STATE - text|perfdata" and the state as
// the exit code, per the Monitoring Plugins development guidelines.
#include <algorithm>
#include <iomanip>
#include <sstream>

#include "formats.hpp"

namespace verifull::cli {

namespace {

const char* state_name(int state) {
  switch (state) {
    case nagios_ok: return "OK";
    case nagios_warning: return "WARNING";
    case nagios_critical: return "CRITICAL";
    default: return "UNKNOWN";
  }
}

// The worse of two states, as the plugins' max_state_alt orders them: CRITICAL, then
// WARNING, then UNKNOWN (an endpoint that could not be checked), then OK.
int worse(int a, int b) {
  const auto rank = [](int s) { return s == nagios_critical ? 3 : s == nagios_warning ? 2 : s == nagios_unknown ? 1 : 0; };
  return rank(a) >= rank(b) ? a : b;
}

// Status text never holds '|' (it starts the performance data) or a line break.
std::string status_text(std::string text) {
  for (char& c : text)
    if (c == '|') c = '/';
    else if (c == '\n' || c == '\r') c = ' ';
  return text;
}

// A performance-data label: quoted, a quote doubled, no '=' (the guidelines forbid it).
std::string perf_label(const std::string& name) {
  std::string out = "'";
  for (const char c : name) {
    if (c == '\'') out += "''";
    else out += c == '=' ? '_' : c;
  }
  return out + "'";
}

std::int64_t days_left(const FleetRow& row, std::int64_t now) {
  const std::int64_t seconds = row.expiry->earliest - now;
  return seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
}

struct Verdict {
  int state = nagios_ok;
  std::string text;  // what the status line says about this endpoint when it is not OK
};

Verdict judge(const FleetRow& row, const NagiosThresholds& t, std::int64_t now) {
  const std::string name = monitoring_name(row);
  if (row.kind != FleetRow::Kind::checked)
    return {nagios_unknown, (row.input.line ? "line " + std::to_string(row.input.line) + " " : "") + name + " (" +
                                row.outcome() + "): " + row.error};
  if (!row.ok()) return {nagios_critical, name + " (" + row.outcome() + "): " + row.report.message};
  if (!row.expiry) return {nagios_ok, ""};
  const std::string expiring = name + ": " + row.expiry->earliest_subject + " expires in " +
                               std::to_string(days_left(row, now)) + " days (" + row.expiry->earliest_not_after + ")";
  if (expires_within(row, t.crit_days, now)) return {nagios_critical, expiring};
  if (expires_within(row, t.warn_days, now)) return {nagios_warning, expiring};
  return {nagios_ok, ""};
}

// At most this many problems are named on the status line; the rest are counted.
constexpr std::size_t max_named_problems = 5;

}  // namespace

int print_nagios(const std::vector<FleetRow>& rows, const NagiosThresholds& t, std::int64_t now, std::ostream& out) {
  std::vector<Verdict> verdicts;
  int state = nagios_ok;
  std::size_t counts[4] = {0, 0, 0, 0};
  for (const auto& row : rows) {
    verdicts.push_back(judge(row, t, now));
    state = worse(state, verdicts.back().state);
    ++counts[verdicts.back().state];
  }

  std::string text;
  if (rows.size() > 1) {
    text = std::to_string(rows.size()) + " endpoints: " + std::to_string(counts[nagios_ok]) + " ok, " +
           std::to_string(counts[nagios_warning]) + " warning, " + std::to_string(counts[nagios_critical]) +
           " critical, " + std::to_string(counts[nagios_unknown]) + " unknown";
  }
  // The problems, worst first, each with what happened.
  std::size_t named = 0, problems = 0;
  for (const int shown : {nagios_critical, nagios_unknown, nagios_warning}) {
    for (const auto& v : verdicts) {
      if (v.state != shown) continue;
      ++problems;
      if (named++ < max_named_problems) text += (text.empty() ? "" : "; ") + v.text;
    }
  }
  if (problems > max_named_problems) text += "; and " + std::to_string(problems - max_named_problems) + " more";
  if (problems == 0) {
    // All verified: say when the first certificate expires, and where.
    const FleetRow* soonest = nullptr;
    for (const auto& row : rows)
      if (row.expiry && (!soonest || row.expiry->earliest < soonest->expiry->earliest)) soonest = &row;
    const std::string verified = rows.size() == 1 ? monitoring_name(rows.front()) + " verified" : "all verified";
    text += (text.empty() ? "" : "; ") + verified;
    if (soonest)
      text += ", earliest certificate expiry in " + std::to_string(days_left(*soonest, now)) + " days (" +
              (rows.size() > 1 ? monitoring_name(*soonest) + ": " : "") + soonest->expiry->earliest_subject + ", " +
              soonest->expiry->earliest_not_after + ")";
  }

  // Performance data: per endpoint, seconds until its chain's first expiry (the
  // thresholds as ranges "N:", alert below N) and the check's duration; then the counts.
  std::ostringstream perf;
  for (const auto& row : rows) {
    if (row.kind != FleetRow::Kind::checked) continue;
    const std::string name = monitoring_name(row);
    if (row.expiry)
      perf << perf_label(name + " expiry") << "=" << row.expiry->earliest - now << "s;"
           << std::int64_t{t.warn_days} * 86400 << ":;" << std::int64_t{t.crit_days} * 86400 << ":;; ";
    perf << perf_label(name + " time") << "=" << std::fixed << std::setprecision(6) << row.seconds << "s;;;0; ";
  }
  const std::size_t total = rows.size();
  perf << "ok=" << counts[nagios_ok] << ";;;0;" << total << " warning=" << counts[nagios_warning] << ";;;0;" << total
       << " critical=" << counts[nagios_critical] << ";;;0;" << total << " unknown=" << counts[nagios_unknown] << ";;;0;"
       << total;

  out << "VERIFULL " << state_name(state) << " - " << status_text(text) << "|" << perf.str() << "\n";
  return state;
}

int nagios_unknown_on_error(const std::function<int()>& check, std::ostream& out) {
  std::string why;
  try {
    return check();
  } catch (const InputError& e) {
    why = e.what();
  } catch (const NetworkError& e) {
    why = e.what();
  } catch (const std::exception& e) {
    why = std::string("internal error: ") + e.what();
  } catch (...) {
    why = "internal error: unknown exception";
  }
  out << "VERIFULL UNKNOWN - " << status_text(why) << "\n";
  return nagios_unknown;
}

bool nagios_requested(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--format=nagios" || (arg == "--format" && i + 1 < argc && std::string(argv[i + 1]) == "nagios"))
      return true;
  }
  return false;
}

}  // namespace verifull::cli
