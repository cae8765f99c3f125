// The interop corpus (tests/support/interop_corpus.hpp) offline: every recipe's chain
// under every engine, both profiles, with and without the CN fallback. The standard
// profile accepts all of them (a CN-only certificate with the fallback), listing what
// strict would refuse; the engines never disagree. tests/integration/test_interop.cpp
// serves the same certificates from real servers.
#include <doctest/doctest.h>

#include "interop_corpus.hpp"
#include "verifull/verifull.hpp"

using namespace verifull;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

std::string all_warnings(const Report& r) {
  std::string out;
  for (const auto& w : r.warnings) out += w + "\n";
  return out;
}

Report verify_case(const interop::Case& c, Engine engine, Profile profile, bool cn_fallback) {
  Policy policy;
  policy.host = "localhost";
  policy.engine = engine;
  policy.profile = profile;
  policy.allow_cn_fallback = cn_fallback;
  return verify_pem(c.chain_pem, "", Trust::from_pem(c.anchors_pem, c.name), policy);
}

}  // namespace

TEST_CASE("the standard profile accepts every recipe's certificates, listing what strict would refuse") {
  for (const auto& c : interop::corpus()) {
    for (Engine engine : {Engine::openssl, Engine::botan, Engine::both}) {
      CAPTURE(c.name);
      CAPTURE(engine_name(engine));
      const auto r = verify_case(c, engine, Profile::standard, c.cn_only);
      CHECK_MESSAGE(r.ok(), c.recipe << ": " << outcome_name(r.outcome) << ": " << r.message);
      for (const auto& expected : c.standard_warnings)
        CHECK_MESSAGE(contains(all_warnings(r), expected), "no warning \"" << expected << "\" in:\n" << all_warnings(r));
      if (c.standard_warnings.empty()) CHECK_MESSAGE(r.warnings.empty(), all_warnings(r));
    }
  }
}

TEST_CASE("the strict profile refuses the encoding deviations, naming the rule and the standard profile") {
  for (const auto& c : interop::corpus()) {
    for (Engine engine : {Engine::openssl, Engine::botan, Engine::both}) {
      CAPTURE(c.name);
      CAPTURE(engine_name(engine));
      const auto r = verify_case(c, engine, Profile::strict, c.cn_only);
      if (c.strict_ok) {
        CHECK_MESSAGE(r.ok(), outcome_name(r.outcome) << ": " << r.message);
      } else {
        CHECK(r.outcome == Outcome::invalid_chain);
        CHECK_MESSAGE(contains(r.message, "strict profile"), r.message);
      }
    }
  }
}

TEST_CASE("a certificate named only in its CN is refused without the fallback, with a message naming the option") {
  for (const auto& c : interop::corpus()) {
    if (!c.cn_only) continue;
    for (Engine engine : {Engine::openssl, Engine::botan, Engine::both}) {
      for (Profile profile : {Profile::standard, Profile::strict}) {
        CAPTURE(c.name);
        CAPTURE(engine_name(engine));
        const auto r = verify_case(c, engine, profile, false);
        CHECK(r.outcome == Outcome::name_mismatch);
        CHECK_MESSAGE(contains(r.message, "only in the subject CN"), r.message);
        CHECK_MESSAGE(contains(r.message, "--allow-cn-fallback"), r.message);
      }
    }
  }
}

TEST_CASE("the engines reach the same verdict on every recipe, profile and name rule") {
  for (const auto& c : interop::corpus()) {
    for (Profile profile : {Profile::standard, Profile::strict}) {
      for (bool fallback : {false, true}) {
        CAPTURE(c.name);
        CAPTURE(profile_name(profile));
        CAPTURE(fallback);
        const auto o = verify_case(c, Engine::openssl, profile, fallback);
        const auto b = verify_case(c, Engine::botan, profile, fallback);
        CHECK_MESSAGE(o.outcome == b.outcome, "openssl: " << o.message << "\nbotan: " << b.message);
        CHECK(verify_case(c, Engine::both, profile, fallback).outcome != Outcome::engines_disagree);
      }
    }
  }
}
