// Revocation (Policy::crls, crl_pem, require_crl) through the public C++ API, on CRLs
// the test PKI makes. Every case runs on each engine and on `both` (meson runs this file
// once per VERIFULL_TEST_ENGINE), so the two CRL implementations must agree.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "test_pki.hpp"
#include "verifull.h"
#include "verifull/verifull.hpp"

using namespace verifull;
using testpki::ca_spec;
using testpki::leaf_spec;

namespace {

struct Pki {
  testpki::Cert root = testpki::make_root(ca_spec("CRL Test Root CA"));
  testpki::Cert other_root = testpki::make_root(ca_spec("CRL Other Root CA"));
  testpki::Cert intermediate = testpki::issue(root, ca_spec("CRL Test Intermediate CA"));
  testpki::Cert leaf = testpki::issue(root, leaf_spec("db", {"db.example.com"}));
  testpki::Cert sibling = testpki::issue(root, leaf_spec("db", {"db.example.com"}));
  testpki::Cert deep_leaf = testpki::issue(intermediate, leaf_spec("db", {"db.example.com"}));
  Trust trust = Trust::from_pem(root.pem(), "CRL test root");
  std::string folder;
  Pki() {
    char tmpl[] = "/tmp/verifull-test-crl-XXXXXX";
    folder = mkdtemp(tmpl);
  }
  ~Pki() {
    std::error_code ec;
    std::filesystem::remove_all(folder, ec);
  }
  // Writes `content` to a file of the test folder and returns its path.
  std::string file(const std::string& name, const std::string& content) const {
    testpki::write_file(folder + "/" + name, content);
    return folder + "/" + name;
  }
};

Pki& pki() {
  static Pki instance;
  return instance;
}

Engine engine_under_test() {
  const char* e = std::getenv("VERIFULL_TEST_ENGINE");
  return e ? parse_engine(e) : Engine::openssl;
}

Policy policy_with(std::vector<std::string> crls, std::string crl_pem = "", bool require = false) {
  Policy policy;
  policy.host = "db.example.com";
  policy.engine = engine_under_test();
  policy.crls = std::move(crls);
  policy.crl_pem = std::move(crl_pem);
  policy.require_crl = require;
  return policy;
}

Report verify(const testpki::Cert& leaf, const Policy& policy, const std::string& intermediates = "") {
  return verify_pem(leaf.pem() + intermediates, "", pki().trust, policy);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}


}  // namespace

TEST_CASE("a CRL listing the server certificate: revoked, naming the serial and the CRL") {
  const auto crl = testpki::make_crl(pki().root, {{&pki().leaf}});
  const auto path = pki().file("revoked.pem", crl.pem);
  const Report r = verify(pki().leaf, policy_with({path}));
  CHECK_MESSAGE(r.outcome == Outcome::revoked, outcome_name(r.outcome) << ": " << r.message);
  CHECK(contains(r.message, pki().leaf.serial_text()));
  CHECK(contains(r.message, path));
  CHECK(contains(r.message, "revoked"));
  CHECK(std::string(outcome_name(r.outcome)) == "revoked");
  // Another certificate of the same CA, not listed, verifies with the same CRL.
  CHECK(verify(pki().sibling, policy_with({path})).ok());
}

TEST_CASE("the same CRL as DER, in a hashed folder, and in memory: the same verdict") {
  const auto crl = testpki::make_crl(pki().root, {{&pki().leaf}});
  const auto der = pki().file("revoked.der", crl.der);
  const auto folder = pki().folder + "/hashed";
  pki().file("hashed/" + crl.hash_name, crl.pem);
  pki().file("hashed/README", "not a CRL: skipped\n");
  for (const auto& policy : {policy_with({der}), policy_with({folder}), policy_with({}, crl.pem)}) {
    const Report r = verify(pki().leaf, policy);
    CHECK_MESSAGE(r.outcome == Outcome::revoked, outcome_name(r.outcome) << ": " << r.message);
    CHECK(contains(r.message, pki().leaf.serial_text()));
  }
}

