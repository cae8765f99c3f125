// The C ABI for bindings that run their own TLS (Node.js): a chain given as DER, the
// anchors as PEM, the TLS-strength rule by name, the options initialiser, and a probe
// whose error message survives a worker thread.
#include <doctest/doctest.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstring>

#include <string>
#include <thread>
#include <vector>

#include "test_pki.hpp"
#include "verifull.h"

namespace {

struct Pki {
  testpki::Cert root = testpki::make_root(testpki::ca_spec("Chain CA"));
  testpki::Cert intermediate = testpki::issue(root, testpki::ca_spec("Chain Intermediate"));
  testpki::Cert leaf = testpki::issue(intermediate, testpki::leaf_spec("db", {"db.example.com"}));
  testpki::Cert other_root = testpki::make_root(testpki::ca_spec("Other CA"));
  testpki::Cert impostor = testpki::issue(other_root, testpki::leaf_spec("db", {"db.example.com"}));
};

Pki& pki() {
  static Pki p;
  return p;
}

std::vector<unsigned char> der(const testpki::Cert& c) {
  const int n = i2d_X509(c.cert.get(), nullptr);
  REQUIRE(n > 0);
  std::vector<unsigned char> out(static_cast<size_t>(n));
  unsigned char* p = out.data();
  REQUIRE(i2d_X509(c.cert.get(), &p) == n);
  return out;
}

vf_trust_t trust_of(const testpki::Cert& anchor) {
  vf_trust_t trust = nullptr;
  const auto pem = anchor.pem();
  REQUIRE(vf_trust_from_pem(&trust, pem.data(), pem.size()) == VF_OK);
  return trust;
}

// The outcome of verifying `chain` (DER, leaf first) for `host`, or the error code.
int verify_der(const std::vector<std::vector<unsigned char>>& chain, vf_trust_t trust, const char* host,
               const char* pin = nullptr) {
  std::vector<const unsigned char*> certs;
  std::vector<size_t> lens;
  for (const auto& c : chain) {
    certs.push_back(c.data());
    lens.push_back(c.size());
  }
  vf_policy_options opts;
  REQUIRE(vf_policy_options_init(&opts) == VF_OK);
  opts.host = host;
  const char* pins[] = {pin};
  if (pin) {
    opts.pins = pins;
    opts.pin_count = 1;
  }
  vf_report_t report = nullptr;
  const int rc = vf_verify_der_chain(&report, certs.data(), lens.data(), certs.size(), trust, &opts);
  if (rc != VF_OK) {
    CHECK(report == nullptr);
    return rc;
  }
  int outcome = -1;
  REQUIRE(vf_report_outcome(report, &outcome) == VF_OK);
  vf_report_destroy(report);
  return outcome;
}

std::string weak_reason(const char* protocol, const char* cipher) {
  size_t len = 0;
  REQUIRE(vf_tls_weak_reason(protocol, cipher, nullptr, &len) == VF_ERROR_BUFFER_TOO_SMALL);
  std::string buf(len, '\0');
  REQUIRE(vf_tls_weak_reason(protocol, cipher, buf.data(), &len) == VF_OK);
  buf.resize(len - 1);
  return buf;
}

}  // namespace

TEST_CASE("vf_policy_options_init_size gives exactly VF_POLICY_OPTIONS_INIT") {
  vf_policy_options from_macro = VF_POLICY_OPTIONS_INIT;
  vf_policy_options filled;
  std::memset(&filled, 0x5a, sizeof filled);
  REQUIRE(vf_policy_options_init_size(&filled, sizeof filled) == VF_OK);
  CHECK(filled.version == VF_POLICY_OPTIONS_VERSION);
  CHECK(filled.host == nullptr);
  CHECK(filled.pins == nullptr);
  CHECK(filled.pin_count == 0);
  CHECK(filled.engine == from_macro.engine);
  CHECK(filled.has_verification_time == 0);
  CHECK(filled.max_intermediates == from_macro.max_intermediates);
  CHECK(filled.timeout_ms == 0);
  CHECK(filled.refuse_admin_credentials == 0);
  CHECK(filled.profile == VF_PROFILE_STANDARD);
  CHECK(filled.allow_cn_fallback == 0);
  CHECK(filled.crls == nullptr);
  CHECK(filled.crl_count == 0);
  CHECK(filled.crl_pem == nullptr);
  CHECK(filled.require_crl == 0);
  CHECK(filled.client_cert == nullptr);
  CHECK(filled.client_key == nullptr);
  CHECK(filled.client_key_passphrase == nullptr);
  CHECK(filled.allow_cleartext_password == 0);
  CHECK(vf_policy_options_init_size(nullptr, sizeof filled) == VF_ERROR_NULL_POINTER);
  CHECK(vf_policy_options_init_size(&filled, sizeof filled - 1) == VF_ERROR_INPUT);
  CHECK(vf_policy_options_init_size(&filled, 0) == VF_ERROR_INPUT);
}

