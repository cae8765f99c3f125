// The interop corpus served by real servers: for every recipe's certificate, the real
// PostgreSQL 15 and MariaDB 10.11 (pg-interop, maria-interop in tests/servers/servers.py)
// are given the certificate and reloaded; then the stock clients verifying fully (libpq
// sslmode=verify-full, Connector/C with MYSQL_OPT_SSL_VERIFY_SERVER_CERT) and verifull's
// connect must agree: both log in. The one difference on purpose, the CN fallback, is
// shown too: libpq accepts a CN-only certificate, verifull only with allow_cn_fallback.
#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "libpq_option.hpp"
#include "interop_corpus.hpp"
#include "run_cli.hpp"
#include "servers_env.hpp"
#include "test_pki.hpp"
#include "verifull.h"
#include "verifull/verifull.hpp"

using namespace verifull;

namespace {

const std::string kHost = "localhost";  // every corpus certificate names localhost

// Writes `content` for the server user that owns `dir` (the server reads it as itself).
void install(const std::string& dir, const std::string& file, const std::string& content) {
  const std::string path = dir + "/" + file;
  testpki::write_file(path, content);
  struct stat owner {};
  REQUIRE(::stat(dir.c_str(), &owner) == 0);
  REQUIRE(::chown(path.c_str(), owner.st_uid, owner.st_gid) == 0);
}

std::string leaf_sha256(const interop::Case& c) {
  return verify_pem(c.chain_pem, "", Trust::from_pem(c.anchors_pem), [] {
           Policy p;
           p.host = kHost;
           p.allow_cn_fallback = true;
           return p;
         }())
      .chain.at(0)
      .sha256;
}

// Waits until the endpoint presents the case's leaf (a reload is asynchronous).
void wait_for_certificate(const std::string& url, const interop::Case& c) {
  const std::string expected = leaf_sha256(c);
  for (int i = 0; i < 100; ++i) {
    const auto probe = fetch_chain(parse_url(url), std::chrono::seconds(5));
    if (probe.outcome == Outcome::ok && !probe.chain.empty() && probe.chain[0].sha256 == expected) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL("the server did not start presenting the certificate of " << c.name);
}

// A file holding the case's anchors, as a user would pass it to libpq / Connector/C.
struct AnchorsFile {
  std::string path;
  explicit AnchorsFile(const interop::Case& c) {
    char tmpl[] = "/tmp/verifull-interop-ca-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = tmpl;
    testpki::write_file(path, c.anchors_pem);
  }
  ~AnchorsFile() { ::unlink(path.c_str()); }
};

std::string pg_url() {
  return "postgres://" + servers::user() + ":" + servers::password() + "@" + kHost + ":" +
         servers::env("VERIFULL_PG_INTEROP_PORT") + "/" + servers::database();
}

std::string mysql_url() {
  return "mysql://" + servers::user() + ":" + servers::password() + "@" + kHost + ":" +
         servers::env("VERIFULL_MYSQL_INTEROP_PORT") + "/" + servers::database();
}

void serve_from_postgres(const interop::Case& c) {
  const std::string data = servers::env("VERIFULL_PG_INTEROP_DATA");
  install(data, "server.pem", c.chain_pem);
  install(data, "server.key", c.key_pem);
  const std::string admin = "host=" + servers::env("VERIFULL_PG_INTEROP_SOCKET_DIR") + " port=" +
                            servers::env("VERIFULL_PG_INTEROP_PORT") + " user=postgres dbname=postgres";
  PGconn* conn = PQconnectdb(admin.c_str());
  REQUIRE_MESSAGE(PQstatus(conn) == CONNECTION_OK, PQerrorMessage(conn));
  PQclear(PQexec(conn, "SELECT pg_reload_conf()"));
  PQfinish(conn);
  wait_for_certificate(pg_url(), c);
}

void serve_from_mariadb(const interop::Case& c) {
  const std::string dir = servers::env("VERIFULL_MYSQL_INTEROP_DIR");
  install(dir, "server.pem", c.chain_pem);
  install(dir, "server.key", c.key_pem);
  MYSQL* m = mysql_init(nullptr);
  REQUIRE(mysql_real_connect(m, nullptr, "root", "", nullptr, 0,
                             servers::env("VERIFULL_MYSQL_INTEROP_SOCKET").c_str(), 0) != nullptr);
  REQUIRE_MESSAGE(mysql_query(m, "FLUSH SSL") == 0, mysql_error(m));
  mysql_close(m);
  wait_for_certificate(mysql_url(), c);
}

// libpq verify-full, configured as its manual says, nothing of verifull's.
std::string libpq_verify_full(const AnchorsFile& anchors) {
  const std::string conninfo = "host=" + kHost + " port=" + servers::env("VERIFULL_PG_INTEROP_PORT") +
                               " user=" + servers::user() + " password=" + servers::password() +
                               " dbname=" + servers::database() + " sslmode=verify-full sslrootcert=" +
                               anchors.path + " gssencmode=disable";
  PGconn* conn = PQconnectdb(conninfo.c_str());
  const std::string error = PQstatus(conn) == CONNECTION_OK ? "" : PQerrorMessage(conn);
  PQfinish(conn);
  return error;
}

// Connector/C with the CA and server-certificate verification, over TCP.
std::string connector_c_verify(const AnchorsFile& anchors) {
  MYSQL* m = mysql_init(nullptr);
  const my_bool on = 1;
  const unsigned int tcp = MYSQL_PROTOCOL_TCP;
  mysql_options(m, MYSQL_OPT_PROTOCOL, &tcp);
  mysql_options(m, MYSQL_OPT_SSL_CA, anchors.path.c_str());
  mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
  const bool ok = mysql_real_connect(m, kHost.c_str(), servers::user().c_str(), servers::password().c_str(),
                                     servers::database().c_str(),
                                     static_cast<unsigned int>(std::stoi(servers::env("VERIFULL_MYSQL_INTEROP_PORT"))),
                                     nullptr, 0) != nullptr;
  const std::string error = ok ? "" : mysql_error(m);
  mysql_close(m);
  return error;
}

Policy policy_for(const interop::Case& c, Profile profile, bool cn_fallback) {
  Policy p;
  p.profile = profile;
  p.allow_cn_fallback = cn_fallback && c.cn_only;
  p.timeout = std::chrono::seconds(10);
  return p;
}

}  // namespace

TEST_CASE("libpq verify-full and verifull agree on every recipe's certificate served by PostgreSQL") {
  for (const auto& c : interop::corpus()) {
    CAPTURE(c.name);
    serve_from_postgres(c);
    AnchorsFile anchors(c);
    const auto libpq_error = libpq_verify_full(anchors);
    CHECK_MESSAGE(libpq_error.empty(), "libpq verify-full refused " << c.recipe << ": " << libpq_error);
    const Trust trust = Trust::from_pem(c.anchors_pem, c.name);

    auto standard = postgres::connect(pg_url(), trust, policy_for(c, Profile::standard, true));
    CHECK_MESSAGE(standard.report.ok(), standard.report.message);
    CHECK(standard.conn.get() != nullptr);
    for (const auto& expected : c.standard_warnings) {
      std::string all;
      for (const auto& w : standard.report.warnings) all += w + "\n";
      CHECK_MESSAGE(all.find(expected) != std::string::npos, "no warning \"" << expected << "\" in:\n" << all);
    }
    auto strict = postgres::connect(pg_url(), trust, policy_for(c, Profile::strict, true));
    CHECK_MESSAGE(strict.report.ok() == c.strict_ok, strict.report.message);
    if (c.cn_only) {  // verifull's one difference from libpq: the CN only when allowed
      auto no_fallback = postgres::connect(pg_url(), trust, policy_for(c, Profile::standard, false));
      CHECK(no_fallback.report.outcome == Outcome::name_mismatch);
      CHECK(no_fallback.report.message.find("--allow-cn-fallback") != std::string::npos);
    }
  }
}

TEST_CASE("Connector/C with server-certificate verification and verifull agree on every recipe served by MariaDB") {
  for (const auto& c : interop::corpus()) {
    CAPTURE(c.name);
    serve_from_mariadb(c);
    AnchorsFile anchors(c);
    const auto connector_error = connector_c_verify(anchors);
    CHECK_MESSAGE(connector_error.empty(), "Connector/C refused " << c.recipe << ": " << connector_error);
    const Trust trust = Trust::from_pem(c.anchors_pem, c.name);

    auto standard = mysql::connect(mysql_url(), trust, policy_for(c, Profile::standard, true));
    CHECK_MESSAGE(standard.report.ok(), standard.report.message);
    CHECK(standard.conn.get() != nullptr);
    auto strict = mysql::connect(mysql_url(), trust, policy_for(c, Profile::strict, true));
    CHECK_MESSAGE(strict.report.ok() == c.strict_ok, strict.report.message);
    if (c.cn_only) {
      auto no_fallback = mysql::connect(mysql_url(), trust, policy_for(c, Profile::standard, false));
      CHECK(no_fallback.report.outcome == Outcome::name_mismatch);
    }
  }
}

namespace {
std::string file_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A certificate of the test PKI (and the CA that issued it) as a case to serve.
interop::Case pki_case(const std::string& name, const std::string& ca_file) {
  const auto cert = testpki::load(servers::pki(name + ".pem"), servers::pki(name + ".key"));
  interop::Case c;
  c.name = name;
  c.chain_pem = cert.pem();
  c.key_pem = cert.key_pem();
  c.anchors_pem = file_text(servers::pki(ca_file));
  return c;
}

int certificates_in(const std::string& path) {
  const std::string text = file_text(path);
  int n = 0;
  for (std::size_t at = text.find("BEGIN CERTIFICATE"); at != std::string::npos; at = text.find("BEGIN CERTIFICATE", at + 1)) ++n;
  return n;
}

using testsupport::libpq_option;
}  // namespace

TEST_CASE("drivers get only the anchor an endpoint's chain ended at; a rotation to another anchor still connects") {
  // A bundle of two CAs (rotation: the environment's CA and another). The server first
  // presents a certificate of the first, then one of the second.
  const Trust bundle = Trust::from_pem(file_text(servers::pki("ca.pem")) + file_text(servers::pki("other-ca.pem")), "bundle");
  const auto first = pki_case("server", "ca.pem");
  const auto second = pki_case("impostor", "other-ca.pem");  // issued by the other CA, for localhost
  serve_from_postgres(first);
  auto a = postgres::connect(pg_url(), bundle);
  REQUIRE_MESSAGE(a.report.ok(), a.report.message);
  CHECK(certificates_in(libpq_option(a.conn.get(), "sslrootcert")) == 2);  // nothing known yet: the whole set
  auto b = postgres::connect(pg_url(), bundle);
  REQUIRE_MESSAGE(b.report.ok(), b.report.message);
  CHECK(certificates_in(libpq_option(b.conn.get(), "sslrootcert")) == 1);  // narrowed to the anchor seen
  CHECK(b.report.anchor == "CN=verifull demo CA");
  serve_from_postgres(second);
  auto c = postgres::connect(pg_url(), bundle);  // libpq refuses with the narrowed anchor; the whole set verifies
  REQUIRE_MESSAGE(c.report.ok(), c.report.message);
  CHECK(c.report.anchor == "CN=verifull demo impostor CA");
  // A cached anchor never widens what another Trust accepts.
  auto narrow_trust = postgres::connect(pg_url(), servers::trust());
  CHECK(narrow_trust.report.outcome == Outcome::untrusted_issuer);
  serve_from_postgres(first);

  // MySQL: the approved certificate's anchor only; a rotation re-probes with the whole set.
  serve_from_mariadb(first);
  mysql::ApprovedCache cache;
  auto m1 = mysql::connect(mysql_url(), bundle, Policy{}, cache);
  REQUIRE_MESSAGE(m1.report.ok(), m1.report.message);
  const char* ca_path = nullptr;
  REQUIRE(mysql_get_optionv(m1.conn.get(), MYSQL_OPT_SSL_CA, &ca_path) == 0);
  REQUIRE(ca_path != nullptr);
  CHECK(certificates_in(ca_path) == 1);
  serve_from_mariadb(second);
  auto m2 = mysql::connect(mysql_url(), bundle, Policy{}, cache);
  REQUIRE_MESSAGE(m2.report.ok(), m2.report.message);
  CHECK(m2.report.anchor == "CN=verifull demo impostor CA");
  CHECK(cache.probes() == 2);  // one re-probe for the rotation
  serve_from_mariadb(first);
}

namespace {
// A CRL issued by `ca` that lists `revoked` (a fresh one, valid for a day), as PEM.
std::string crl_pem(const testpki::Cert& ca, const std::vector<const testpki::Cert*>& revoked) {
  std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> crl(X509_CRL_new(), X509_CRL_free);
  REQUIRE(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) == 1);
  REQUIRE(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.cert.get())) == 1);
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> last(ASN1_TIME_adj(nullptr, std::time(nullptr), 0, -3600),
                                                             ASN1_TIME_free);
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> next(ASN1_TIME_adj(nullptr, std::time(nullptr), 1, 0),
                                                             ASN1_TIME_free);
  REQUIRE(X509_CRL_set1_lastUpdate(crl.get(), last.get()) == 1);
  REQUIRE(X509_CRL_set1_nextUpdate(crl.get(), next.get()) == 1);
  for (const auto* cert : revoked) {
    X509_REVOKED* entry = X509_REVOKED_new();
    REQUIRE(X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(cert->cert.get())) == 1);
    REQUIRE(X509_REVOKED_set_revocationDate(entry, last.get()) == 1);
    REQUIRE(X509_CRL_add0_revoked(crl.get(), entry) == 1);
  }
  REQUIRE(X509_CRL_sort(crl.get()) == 1);
  REQUIRE(X509_CRL_sign(crl.get(), ca.key.get(), EVP_sha256()) > 0);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  REQUIRE(PEM_write_bio_X509_CRL(bio.get(), crl.get()) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/verifull-crl-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = tmpl;
    testpki::write_file(path, content);
  }
  ~TempFile() { ::unlink(path.c_str()); }
};
}  // namespace

