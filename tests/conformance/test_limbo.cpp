// Conformance against x509-limbo (Apache-2.0; copied into tests/conformance/data with its
// README and LICENSE, so a clone of the repository is enough). Every SERVER case runs
// through verify_pem with the case's anchors, intermediates, peer name, validation time
// and depth limit, under one engine and one profile (VERIFULL_LIMBO_ENGINE,
// VERIFULL_LIMBO_PROFILE; meson runs every combination). CRL cases (has-crl) run with
// the case's CRLs as Policy::crl_pem.
//
// A case that verifull decides differently from the suite must be explained:
//  - expected FAILURE, accepted: listed in known_false_accepts.txt for this engine and
//    profile (only profile-only rules may be listed for the standard profile), or one of
//    the suite's own contradictory pairs (conflicts_with) whose partner passes;
//  - expected SUCCESS, refused: listed in known_rejections.txt, or a contradictory pair.
// Anything else fails the test, and so does a listed entry that no longer happens (the
// lists must not rot).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "verifull/verifull.hpp"

using namespace verifull;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

fs::path data_dir() {
  const fs::path dir = env_or("VERIFULL_LIMBO_DATA", "");
  REQUIRE_MESSAGE(fs::is_directory(dir), "x509-limbo data not found at " << dir << " (VERIFULL_LIMBO_DATA)");
  return dir;
}

json load(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  return json::parse(in);
}

const Engine kEngine = parse_engine(env_or("VERIFULL_LIMBO_ENGINE", "openssl"));
const Profile kProfile = parse_profile(env_or("VERIFULL_LIMBO_PROFILE", "standard"));

// "id  scope  reason" per line (# comments). scope: comma-separated "profile",
// "engine/profile" or "*", saying where the entry applies. Returns the entries that
// apply to this run: id -> reason.
std::map<std::string, std::string> list_for_this_run(const fs::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(file);
  REQUIRE_MESSAGE(in.good(), "cannot read " << file);
  const std::string engine = engine_name(kEngine), profile = profile_name(kProfile);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string id, scope, reason;
    fields >> id >> scope;
    std::getline(fields >> std::ws, reason);
    std::istringstream scopes(scope);
    for (std::string s; std::getline(scopes, s, ',');) {
      if (s == "*" || s == profile || s == engine + "/" + profile) out[id] = reason;
    }
  }
  return out;
}

// Features verifull does not implement; cases that need them are skipped, not guessed.
const std::map<std::string, std::string> kUnsupportedFeatures = {
    // CA/B Forum EKU rules (a leaf must carry an EKU, no anyExtendedKeyUsage, none in a
    // root). verifull follows RFC 5280 4.2.1.12 instead: many private database CAs issue
    // server certificates without an EKU, and serverAuth is still required whenever an
    // EKU is present.
    {"pedantic-webpki-eku", "CA/B Forum EKU rules (verifull follows RFC 5280 on EKU)"},
    // CA/B subscriber key rules (RSA modulus multiple of 8, and the like).
    {"pedantic-webpki-subscriber-key", "CA/B subscriber key encoding rules"},
    // Public-suffix wildcard rules need the public suffix list, which a private CA's
    // database names are not on.
    {"pedantic-public-suffix-wildcard", "public-suffix list wildcard rules"},
};

std::string join_pems(const json& list) {
  std::string out;
  for (const auto& pem : list) out += pem.get<std::string>() + "\n";
  return out;
}

std::string skip_reason(const json& tc) {
  if (tc.value("validation_kind", "") != "SERVER") return "not a SERVER case";
  for (const auto& f : tc.value("features", json::array())) {
    const auto it = kUnsupportedFeatures.find(f.get<std::string>());
    if (it != kUnsupportedFeatures.end()) return "unsupported: " + it->second;
  }
  const auto& name = tc["expected_peer_name"];
  if (name.is_null()) return "no expected peer name (verifull always verifies a name)";
  if (name["kind"] != "DNS" && name["kind"] != "IP") return "peer name kind " + name["kind"].get<std::string>();
  for (const auto& eku : tc.value("extended_key_usage", json::array()))
    if (eku != "serverAuth") return "requires EKU " + eku.get<std::string>();
  return "";
}

struct Decision {
  bool accepted = false;
  std::string why;
  double millis = 0;
  bool disagreement = false;
};

Decision run_case(const json& tc) {
  Policy policy;
  policy.engine = kEngine;
  policy.profile = kProfile;
  policy.host = tc["expected_peer_name"]["value"].get<std::string>();
  if (!tc["validation_time"].is_null()) policy.verification_time = parse_rfc3339(tc["validation_time"]);
  if (!tc["max_chain_depth"].is_null()) policy.max_intermediates = tc["max_chain_depth"].get<int>();
  // The case's CRLs (has-crl), in memory: every certificate is checked against its issuer's.
  if (tc.contains("crls") && tc["crls"].is_array()) policy.crl_pem = join_pems(tc["crls"]);
  Decision d;
  const auto start = std::chrono::steady_clock::now();
  try {
    const auto trust = Trust::from_pem(join_pems(tc["trusted_certs"]), "trusted_certs");
    const auto report = verify_pem(tc["peer_certificate"].get<std::string>(),
                                   join_pems(tc["untrusted_intermediates"]), trust, policy);
    d.why = std::string(outcome_name(report.outcome)) + ": " + report.message;
    d.accepted = report.ok();
    d.disagreement = report.outcome == Outcome::engines_disagree;
  } catch (const InputError& e) {
    d.why = std::string("input error: ") + e.what();
  }
  d.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return d;
}

