#include "fleet.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <sstream>
#include <system_error>
#include <thread>

namespace verifull::cli {

const char* FleetRow::outcome() const {
  switch (kind) {
    case Kind::checked: return outcome_name(report.outcome);
    case Kind::input_error: return "input_error";
    case Kind::internal_error: return "internal_error";
  }
  return "internal_error";
}

std::string FleetRow::label() const {
  return kind == Kind::checked && endpoint ? endpoint->host_port() : quote_input(input.url);
}

namespace {

// `input` without the userinfo of its authority ("scheme://user:password@host" or, with
// no scheme, "user:password@host"): everything up to the last '@' before the path.
std::string without_userinfo(const std::string& input) {
  const auto scheme_end = input.find("://");
  const std::size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const std::size_t end = std::min(input.find_first_of("/?#", start), input.size());
  const auto at = input.rfind('@', end == 0 ? 0 : end - 1);
  if (at == std::string::npos || at < start || at >= end) return input;
  return input.substr(0, start) + input.substr(at + 1);
}

}  // namespace

std::string monitoring_name(const FleetRow& row) {
  if (row.endpoint) return row.endpoint->host_port();
  std::string quoted = quote_input(without_userinfo(row.input.url));
  // The short form is the whole input in quotes; a label or status line needs no quotes.
  if (quoted.size() >= 2 && quoted.front() == '"' && quoted.back() == '"') quoted = quoted.substr(1, quoted.size() - 2);
  return quoted;
}

namespace {

void parse_row(FleetRow& row) {
  const std::string& url = row.input.url;
  if (url.size() > max_url_bytes) {
    row.kind = FleetRow::Kind::input_error;
    row.error = "the URL " + quote_input(url) + " is longer than " + std::to_string(max_url_bytes) +
                " bytes; that is not a database URL";
    return;
  }
  row.endpoint = parse_url(url);
  // check refuses what connect would: a URL that asks for weaker TLS is bad input.
  if (row.endpoint->protocol == Protocol::postgres) postgres::validate(url);
  else mysql::validate(*row.endpoint);
}

// Runs `step` on one row; whatever it throws is recorded on that row alone.
template <typename Step>
void on_row(FleetRow& row, Step&& step) noexcept {
  try {
    try {
      step();
    } catch (const InputError& e) {
      row.kind = FleetRow::Kind::input_error;
      row.error = e.what();
    } catch (const NetworkError& e) {
      row.kind = FleetRow::Kind::checked;
      row.report = Report{};
      row.report.outcome = e.outcome();  // timeout, name_not_resolved, ... as the library named it
      row.report.message = e.what();
      if (row.endpoint) row.report.endpoint = row.endpoint->host_port();
    } catch (const std::exception& e) {
      row.kind = FleetRow::Kind::internal_error;
      row.error = std::string("internal error: ") + e.what();
    } catch (...) {
      row.kind = FleetRow::Kind::internal_error;
      row.error = "internal error: unknown exception";
    }
  } catch (...) {
    // Recording the error failed too (out of memory): the row still says it failed.
    row.kind = FleetRow::Kind::internal_error;
  }
}

// The expiry facts of a checked row, from its presented chain and the anchor its chain
// ended at; nullopt when the server presented no certificate.
std::optional<ChainExpiry> chain_expiry(const Report& report, const Trust& trust) {
  std::optional<ChainExpiry> expiry;
  const auto consider = [&](std::int64_t not_after, const std::string& subject, const std::string& text) {
    if (expiry->earliest <= not_after) return;  // called once the leaf set it
    expiry->earliest = not_after;
    expiry->earliest_subject = subject;
    expiry->earliest_not_after = text;
  };
  for (std::size_t i = 0; i < report.chain.size(); ++i) {
    const CertInfo& cert = report.chain[i];
    std::int64_t not_after = 0;
    try {
      not_after = parse_rfc3339(cert.not_after);
    } catch (const InputError&) {
      if (i == 0) return std::nullopt;  // no leaf date: no expiry to report rather than a wrong one
      continue;                         // an intermediate's odd date: the others still count
    }
    if (i == 0) {
      expiry.emplace();
      expiry->leaf = not_after;
      expiry->earliest = not_after;
      expiry->earliest_subject = cert.subject;
      expiry->earliest_not_after = cert.not_after;
    } else {
      consider(not_after, cert.subject, cert.not_after);
    }
  }
  if (!expiry || report.anchor_sha256.empty()) return expiry;
  for (const auto& anchor : trust.anchors())
    if (anchor.sha256 == report.anchor_sha256) consider(anchor.not_after_unix, anchor.subject, anchor.not_after);
  return expiry;
}

}  // namespace

std::vector<FleetRow> parse_rows(const std::vector<FleetInput>& inputs) {
  std::vector<FleetRow> rows(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    rows[i].input = inputs[i];
    on_row(rows[i], [&] { parse_row(rows[i]); });
    if (rows[i].kind != FleetRow::Kind::checked) rows[i].endpoint.reset();
  }
  return rows;
}

void check_all(std::vector<FleetRow>& rows, const Trust& trust, const Policy& policy, const FleetOptions& options) {
  std::vector<FleetRow*> todo;
  for (auto& row : rows)
    if (row.kind == FleetRow::Kind::checked && row.endpoint) todo.push_back(&row);
  std::atomic<std::size_t> next{0};
  std::mutex progress_mutex;
  std::size_t done = 0, ok = 0;
  const auto work = [&]() noexcept {
    for (std::size_t i = next++; i < todo.size(); i = next++) {
      FleetRow& row = *todo[i];
      const auto started = std::chrono::steady_clock::now();
      on_row(row, [&] { row.report = check(*row.endpoint, trust, policy); });
      row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (!options.progress) continue;
      std::lock_guard<std::mutex> lock(progress_mutex);
      ++done;
      if (row.ok()) ++ok;
      std::cerr << "\rchecked " << done << "/" << todo.size() << " (" << ok << " ok, " << done - ok << " not ok)"
                << std::flush;
    }
  };
  const std::size_t workers = std::max<std::size_t>(1, std::min(options.parallel, todo.size()));
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < workers; ++w) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the ones started share the work
    }
  }
  if (pool.empty()) work();
  for (auto& t : pool) t.join();
  if (options.progress) std::cerr << "\r\033[K" << std::flush;  // clear the progress line
  // Here, not in the workers: Trust::anchors() parses every anchor on its first use.
  for (FleetRow* row : todo)
    if (row->kind == FleetRow::Kind::checked) on_row(*row, [&] { row->expiry = chain_expiry(row->report, trust); });
}

