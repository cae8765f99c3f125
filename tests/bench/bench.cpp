// verifull's costs against the raw libraries doing the same work, in one run, as
// ratios. Run with tools/bench (a release build, with the test servers started).
// Not a test: it asserts nothing about timing; it prints each ratio and its target.
#include <botan/certstor.h>
#include <botan/x509path.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <iterator>
#include <map>
#include <thread>

#include "core/pem.hpp"
#include "core/verdict.hpp"
#include "probe/resolve.hpp"
#include "resident_memory.hpp"
#include "test_pki.hpp"
#include "verifull/verifull.hpp"

using namespace verifull;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Calls per second of `f`, best of `rounds` rounds of `n` calls (least disturbed).
double rate(const std::function<void()>& f, int n, int rounds = 5) {
  double best = 0;
  for (int r = 0; r < rounds; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) f();
    best = std::max(best, n / seconds_since(start));
  }
  return best;
}

// The same for several functions, their rounds interleaved (a, b, c, a, b, c, ...), so a
// change in the machine's load in the middle of the run touches each of them alike.
std::vector<double> rates(const std::vector<std::function<void()>>& fs, int n, int rounds = 5) {
  std::vector<double> best(fs.size(), 0);
  for (int r = 0; r < rounds; ++r)
    for (std::size_t i = 0; i < fs.size(); ++i) {
      const auto start = Clock::now();
      for (int k = 0; k < n; ++k) fs[i]();
      best[i] = std::max(best[i], n / seconds_since(start));
    }
  return best;
}

void line(const std::string& what, double ours, double raw, const std::string& unit, double ratio,
          const std::string& target, bool met) {
  std::printf("%-44s verifull %10.1f %-6s raw %10.1f %-6s ratio %5.2f  target %-7s %s\n", what.c_str(), ours,
              unit.c_str(), raw, unit.c_str(), ratio, target.c_str(), met ? "met" : "MISSED");
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) {
    std::cerr << name << " is not set: run tools/bench, which starts the servers\n";
    std::exit(2);
  }
  return v;
}

// ---- 1. chain verification -----------------------------------------------------------