TEST_CASE("an empty CRL of the issuer, and a CRL of another CA only, accept") {
  const auto empty = pki().file("empty.pem", testpki::make_crl(pki().root).pem);
  const auto other = pki().file("other.pem", testpki::make_crl(pki().other_root).pem);
  const Report with_empty = verify(pki().leaf, policy_with({empty}));
  CHECK_MESSAGE(with_empty.ok(), outcome_name(with_empty.outcome) << ": " << with_empty.message);
  // require_crl off (the default): an issuer without a CRL is not checked.
  const Report with_other = verify(pki().leaf, policy_with({other}));
  CHECK_MESSAGE(with_other.ok(), outcome_name(with_other.outcome) << ": " << with_other.message);
}

TEST_CASE("an expired CRL is crl_expired with its own sentence; judged at the verification time") {
  testpki::CrlSpec spec;
  spec.this_update = -10L * 86400;
  spec.next_update = -86400;
  const auto path = pki().file("expired.pem", testpki::make_crl(pki().root, spec).pem);
  const Report r = verify(pki().leaf, policy_with({path}));
  CHECK_MESSAGE(r.outcome == Outcome::crl_expired, outcome_name(r.outcome) << ": " << r.message);
  CHECK(contains(r.message, "out of date"));
  CHECK(contains(r.message, path));
  // Before its nextUpdate it was current (for a certificate valid then too).
  testpki::Spec older = leaf_spec("db", {"db.example.com"});
  older.not_before = -30L * 86400;
  Policy earlier = policy_with({path});
  earlier.verification_time = static_cast<std::int64_t>(std::time(nullptr)) - 5L * 86400;
  const Report then = verify(testpki::issue(pki().root, older), earlier);
  CHECK_MESSAGE(then.ok(), outcome_name(then.outcome) << ": " << then.message);
}

TEST_CASE("a CRL under the issuer's name signed by another key is crl_bad_signature") {
  for (bool names_the_key : {true, false}) {
    CAPTURE(names_the_key);
    testpki::CrlSpec spec;
    spec.signing_key = pki().other_root.key.get();
    spec.authority_key_id = names_the_key;
    const auto path = pki().file("forged.pem", testpki::make_crl(pki().root, spec).pem);
    const Report r = verify(pki().leaf, policy_with({path}));
    CHECK_MESSAGE(r.outcome == Outcome::crl_bad_signature, outcome_name(r.outcome) << ": " << r.message);
    CHECK(contains(r.message, "not signed by that issuer's key"));
  }
}

TEST_CASE("require_crl: an issuer without a CRL is crl_missing; with one, accepted") {
  const Report none = verify(pki().leaf, policy_with({}, "", true));
  CHECK_MESSAGE(none.outcome == Outcome::crl_missing, outcome_name(none.outcome) << ": " << none.message);
  CHECK(contains(none.message, "require_crl"));
  CHECK(contains(none.message, "CRL Test Root CA"));
  const auto root_crl = testpki::make_crl(pki().root);
  const Report given = verify(pki().leaf, policy_with({}, root_crl.pem, true));
  CHECK_MESSAGE(given.ok(), outcome_name(given.outcome) << ": " << given.message);
  // Through an intermediate: the root's CRL covers the intermediate, not the leaf.
  const std::string chain_tail = pki().intermediate.pem();
  const Report half = verify(pki().deep_leaf, policy_with({}, root_crl.pem, true), chain_tail);
  CHECK_MESSAGE(half.outcome == Outcome::crl_missing, outcome_name(half.outcome) << ": " << half.message);
  CHECK(contains(half.message, "CRL Test Intermediate CA"));
  const auto intermediate_crl = testpki::make_crl(pki().intermediate);
  const Report whole = verify(pki().deep_leaf, policy_with({}, root_crl.pem + intermediate_crl.pem, true), chain_tail);
  CHECK_MESSAGE(whole.ok(), outcome_name(whole.outcome) << ": " << whole.message);
  // Not required: the root's CRL alone checks the intermediate and accepts.
  const Report given_only = verify(pki().deep_leaf, policy_with({}, root_crl.pem), chain_tail);
  CHECK_MESSAGE(given_only.ok(), outcome_name(given_only.outcome) << ": " << given_only.message);
}