bool expires_within(const FleetRow& row, int days, std::int64_t now) {
  return row.kind == FleetRow::Kind::checked && row.expiry && row.expiry->earliest <= now + std::int64_t{days} * 86400;
}

FleetSummary summarize(const std::vector<FleetRow>& rows, int warn_days, std::int64_t now) {
  FleetSummary s;
  for (const auto& row : rows) {
    if (row.kind != FleetRow::Kind::checked) {
      ++s.bad_input;
      continue;
    }
    const Report& r = row.report;
    if (r.ok()) ++s.ok;
    else if (outcome_exit_code(r.outcome) == 3) ++s.unreachable;
    else ++s.refused;
    if (expires_within(row, warn_days, now))
      s.expiring.push_back(r.endpoint + ": " + row.expiry->earliest_subject + " expires on " +
                           row.expiry->earliest_not_after);
  }
  return s;
}

std::vector<FleetInput> read_url_list(const std::string& path) {
  const std::string text = path == "-" ? read_standard_input("URL list") : read_input_file(path, "URL list");
  std::vector<FleetInput> urls;
  std::istringstream lines(text);
  std::size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    urls.push_back({number, line.substr(start)});
  }
  if (urls.empty()) throw InputError("the URL list " + (path == "-" ? std::string("on standard input") : path) + " holds no URL");
  return urls;
}

}  // namespace verifull::cli