TEST_CASE("a certificate revoked by a CRL given to libpq (sslcrl) or Connector/C (ssl-crl) is outcome revoked") {
  // verifull's own verdict has no CRL and accepts the chain; the driver, given the CRL,
  // refuses it. The outcome names the revocation, not a login failure or another certificate.
  const auto ca = testpki::make_root(testpki::ca_spec("verifull CRL test CA"));
  const auto leaf = testpki::issue(ca, testpki::leaf_spec("localhost", {"localhost"}));
  const auto other = testpki::issue(ca, testpki::leaf_spec("localhost", {"localhost"}));
  interop::Case c;
  c.name = "crl-revoked-leaf";
  c.chain_pem = leaf.pem();
  c.key_pem = leaf.key_pem();
  c.anchors_pem = ca.pem();
  const Trust trust = Trust::from_pem(ca.pem(), "CRL test CA");
  const TempFile revoking(crl_pem(ca, {&leaf}));
  const TempFile clean(crl_pem(ca, {&other}));

  serve_from_postgres(c);
  const auto pg_revoked = postgres::connect(pg_url() + "?sslcrl=" + revoking.path, trust);
  CHECK(pg_revoked.report.outcome == Outcome::revoked);
  CHECK(pg_revoked.report.message.find("revoked") != std::string::npos);
  CHECK(outcome_exit_code(pg_revoked.report.outcome) == 1);
  const auto pg_clean = postgres::connect(pg_url() + "?sslcrl=" + clean.path, trust);
  CHECK_MESSAGE(pg_clean.report.ok(), pg_clean.report.message);
  // `check` reads the CRL the URL names too, so it refuses what the connect would.
  CHECK(check(parse_url(pg_url() + "?sslcrl=" + revoking.path), trust, Policy{}).outcome == Outcome::revoked);
  CHECK(check(parse_url(pg_url() + "?sslcrl=" + clean.path), trust, Policy{}).ok());
  // A CRL of another CA only: libpq finds no CRL for the issuer and refuses a chain
  // verifull accepted. That is a disagreement, named as one, not "verified, then failed".
  const auto stranger = testpki::make_root(testpki::ca_spec("verifull unrelated CRL CA"));
  const TempFile unrelated(crl_pem(stranger, {}));
  const auto pg_other = postgres::connect(pg_url() + "?sslcrl=" + unrelated.path, trust);
  CHECK(pg_other.report.outcome == Outcome::engines_disagree);
  CHECK(pg_other.report.message.find("libpq's verify-full refused it") != std::string::npos);

  serve_from_mariadb(c);
  mysql::ApprovedCache cache;
  const auto my_revoked = mysql::connect(mysql_url() + "?ssl-crl=" + revoking.path, trust, Policy{}, cache);
  CHECK(my_revoked.report.outcome == Outcome::revoked);
  CHECK(my_revoked.report.message.find("revoked") != std::string::npos);
  CHECK(check(parse_url(mysql_url() + "?ssl_crl=" + revoking.path), trust, Policy{}).outcome == Outcome::revoked);
  const auto my_clean = mysql::connect(mysql_url() + "?ssl-crl=" + clean.path, trust, Policy{}, cache);
  CHECK_MESSAGE(my_clean.report.ok(), my_clean.report.message);
  // A handle of the caller's own with the CRL set, after a cached approval: revoked,
  // not "a different certificate" (and no re-probe).
  MYSQL* own = mysql_init(nullptr);
  REQUIRE(mysql_optionsv(own, MYSQL_OPT_SSL_CRL, revoking.path.c_str()) == 0);
  const auto own_report = mysql::connect(own, parse_url(mysql_url()), trust, Policy{}, cache);
  mysql_close(own);
  CHECK(own_report.outcome == Outcome::revoked);
  CHECK(own_report.message.find("different certificate") == std::string::npos);
}

