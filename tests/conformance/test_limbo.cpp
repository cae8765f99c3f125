// Conformance against x509-limbo (../shared/data/x509-limbo, Apache-2.0, read in place).
// Every SERVER case runs through verify_pem with the case's anchors, intermediates,
// peer name, validation time and depth limit. The test fails on any false accept, and
// on any rejection of an expected-SUCCESS case that known_rejections.txt does not
// explain; it prints pass/fail/skip counts for the record.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "verifull/verifull.hpp"

using namespace verifull;
using json = nlohmann::json;

namespace {

std::string limbo_dir() {
  const char* dir = std::getenv("VERIFULL_LIMBO_DIR");
  REQUIRE_MESSAGE(dir != nullptr, "VERIFULL_LIMBO_DIR is not set");
  REQUIRE_MESSAGE(std::filesystem::is_directory(dir), "x509-limbo data not found at " << dir);
  return dir;
}

json load(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  return json::parse(in);
}

// id -> reason, from a list file named by an environment variable ("id  reason" per
// line, # comments); empty when the variable is unset.
std::map<std::string, std::string> known_list(const char* variable) {
  std::map<std::string, std::string> out;
  const char* path = std::getenv(variable);
  if (!path) return out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.find_first_of(" \t");
    const auto reason_at = line.find_first_not_of(" \t", space);
    out[line.substr(0, space)] = reason_at == std::string::npos ? "" : line.substr(reason_at);
  }
  return out;
}

// Features verifull does not implement; cases that need them are skipped, not guessed.
const std::set<std::string> kUnsupportedFeatures = {
    // CA/B Forum EKU rules (a leaf must carry an EKU, no anyExtendedKeyUsage, none in a
    // root). verifull follows RFC 5280 4.2.1.12 instead: many private database CAs issue
    // server certificates without an EKU, and the server-auth purpose is still checked
    // whenever an EKU is present.
    "pedantic-webpki-eku",
};

std::string join_pems(const json& list) {
  std::string out;
  for (const auto& pem : list) out += pem.get<std::string>() + "\n";
  return out;
}

struct Tally {
  int passed = 0, false_accepts = 0, known_false_accepts = 0, known_rejections = 0, new_rejections = 0,
      skipped = 0, disagreements = 0;
};

std::string skip_reason(const json& tc) {
  if (tc.value("validation_kind", "") != "SERVER") return "not a SERVER case";
  for (const auto& f : tc.value("features", json::array()))
    if (kUnsupportedFeatures.count(f.get<std::string>())) return "unsupported feature " + f.get<std::string>();
  const auto& name = tc["expected_peer_name"];
  if (name.is_null()) return "no expected peer name (verifull always verifies a name)";
  if (name["kind"] != "DNS" && name["kind"] != "IP") return "peer name kind " + name["kind"].get<std::string>();
  for (const auto& eku : tc.value("extended_key_usage", json::array()))
    if (eku != "serverAuth") return "requires EKU " + eku.get<std::string>();
  return "";
}

// True when verifull accepted the case; `outcome` and `why` say what it decided.
bool run_case(const json& tc, Engine engine, Outcome& outcome, std::string& why) {
  Policy policy;
  policy.engine = engine;
  policy.host = tc["expected_peer_name"]["value"].get<std::string>();
  if (!tc["validation_time"].is_null()) policy.verification_time = parse_rfc3339(tc["validation_time"]);
  if (!tc["max_chain_depth"].is_null()) policy.max_intermediates = tc["max_chain_depth"].get<int>();
  try {
    const auto trust = Trust::from_pem(join_pems(tc["trusted_certs"]), "trusted_certs");
    const auto report = verify_pem(tc["peer_certificate"].get<std::string>(),
                                   join_pems(tc["untrusted_intermediates"]), trust, policy);
    why = std::string(outcome_name(report.outcome)) + ": " + report.message;
    outcome = report.outcome;
    return report.ok();
  } catch (const InputError& e) {
    outcome = Outcome::invalid_chain;
    why = std::string("input error: ") + e.what();
    return false;
  }
}

Tally run_suite(const std::string& label, const std::vector<json>& cases, Engine engine) {
  const auto known = known_list("VERIFULL_LIMBO_KNOWN");
  const auto known_accepts = known_list("VERIFULL_LIMBO_KNOWN_FALSE_ACCEPTS");
  Tally t;
  for (const auto& tc : cases) {
    const std::string id = tc["id"];
    if (const auto reason = skip_reason(tc); !reason.empty()) {
      ++t.skipped;
      std::cout << "  skip  " << id << " (" << reason << ")\n";
      continue;
    }
    std::string why;
    Outcome outcome = Outcome::invalid_chain;
    const bool accepted = run_case(tc, engine, outcome, why);
    const bool expected = tc["expected_result"] == "SUCCESS";
    if (outcome == Outcome::engines_disagree) {
      ++t.disagreements;
      std::cout << "  disagreement  " << id << " (expected " << tc["expected_result"].get<std::string>() << "): " << why << "\n";
    }
    if (accepted == expected) {
      ++t.passed;
    } else if (accepted && known_accepts.count(id)) {
      ++t.known_false_accepts;
      std::cout << "  known false accept  " << id << "\n      reason: " << known_accepts.at(id) << "\n";
    } else if (accepted) {
      ++t.false_accepts;
      std::cout << "  FALSE ACCEPT  " << id << "\n";
    } else if (known.count(id)) {
      ++t.known_rejections;
      std::cout << "  known rejection  " << id << ": " << why << "\n      reason: " << known.at(id) << "\n";
    } else {
      ++t.new_rejections;
      std::cout << "  UNEXPECTED REJECTION  " << id << ": " << why << "\n";
    }
  }
  std::cout << "x509-limbo " << label << " [" << engine_name(engine) << "]: " << t.passed << " pass, "
            << t.false_accepts << " false accept, " << t.known_false_accepts << " known false accept, "
            << t.known_rejections << " known rejection, " << t.new_rejections << " unexpected rejection, "
            << t.skipped << " skip, " << t.disagreements << " engine disagreement (of " << cases.size() << ")\n";
  return t;
}

Engine engine_under_test() {
  const char* e = std::getenv("VERIFULL_LIMBO_ENGINE");
  return e ? parse_engine(e) : Engine::openssl;
}

}  // namespace

TEST_CASE("x509-limbo 2023 suite: no false accepts, every rejection explained") {
  const auto suite = load(std::filesystem::path(limbo_dir()) / "limbo-2023-12-02-ddc40b4.json");
  const std::vector<json> cases(suite["testcases"].begin(), suite["testcases"].end());
  REQUIRE(cases.size() > 100);
  const auto t = run_suite("2023-12-02", cases, engine_under_test());
  CHECK(t.false_accepts == 0);
  CHECK(t.new_rejections == 0);
}

TEST_CASE("x509-limbo online cases: real-world chains verify at their validation time") {
  std::vector<json> cases;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(limbo_dir()) / "online"))
    if (entry.path().extension() == ".json") cases.push_back(load(entry.path()));
  REQUIRE(cases.size() >= 10);
  const auto t = run_suite("online", cases, engine_under_test());
  CHECK(t.false_accepts == 0);
  CHECK(t.new_rejections == 0);
}