void bench_chains() {
  const auto root = testpki::make_root(testpki::ca_spec("Bench Root"));
  const auto ica = testpki::issue(root, testpki::ca_spec("Bench Intermediate"));
  const auto leaf = testpki::issue(ica, testpki::leaf_spec("db", {"db.example.com"}));
  const Trust trust = Trust::from_pem(root.pem());
  detail::X509StackPtr presented(sk_X509_new_null());
  sk_X509_push(presented.get(), detail::share(leaf.cert.get()).release());
  sk_X509_push(presented.get(), detail::share(ica.cert.get()).release());
  detail::X509StackPtr untrusted(sk_X509_new_null());
  sk_X509_push(untrusted.get(), detail::share(ica.cert.get()).release());

  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, root.cert.get());
  const auto raw_openssl = [&] {
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, leaf.cert.get(), untrusted.get());
    X509_VERIFY_PARAM* p = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_X509_STRICT);
    X509_VERIFY_PARAM_set_purpose(p, X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM_set1_host(p, "db.example.com", 0);
    if (X509_verify_cert(ctx) != 1) std::abort();
    X509_STORE_CTX_free(ctx);
  };

  const auto to_botan = [](const testpki::Cert& c) {
    const int n = i2d_X509(c.cert.get(), nullptr);
    std::vector<uint8_t> der(static_cast<std::size_t>(n));
    unsigned char* p = der.data();
    i2d_X509(c.cert.get(), &p);
    return Botan::X509_Certificate(der);
  };
  Botan::Certificate_Store_In_Memory botan_store;
  botan_store.add_certificate(to_botan(root));
  const std::vector<Botan::X509_Certificate> botan_chain = {to_botan(leaf), to_botan(ica)};
  const Botan::Path_Validation_Restrictions restrictions(false, 110, false, {"SHA-256", "SHA-384", "SHA-512"});
  const auto raw_botan = [&] {
    auto r = Botan::x509_path_validate(botan_chain, restrictions, {&botan_store}, "db.example.com",
                                       Botan::Usage_Type::TLS_SERVER_AUTH);
    if (!r.successful_validation()) std::abort();
  };

  // A Botan client parses the chain it receives; so does verifull (from the DER OpenSSL
  // holds). The raw baseline does the same parsing, then validates.
  const auto leaf_der = to_botan(leaf).BER_encode(), ica_der = to_botan(ica).BER_encode();
  const auto raw_botan_parsing = [&] {
    const std::vector<Botan::X509_Certificate> chain = {Botan::X509_Certificate(leaf_der), Botan::X509_Certificate(ica_der)};
    auto r = Botan::x509_path_validate(chain, restrictions, {&botan_store}, "db.example.com",
                                       Botan::Usage_Type::TLS_SERVER_AUTH);
    if (!r.successful_validation()) std::abort();
  };

  const auto ours = [&](Engine engine) {
    return [&, engine] {
      Policy p;
      p.host = "db.example.com";
      p.engine = engine;
      if (!detail::verify_chain(presented.get(), nullptr, trust, p).ok()) std::abort();
    };
  };
  const int n = std::getenv("VERIFULL_BENCH_CHAINS") ? std::atoi(std::getenv("VERIFULL_BENCH_CHAINS")) : 2000;
  // Botan's baseline parses the DER it is given, as any Botan client must (verifull
  // hands Botan the DER of the certificates OpenSSL received).
  const auto r = rates({raw_openssl, ours(Engine::openssl), raw_botan_parsing, ours(Engine::botan), raw_botan,
                        ours(Engine::both)},
                       n);
  const double r_ossl = r[0], v_ossl = r[1], r_botan = r[2], v_botan = r[3], r_botan_preparsed = r[4], v_both = r[5];
  const double r_both = 1.0 / (1.0 / r_ossl + 1.0 / r_botan);  // raw OpenSSL then raw Botan
  std::printf("\n1. chain verification (root -> intermediate -> leaf, EC P-256), chains per second\n");
  line("openssl engine vs X509_verify_cert", v_ossl, r_ossl, "/s", v_ossl / r_ossl, ">= 0.90", v_ossl / r_ossl >= 0.9);
  line("botan engine vs parse + x509_path_validate", v_botan, r_botan, "/s", v_botan / r_botan, ">= 0.90", v_botan / r_botan >= 0.9);
  line("both vs the two raw loops above", v_both, r_both, "/s", v_both / r_both, ">= 0.90", v_both / r_both >= 0.9);
  std::printf("   (x509_path_validate on pre-parsed certificates: %.1f/s)\n", r_botan_preparsed);
  std::printf("   cost of `both` over `openssl`: %.0f us per chain\n", 1e6 / v_both - 1e6 / v_ossl);
  X509_STORE_free(store);
}

// ---- 2. trust loading --------------------------------------------------------------------

// 150 RSA-2048 roots (as cloud providers' bundles are), with `middle` (if given) in the
// middle of them, written to `path`.
std::string write_bundle(const std::string& path, const std::string& middle = "") {
  static std::vector<std::string> roots;
  if (roots.empty()) {
    for (int i = 0; i < 150; ++i) {
      auto spec = testpki::ca_spec("Bundle CA " + std::to_string(i));
      spec.key = testpki::KeyKind::rsa_2048;
      roots.push_back(testpki::make_root(spec).pem());
    }
  }
  std::string bundle;
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (i == roots.size() / 2) bundle += middle;
    bundle += roots[i];
  }
  testpki::write_file(path, bundle);
  return path;
}