TEST_CASE("vf_policy_options_init fills a version-3 struct and never writes past it") {
  // A program built against the version-3 header: its struct ends where crls begins.
  const std::size_t v3_size = offsetof(vf_policy_options, crls);
  vf_policy_options filled;
  std::memset(&filled, 0x5a, sizeof filled);
  REQUIRE(vf_policy_options_init(&filled) == VF_OK);
  CHECK(filled.version == 3);
  CHECK(filled.max_intermediates == -1);
  CHECK(filled.allow_cn_fallback == 0);
  const auto* bytes = reinterpret_cast<const unsigned char*>(&filled);
  for (std::size_t i = v3_size; i < sizeof filled; ++i) CHECK(bytes[i] == 0x5a);
  // The same size through the sized form, and a version-3 struct is accepted as such.
  std::memset(&filled, 0x5a, sizeof filled);
  REQUIRE(vf_policy_options_init_size(&filled, v3_size) == VF_OK);
  CHECK(filled.version == 3);
  for (std::size_t i = v3_size; i < sizeof filled; ++i) CHECK(bytes[i] == 0x5a);
  CHECK(vf_policy_options_init(nullptr) == VF_ERROR_NULL_POINTER);
}

TEST_CASE("a DER chain gets the same verdicts as the PEM one: chain, name, pins, other CA") {
  vf_trust_t trust = trust_of(pki().root);
  const auto leaf = der(pki().leaf), inter = der(pki().intermediate), root = der(pki().root);
  CHECK(verify_der({leaf, inter}, trust, "db.example.com") == VF_OUTCOME_OK);
  // Node completes the chain it shows with the anchor it reached: allowed.
  CHECK(verify_der({leaf, inter, root}, trust, "db.example.com") == VF_OUTCOME_OK);
  CHECK(verify_der({leaf, inter}, trust, "other.example.com") == VF_OUTCOME_NAME_MISMATCH);
  CHECK(verify_der({leaf}, trust, "db.example.com") == VF_OUTCOME_UNTRUSTED_ISSUER);
  CHECK(verify_der({der(pki().impostor)}, trust, "db.example.com") == VF_OUTCOME_UNTRUSTED_ISSUER);
  CHECK(verify_der({leaf, inter}, trust, "db.example.com", "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=") ==
        VF_OUTCOME_PIN_MISMATCH);
  vf_trust_destroy(trust);
}

TEST_CASE("a DER chain that is empty, truncated or not a certificate is an input error") {
  vf_trust_t trust = trust_of(pki().root);
  auto leaf = der(pki().leaf);
  CHECK(verify_der({}, trust, "db.example.com") == VF_ERROR_INPUT);
  CHECK(std::string(vf_last_error_message()).find("empty") != std::string::npos);
  auto truncated = leaf;
  truncated.resize(truncated.size() / 2);
  CHECK(verify_der({truncated}, trust, "db.example.com") == VF_ERROR_INPUT);
  CHECK(std::string(vf_last_error_message()).find("certificate 0") != std::string::npos);
  auto trailing = leaf;
  trailing.push_back(0);
  CHECK(verify_der({der(pki().leaf), trailing}, trust, "db.example.com") == VF_ERROR_INPUT);
  CHECK(verify_der({leaf}, trust, nullptr) == VF_ERROR_INPUT);  // no host: nothing to verify the name against

  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  opts.host = "db.example.com";
  vf_report_t report = nullptr;
  const unsigned char* certs[] = {leaf.data()};
  const size_t lens[] = {leaf.size()};
  CHECK(vf_verify_der_chain(nullptr, certs, lens, 1, trust, &opts) == VF_ERROR_NULL_POINTER);
  CHECK(vf_verify_der_chain(&report, nullptr, lens, 1, trust, &opts) == VF_ERROR_NULL_POINTER);
  const unsigned char* null_cert[] = {nullptr};
  CHECK(vf_verify_der_chain(&report, null_cert, lens, 1, trust, &opts) == VF_ERROR_NULL_POINTER);
  CHECK(vf_verify_der_chain(&report, certs, lens, 1, reinterpret_cast<vf_trust_t>(&opts), &opts) ==
        VF_ERROR_INVALID_HANDLE);
  opts.version = 99;
  CHECK(vf_verify_der_chain(&report, certs, lens, 1, trust, &opts) == VF_ERROR_BAD_VERSION);
  CHECK(report == nullptr);
  vf_trust_destroy(trust);
}

