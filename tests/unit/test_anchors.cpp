// The anchor screen (src/core/anchor.cpp) against OpenSSL itself: loading reads
// certificates without decoding their keys, and must accept and refuse exactly what a
// full d2i_X509 with X509_check_ca / self-signed would. Checked on every certificate
// of x509-limbo (thousands of odd encodings and extensions) and on the test PKI.
#include <doctest/doctest.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/anchor.hpp"
#include "core/cert_facts.hpp"
#include "test_pki.hpp"
#include "verifull/errors.hpp"

using namespace verifull;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// What loading did before the screen: parse everything, then OpenSSL's CA rule.
bool full_parse_accepts(const std::string& pem) {
  detail::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  detail::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return false;
  return X509_check_ca(cert.get()) == 1 || detail::is_self_signed(cert.get());
}

std::set<std::string> limbo_certificates() {
  const char* dir = std::getenv("VERIFULL_LIMBO_DATA");
  REQUIRE_MESSAGE(dir, "VERIFULL_LIMBO_DATA is not set");
  std::set<std::string> pems;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".json" || entry.path().filename() == "limbo-schema.json") continue;
    std::ifstream in(entry.path());
    const json suite = json::parse(in);
    // A suite file holds "testcases"; an online file is one case.
    const json cases = suite.contains("testcases") ? suite.at("testcases") : json::array({suite});
    for (const auto& tc : cases) {
      for (const auto& pem : tc.at("trusted_certs")) pems.insert(pem.get<std::string>());
      for (const auto& pem : tc.at("untrusted_intermediates")) pems.insert(pem.get<std::string>());
      pems.insert(tc.at("peer_certificate").get<std::string>());
    }
  }
  return pems;
}

}  // namespace

TEST_CASE("the screen accepts exactly the anchors a full OpenSSL parse accepts (x509-limbo)") {
  const auto pems = limbo_certificates();
  REQUIRE(pems.size() > 1000);
  int accepted = 0;
  for (const auto& pem : pems) {
    const bool expected = full_parse_accepts(pem);
    std::vector<detail::AnchorPtr> anchors;
    bool loaded = true;
    try {
      anchors = detail::load_anchors(pem, "limbo");
    } catch (const InputError&) {
      loaded = false;
    }
    CHECK_MESSAGE(loaded == expected, "screen " << (loaded ? "accepted" : "refused") << ":\n" << pem);
    if (!loaded || !expected) continue;
    ++accepted;
    REQUIRE(anchors.size() == 1);
    // The lazily parsed certificate is the one in the file, under the name the store
    // is searched by.
    const X509* cert = anchors[0]->cert();
    REQUIRE(cert != nullptr);
    CHECK(detail::der_of(cert) == anchors[0]->der());
    CHECK(X509_NAME_cmp(X509_get_subject_name(cert), anchors[0]->subject()) == 0);
    CHECK(anchors[0]->sha256() == detail::hex_colon(detail::sha256(anchors[0]->der())));
  }
  MESSAGE(pems.size() << " certificates, " << accepted << " accepted as anchors");
  CHECK(accepted > 100);
}

TEST_CASE("the screen's shortcut only takes certificates OpenSSL calls a CA") {
  // A CA root, a v3 certificate with CA:FALSE that is self-signed, and one with no
  // basicConstraints: each loads, and describes itself as OpenSSL sees it.
  auto no_bc = testpki::ca_spec("No BC");
  no_bc.basic_constraints = false;
  auto not_ca = testpki::ca_spec("CA FALSE");
  not_ca.ca = false;
  for (const auto& spec : {testpki::ca_spec("Plain CA"), no_bc, not_ca}) {
    const auto root = testpki::make_root(spec);
    const auto anchors = detail::load_anchors(root.pem(), "test");
    REQUIRE(anchors.size() == 1);
    REQUIRE(anchors[0]->cert() != nullptr);
    CHECK(X509_cmp(anchors[0]->cert(), root.cert.get()) == 0);
  }
  // Issued by a CA but not one: refused, whichever way it is read.
  const auto ca = testpki::make_root(testpki::ca_spec("Issuer"));
  CHECK_THROWS_AS(detail::load_anchors(testpki::issue(ca, not_ca).pem(), "test"), InputError);
  CHECK_THROWS_AS(detail::load_anchors(testpki::issue(ca, no_bc).pem(), "test"), InputError);
}

TEST_CASE("a CA with a malformed or repeated extension is refused by the screen as by the full parse") {
  const std::string asn1_null("\x05\x00", 2);
  for (int nid : {NID_subject_key_identifier, NID_authority_key_identifier, NID_ext_key_usage, NID_subject_alt_name,
                  NID_name_constraints, NID_crl_distribution_points, NID_key_usage, NID_basic_constraints,
                  NID_netscape_cert_type, NID_proxyCertInfo, NID_sbgp_ipAddrBlock, NID_sbgp_autonomousSysNum}) {
    auto spec = testpki::ca_spec("Malformed CA");
    spec.key_identifiers = false;
    spec.raw_extensions = {{nid, asn1_null, false}};
    const auto pem = testpki::make_root(spec).pem();
    CHECK_FALSE(full_parse_accepts(pem));
    CHECK_THROWS_WITH_AS(detail::load_anchors(pem, "test"), doctest::Contains(OBJ_nid2ln(nid)), InputError);
  }
  auto twice = testpki::ca_spec("Twice CA");
  twice.raw_extensions = {{NID_subject_key_identifier, std::string("\x04\x02\xab\xcd", 4), false}};
  const auto pem = testpki::make_root(twice).pem();
  CHECK_FALSE(full_parse_accepts(pem));
  CHECK_THROWS_WITH_AS(detail::load_anchors(pem, "test"), doctest::Contains("more than once"), InputError);
}