void bench_trust_loading() {
  // The server's CA in the middle of the bundle, so the first verification needs one
  // anchor of 150 (as an environment's CA among a provider's regions).
  const auto own_root = testpki::make_root(testpki::ca_spec("Bench Bundle Root"));
  const auto leaf = testpki::issue(own_root, testpki::leaf_spec("db", {"db.example.com"}));
  const std::string path = write_bundle("/tmp/verifull-bench-bundle.pem", own_root.pem());
  std::vector<double> loads, first_verifications;
  const long rss_before = rss_kib();
  std::vector<Trust> kept;
  for (int i = 0; i < 20; ++i) {
    const auto start = Clock::now();
    kept.push_back(Trust::from_file(path));
    loads.push_back(seconds_since(start) * 1e3);
  }
  const double per_anchor_kib = static_cast<double>(rss_kib() - rss_before) / (20.0 * 151);
  Policy policy;
  policy.host = "db.example.com";
  for (int i = 0; i < 20; ++i) {
    const auto start = Clock::now();
    const Trust fresh = Trust::from_file(path);
    if (!verify_pem(leaf.pem(), "", fresh, policy).ok()) std::abort();
    first_verifications.push_back(seconds_since(start) * 1e3);
  }
  std::sort(loads.begin(), loads.end());
  std::sort(first_verifications.begin(), first_verifications.end());
  const Trust& trust = kept.front();
  // What libpq and Connector/C do for every connection: a new SSL_CTX reading the file.
  const auto reread = [&] {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (SSL_CTX_load_verify_locations(ctx, path.c_str(), nullptr) != 1) std::abort();
    SSL_CTX_free(ctx);
  };
  const double per_conn_raw_ms = 1e3 / rate(reread, 20, 3);
  const double load_ms = loads[loads.size() / 2];
  std::printf("\n2. trust loading: a bundle of %zu RSA-2048 anchors\n", trust.anchors().size());
  std::printf("%-44s verifull %10.2f ms     raw %10.2f ms     ratio %5.2f  target <= 5 ms %s\n",
              "load once (median of 20) vs one driver read", load_ms, per_conn_raw_ms, load_ms / per_conn_raw_ms,
              load_ms <= 5 ? "met" : "MISSED");
  std::printf("%-44s verifull %10.2f ms     (one anchor of %zu parsed; no target)\n",
              "load + first verification (median of 20)", first_verifications[first_verifications.size() / 2],
              trust.anchors().size());
  std::printf("   memory per anchor, loaded: %.1f KiB; sharing a loaded Trust per connection: a reference count\n",
              per_anchor_kib);
  std::printf("   (OpenSSL 3.0 decodes each RSA key while parsing: reading this bundle costs any client %.1f ms;\n"
              "    verifull reads each certificate without its key and parses an anchor when a chain needs it)\n",
              per_conn_raw_ms);
  std::remove(path.c_str());
}

// ---- the servers, and the bare-library connections verifull is compared with ----------

struct Target {
  std::string pki = env("VERIFULL_PKI_DIR"), user = env("VERIFULL_DB_USER"), pw = env("VERIFULL_DB_PASSWORD"),
              db = env("VERIFULL_DB_NAME"), pg_port = env("VERIFULL_PG_PORT"), my_port = env("VERIFULL_MYSQL_PORT");
  std::string ca_file = pki + "/ca.pem";

  std::string pg_url() const { return "postgres://" + user + ":" + pw + "@localhost:" + pg_port + "/" + db; }
  std::string my_url() const { return "mysql://" + user + ":" + pw + "@localhost:" + my_port + "/" + db; }

  // libpq with verify-full and the CA file: what a careful libpq user writes.
  PGconn* raw_pg() const {
    const char* keys[] = {"host", "port", "user", "password", "dbname", "sslmode", "sslrootcert", nullptr};
    const char* vals[] = {"localhost", pg_port.c_str(), user.c_str(), pw.c_str(), db.c_str(), "verify-full", ca_file.c_str(), nullptr};
    return PQconnectdbParams(keys, vals, 0);
  }
  // Connector/C with the CA and VERIFY_SERVER_CERT, over TCP.
  MYSQL* raw_mysql() const {
    MYSQL* m = mysql_init(nullptr);
    const my_bool on = 1;
    const unsigned int tcp = MYSQL_PROTOCOL_TCP;
    mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &tcp);
    mysql_optionsv(m, MYSQL_OPT_SSL_CA, ca_file.c_str());
    mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
    if (!mysql_real_connect(m, "localhost", user.c_str(), pw.c_str(), db.c_str(), static_cast<unsigned>(std::stoi(my_port)),
                            nullptr, 0))
      std::abort();
    return m;
  }
};

// ---- 3. connects -----------------------------------------------------------------------

struct Stats {
  double median_ms, p95_ms;
};

Stats stats(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[static_cast<std::size_t>(ms.size() * 0.95)]};
}

double time_ms(const std::function<void()>& f) {
  const auto start = Clock::now();
  f();
  return seconds_since(start) * 1000;
}

void connect_line(const std::string& what, const Stats& ours, const Stats& raw, double target) {
  const double ratio = ours.median_ms / raw.median_ms;
  std::printf("%-44s verifull median %6.2f ms p95 %6.2f ms | raw median %6.2f ms p95 %6.2f ms | ratio %4.2f  target <= %.2f %s\n",
              what.c_str(), ours.median_ms, ours.p95_ms, raw.median_ms, raw.p95_ms, ratio, target,
              ratio <= target ? "met" : "MISSED");
}