TEST_CASE("vf_trust_anchors_pem returns every anchor, and a trust loaded from it is the same set") {
  const std::string two = pki().root.pem() + pki().other_root.pem();
  vf_trust_t trust = nullptr;
  REQUIRE(vf_trust_from_pem(&trust, two.data(), two.size()) == VF_OK);
  size_t len = 0;
  REQUIRE(vf_trust_anchors_pem(trust, nullptr, &len) == VF_ERROR_BUFFER_TOO_SMALL);
  std::string pem(len, '\0');
  REQUIRE(vf_trust_anchors_pem(trust, pem.data(), &len) == VF_OK);
  pem.resize(len - 1);
  CHECK(pem.find("-----BEGIN CERTIFICATE-----") != std::string::npos);
  vf_trust_t again = nullptr;
  REQUIRE(vf_trust_from_pem(&again, pem.data(), pem.size()) == VF_OK);
  size_t count = 0;
  REQUIRE(vf_trust_anchor_count(again, &count) == VF_OK);
  CHECK(count == 2);
  CHECK(vf_trust_anchors_pem(nullptr, nullptr, &len) == VF_ERROR_INVALID_HANDLE);
  vf_trust_destroy(again);
  vf_trust_destroy(trust);
}

TEST_CASE("the TLS-strength rule by name: TLS 1.3, or TLS 1.2 with forward secrecy and AEAD") {
  CHECK(weak_reason("TLSv1.3", "TLS_AES_256_GCM_SHA384") == "");
  CHECK(weak_reason("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256") == "");
  CHECK(weak_reason("TLSv1.2", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256") == "");  // IANA name
  CHECK(weak_reason("TLSv1.2", "AES128-GCM-SHA256").find("no forward secrecy") != std::string::npos);
  CHECK(weak_reason("TLSv1.2", "ECDHE-RSA-AES128-SHA256").find("not an AEAD") != std::string::npos);
  CHECK(weak_reason("TLSv1.2", "NO-SUCH-SUITE").find("does not know") != std::string::npos);
  CHECK(weak_reason("TLSv1.1", "ECDHE-RSA-AES128-SHA").find("TLSv1.1") != std::string::npos);
  CHECK(weak_reason("SSLv3", "RC4-MD5").find("not one verifull knows") != std::string::npos);
  CHECK(weak_reason("", "").find("not one verifull knows") != std::string::npos);
  size_t len = 64;
  CHECK(vf_tls_weak_reason(nullptr, "x", nullptr, &len) == VF_ERROR_NULL_POINTER);
}

TEST_CASE("vf_tls_strong_ciphers lists only suites the rule accepts") {
  size_t len = 0;
  REQUIRE(vf_tls_strong_ciphers(nullptr, &len) == VF_ERROR_BUFFER_TOO_SMALL);
  std::string list(len, '\0');
  REQUIRE(vf_tls_strong_ciphers(list.data(), &len) == VF_OK);
  list.resize(len - 1);
  CHECK(list.find("ECDHE+AESGCM") != std::string::npos);
  // Every suite OpenSSL expands the list to passes the rule at TLS 1.2.
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  REQUIRE(ctx);
  REQUIRE(SSL_CTX_set_cipher_list(ctx, list.c_str()) == 1);
  STACK_OF(SSL_CIPHER)* suites = SSL_CTX_get_ciphers(ctx);
  int tls12 = 0;
  for (int i = 0; i < sk_SSL_CIPHER_num(suites); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(suites, i);
    if (std::string(SSL_CIPHER_get_version(c)) == "TLSv1.3") continue;
    ++tls12;
    CHECK_MESSAGE(weak_reason("TLSv1.2", SSL_CIPHER_get_name(c)) == "", SSL_CIPHER_get_name(c));
  }
  CHECK(tls12 > 0);
  SSL_CTX_free(ctx);
}

TEST_CASE("vf_check_with_message hands the error to the thread that started it") {
  vf_trust_t trust = trust_of(pki().root);
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  opts.timeout_ms = 2000;
  int rc = 0;
  char message[512] = "";
  size_t message_len = sizeof message;
  // A bad URL holding a password, run on another thread as an event loop's pool would.
  std::thread worker([&] {
    vf_report_t report = nullptr;
    rc = vf_check_with_message(&report, "postgres://app:hunter2secret@db.example.com:notaport/x", trust, &opts,
                               message, &message_len);
    CHECK(report == nullptr);
  });
  worker.join();
  CHECK(rc == VF_ERROR_INPUT);
  const std::string text(message);
  CHECK(!text.empty());
  CHECK(message_len == text.size() + 1);
  CHECK(text.find("hunter2secret") == std::string::npos);
  // A buffer too small for the message: truncated, NUL-terminated, the size needed reported.
  char tiny[8];
  size_t tiny_len = sizeof tiny;
  vf_report_t report = nullptr;
  CHECK(vf_check_with_message(&report, "postgres://app:pw@db.example.com:notaport/x", trust, &opts, tiny,
                              &tiny_len) == VF_ERROR_INPUT);
  CHECK(std::string(tiny).size() == 7);
  CHECK(tiny_len > sizeof tiny);
  vf_trust_destroy(trust);
}

TEST_CASE("vf_check_with_message probes like vf_check: a closed loopback port is a report, not an error") {
  vf_trust_t trust = trust_of(pki().root);
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  opts.timeout_ms = 2000;
  vf_report_t report = nullptr;
  char message[256];
  size_t len = sizeof message;
  REQUIRE(vf_check_with_message(&report, "postgres://127.0.0.1:1/x", trust, &opts, message, &len) == VF_OK);
  int outcome = -1;
  REQUIRE(vf_report_outcome(report, &outcome) == VF_OK);
  CHECK(outcome == VF_OUTCOME_CONNECTION_REFUSED);
  CHECK(len == sizeof message);  // untouched: no error
  vf_report_destroy(report);
  vf_trust_destroy(trust);
}

TEST_CASE("vf_outcome_exit_code classifies every outcome as the CLI does; -1 for a value that is not one") {
  CHECK(vf_outcome_exit_code(VF_OUTCOME_OK) == 0);
  for (int outcome : {VF_OUTCOME_HANDSHAKE_FAILED, VF_OUTCOME_NAME_NOT_RESOLVED, VF_OUTCOME_CONNECTION_REFUSED,
                      VF_OUTCOME_TIMEOUT, VF_OUTCOME_NETWORK_ERROR})
    CHECK(vf_outcome_exit_code(outcome) == 3);
  CHECK(vf_outcome_exit_code(VF_OUTCOME_CONNECTION_FAILED) == 4);
  for (int outcome : {VF_OUTCOME_PIN_MISMATCH, VF_OUTCOME_NAME_MISMATCH, VF_OUTCOME_WEAK_TLS, VF_OUTCOME_REVOKED})
    CHECK(vf_outcome_exit_code(outcome) == 1);
  CHECK(vf_outcome_exit_code(-1) == -1);
  CHECK(vf_outcome_exit_code(VF_OUTCOME_LAST + 1) == -1);
}

TEST_CASE("vf_mysql_presented_another_certificate: the pin or the anchors refused the certificate, nothing else") {
  int yes = -1;
  // CR_SSL_CONNECTION_ERROR (2026) with Connector/C's words for a refused certificate.
  CHECK(vf_mysql_presented_another_certificate(2026, "SSL connection error: Fingerprint verification of server "
                                               "certificate failed", &yes) == VF_OK);
  CHECK(yes == 1);
  CHECK(vf_mysql_presented_another_certificate(2026, "TLS/SSL error: certificate verify failed", &yes) == VF_OK);
  CHECK(yes == 1);
  // A revoked certificate is not a rotation; nor is any other TLS or login failure.
  CHECK(vf_mysql_presented_another_certificate(2026, "TLS/SSL error: certificate revoked", &yes) == VF_OK);
  CHECK(yes == 0);
  CHECK(vf_mysql_presented_another_certificate(2026, "SSL connection error: unexpected eof", &yes) == VF_OK);
  CHECK(yes == 0);
  CHECK(vf_mysql_presented_another_certificate(1045, "Access denied for user 'app' (certificate verify failed)",
                                               &yes) == VF_OK);
  CHECK(yes == 0);
  CHECK(vf_mysql_presented_another_certificate(2026, nullptr, &yes) == VF_ERROR_NULL_POINTER);
}
