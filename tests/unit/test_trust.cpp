// Loading trust anchors: every bad input is a clear InputError, never a crash and
// never an empty (trust-nothing or trust-everything) store.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <functional>
#include <thread>

#include "test_pki.hpp"
#include "verifull/verifull.hpp"

using namespace verifull;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/verifull-trust-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { (void)!system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string& name, const std::string& content) const {
    testpki::write_file(path + "/" + name, content);
    return path + "/" + name;
  }
};

const testpki::Cert& root() {
  static auto r = testpki::make_root(testpki::ca_spec("Trust Test CA"));
  return r;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("anchors load from a file, a PEM string, an environment variable, with facts") {
  TempDir dir;
  const auto path = dir.file("ca.pem", root().pem());
  auto from_file = Trust::from_file(path);
  REQUIRE(from_file.anchors().size() == 1);
  const auto& a = from_file.anchors()[0];
  CHECK(a.subject == "CN=Trust Test CA");
  CHECK(a.sha256.size() == 95);
  CHECK(a.spki_sha256.rfind("sha256/", 0) == 0);
  CHECK(a.self_signed);
  CHECK(a.not_after_unix > std::time(nullptr));
  CHECK(contains(from_file.source(), path));

  CHECK(Trust::from_pem(root().pem()).anchors()[0].sha256 == a.sha256);
  setenv("VERIFULL_TEST_CA", root().pem().c_str(), 1);
  CHECK(Trust::from_env("VERIFULL_TEST_CA").anchors()[0].sha256 == a.sha256);
  CHECK(Trust::from_spec("env:VERIFULL_TEST_CA").anchors()[0].sha256 == a.sha256);
  CHECK(Trust::from_spec(path).anchors()[0].sha256 == a.sha256);
  // The PEM the library hands to drivers round-trips.
  CHECK(Trust::from_pem(from_file.pem()).anchors()[0].sha256 == a.sha256);
}

TEST_CASE("a bundle keeps each CA once and tolerates comments and CRLF line ends") {
  auto second = testpki::make_root(testpki::ca_spec("Second CA"));
  std::string crlf;
  for (char c : second.pem()) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  auto t = Trust::from_pem("# Trust Test CA\n" + root().pem() + "\n" + root().pem() + crlf);
  CHECK(t.anchors().size() == 2);
}

TEST_CASE("a missing file, a directory and an empty file are input errors naming the path") {
  TempDir dir;
  CHECK(contains(error_of([&] { Trust::from_file(dir.path + "/nope.pem"); }), "No such file"));
  CHECK(contains(error_of([&] { Trust::from_file(dir.path); }), "is a directory"));
  const auto empty = dir.file("empty.pem", "");
  const auto msg = error_of([&] { Trust::from_file(empty); });
  CHECK(contains(msg, "is empty"));
  CHECK(contains(msg, empty));
  CHECK(contains(error_of([&] { Trust::from_file(""); }), "empty path"));
}

TEST_CASE("text without any certificate is an input error") {
  CHECK(contains(error_of([] { Trust::from_pem("hello, I am not a CA\n"); }), "contains no PEM certificate"));
}

TEST_CASE("truncated PEM is an input error with the line") {
  const auto pem = root().pem();
  const auto cut = pem.substr(0, pem.size() / 2);
  const auto msg = error_of([&] { Trust::from_pem(cut); });
  CHECK(contains(msg, "no END line"));
  CHECK(contains(msg, "line 1"));
  // Truncated in the middle of a base64 line, then properly terminated.
  const auto end = pem.find("-----END");
  auto mangled = pem.substr(0, end - 10) + "\n" + pem.substr(end);
  CHECK(contains(error_of([&] { Trust::from_pem(mangled); }), "invalid base64"));
}

TEST_CASE("garbled base64 and a certificate whose DER does not parse are input errors") {
  auto pem = root().pem();
  pem[40] = '!';
  CHECK(contains(error_of([&] { Trust::from_pem(pem); }), "invalid base64"));
  CHECK(contains(error_of([] {
          Trust::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        }),
        "not a valid X.509 certificate"));
  CHECK(contains(error_of([] { Trust::from_pem("\x30\x82\x01\x00 binary DER"); }), "binary"));
}

TEST_CASE("a private key is refused, named as such, and never echoed") {
  auto leaf = testpki::issue(root(), testpki::leaf_spec("db", {"db.example.com"}));
  const auto key_pem = leaf.key_pem();
  // A line of the key's base64 that must not appear in the message.
  const auto key_line = key_pem.substr(key_pem.find('\n') + 1, 40);
  for (const auto& input : {key_pem, root().pem() + key_pem, key_pem.substr(0, key_pem.size() / 2)}) {
    const auto msg = error_of([&] { Trust::from_pem(input); });
    CHECK(contains(msg, "PRIVATE KEY"));
    CHECK_FALSE(contains(msg, key_line));
  }
  CHECK(contains(error_of([&] { Trust::from_pem(root().pem() + key_pem); }), "contains a private key"));
}

TEST_CASE("other PEM blocks (a CSR, a public key) are input errors naming the block") {
  CHECK(contains(error_of([] {
          Trust::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        }),
        "\"PUBLIC KEY\" PEM block"));
}

TEST_CASE("a CA-issued server certificate as an anchor is an input error") {
  auto leaf = testpki::issue(root(), testpki::leaf_spec("db", {"db.example.com"}));
  const auto error = error_of([&] { Trust::from_pem(leaf.pem()); });
  CHECK(contains(error, "is not a CA certificate"));
  CHECK(contains(error, "not the server's certificate itself"));
}

TEST_CASE("a self-signed certificate without CA:TRUE is an anchor for itself only") {
  auto spec = testpki::ca_spec("No Basic Constraints");
  spec.basic_constraints = false;
  const auto self = testpki::make_root(spec);
  const auto trust = Trust::from_pem(self.pem());
  REQUIRE(trust.anchors().size() == 1);
  CHECK(trust.anchors()[0].self_signed);
  CHECK_FALSE(trust.anchors()[0].is_ca);
  // It cannot issue: a leaf it signed is refused, by every engine.
  auto leaf = testpki::issue(self, testpki::leaf_spec("db", {"db.example.com"}));
  for (Engine engine : {Engine::openssl, Engine::botan, Engine::both}) {
    Policy policy;
    policy.host = "db.example.com";
    policy.engine = engine;
    CHECK_FALSE(verify_pem(leaf.pem(), "", trust, policy).ok());
  }
}

TEST_CASE("an intermediate in a bundle with its root gives no \"not self-signed\" warning") {
  auto intermediate = testpki::issue(root(), testpki::ca_spec("Bundle Intermediate"));
  const auto alone = Trust::from_pem(intermediate.pem());
  REQUIRE(alone.warnings(std::time(nullptr)).size() == 1);
  CHECK(contains(alone.warnings(std::time(nullptr))[0], "is not self-signed"));
  const auto with_root = Trust::from_pem(intermediate.pem() + root().pem());
  CHECK(with_root.warnings(std::time(nullptr)).empty());
}

TEST_CASE("a file over the size limit is an input error") {
  TempDir dir;
  const auto big = dir.file("big.pem", std::string(Trust::max_input_bytes + 1, '#'));
  CHECK(contains(error_of([&] { Trust::from_file(big); }), "larger than"));
  CHECK(contains(error_of([] { Trust::from_pem(std::string(Trust::max_input_bytes + 1, '#')); }), "larger than"));
}

TEST_CASE("an unset environment variable is an input error") {
  unsetenv("VERIFULL_TEST_UNSET");
  CHECK(contains(error_of([] { Trust::from_env("VERIFULL_TEST_UNSET"); }), "is not set"));
}

TEST_CASE("anchors that expired or expire within 30 days give warnings") {
  auto soon = testpki::ca_spec("Expiring CA");
  soon.not_after = 5L * 86400;
  auto gone = testpki::ca_spec("Expired CA");
  gone.not_before = -100L * 86400;
  gone.not_after = -86400;
  auto t = Trust::from_pem(testpki::make_root(soon).pem() + testpki::make_root(gone).pem() + root().pem());
  const auto warnings = t.warnings(std::time(nullptr));
  REQUIRE(warnings.size() == 2);
  CHECK(contains(warnings[0], "Expiring CA expires on"));
  CHECK(contains(warnings[1], "Expired CA expired on"));
}

TEST_CASE("expiry warnings are computed without overflow at any time") {
  const auto t = Trust::from_pem(root().pem());
  CHECK(t.warnings(INT64_MIN).empty());
  REQUIRE(t.warnings(INT64_MAX).size() == 1);
  CHECK(contains(t.warnings(INT64_MAX)[0], "expired"));
}

// Loading only screens the anchors; the OpenSSL engine's store gets the ones a chain
// can end at when that chain is verified (src/core/anchor.hpp). These cases would fail
// if it got too few.
namespace {

std::string many_roots(int count, const std::string& prefix) {
  std::string pem;
  for (int i = 0; i < count; ++i) pem += testpki::make_root(testpki::ca_spec(prefix + std::to_string(i))).pem();
  return pem;
}

Report verify_with(const testpki::Cert& leaf, const std::string& extra, const Trust& trust, Engine engine) {
  Policy policy;
  policy.host = "db.example.com";
  policy.engine = engine;
  return verify_pem(leaf.pem(), extra, trust, policy);
}

}  // namespace

TEST_CASE("a chain ending at an anchor that another anchor issued verifies, up to the root") {
  // The provider's intermediate and root are both in the bundle, far apart; the server
  // sends its leaf only. Chain building must find the intermediate, then its root.
  const auto root = testpki::make_root(testpki::ca_spec("Lazy Root"));
  const auto intermediate = testpki::issue(root, testpki::ca_spec("Lazy Intermediate"));
  const auto leaf = testpki::issue(intermediate, testpki::leaf_spec("db", {"db.example.com"}));
  const auto trust = Trust::from_pem(intermediate.pem() + many_roots(20, "Filler ") + root.pem());
  for (Engine engine : {Engine::openssl, Engine::botan, Engine::both}) {
    const auto report = verify_with(leaf, "", trust, engine);
    CHECK_MESSAGE(report.ok(), report.message);
    // OpenSSL trusts a chain that ends at a self-signed root; Botan stops at the first
    // anchor. Either way an anchor of this bundle, never the filler.
    CHECK((report.anchor == "CN=Lazy Root" || report.anchor == "CN=Lazy Intermediate"));
  }
}

TEST_CASE("anchors sharing a name (a CA re-created with a new key) each verify their own chains") {
  const auto old_ca = testpki::make_root(testpki::ca_spec("Same Name CA"));
  const auto new_ca = testpki::make_root(testpki::ca_spec("Same Name CA"));
  const auto old_leaf = testpki::issue(old_ca, testpki::leaf_spec("db", {"db.example.com"}));
  const auto new_leaf = testpki::issue(new_ca, testpki::leaf_spec("db", {"db.example.com"}));
  const auto trust = Trust::from_pem(old_ca.pem() + many_roots(5, "Other ") + new_ca.pem());
  for (Engine engine : {Engine::openssl, Engine::botan}) {
    // The newer anchor first: the store must hold both once the first chain is seen.
    CHECK(verify_with(new_leaf, "", trust, engine).ok());
    CHECK(verify_with(old_leaf, "", trust, engine).ok());
  }
  // With only the old one, the new leaf is refused, and the message says the keys differ.
  const auto report = verify_with(new_leaf, "", Trust::from_pem(old_ca.pem()), Engine::openssl);
  CHECK(report.outcome == Outcome::untrusted_issuer);
  CHECK(contains(report.message, "different key"));
}

TEST_CASE("threads verifying with one freshly loaded bundle all get the same answers") {
  const auto root = testpki::make_root(testpki::ca_spec("Threaded Root"));
  const auto leaf = testpki::issue(root, testpki::leaf_spec("db", {"db.example.com"}));
  const auto stranger = testpki::issue(testpki::make_root(testpki::ca_spec("Stranger")),
                                       testpki::leaf_spec("db", {"db.example.com"}));
  const auto trust = Trust::from_pem(many_roots(10, "Crowd ") + root.pem() + many_roots(10, "More "));
  std::vector<std::thread> threads;
  std::vector<int> good(8, 0), refused(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        good[t] += verify_with(leaf, "", trust, Engine::openssl).ok() ? 1 : 0;
        refused[t] += verify_with(stranger, "", trust, Engine::openssl).ok() ? 0 : 1;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t) {
    CHECK(good[t] == 20);
    CHECK(refused[t] == 20);
  }
}

TEST_CASE("a CA certificate with a malformed extension is an input error naming the certificate and the extension") {
  // Each would load, and OpenSSL would then mark the certificate invalid: every chain to
  // it refused as if it were another environment's CA.
  struct Case {
    int nid;
    std::string der;
    const char* named;
  };
  const std::string asn1_null("\x05\x00", 2);
  const std::string sequence_of_integer("\x30\x03\x02\x01\x01", 5);
  for (const auto& c : {Case{NID_subject_key_identifier, asn1_null, "X509v3 Subject Key Identifier"},
                        Case{NID_ext_key_usage, sequence_of_integer, "X509v3 Extended Key Usage"},
                        Case{NID_name_constraints, asn1_null, "X509v3 Name Constraints"},
                        Case{NID_authority_key_identifier, asn1_null, "X509v3 Authority Key Identifier"}}) {
    auto spec = testpki::ca_spec("Malformed CA");
    spec.key_identifiers = false;  // so the raw one is the only one
    spec.raw_extensions = {{c.nid, c.der, false}};
    const auto bad = testpki::make_root(spec);
    const std::string good = root().pem();
    const int bad_line = static_cast<int>(std::count(good.begin(), good.end(), '\n')) + 1;
    const auto error = error_of([&] { Trust::from_pem(good + bad.pem(), "bundle.pem"); });
    CHECK_MESSAGE(contains(error, "bundle.pem line " + std::to_string(bad_line) + " (CN=Malformed CA)"), error);
    CHECK_MESSAGE(contains(error, std::string("malformed ") + c.named + " extension"), error);
  }
  // The same extension twice is refused as such.
  auto twice = testpki::ca_spec("Twice CA");
  twice.raw_extensions = {{NID_subject_key_identifier, std::string("\x04\x02\xab\xcd", 4), false}};
  const auto error = error_of([&] { Trust::from_pem(testpki::make_root(twice).pem(), "bundle.pem"); });
  CHECK_MESSAGE(contains(error, "X509v3 Subject Key Identifier extension more than once"), error);
}

TEST_CASE("narrowing for a driver keeps the anchors a path through the chosen one needs") {
  // Root and intermediate in the bundle among others; the server sends its leaf only.
  // A driver verifies with OpenSSL without partial chains (as verifull's OpenSSL engine
  // does), so the narrowed set must still lead from the leaf to the root.
  const auto root = testpki::make_root(testpki::ca_spec("Narrow Root"));
  const auto intermediate = testpki::issue(root, testpki::ca_spec("Narrow Intermediate"));
  const auto leaf = testpki::issue(intermediate, testpki::leaf_spec("db", {"db.example.com"}));
  const auto trust = Trust::from_pem(many_roots(5, "Filler ") + intermediate.pem() + root.pem() + many_roots(5, "More "));
  const auto subjects = [](const Trust& t) {
    std::vector<std::string> out;
    for (const auto& a : t.anchors()) out.push_back(a.subject);
    return out;
  };
  for (Engine engine : {Engine::openssl, Engine::botan}) {  // OpenSSL ends at the root, Botan may stop earlier
    const auto report = verify_with(leaf, "", trust, engine);
    REQUIRE_MESSAGE(report.ok(), report.message);
    const Trust narrow = trust.narrowed({report.anchor_sha256});
    CHECK(subjects(narrow) == std::vector<std::string>{"CN=Narrow Intermediate", "CN=Narrow Root"});
    const auto as_a_driver = verify_with(leaf, "", narrow, Engine::openssl);
    CHECK_MESSAGE(as_a_driver.ok(), as_a_driver.message);
  }
  // A root alone when nothing in the set was issued under it.
  const auto other_leaf = testpki::issue(root, testpki::leaf_spec("db", {"db.example.com"}));
  const auto roots_only = Trust::from_pem(many_roots(5, "Filler ") + root.pem());
  const auto direct = verify_with(other_leaf, "", roots_only, Engine::openssl);
  REQUIRE(direct.ok());
  CHECK(subjects(roots_only.narrowed({direct.anchor_sha256})) == std::vector<std::string>{"CN=Narrow Root"});
  // An intermediate whose root is not in the set leads nowhere a driver can verify: the
  // whole set, never a subset that cannot work.
  const auto orphan = Trust::from_pem(many_roots(3, "Filler ") + intermediate.pem());
  const std::string intermediate_sha256 = orphan.anchors().back().sha256;
  CHECK(orphan.narrowed({intermediate_sha256}).anchors().size() == orphan.anchors().size());
}
