// Chain and name verification through the public C++ API, on a generated PKI.
#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>

#include "test_pki.hpp"
#include "verifull/verifull.hpp"

using namespace verifull;
using testpki::ca_spec;
using testpki::leaf_spec;

namespace {

struct Pki {
  testpki::Cert root = testpki::make_root(ca_spec("Test Root CA"));
  testpki::Cert other_root = testpki::make_root(ca_spec("Other Root CA"));
  testpki::Cert intermediate = testpki::issue(root, ca_spec("Test Intermediate CA"));
  Trust trust = Trust::from_pem(root.pem(), "test root");
};

Pki& pki() {
  static Pki instance;
  return instance;
}

// The engine under test: VERIFULL_TEST_ENGINE (meson runs this file once per engine).
Engine engine_under_test() {
  const char* e = std::getenv("VERIFULL_TEST_ENGINE");
  return e ? parse_engine(e) : Engine::openssl;
}

Policy policy_for(const std::string& host) {
  Policy policy;
  policy.host = host;
  policy.engine = engine_under_test();
  return policy;
}

Report verify(const std::string& presented, const std::string& host, const Trust& trust = pki().trust,
              std::vector<std::string> pins = {}, const std::string& untrusted = "") {
  Policy policy = policy_for(host);
  policy.pins = std::move(pins);
  return verify_pem(presented, untrusted, trust, policy);
}

Report verify_leaf(const testpki::Spec& spec, const std::string& host) {
  return verify(testpki::issue(pki().root, spec).pem(), host);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("a good leaf issued by the anchor verifies, with the facts in the report") {
  auto leaf = testpki::issue(pki().root, leaf_spec("db", {"db.example.com"}));
  auto r = verify(leaf.pem(), "db.example.com");
  CHECK(r.outcome == Outcome::ok);
  CHECK(r.ok());
  CHECK(r.anchor == "CN=Test Root CA");
  REQUIRE(r.chain.size() == 1);
  CHECK(r.chain[0].subject == "CN=db");
  CHECK(r.chain[0].issuer == "CN=Test Root CA");
  CHECK(r.chain[0].sans == std::vector<std::string>{"DNS:db.example.com"});
  CHECK(r.chain[0].sha256.size() == 95);
  CHECK(r.chain[0].spki_sha256.rfind("sha256/", 0) == 0);
  CHECK(contains(r.message, "verified"));
  CHECK(contains(r.to_json(), "\"outcome\":\"ok\""));
}

TEST_CASE("host names compare case-insensitively and ignore a trailing dot") {
  auto leaf = testpki::issue(pki().root, leaf_spec("db", {"db.example.com"}));
  CHECK(verify(leaf.pem(), "DB.Example.COM").ok());
  CHECK(verify(leaf.pem(), "db.example.com.").ok());
}

TEST_CASE("an intermediate chain verifies when the intermediate is presented or supplied") {
  auto leaf = testpki::issue(pki().intermediate, leaf_spec("db", {"db.example.com"}));
  CHECK(verify(leaf.pem() + pki().intermediate.pem(), "db.example.com").ok());
  CHECK(verify(leaf.pem(), "db.example.com", pki().trust, {}, pki().intermediate.pem()).ok());
}

TEST_CASE("an intermediate chain without the intermediate is untrusted_issuer") {
  auto leaf = testpki::issue(pki().intermediate, leaf_spec("db", {"db.example.com"}));
  auto r = verify(leaf.pem(), "db.example.com");
  CHECK(r.outcome == Outcome::untrusted_issuer);
  CHECK(contains(r.message, "issued by CN=Test Intermediate CA"));
}

TEST_CASE("a leaf from another CA is untrusted_issuer naming both CAs") {
  auto leaf = testpki::issue(pki().other_root, leaf_spec("db", {"db.example.com"}));
  auto r = verify(leaf.pem(), "db.example.com");
  CHECK(r.outcome == Outcome::untrusted_issuer);
  CHECK(contains(r.message, "issued by CN=Other Root CA"));
  CHECK(contains(r.message, "your trust anchors are CN=Test Root CA"));
  CHECK(contains(r.message, "right environment's CA"));
}

TEST_CASE("a self-signed server certificate is untrusted_issuer") {
  auto self = testpki::make_root(leaf_spec("db", {"db.example.com"}));
  CHECK(verify(self.pem(), "db.example.com").outcome == Outcome::untrusted_issuer);
}

TEST_CASE("a host the certificate does not name is name_mismatch listing the names it has") {
  auto r = verify_leaf(leaf_spec("db", {"db.example.com", "db2.example.com"}), "other.example.com");
  CHECK(r.outcome == Outcome::name_mismatch);
  CHECK(contains(r.message, "does not name other.example.com"));
  CHECK(contains(r.message, "DNS:db.example.com, DNS:db2.example.com"));
}

TEST_CASE("a CN that matches does not help when the SANs do not") {
  auto r = verify_leaf(leaf_spec("db.example.com", {"other.example.com"}), "db.example.com");
  CHECK(r.outcome == Outcome::name_mismatch);
}

TEST_CASE("a certificate without SANs is not matched by its CN by default, and the refusal names the option") {
  auto r = verify_leaf(leaf_spec("db.example.com", {}), "db.example.com");
  CHECK(r.outcome == Outcome::name_mismatch);
  CHECK(contains(r.message, "only in the subject CN"));
  CHECK(contains(r.message, "allow_cn_fallback"));
  CHECK(contains(r.message, "--allow-cn-fallback"));
}

Report verify_with_cn_fallback(const std::string& presented, const std::string& host, const Trust& trust = pki().trust) {
  Policy policy = policy_for(host);
  policy.allow_cn_fallback = true;
  return verify_pem(presented, "", trust, policy);
}

TEST_CASE("allow_cn_fallback matches the CN of a certificate without any subjectAltName, as libpq does") {
  const auto leaf = testpki::issue(pki().root, leaf_spec("db.example.com", {})).pem();
  CHECK(verify_with_cn_fallback(leaf, "db.example.com").ok());
  CHECK(verify_with_cn_fallback(leaf, "DB.example.com.").ok());
  CHECK(verify_with_cn_fallback(leaf, "other.example.com").outcome == Outcome::name_mismatch);
  // A wildcard CN follows the SAN rules: one whole leftmost label.
  const auto wildcard = testpki::issue(pki().root, leaf_spec("*.example.com", {})).pem();
  CHECK(verify_with_cn_fallback(wildcard, "db.example.com").ok());
  CHECK(verify_with_cn_fallback(wildcard, "a.db.example.com").outcome == Outcome::name_mismatch);
}

TEST_CASE("allow_cn_fallback never applies when a subjectAltName exists, nor to an IP address") {
  // A SAN extension, even one without a DNS entry, means the CN is never consulted.
  const auto with_ip_san = testpki::issue(pki().root, leaf_spec("db.example.com", {}, {"10.0.0.1"})).pem();
  CHECK(verify_with_cn_fallback(with_ip_san, "db.example.com").outcome == Outcome::name_mismatch);
  const auto with_dns_san = testpki::issue(pki().root, leaf_spec("db.example.com", {"other.example.com"})).pem();
  CHECK(verify_with_cn_fallback(with_dns_san, "db.example.com").outcome == Outcome::name_mismatch);
  // An IP literal is matched against IP SANs only, even with the fallback.
  const auto ip_cn = testpki::issue(pki().root, leaf_spec("10.0.0.1", {})).pem();
  const auto r = verify_with_cn_fallback(ip_cn, "10.0.0.1");
  CHECK(r.outcome == Outcome::name_mismatch);
  CHECK(contains(r.message, "never matched against the CN"));
}

TEST_CASE("allow_cn_fallback refuses a subject with two CNs (ambiguous)") {
  auto spec = leaf_spec("", {});
  spec.subject_dn = "/CN=db.example.com/CN=evil.example.com";
  const auto leaf = testpki::issue(pki().root, spec).pem();
  CHECK(verify_with_cn_fallback(leaf, "db.example.com").outcome == Outcome::name_mismatch);
  CHECK(verify_with_cn_fallback(leaf, "evil.example.com").outcome == Outcome::name_mismatch);
}

// root -> CA that excludes bar.example.com (and an IP range) -> leaf
struct ConstrainedCa {
  testpki::Cert ca = [] {
    auto spec = ca_spec("Constrained CA");
    spec.name_constraints = "critical,excluded;DNS:bar.example.com,excluded;IP:10.9.0.0/255.255.0.0";
    return testpki::issue(pki().root, spec);
  }();
  std::string chain(const testpki::Spec& leaf) const { return testpki::issue(ca, leaf).pem() + ca.pem(); }
};

TEST_CASE("a wildcard SAN never escapes an excluded name constraint (CVE-2025-61727), in either profile") {
  ConstrainedCa nc;
  const auto chain = nc.chain(leaf_spec("*.example.com", {"*.example.com"}));
  for (Profile profile : {Profile::standard, Profile::strict}) {
    Policy policy = policy_for("bar.example.com");
    policy.profile = profile;
    const auto r = verify_pem(chain, "", pki().trust, policy);
    CHECK(r.outcome == Outcome::invalid_chain);
    CHECK(contains(r.message, "exclude bar.example.com"));
    policy.host = "foo.example.com";  // outside the excluded subtree: fine
    CHECK(verify_pem(chain, "", pki().trust, policy).ok());
  }
}

TEST_CASE("name constraints also bind a name taken from the CN, and IP addresses") {
  ConstrainedCa nc;
  CHECK(verify_with_cn_fallback(nc.chain(leaf_spec("bar.example.com", {})), "bar.example.com").outcome ==
        Outcome::invalid_chain);
  CHECK(verify_with_cn_fallback(nc.chain(leaf_spec("*.example.com", {})), "bar.example.com").outcome ==
        Outcome::invalid_chain);
  CHECK(verify_with_cn_fallback(nc.chain(leaf_spec("foo.example.com", {})), "foo.example.com").ok());
  CHECK(verify(nc.chain(leaf_spec("ip", {}, {"10.9.1.2"})), "10.9.1.2").outcome == Outcome::invalid_chain);
  CHECK(verify(nc.chain(leaf_spec("ip", {}, {"10.8.1.2"})), "10.8.1.2").ok());
}

TEST_CASE("a self-signed non-CA server certificate given as its own anchor verifies that server and nothing else") {
  auto not_ca = leaf_spec("db.example.com", {"db.example.com"});
  const auto self = testpki::make_root(not_ca);
  const auto trust = Trust::from_pem(self.pem());
  auto r = verify(self.pem(), "db.example.com", trust);
  CHECK_MESSAGE(r.ok(), r.message);
  CHECK(r.warnings.empty());
  // It is only an anchor for itself: the wrong name is refused, and so is any other
  // certificate its key signs (with its keyUsage, or with none).
  CHECK(verify(self.pem(), "other.example.com", trust).outcome == Outcome::name_mismatch);
  CHECK_FALSE(verify(testpki::issue(self, leaf_spec("evil", {"evil.example.com"})).pem(), "evil.example.com", trust).ok());
  auto no_usage = not_ca;
  no_usage.key_usage = false;
  const auto self_no_usage = testpki::make_root(no_usage);
  const auto trust_no_usage = Trust::from_pem(self_no_usage.pem());
  CHECK(verify(self_no_usage.pem(), "db.example.com", trust_no_usage).ok());
  CHECK_FALSE(verify(testpki::issue(self_no_usage, leaf_spec("evil", {"evil.example.com"})).pem(), "evil.example.com",
                     trust_no_usage)
                  .ok());
}

TEST_CASE("a self-signed CA:TRUE server certificate as its own anchor is a CA, and the report says so") {
  // What `openssl req -x509` makes by default: CA:TRUE, no keyUsage. libpq trusts it as
  // a CA; so does verifull, with a warning naming what that means.
  auto spec = ca_spec("db");
  spec.dns = {"db.example.com"};
  spec.key_usage = false;
  const auto self_ca = testpki::make_root(spec);
  const auto trust = Trust::from_pem(self_ca.pem());
  const auto r = verify(self_ca.pem(), "db.example.com", trust);
  REQUIRE_MESSAGE(r.ok(), r.message);
  bool warned = false;
  for (const auto& w : r.warnings) warned = warned || contains(w, "is its own anchor and a CA");
  CHECK(warned);
  // The same key signs a certificate for another name: it verifies, as with libpq.
  const auto other = testpki::issue(self_ca, leaf_spec("evil", {"evil.example.com"}));
  const auto other_report = verify(other.pem(), "evil.example.com", trust);
  CHECK_MESSAGE(other_report.ok(), other_report.message);
  // ca_spec's keyUsage (keyCertSign, cRLSign) does not allow TLS: as libpq, refused.
  auto with_usage = ca_spec("db");
  with_usage.dns = {"db.example.com"};
  with_usage.eku = {"serverAuth"};
  const auto ca_with_usage = testpki::make_root(with_usage);
  CHECK(verify(ca_with_usage.pem(), "db.example.com", Trust::from_pem(ca_with_usage.pem())).outcome == Outcome::bad_usage);
}

TEST_CASE("an anchor with the issuer's name but another key: the refusal says the keys differ") {
  const auto impostor_root = testpki::make_root(ca_spec("Test Root CA"));  // same name as pki().root
  const auto leaf = testpki::issue(pki().root, leaf_spec("db", {"db.example.com"}));
  const auto r = verify(leaf.pem(), "db.example.com", Trust::from_pem(impostor_root.pem()));
  CHECK(r.outcome == Outcome::untrusted_issuer);
  CHECK(contains(r.message, "has that name but a different key"));
  CHECK(contains(r.message, "CN=Test Root CA"));
}

TEST_CASE("a chain of more certificates than a server may present is refused before any engine runs") {
  const auto leaf = testpki::issue(pki().root, leaf_spec("db", {"db.example.com"})).pem();
  std::string extras;
  for (int i = 0; i < max_presented_certificates; ++i) extras += pki().intermediate.pem();
  const auto r = verify(leaf + extras, "db.example.com");
  CHECK(r.outcome == Outcome::invalid_chain);
  CHECK(contains(r.message, "at most " + std::to_string(max_presented_certificates)));
}

TEST_CASE("many intermediates that share one subject are decided without trying every ordering") {
  // 19 CAs named alike with distinct keys, none leading to the anchor: Botan 2's own
  // path builder tries every ordering (11 took 26 s); verifull's bounded search does not.
  std::vector<testpki::Cert> cas;
  cas.push_back(testpki::make_root(ca_spec("Same Name CA")));
  for (int i = 1; i < max_presented_certificates - 1; ++i) cas.push_back(testpki::issue(cas.back(), ca_spec("Same Name CA")));
  std::string chain = testpki::issue(cas.back(), leaf_spec("db", {"db.example.com"})).pem();
  for (auto it = cas.rbegin(); it != cas.rend(); ++it) chain += it->pem();
  // Refused (too long for OpenSSL's depth limit, no anchor for Botan), and it returns:
  // without the bound the Botan run would outlast the test's timeout by hours.
  const auto r = verify(chain, "db.example.com");
  CHECK(r.outcome != Outcome::ok);
  CHECK(r.outcome != Outcome::engines_disagree);
}

TEST_CASE("wildcards match exactly one whole leftmost label") {
  auto wildcard = testpki::issue(pki().root, leaf_spec("w", {"*.a.test"})).pem();
  CHECK(verify(wildcard, "x.a.test").ok());
  CHECK(verify(wildcard, "x.y.a.test").outcome == Outcome::name_mismatch);
  CHECK(verify(wildcard, "a.test").outcome == Outcome::name_mismatch);
  auto partial = testpki::issue(pki().root, leaf_spec("p", {"x*.a.test"})).pem();
  CHECK(verify(partial, "xy.a.test").outcome == Outcome::name_mismatch);
  CHECK(verify(partial, "x.a.test").outcome == Outcome::name_mismatch);
}

TEST_CASE("IP literals match IP SANs, v4 and v6") {
  auto leaf = testpki::issue(pki().root, leaf_spec("db", {"db.example.com"}, {"127.0.0.1", "::1"})).pem();
  CHECK(verify(leaf, "127.0.0.1").ok());
  CHECK(verify(leaf, "::1").ok());
  CHECK(verify(leaf, "[::1]").ok());
  CHECK(verify(leaf, "0:0:0:0:0:0:0:1").ok());
  auto r = verify(leaf, "127.0.0.2");
  CHECK(r.outcome == Outcome::name_mismatch);
  CHECK(contains(r.message, "IP:127.0.0.1"));
}

TEST_CASE("an IP literal found only in a DNS SAN or the CN is name_mismatch") {
  CHECK(verify_leaf(leaf_spec("10.1.2.3", {"10.1.2.3"}), "10.1.2.3").outcome == Outcome::name_mismatch);
  CHECK(verify_leaf(leaf_spec("10.1.2.3", {"db.example.com"}), "10.1.2.3").outcome == Outcome::name_mismatch);
}

TEST_CASE("an expired leaf is expired, and verifies at a time inside its validity") {
  auto spec = leaf_spec("db", {"db.example.com"});
  spec.not_before = -10L * 86400;
  spec.not_after = -86400;
  auto leaf = testpki::issue(pki().root, spec).pem();
  auto r = verify(leaf, "db.example.com");
  CHECK(r.outcome == Outcome::expired);
  CHECK(contains(r.message, "the server certificate CN=db expired on"));
  Policy at_past = policy_for("db.example.com");
  at_past.verification_time = static_cast<std::int64_t>(std::time(nullptr)) - 5L * 86400;
  CHECK(verify_pem(leaf, "", pki().trust, at_past).ok());
}

TEST_CASE("a leaf that is not yet valid is not_yet_valid") {
  auto spec = leaf_spec("db", {"db.example.com"});
  spec.not_before = 86400;
  auto r = verify_leaf(spec, "db.example.com");
  CHECK(r.outcome == Outcome::not_yet_valid);
  CHECK(contains(r.message, "clock"));
}

TEST_CASE("an expired intermediate is expired and names the CA certificate") {
  auto spec = ca_spec("Expired Intermediate");
  spec.not_before = -10L * 86400;
  spec.not_after = -86400;
  auto ica = testpki::issue(pki().root, spec);
  auto leaf = testpki::issue(ica, leaf_spec("db", {"db.example.com"}));
  auto r = verify(leaf.pem() + ica.pem(), "db.example.com");
  CHECK(r.outcome == Outcome::expired);
  CHECK(contains(r.message, "the CA certificate CN=Expired Intermediate"));
}

TEST_CASE("an intermediate with CA:FALSE cannot issue: invalid_chain") {
  auto spec = leaf_spec("Not A CA", {"ica.example.com"});
  spec.eku = {};
  auto not_ca = testpki::issue(pki().root, spec);
  auto leaf = testpki::issue(not_ca, leaf_spec("db", {"db.example.com"}));
  auto r = verify(leaf.pem() + not_ca.pem(), "db.example.com");
  CHECK(r.outcome == Outcome::invalid_chain);
  CHECK(contains(r.message, "CN=Not A CA"));
}

TEST_CASE("a clientAuth-only leaf is bad_usage") {
  auto spec = leaf_spec("db", {"db.example.com"});
  spec.eku = {"clientAuth"};
  auto r = verify_leaf(spec, "db.example.com");
  CHECK(r.outcome == Outcome::bad_usage);
  CHECK(contains(r.message, "TLS Web Client Authentication"));
}

TEST_CASE("a SHA-1 signed leaf is weak_crypto") {
  auto spec = leaf_spec("db", {"db.example.com"});
  spec.digest = "SHA1";
  auto r = verify_leaf(spec, "db.example.com");
  CHECK(r.outcome == Outcome::weak_crypto);
}

TEST_CASE("an RSA-1024 leaf is weak_crypto, an RSA-2048 leaf is fine") {
  auto spec = leaf_spec("db", {"db.example.com"});
  spec.key = testpki::KeyKind::rsa_1024;
  auto r = verify_leaf(spec, "db.example.com");
  CHECK(r.outcome == Outcome::weak_crypto);
  CHECK(contains(r.message, "1024"));
  spec.key = testpki::KeyKind::rsa_2048;
  CHECK(verify_leaf(spec, "db.example.com").ok());
}

TEST_CASE("an EC P-224 leaf is weak_crypto (below the P-256 floor)") {
  auto spec = leaf_spec("db", {"db.example.com"});
  spec.key = testpki::KeyKind::ec_p224;
  auto r = verify_leaf(spec, "db.example.com");
  CHECK(r.outcome == Outcome::weak_crypto);
  CHECK(contains(r.message, "EC 224-bit key"));
}

TEST_CASE("an intermediate given as the only anchor does not make a partial chain") {
  auto leaf = testpki::issue(pki().intermediate, leaf_spec("db", {"db.example.com"}));
  auto trust = Trust::from_pem(pki().intermediate.pem());
  CHECK(verify(leaf.pem(), "db.example.com", trust).outcome == Outcome::untrusted_issuer);
  CHECK_FALSE(trust.warnings(std::time(nullptr)).empty());
}

TEST_CASE("a CA-issued leaf given as the anchor is refused as input") {
  auto leaf = testpki::issue(pki().root, leaf_spec("db", {"db.example.com"}));
  CHECK_THROWS_WITH_AS(Trust::from_pem(leaf.pem()), doctest::Contains("is not a CA certificate"), InputError);
}

TEST_CASE("pins: the leaf's or the CA's key matches, another key is pin_mismatch") {
  auto leaf = testpki::issue(pki().root, leaf_spec("db", {"db.example.com"}));
  auto ok = verify(leaf.pem(), "db.example.com");
  REQUIRE(ok.ok());
  const auto leaf_pin = ok.chain[0].spki_sha256;
  const auto ca_pin = pki().trust.anchors()[0].spki_sha256;
  CHECK(verify(leaf.pem(), "db.example.com", pki().trust, {leaf_pin}).ok());
  CHECK(verify(leaf.pem(), "db.example.com", pki().trust, {ca_pin}).ok());
  auto other = testpki::issue(pki().root, leaf_spec("db", {"db.example.com"}));
  const auto other_pin = verify(other.pem(), "db.example.com").chain[0].spki_sha256;
  auto r = verify(leaf.pem(), "db.example.com", pki().trust, {other_pin});
  CHECK(r.outcome == Outcome::pin_mismatch);
  CHECK(contains(r.message, leaf_pin));
  // Any one of several pins is enough.
  CHECK(verify(leaf.pem(), "db.example.com", pki().trust, {other_pin, leaf_pin}).ok());
}

TEST_CASE("a pin never rescues an untrusted chain") {
  auto impostor = testpki::issue(pki().other_root, leaf_spec("db", {"db.example.com"}));
  auto facts = verify(impostor.pem(), "db.example.com");
  auto r = verify(impostor.pem(), "db.example.com", pki().trust, {facts.chain[0].spki_sha256});
  CHECK(r.outcome == Outcome::untrusted_issuer);
}

TEST_CASE("malformed pins, hosts and times are input errors") {
  auto leaf = testpki::issue(pki().root, leaf_spec("db", {"db.example.com"})).pem();
  CHECK_THROWS_AS(verify(leaf, "db.example.com", pki().trust, {"sha1/abc"}), InputError);
  CHECK_THROWS_AS(verify(leaf, "db.example.com", pki().trust, {"sha256/tooshort="}), InputError);
  CHECK_THROWS_AS(verify(leaf, ""), InputError);
  CHECK_THROWS_AS(verify(leaf, "bad host"), InputError);
  CHECK_THROWS_AS(verify(leaf, "a..b"), InputError);
  CHECK_THROWS_AS(verify(leaf, "999.1.1.1"), InputError);
  CHECK_THROWS_AS(parse_rfc3339("2024-13-01T00:00:00Z"), InputError);
  CHECK_THROWS_AS(parse_rfc3339("2024-01-01 00:00:00"), InputError);
  CHECK_THROWS_AS(parse_rfc3339("2024-01-01T00:00:00"), InputError);
  CHECK(parse_rfc3339("1970-01-02T00:00:00Z") == 86400);
  CHECK(parse_rfc3339("1970-01-02T01:00:00+01:00") == 86400);
  CHECK(parse_rfc3339("2024-02-29T12:00:00.123Z") == 1709208000);
}

TEST_CASE("a rotation bundle with the old and the new CA accepts leaves of both") {
  auto new_root = testpki::make_root(ca_spec("Test Root CA 2"));
  auto bundle = Trust::from_pem(pki().root.pem() + "# rotation\n" + new_root.pem());
  CHECK(bundle.anchors().size() == 2);
  CHECK(verify(testpki::issue(pki().root, leaf_spec("a", {"db.example.com"})).pem(), "db.example.com", bundle).ok());
  CHECK(verify(testpki::issue(new_root, leaf_spec("b", {"db.example.com"})).pem(), "db.example.com", bundle).ok());
  auto combined = Trust::combine({pki().trust, Trust::from_pem(new_root.pem())});
  CHECK(combined.anchors().size() == 2);
}

TEST_CASE("max_intermediates limits the chain length") {
  auto leaf = testpki::issue(pki().intermediate, leaf_spec("db", {"db.example.com"}));
  Policy p = policy_for("db.example.com");
  p.max_intermediates = 0;
  CHECK_FALSE(verify_pem(leaf.pem() + pki().intermediate.pem(), "", pki().trust, p).ok());
  p.max_intermediates = 1;
  CHECK(verify_pem(leaf.pem() + pki().intermediate.pem(), "", pki().trust, p).ok());
}

TEST_CASE("the report names the engines that decided") {
  auto leaf = testpki::issue(pki().root, leaf_spec("db", {"db.example.com"})).pem();
  auto r = verify(leaf, "db.example.com");
  const std::vector<std::string> expected =
      engine_under_test() == Engine::both ? std::vector<std::string>{"openssl", "botan"}
                                          : std::vector<std::string>{engine_name(engine_under_test())};
  REQUIRE(r.engines.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(r.engines[i].engine == expected[i]);
    CHECK(r.engines[i].outcome == Outcome::ok);
  }
  CHECK_THROWS_AS(parse_engine("gnutls"), InputError);
}

TEST_CASE("a CA certificate presented as the server's certificate is refused") {
  auto spec = ca_spec("db.example.com");
  spec.dns = {"db.example.com"};
  auto r = verify_leaf(spec, "db.example.com");
  CHECK_FALSE(r.ok());
}

// ---- several paths: verifull builds the candidates and each engine judges them -------

namespace {

// A CA that exists twice with one key and one name ("Rotation CA"): `bad` as the
// server sends it first, `good` after it. The leaf verifies through `good` only.
struct TwoPaths {
  testpki::Cert good;
  testpki::Cert bad;
  std::string chain() const {
    return testpki::issue(good, leaf_spec("db", {"db.example.com"})).pem() + bad.pem() + good.pem();
  }
};

TwoPaths two_paths(const testpki::Cert& bad_issuer, testpki::Spec bad_spec) {
  TwoPaths p;
  p.good = testpki::issue(pki().root, ca_spec("Rotation CA"));
  bad_spec.cn = "Rotation CA";
  bad_spec.same_key = p.good.key;
  p.bad = testpki::issue(bad_issuer, bad_spec);
  return p;
}

}  // namespace

TEST_CASE("an intermediate whose extendedKeyUsage is emailProtection only is bad_usage in every engine") {
  auto spec = ca_spec("Mail CA");
  spec.eku = {"emailProtection"};
  const auto mail_ca = testpki::issue(pki().root, spec);
  const auto leaf = testpki::issue(mail_ca, leaf_spec("db", {"db.example.com"}));
  const auto r = verify(leaf.pem() + mail_ca.pem(), "db.example.com");
  CHECK(r.outcome == Outcome::bad_usage);
  CHECK(contains(r.message, "the CA certificate CN=Mail CA is not allowed for TLS server authentication"));
  CHECK(contains(r.message, "E-mail Protection"));
  // With serverAuth beside it, the CA may vouch for servers.
  spec.eku = {"emailProtection", "serverAuth"};
  const auto mixed_ca = testpki::issue(pki().root, spec);
  CHECK(verify(testpki::issue(mixed_ca, leaf_spec("db", {"db.example.com"})).pem() + mixed_ca.pem(), "db.example.com").ok());
}

TEST_CASE("a root anchor whose extendedKeyUsage is emailProtection only is bad_usage, as OpenSSL (and libpq) decide") {
  auto spec = ca_spec("Mail Root");
  spec.eku = {"emailProtection"};
  const auto mail_root = testpki::make_root(spec);
  const auto r = verify(testpki::issue(mail_root, leaf_spec("db", {"db.example.com"})).pem(), "db.example.com",
                        Trust::from_pem(mail_root.pem()));
  CHECK(r.outcome == Outcome::bad_usage);
  CHECK(contains(r.message, "the CA certificate CN=Mail Root is not allowed for TLS server authentication"));
  // OpenSSL refuses it by itself (so libpq does), not by verifull's rule on top.
  REQUIRE_FALSE(r.engines.empty());
  if (r.engines.front().engine == "openssl") CHECK(r.engines.front().detail == "unsuitable certificate purpose");
}

TEST_CASE("an intermediate whose extendedKeyUsage is anyExtendedKeyUsage only is refused, as OpenSSL refuses it") {
  auto spec = ca_spec("Any CA");
  spec.eku = {"anyExtendedKeyUsage"};
  const auto any_ca = testpki::issue(pki().root, spec);
  const auto r = verify(testpki::issue(any_ca, leaf_spec("db", {"db.example.com"})).pem() + any_ca.pem(), "db.example.com");
  CHECK(r.outcome == Outcome::bad_usage);
  CHECK(contains(r.message, "CN=Any CA"));
  // The same rule for the server certificate itself, in every engine.
  auto any_leaf = leaf_spec("db", {"db.example.com"});
  any_leaf.eku = {"anyExtendedKeyUsage"};
  CHECK(verify_leaf(any_leaf, "db.example.com").outcome == Outcome::bad_usage);
}

TEST_CASE("a CA rotation: the server sends the old cross-signed CA first, only the new root is an anchor") {
  const auto old_root = testpki::make_root(ca_spec("Old Root CA"));
  const auto p = two_paths(old_root, ca_spec(""));
  const auto r = verify(p.chain(), "db.example.com");
  CHECK_MESSAGE(r.ok(), r.message);
  CHECK(r.anchor == "CN=Test Root CA");
  // With the old root as the only anchor, the old path is the valid one.
  CHECK(verify(p.chain(), "db.example.com", Trust::from_pem(old_root.pem())).ok());
}

TEST_CASE("an expired cross-sign next to a valid path to a root is accepted") {
  const auto old_root = testpki::make_root(ca_spec("Old Root CA"));
  auto expired = ca_spec("");
  expired.not_before = -100L * 86400;
  expired.not_after = -10L * 86400;
  const auto p = two_paths(old_root, expired);
  const auto both_roots = Trust::from_pem(old_root.pem() + pki().root.pem());
  const auto r = verify(p.chain(), "db.example.com", both_roots);
  CHECK_MESSAGE(r.ok(), r.message);
  // The expired path alone: refused as expired, naming the cross-sign.
  const auto leaf = testpki::issue(p.good, leaf_spec("db", {"db.example.com"}));
  const auto alone = verify(leaf.pem() + p.bad.pem(), "db.example.com", Trust::from_pem(old_root.pem()));
  CHECK(alone.outcome == Outcome::expired);
  CHECK(contains(alone.message, "the CA certificate CN=Rotation CA expired"));
}

TEST_CASE("a path refused for its CA's extendedKeyUsage next to a clean one is accepted") {
  auto mail = ca_spec("");
  mail.eku = {"emailProtection"};
  const auto p = two_paths(pki().root, mail);
  const auto r = verify(p.chain(), "db.example.com");
  CHECK_MESSAGE(r.ok(), r.message);
}

TEST_CASE("a path refused by a name constraint next to a clean one is accepted") {
  auto constrained = ca_spec("");
  constrained.name_constraints = "critical,excluded;DNS:db.example.com";
  const auto p = two_paths(pki().root, constrained);
  const auto r = verify(p.chain(), "db.example.com");
  CHECK_MESSAGE(r.ok(), r.message);
}

TEST_CASE("when no candidate path is valid the chain is refused with the first path's reason") {
  auto mail = ca_spec("Rotation CA");
  mail.eku = {"emailProtection"};
  auto constrained = ca_spec("Rotation CA");
  constrained.name_constraints = "critical,excluded;DNS:db.example.com";
  const auto first = testpki::issue(pki().root, mail);
  constrained.same_key = first.key;
  const auto second = testpki::issue(pki().root, constrained);
  const auto leaf = testpki::issue(first, leaf_spec("db", {"db.example.com"}));
  const auto r = verify(leaf.pem() + first.pem() + second.pem(), "db.example.com");
  CHECK(r.outcome == Outcome::bad_usage);
  CHECK(contains(r.message, "CN=Rotation CA"));
}

TEST_CASE("many CAs of two names without key identifiers: the path search stops at its budget, fast, and says so") {
  // "Loop CA A" and "Loop CA B" issue each other, 7 of each with distinct keys: by
  // names alone any B may have issued any A and the other way round, so the candidate
  // paths grow as the orderings do; none leads to the anchor.
  auto loop = ca_spec("Loop CA A");
  loop.key_identifiers = false;
  std::vector<testpki::Cert> cas = {testpki::make_root(loop)};
  for (int i = 1; i < 14; ++i) {
    loop.cn = i % 2 ? "Loop CA B" : "Loop CA A";
    cas.push_back(testpki::issue(cas.back(), loop));
  }
  auto leaf_of_loop = leaf_spec("db", {"db.example.com"});
  leaf_of_loop.key_identifiers = false;
  std::string chain = testpki::issue(cas.back(), leaf_of_loop).pem();
  for (std::size_t i = 1; i < cas.size(); ++i) chain += cas[i].pem();
  const auto start = std::clock();
  const auto r = verify(chain, "db.example.com");
  const double seconds = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  CHECK(r.outcome == Outcome::invalid_chain);
  CHECK_MESSAGE(contains(r.message, "verifull stopped building certificate paths"), r.message);
  CHECK(seconds < 5.0);
}

TEST_CASE("a pin on the anchor of the second valid path: that path is the verified one") {
  // The CA cross-signed by two trusted roots: both paths are valid; only the second
  // holds the pinned key, and the report names its anchor.
  const auto second_root = testpki::make_root(ca_spec("Second Root CA"));
  const auto p = two_paths(pki().root, ca_spec(""));
  auto cross = ca_spec("Rotation CA");
  cross.same_key = p.good.key;
  const auto by_second = testpki::issue(second_root, cross);
  const auto leaf = testpki::issue(p.good, leaf_spec("db", {"db.example.com"}));
  const auto both_roots = Trust::from_pem(pki().root.pem() + second_root.pem());
  const auto second_pin = Trust::from_pem(second_root.pem()).anchors()[0].spki_sha256;
  const auto r = verify(leaf.pem() + p.good.pem() + by_second.pem(), "db.example.com", both_roots, {second_pin});
  CHECK_MESSAGE(r.ok(), r.message);
  CHECK(r.anchor == "CN=Second Root CA");
  // A pin that no path holds is still pin_mismatch.
  const auto other_pin = Trust::from_pem(pki().other_root.pem()).anchors()[0].spki_sha256;
  CHECK(verify(leaf.pem() + p.good.pem() + by_second.pem(), "db.example.com", both_roots, {other_pin}).outcome ==
        Outcome::pin_mismatch);
}