// With mysql_only, the MySQL rows alone (profiling, bisecting: `verifull_bench mysql N`).
void bench_connects(int n, bool mysql_only = false) {
  const Target t;
  const Trust trust = Trust::from_file(t.ca_file);
  std::vector<double> pg_raw, pg_ours;
  for (int i = 0; i < (mysql_only ? 0 : n); ++i) {
    pg_raw.push_back(time_ms([&] {
      PGconn* c = t.raw_pg();
      if (PQstatus(c) != CONNECTION_OK) std::abort();
      PQfinish(c);
    }));
    pg_ours.push_back(time_ms([&] {
      if (!postgres::connect(t.pg_url(), trust).report.ok()) std::abort();
    }));
  }
  std::vector<double> my_raw, my_warm, my_cold;
  mysql::ApprovedCache warm_cache;
  for (int i = 0; i < n; ++i) {
    my_raw.push_back(time_ms([&] { mysql_close(t.raw_mysql()); }));
    my_warm.push_back(time_ms([&] {
      if (!mysql::connect(t.my_url(), trust, Policy{}, warm_cache).report.ok()) std::abort();
    }));
    my_cold.push_back(time_ms([&] {
      mysql::ApprovedCache cold;
      if (!mysql::connect(t.my_url(), trust, Policy{}, cold).report.ok()) std::abort();
    }));
  }
  std::printf("\n3. connects to the local servers (%d each, interleaved; engine: the default, %s)\n", n,
              engine_name(Policy{}.engine));
  if (!mysql_only) connect_line("PostgreSQL vs libpq verify-full", stats(pg_ours), stats(pg_raw), 1.05);
  connect_line("MySQL warm (cached pin) vs VERIFY_SERVER_CERT", stats(my_warm), stats(my_raw), 1.10);
  connect_line("MySQL cold (probe) vs VERIFY_SERVER_CERT", stats(my_cold), stats(my_raw), 2.2);
}

// ---- 5. connects with a 150-anchor bundle -------------------------------------------------

void bench_bundle_connects(int n) {
  const Target t;
  std::ifstream ca_in(t.ca_file);
  const std::string ca_pem((std::istreambuf_iterator<char>(ca_in)), std::istreambuf_iterator<char>());
  const std::string bundle = write_bundle("/tmp/verifull-bench-bundle-connect.pem", ca_pem);
  const Trust trust = Trust::from_file(bundle);
  Target raw = t;
  raw.ca_file = bundle;  // the bare drivers verify against the same bundle
  // Warm: verifull has seen each endpoint once (its anchor is known, a MySQL approval cached).
  if (!postgres::connect(t.pg_url(), trust).report.ok()) std::abort();
  mysql::ApprovedCache cache;
  if (!mysql::connect(t.my_url(), trust, Policy{}, cache).report.ok()) std::abort();
  std::vector<double> pg_raw, pg_ours, my_raw, my_ours;
  for (int i = 0; i < n; ++i) {
    pg_raw.push_back(time_ms([&] {
      PGconn* c = raw.raw_pg();
      if (PQstatus(c) != CONNECTION_OK) std::abort();
      PQfinish(c);
    }));
    pg_ours.push_back(time_ms([&] {
      if (!postgres::connect(t.pg_url(), trust).report.ok()) std::abort();
    }));
    my_raw.push_back(time_ms([&] { mysql_close(raw.raw_mysql()); }));
    my_ours.push_back(time_ms([&] {
      if (!mysql::connect(t.my_url(), trust, Policy{}, cache).report.ok()) std::abort();
    }));
  }
  std::printf("\n5. warm connects with a 150-anchor bundle (the right CA in the middle; %d each, interleaved)\n", n);
  connect_line("PostgreSQL vs libpq verify-full, same bundle", stats(pg_ours), stats(pg_raw), 0.5);
  connect_line("MySQL vs VERIFY_SERVER_CERT, same bundle", stats(my_ours), stats(my_raw), 0.3);
  // The ratios also carry each connect's fixed cost (a PostgreSQL connect is a backend
  // start and SCRAM on the server, which a busy machine stretches): what the narrowed
  // anchors save per connect, in ms, does not.
  std::printf("   saved per connect (raw median - verifull median): PostgreSQL %.2f ms, MySQL %.2f ms\n",
              stats(pg_raw).median_ms - stats(pg_ours).median_ms, stats(my_raw).median_ms - stats(my_ours).median_ms);
  std::remove(bundle.c_str());
}