struct Tally {
  int passed = 0, skipped = 0, disagreements = 0;
  int false_accepts = 0, listed_false_accepts = 0, contradictory = 0;
  int unexpected_rejections = 0, listed_rejections = 0;
  std::vector<std::string> stale;  // listed, but decided as the suite expects now
  double slowest_ms = 0;
  std::string slowest_id;
};

Tally run_suite(const std::string& label, const std::vector<json>& cases) {
  const auto known_rejections = list_for_this_run(env_or("VERIFULL_LIMBO_KNOWN_REJECTIONS", ""));
  const auto known_accepts = list_for_this_run(env_or("VERIFULL_LIMBO_KNOWN_FALSE_ACCEPTS", ""));
  // First pass: every decision, so contradictory pairs can look at their partner.
  std::map<std::string, bool> passed;
  std::vector<std::pair<const json*, Decision>> decided;
  Tally t;
  for (const auto& tc : cases) {
    const std::string id = tc["id"];
    if (const auto reason = skip_reason(tc); !reason.empty()) {
      ++t.skipped;
      std::cout << "  skip  " << id << " (" << reason << ")\n";
      continue;
    }
    Decision d = run_case(tc);
    passed[id] = d.accepted == (tc["expected_result"] == "SUCCESS");
    if (d.millis > t.slowest_ms) t.slowest_ms = d.millis, t.slowest_id = id;
    decided.emplace_back(&tc, std::move(d));
  }
  for (const auto& [tc_ptr, d] : decided) {
    const json& tc = *tc_ptr;
    const std::string id = tc["id"];
    const bool expected = tc["expected_result"] == "SUCCESS";
    bool partner_passes = false;
    for (const auto& other : tc.value("conflicts_with", json::array()))
      partner_passes = partner_passes || (passed.count(other.get<std::string>()) && passed[other.get<std::string>()]);
    if (d.disagreement) {
      ++t.disagreements;
      std::cout << "  disagreement  " << id << ": " << d.why << "\n";
    }
    if (d.accepted == expected) {
      ++t.passed;
      if (known_accepts.count(id) || known_rejections.count(id)) t.stale.push_back(id);
    } else if (partner_passes) {
      ++t.contradictory;
      std::cout << "  contradictory pair  " << id << " (its conflicts_with partner passes): " << d.why << "\n";
    } else if (d.accepted && known_accepts.count(id)) {
      ++t.listed_false_accepts;
      std::cout << "  profile-only accept  " << id << "\n      reason: " << known_accepts.at(id) << "\n";
    } else if (d.accepted) {
      ++t.false_accepts;
      std::cout << "  FALSE ACCEPT  " << id << "\n";
    } else if (known_rejections.count(id)) {
      ++t.listed_rejections;
      std::cout << "  known rejection  " << id << ": " << d.why << "\n      reason: " << known_rejections.at(id) << "\n";
    } else {
      ++t.unexpected_rejections;
      std::cout << "  UNEXPECTED REJECTION  " << id << ": " << d.why << "\n";
    }
  }
  std::cout << "x509-limbo " << label << " [" << engine_name(kEngine) << ", " << profile_name(kProfile)
            << "]: " << t.passed << " pass, " << t.false_accepts << " security false accept, " << t.listed_false_accepts
            << " profile-only false accept (listed), " << t.contradictory << " contradictory pair, "
            << t.listed_rejections << " known rejection, " << t.unexpected_rejections << " unexpected rejection, "
            << t.skipped << " skip, " << t.disagreements << " engine disagreement (of " << cases.size()
            << "); slowest case " << static_cast<int>(t.slowest_ms) << " ms (" << t.slowest_id << ")\n";
  return t;
}

void check_tally(const Tally& t) {
  CHECK(t.false_accepts == 0);
  CHECK(t.unexpected_rejections == 0);
  if (kProfile == Profile::strict) CHECK(t.listed_false_accepts == 0);
  // The lists must not rot: an entry whose case now passes must go.
  for (const auto& id : t.stale) FAIL_CHECK("listed, but decided as the suite expects now: " << id << " (remove it from the list)");
}

std::vector<json> cases_of(const json& suite) { return {suite["testcases"].begin(), suite["testcases"].end()}; }

}  // namespace

TEST_CASE("x509-limbo 2023 suite: no false accepts, every rejection explained") {
  const auto cases = cases_of(load(data_dir() / "x509-limbo" / "limbo-2023-12-02-ddc40b4.json"));
  REQUIRE(cases.size() > 100);
  check_tally(run_suite("2023-12-02", cases));
}

TEST_CASE("x509-limbo 2026 suite: no false accepts, every rejection explained, pathological chains bounded") {
  const auto cases = cases_of(load(data_dir() / "x509-limbo-2026" / "limbo-2026-06-29-8a2e6f4-regenerated.json"));
  REQUIRE(cases.size() > 150);
  check_tally(run_suite("2026-06-29", cases));
}

TEST_CASE("x509-limbo online cases: real-world chains verify at their validation time") {
  std::vector<json> cases;
  for (const auto& entry : fs::directory_iterator(data_dir() / "x509-limbo" / "online"))
    if (entry.path().extension() == ".json") cases.push_back(load(entry.path()));
  REQUIRE(cases.size() >= 10);
  check_tally(run_suite("online", cases));
}
