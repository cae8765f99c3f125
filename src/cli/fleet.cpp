#include "fleet.hpp"

#include <atomic>
#include <ctime>
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
      on_row(row, [&] { row.report = check(*row.endpoint, trust, policy); });
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
}

FleetSummary summarize(const std::vector<FleetRow>& rows, int warn_days) {
  FleetSummary s;
  const std::int64_t horizon = static_cast<std::int64_t>(std::time(nullptr)) + std::int64_t{warn_days} * 86400;
  for (const auto& row : rows) {
    if (row.kind != FleetRow::Kind::checked) {
      ++s.bad_input;
      continue;
    }
    const Report& r = row.report;
    if (r.ok()) ++s.ok;
    else if (outcome_exit_code(r.outcome) == 3) ++s.unreachable;
    else ++s.refused;
    for (const auto& cert : r.chain) {
      std::int64_t not_after = 0;
      try {
        not_after = parse_rfc3339(cert.not_after);
      } catch (const InputError&) {
        continue;  // a date the server's certificate spells oddly: no expiry to count
      }
      if (not_after <= horizon) {
        s.expiring.push_back(r.endpoint + ": " + cert.subject + " expires on " + cert.not_after);
        break;
      }
    }
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