TEST_CASE("a CRL without a CRL number: a warning in the standard profile, refused by the strict one") {
  testpki::CrlSpec spec;
  spec.crl_number = false;
  const auto crl = testpki::make_crl(pki().root, spec);
  // A leaf the strict profile accepts (its CN is one of its SANs).
  const auto leaf = testpki::issue(pki().root, leaf_spec("db.example.com", {"db.example.com"}));
  const Report standard = verify(leaf, policy_with({}, crl.pem));
  CHECK_MESSAGE(standard.ok(), standard.message);
  bool warned = false;
  for (const auto& w : standard.warnings) warned = warned || contains(w, "has no CRL number");
  CHECK(warned);
  Policy strict = policy_with({}, crl.pem);
  strict.profile = Profile::strict;
  const Report refused = verify(leaf, strict);
  CHECK_MESSAGE(refused.outcome == Outcome::invalid_chain, refused.message);
  CHECK_MESSAGE(contains(refused.message, "has no CRL number"), refused.message);
  // With one, the strict profile accepts.
  strict.crl_pem = testpki::make_crl(pki().root).pem;
  CHECK(verify(leaf, strict).ok());
}

TEST_CASE("a certificate naming a CRL distribution point is covered by its issuer's full CRL (no IDP)") {
  // RFC 5280 5.2.5: a CRL without issuingDistributionPoint covers every certificate of
  // its issuer. Botan 2 alone would call it "not matching" the certificate's CRLDP.
  const std::string uri = "http://c.example/c.crl";
  std::string der = std::string("\x30") + char(uri.size() + 8) + "\x30" + char(uri.size() + 6) + "\xA0" +
                    char(uri.size() + 4) + "\xA0" + char(uri.size() + 2) + "\x86" + char(uri.size()) + uri;
  testpki::Spec spec = leaf_spec("db", {"db.example.com"});
  spec.raw_extensions.push_back({NID_crl_distribution_points, der, false});
  const auto leaf = testpki::issue(pki().root, spec);
  const Report clean = verify(leaf, policy_with({}, testpki::make_crl(pki().root).pem));
  CHECK_MESSAGE(clean.ok(), outcome_name(clean.outcome) << ": " << clean.message);
  const Report listed = verify(leaf, policy_with({}, testpki::make_crl(pki().root, {{&leaf}}).pem));
  CHECK_MESSAGE(listed.outcome == Outcome::revoked, outcome_name(listed.outcome) << ": " << listed.message);
}

TEST_CASE("a revoked intermediate is revoked, at the CA certificate") {
  const auto crl = testpki::make_crl(pki().root, {{&pki().intermediate}});
  const Report r = verify(pki().deep_leaf, policy_with({}, crl.pem), pki().intermediate.pem());
  CHECK_MESSAGE(r.outcome == Outcome::revoked, outcome_name(r.outcome) << ": " << r.message);
  CHECK(contains(r.message, "the CA certificate"));
  CHECK(contains(r.message, pki().intermediate.serial_text()));
}