namespace {
// The C ABI's outcome for a connect through it (`connect` is vf_pg_connect or vf_mysql_connect).
template <typename Handle, typename Connect, typename GetReport, typename Destroy>
int outcome_through_c_abi(Connect connect, GetReport get_report, Destroy destroy, const std::string& url,
                          vf_trust_t trust) {
  vf_policy_options opts = VF_POLICY_OPTIONS_INIT;
  Handle handle = nullptr;
  REQUIRE(connect(&handle, url.c_str(), trust, &opts) == VF_OK);
  vf_report_t report = nullptr;
  REQUIRE(get_report(handle, &report) == VF_OK);
  int outcome = -1;
  vf_report_outcome(report, &outcome);
  vf_report_destroy(report);
  destroy(handle);
  return outcome;
}
}  // namespace

TEST_CASE("a server that sends only its leaf, with root and intermediate in the bundle: check and connect agree") {
  // The drivers verify without partial chains: given only the anchor verifull's chain
  // ended at (the root), Connector/C could not reach the intermediate and every connect
  // was refused as "a different certificate". Narrowing keeps the intermediate too.
  const auto root = testpki::make_root(testpki::ca_spec("Leaf-only Root"));
  const auto intermediate = testpki::issue(root, testpki::ca_spec("Leaf-only Intermediate"));
  const auto leaf = testpki::issue(intermediate, testpki::leaf_spec("localhost", {"localhost"}, {"127.0.0.1"}));
  interop::Case c;
  c.name = "leaf-only";
  c.chain_pem = leaf.pem();  // no intermediate sent
  c.key_pem = leaf.key_pem();
  // Another root beside them: the narrowed set (2) is then told apart from the whole (3).
  c.anchors_pem = testpki::make_root(testpki::ca_spec("Leaf-only Other Root")).pem() + root.pem() + intermediate.pem();
  const Trust bundle = Trust::from_pem(c.anchors_pem, "other root + root + intermediate");
  AnchorsFile bundle_file(c);
  vf_trust_t c_trust = nullptr;
  REQUIRE(vf_trust_from_pem(&c_trust, c.anchors_pem.data(), c.anchors_pem.size()) == VF_OK);

  SUBCASE("PostgreSQL") {
    serve_from_postgres(c);
    CHECK(check(parse_url(pg_url()), bundle, Policy{}).ok());
    for (int i = 0; i < 2; ++i) {  // the second connect is narrowed to what the first one saw
      auto conn = postgres::connect(pg_url(), bundle);
      REQUIRE_MESSAGE(conn.report.ok(), conn.report.message);
      // Narrowed to the root alone, libpq refused and the whole set (3) was tried again.
      CHECK(certificates_in(libpq_option(conn.conn.get(), "sslrootcert")) == (i == 0 ? 3 : 2));
    }
    CHECK(outcome_through_c_abi<vf_pg_t>(vf_pg_connect, vf_pg_report, vf_pg_destroy, pg_url(), c_trust) ==
          VF_OUTCOME_OK);
    const auto cli = testcli::verifull({"connect", pg_url(), "--ca", bundle_file.path});
    CHECK_MESSAGE(cli.exit_code == 0, cli.out << cli.err);
    serve_from_postgres(pki_case("server", "ca.pem"));
  }
  SUBCASE("MySQL") {
    serve_from_mariadb(c);
    CHECK(check(parse_url(mysql_url()), bundle, Policy{}).ok());
    mysql::ApprovedCache cache;
    for (int i = 0; i < 2; ++i) {  // a fresh approval, then the cached one
      auto conn = mysql::connect(mysql_url(), bundle, Policy{}, cache);
      REQUIRE_MESSAGE(conn.report.ok(), conn.report.message);
      const char* ca_path = nullptr;
      REQUIRE(mysql_get_optionv(conn.conn.get(), MYSQL_OPT_SSL_CA, &ca_path) == 0);
      REQUIRE(ca_path != nullptr);
      CHECK(certificates_in(ca_path) == 2);
    }
    CHECK(cache.probes() == 1);
    vf_mysql_cache_clear();
    CHECK(outcome_through_c_abi<vf_mysql_t>(vf_mysql_connect, vf_mysql_report, vf_mysql_destroy, mysql_url(),
                                            c_trust) == VF_OUTCOME_OK);
    const auto cli = testcli::verifull({"connect", mysql_url(), "--ca", bundle_file.path});
    CHECK_MESSAGE(cli.exit_code == 0, cli.out << cli.err);
    serve_from_mariadb(pki_case("server", "ca.pem"));
  }
  vf_trust_destroy(c_trust);
}
