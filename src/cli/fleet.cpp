#include "fleet.hpp"

#include <atomic>
#include <ctime>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

namespace verifull::cli {

std::vector<Report> check_all(const std::vector<Endpoint>& endpoints, const Trust& trust, const Policy& policy,
                              const FleetOptions& options) {
  std::vector<Report> reports(endpoints.size());
  std::atomic<std::size_t> next{0};
  std::mutex progress_mutex;
  std::size_t done = 0, ok = 0;
  const auto work = [&] {
    for (std::size_t i = next++; i < endpoints.size(); i = next++) {
      reports[i] = check(endpoints[i], trust, policy);
      if (!options.progress) continue;
      std::lock_guard<std::mutex> lock(progress_mutex);
      ++done;
      if (reports[i].ok()) ++ok;
      std::cerr << "\rchecked " << done << "/" << endpoints.size() << " (" << ok << " ok, " << done - ok
                << " not ok)" << std::flush;
    }
  };
  const std::size_t workers = std::max<std::size_t>(1, std::min(options.parallel, endpoints.size()));
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < workers; ++w) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (options.progress) std::cerr << "\r\033[K" << std::flush;  // clear the progress line
  return reports;
}

FleetSummary summarize(const std::vector<Report>& reports, int warn_days) {
  FleetSummary s;
  const std::int64_t horizon = static_cast<std::int64_t>(std::time(nullptr)) + std::int64_t{warn_days} * 86400;
  for (const auto& r : reports) {
    if (r.ok()) ++s.ok;
    else if (outcome_exit_code(r.outcome) == 3) ++s.unreachable;
    else ++s.refused;
    for (const auto& cert : r.chain) {
      if (parse_rfc3339(cert.not_after) <= horizon) {
        s.expiring.push_back(r.endpoint + ": " + cert.subject + " expires on " + cert.not_after);
        break;
      }
    }
  }
  return s;
}

std::vector<std::string> read_url_list(const std::string& path) {
  const std::string text = path == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {})
                                       : read_input_file(path, "URL list");
  std::vector<std::string> urls;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    urls.push_back(line.substr(start));
  }
  if (urls.empty()) throw InputError("the URL list " + path + " holds no URL");
  return urls;
}

}  // namespace verifull::cli