// ---- 6. fleet check ---------------------------------------------------------------------------

// `count` PostgreSQL-speaking TLS endpoints on 127.0.0.1 (one listening port each),
// served by two threads: SSLRequest, 'S', the handshake with the test server's
// certificate, then the connection is dropped (the probe hangs up first).
class FleetServers {
 public:
  FleetServers(int count, const testpki::Cert& cert) : cert_(cert) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, cert_.cert.get());
    SSL_CTX_use_PrivateKey(ctx_, cert_.key.get());
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < count; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof addr;
      if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 64) != 0) std::abort();
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
      ports_.push_back(ntohs(addr.sin_port));
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
      listeners_.push_back(fd);
    }
    for (int w = 0; w < 2; ++w) workers_.emplace_back([this] { serve(); });
  }
  ~FleetServers() {
    stop_ = true;
    for (auto& w : workers_) w.join();
    for (int fd : listeners_) ::close(fd);
    ::close(epoll_);
    SSL_CTX_free(ctx_);
  }
  const std::vector<std::uint16_t>& ports() const { return ports_; }

 private:
  void serve() {
    epoll_event events[16];
    while (!stop_) {
      const int n = epoll_wait(epoll_, events, 16, 50);
      for (int i = 0; i < n; ++i) {
        const int client = ::accept4(events[i].data.fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        timeval tv{5, 0};
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char request[8];
        if (::recv(client, request, sizeof request, MSG_WAITALL) == 8 && ::send(client, "S", 1, MSG_NOSIGNAL) == 1) {
          SSL* ssl = SSL_new(ctx_);
          SSL_set_fd(ssl, client);
          if (SSL_accept(ssl) == 1) {
            char buf[64];
            SSL_read(ssl, buf, sizeof buf);  // until the probe hangs up
          }
          SSL_free(ssl);
        }
        ::close(client);
      }
    }
  }
  testpki::Cert cert_;
  SSL_CTX* ctx_;
  int epoll_;
  std::vector<int> listeners_;
  std::vector<std::uint16_t> ports_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};
};