TEST_CASE("CRL input errors name the file and never verify without the CRL") {
  const auto missing = pki().folder + "/no-such.crl";
  CHECK_THROWS_WITH_AS(verify(pki().leaf, policy_with({missing})), doctest::Contains("no-such.crl"), InputError);
  const auto cert_file = pki().file("a-cert.pem", pki().leaf.pem());
  CHECK_THROWS_WITH_AS(verify(pki().leaf, policy_with({cert_file})), doctest::Contains("CERTIFICATE block"), InputError);
  const auto garbage = pki().file("garbage.crl", std::string("\x30\x03\x02\x01", 4));
  CHECK_THROWS_WITH_AS(verify(pki().leaf, policy_with({garbage})), doctest::Contains("holds no certificate revocation list"),
                       InputError);
  CHECK_THROWS_AS(verify(pki().leaf, policy_with({}, "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")),
                  InputError);
  std::filesystem::create_directories(pki().folder + "/empty-folder");
  CHECK_THROWS_WITH_AS(verify(pki().leaf, policy_with({pki().folder + "/empty-folder"})),
                       doctest::Contains("holds no CRL file"), InputError);
}

TEST_CASE("C ABI: vf_policy_options version 4 carries crls, crl_pem and require_crl; version 3 reads none") {
  const auto crl = testpki::make_crl(pki().root, {{&pki().leaf}});
  const auto path = pki().file("capi-revoked.pem", crl.pem);
  const auto root_pem = pki().root.pem();
  vf_trust_t trust = nullptr;
  REQUIRE(vf_trust_from_pem(&trust, root_pem.data(), root_pem.size()) == VF_OK);
  const auto leaf_pem = pki().leaf.pem();
  const auto outcome_with = [&](const vf_policy_options& opts) {
    vf_report_t report = nullptr;
    REQUIRE(vf_verify_pem(&report, leaf_pem.data(), leaf_pem.size(), nullptr, 0, trust, &opts) == VF_OK);
    int outcome = -1;
    vf_report_outcome(report, &outcome);
    vf_report_destroy(report);
    return outcome;
  };
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  CHECK(opts.version == 4);
  CHECK(opts.crls == nullptr);
  CHECK(opts.require_crl == 0);
  opts.host = "db.example.com";
  const char* files[] = {path.c_str()};
  opts.crls = files;
  opts.crl_count = 1;
  CHECK(outcome_with(opts) == VF_OUTCOME_REVOKED);
  opts.crls = nullptr;
  opts.crl_count = 0;
  opts.crl_pem = crl.pem.data();
  opts.crl_pem_len = crl.pem.size();
  CHECK(outcome_with(opts) == VF_OUTCOME_REVOKED);
  // The core's one file of the policy's CRLs, for a TLS stack's own check.
  size_t len = 0;
  CHECK(vf_policy_crl_file(&opts, nullptr, &len) == VF_ERROR_BUFFER_TOO_SMALL);
  std::string file(len, '\0');
  REQUIRE(vf_policy_crl_file(&opts, file.data(), &len) == VF_OK);
  file.resize(len - 1);
  std::ifstream in(file);
  CHECK(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()) == crl.pem);
  opts.version = 3;  // the version 4 fields are not read
  CHECK(outcome_with(opts) == VF_OUTCOME_OK);
  opts.version = 4;
  opts.crl_pem = nullptr;
  opts.crl_pem_len = 0;
  opts.require_crl = 1;
  CHECK(outcome_with(opts) == VF_OUTCOME_CRL_MISSING);
  CHECK(std::string(vf_outcome_name(VF_OUTCOME_CRL_MISSING)) == "crl_missing");
  CHECK(std::string(vf_outcome_name(VF_OUTCOME_CRL_EXPIRED)) == "crl_expired");
  CHECK(std::string(vf_outcome_name(VF_OUTCOME_CRL_BAD_SIGNATURE)) == "crl_bad_signature");
  opts.crls = files;
  opts.crl_count = 2;  // a NULL entry
  const char* with_null[] = {path.c_str(), nullptr};
  opts.crls = with_null;
  vf_report_t report = nullptr;
  CHECK(vf_verify_pem(&report, leaf_pem.data(), leaf_pem.size(), nullptr, 0, trust, &opts) == VF_ERROR_INPUT);
  CHECK(std::string(vf_last_error_message()).find("crls[1] is NULL") != std::string::npos);
  vf_trust_destroy(trust);
}