void bench_fleet(const std::string& cli) {
  const Target t;
  const auto cert = testpki::load(t.pki + "/server.pem", t.pki + "/server.key");
  FleetServers fleet(1000, cert);
  const std::string list = "/tmp/verifull-bench-fleet.txt";
  std::string urls;
  for (auto port : fleet.ports()) urls += "postgres://localhost:" + std::to_string(port) + "\n";
  testpki::write_file(list, urls);
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(cli.c_str(), cli.c_str(), "check", "--from", list.c_str(), "--ca", t.ca_file.c_str(), "--json",
          "--parallel", "32", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  const double seconds = seconds_since(start);
  std::remove(list.c_str());
  std::printf("\n6. fleet check: verifull check --from (1000 TLS endpoints on loopback, --parallel 32)\n");
  std::printf("%-44s %.2f s, %.0f endpoints/s, peak memory %.1f MiB, exit %d  target < 10 s %s\n",
              "1000 endpoints", seconds, 1000 / seconds, usage.ru_maxrss / 1024.0, WEXITSTATUS(status),
              seconds < 10 && WEXITSTATUS(status) == 0 ? "met" : "MISSED");
}

// ---- 4. memory -----------------------------------------------------------------------------

// Connections opened and kept in one child process: at most what the test servers
// accept at once (PostgreSQL max_connections = 60, MariaDB 80; tests/servers/servers.py).
constexpr int kMemoryConnections = 50;
// The first ones fill the free memory the warm-up left (resident_memory.hpp).
constexpr int kMemorySettle = 10;

// The connections section 4 compares, by the name a child process is given. Prints what
// each further open connection adds: resident KiB and heap KiB (growth_per_connection).
void open_connections(const std::string& kind, int n) {
  const Target t;
  static std::vector<PGconn*> raw_pg;
  static std::vector<MYSQL*> raw_my;
  static std::vector<postgres::Connection> our_pg;
  static std::vector<mysql::Connection> our_my;
  raw_pg.reserve(static_cast<std::size_t>(n));
  raw_my.reserve(static_cast<std::size_t>(n));
  our_pg.reserve(static_cast<std::size_t>(n));
  our_my.reserve(static_cast<std::size_t>(n));
  const Trust trust = Trust::from_file(t.ca_file);
  const std::string pg_url = t.pg_url(), my_url = t.my_url();
  // verifull's name resolution within the deadline (c-ares, src/probe/resolve.cpp), as
  // verifull does it before each connect: the attribution row runs it before a bare one.
  const auto resolve_as_verifull = [] {
    detail::resolve("localhost", 0, detail::Clock::now() + std::chrono::seconds(5));
  };
  const auto checked_raw_pg = [&] {
    PGconn* c = t.raw_pg();
    if (PQstatus(c) != CONNECTION_OK) std::abort();
    return c;
  };
  // One connection of the kind first (one-time library state: error strings, TLS
  // method tables, verifull's caches, its watchdog thread), closed; then n kept open.
  const auto run = [&](const std::function<void()>& open_one, const std::function<void()>& warm_up) {
    mallopt(M_PERTURB, 0);  // with MALLOC_PERTURB_ set, glibc would touch every allocation
    warm_up();
    const Growth per = growth_per_connection(open_one, n, kMemorySettle);
    std::printf("%f %f\n", per.rss_kib, per.heap_kib);
  };
  if (kind == "pg-raw") {
    run([&] { raw_pg.push_back(checked_raw_pg()); }, [&] { PQfinish(checked_raw_pg()); });
  } else if (kind == "pg-raw-resolving") {
    run([&] { resolve_as_verifull(); raw_pg.push_back(checked_raw_pg()); },
        [&] { resolve_as_verifull(); PQfinish(checked_raw_pg()); });
  } else if (kind == "pg-verifull") {
    const auto open = [&] {
      auto connected = postgres::connect(pg_url, trust);
      if (!connected.report.ok()) std::abort();
      return std::move(connected.conn);
    };
    run([&] { our_pg.push_back(open()); }, [&] { open(); });
  } else if (kind == "mysql-raw") {
    run([&] { raw_my.push_back(t.raw_mysql()); }, [&] { mysql_close(t.raw_mysql()); });
  } else if (kind == "mysql-raw-block") {
    // A bare connection that keeps an untouched block of the size of the non-blocking
    // context verifull leaves in the handle (256 KiB of stack and one page,
    // src/mysql/connect.cpp). From the heap, as that context is: in verifull's process
    // the first context freed raised glibc's mmap threshold above its size.
    mallopt(M_MMAP_THRESHOLD, 512 * 1024);
    static std::vector<void*> blocks;
    blocks.reserve(static_cast<std::size_t>(n));
    run([&] { raw_my.push_back(t.raw_mysql()); blocks.push_back(std::malloc(260 * 1024)); },
        [&] { mysql_close(t.raw_mysql()); });
  } else if (kind == "mysql-verifull") {
    const auto open = [&] {
      auto connected = mysql::connect(my_url, trust);
      if (!connected.report.ok()) std::abort();
      return std::move(connected.conn);
    };
    run([&] { our_my.push_back(open()); }, [&] { open(); });
  } else {
    std::abort();
  }
}

// Opens n connections of `kind` in a fresh process (this program, run again) and
// returns what each further one adds. A fresh process, not a fork of this one: a fork
// inherits the megabytes the benchmarks before this one freed, and connections placed
// in that free memory grow the resident set by whatever happened to be free (a bare
// Connector/C connection measured 3.3 KiB that way, 80 KiB in a fresh process).
Growth per_connection(const std::string& self, const std::string& kind, int n) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execl(self.c_str(), self.c_str(), "memory-child", kind.c_str(), std::to_string(n).c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t got; (got = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(got));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  Growth per{-1, -1};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || std::sscanf(out.c_str(), "%lf %lf", &per.rss_kib, &per.heap_kib) != 2) {
    std::fprintf(stderr, "memory: the %s child failed\n", kind.c_str());
    std::exit(1);
  }
  return per;
}

// The median of each kind's runs, and the spread of its resident figure (max - min).
struct Measured {
  Growth median;
  double rss_spread;
};

void memory_line(const std::string& what, const Measured& ours, const Measured& raw, double target_kib) {
  const double extra = ours.median.rss_kib - raw.median.rss_kib;
  std::printf("%-44s verifull %6.1f KiB raw %6.1f KiB extra %6.1f KiB ratio %4.2f  target extra <= %.0f KiB %s\n",
              what.c_str(), ours.median.rss_kib, raw.median.rss_kib, extra, ours.median.rss_kib / raw.median.rss_kib,
              target_kib, extra <= target_kib ? "met" : "MISSED");
  std::printf("%-44s verifull %6.1f KiB raw %6.1f KiB extra %6.1f KiB (allocated, touched or not)\n", "   heap in use",
              ours.median.heap_kib, raw.median.heap_kib, ours.median.heap_kib - raw.median.heap_kib);
  std::printf("   spread of the resident figure over the runs: verifull %.1f KiB, raw %.1f KiB\n", ours.rss_spread,
              raw.rss_spread);
}

void bench_memory(const std::string& self, int rounds) {
  // Fresh processes of each kind, interleaved (other work on the machine moves a run).
  std::map<std::string, std::vector<Growth>> runs;
  const char* kinds[] = {"pg-raw", "pg-verifull", "pg-raw-resolving", "mysql-raw", "mysql-verifull",
                         "mysql-raw-block"};
  for (int round = 0; round < rounds; ++round)
    for (const char* kind : kinds) runs[kind].push_back(per_connection(self, kind, kMemoryConnections));
  const auto measured = [&](const char* kind) {
    std::vector<double> rss, heap;
    for (const Growth& h : runs[kind]) {
      rss.push_back(h.rss_kib);
      heap.push_back(h.heap_kib);
    }
    std::sort(rss.begin(), rss.end());
    std::sort(heap.begin(), heap.end());
    return Measured{{rss[rss.size() / 2], heap[heap.size() / 2]}, rss.back() - rss.front()};
  };
  std::printf("\n4. memory: what each further open connection adds (%d open in a fresh process, slope over the last "
              "%d; median of %d processes)\n",
              kMemoryConnections, kMemoryConnections - kMemorySettle, rounds);
  // A bare driver with one candidate cause added, against the bare driver (README,
  // "Performance", names what each row showed).
  const auto cause_line = [&](const char* label, const char* with_cause, const char* bare, const char* driver) {
    const Measured cause = measured(with_cause);
    std::printf("%-44s resident %6.1f KiB, %+.1f KiB over bare %s; heap in use %+.1f KiB\n", label,
                cause.median.rss_kib, cause.median.rss_kib - measured(bare).median.rss_kib, driver,
                cause.median.heap_kib - measured(bare).median.heap_kib);
  };
  memory_line("PostgreSQL", measured("pg-verifull"), measured("pg-raw"), 8);
  // PostgreSQL's extra while the resolver made a c-ares channel per lookup.
  cause_line("   bare libpq + verifull's name resolution", "pg-raw-resolving", "pg-raw", "libpq");
  memory_line("MySQL (warm cache)", measured("mysql-verifull"), measured("mysql-raw"), 8);
  // MySQL's extra: an untouched block of the size of the context verifull leaves in the handle.
  cause_line("   bare Connector/C + untouched 260 KiB", "mysql-raw-block", "mysql-raw", "Connector/C");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 3 && std::string(argv[1]) == "memory-child") {  // one side of section 4, in its own process
    open_connections(argv[2], std::atoi(argv[3]));
    return 0;
  }
  const std::string self = "/proc/self/exe";
  if (argc > 1 && std::string(argv[1]) == "memory") {  // the memory part only (profiling)
    bench_memory(self, argc > 2 ? std::atoi(argv[2]) : 5);
    return 0;
  }
  // One section alone (profiling, bisecting): connects [N] | mysql [N] | bundle [N].
  if (argc > 1 && (std::string(argv[1]) == "connects" || std::string(argv[1]) == "mysql")) {
    bench_connects(argc > 2 ? std::atoi(argv[2]) : 200, std::string(argv[1]) == "mysql");
    return 0;
  }
  if (argc > 1 && std::string(argv[1]) == "bundle") {
    bench_bundle_connects(argc > 2 ? std::atoi(argv[2]) : 100);
    return 0;
  }
  std::printf("verifull %s benchmark\n", VERIFULL_VERSION_STRING);
  bench_chains();
  if (argc > 1 && std::string(argv[1]) == "chains") return 0;  // offline part only (profiling)
  const int connects = argc > 1 ? std::atoi(argv[1]) : 200;
  bench_trust_loading();
  bench_connects(connects);
  bench_memory(self, 5);
  bench_bundle_connects(connects / 2);
  bench_fleet(env("VERIFULL_CLI"));
  return 0;
}
