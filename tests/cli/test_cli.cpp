// The CLI contract of docs/design.md (section 5): exit codes 0 to 3, --json fields, --ca
// sources. Exit code 4 needs a real server: tests/integration.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/stat.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "run_cli.hpp"
#include "test_pki.hpp"

namespace {

struct Env {
  std::string dir;
  testpki::Cert root = testpki::make_root(testpki::ca_spec("CLI Root"));
  testpki::Cert ica = testpki::issue(root, testpki::ca_spec("CLI Intermediate"));
  testpki::Cert leaf = testpki::issue(root, testpki::leaf_spec("db", {"db.example.com"}, {"127.0.0.1"}));
  testpki::Cert ica_leaf = testpki::issue(ica, testpki::leaf_spec("db2", {"db.example.com"}));
  testpki::Cert other_root = testpki::make_root(testpki::ca_spec("CLI Other Root"));
  testpki::Cert impostor = testpki::issue(other_root, testpki::leaf_spec("db", {"db.example.com"}));
  Env() {
    char tmpl[] = "/tmp/verifull-cli-XXXXXX";
    dir = mkdtemp(tmpl);
    testpki::write_file(dir + "/ca.pem", root.pem());
    testpki::write_file(dir + "/other-ca.pem", other_root.pem());
    testpki::write_file(dir + "/leaf.pem", leaf.pem());
    testpki::write_file(dir + "/leaf.key", leaf.key_pem());
    testpki::write_file(dir + "/ica.pem", ica.pem());
    testpki::write_file(dir + "/ica-leaf.pem", ica_leaf.pem());
    testpki::write_file(dir + "/impostor.pem", impostor.pem());
  }
  ~Env() { std::filesystem::remove_all(dir); }
  std::string path(const std::string& name) const { return dir + "/" + name; }
};

Env& env() {
  static Env e;
  return e;
}

using testcli::verifull;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("verify: a good chain exits 0 and --json has the contract's fields") {
  auto r = verifull({"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--host", "db.example.com", "--json"});
  CHECK(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["endpoint"] == "db.example.com");
  CHECK(j["ok"] == true);
  CHECK(j["outcome"] == "ok");
  CHECK(j["message"].get<std::string>().size() > 10);
  CHECK(j.contains("tls_version"));
  REQUIRE(j["chain"].size() == 1);
  for (const char* key : {"subject", "issuer", "sans", "not_before", "not_after", "sha256", "spki_sha256"})
    CHECK_MESSAGE(j["chain"][0].contains(key), key);
  CHECK(j["chain"][0]["sans"][0] == "DNS:db.example.com");
}

TEST_CASE("verify: refusals exit 1 with the outcome") {
  auto impostor = verifull({"verify", env().path("impostor.pem"), "--ca", env().path("ca.pem"), "--host", "db.example.com", "--json"});
  CHECK(impostor.exit_code == 1);
  CHECK(nlohmann::json::parse(impostor.out)["outcome"] == "untrusted_issuer");
  auto wrong = verifull({"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--host", "other.example.com"});
  CHECK(wrong.exit_code == 1);
  CHECK(contains(wrong.out, "REFUSED other.example.com (name_mismatch)"));
  auto ip = verifull({"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--ip", "127.0.0.2"});
  CHECK(ip.exit_code == 1);
  CHECK(verifull({"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--ip", "127.0.0.1"}).exit_code == 0);
}

TEST_CASE("verify: --at moves the clock, and a malformed time is bad input") {
  const std::vector<std::string> base = {"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--host", "db.example.com"};
  auto later = base;
  later.insert(later.end(), {"--at", "2100-01-01T00:00:00Z", "--json"});
  auto r = verifull(later);
  CHECK(r.exit_code == 1);
  CHECK(nlohmann::json::parse(r.out)["outcome"] == "expired");
  auto bad = base;
  bad.insert(bad.end(), {"--at", "yesterday"});
  auto b = verifull(bad);
  CHECK(b.exit_code == 2);
  CHECK(contains(b.err, "invalid time"));
}

TEST_CASE("verify: pins match, mismatch, or are bad input") {
  auto facts = nlohmann::json::parse(
      verifull({"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--host", "db.example.com", "--json"}).out);
  const std::string pin = facts["chain"][0]["spki_sha256"];
  const std::vector<std::string> base = {"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--host", "db.example.com"};
  auto good = base;
  good.insert(good.end(), {"--pin", pin});
  CHECK(verifull(good).exit_code == 0);
  auto other = base;
  other.insert(other.end(), {"--pin", "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "--json"});
  auto r = verifull(other);
  CHECK(r.exit_code == 1);
  CHECK(nlohmann::json::parse(r.out)["outcome"] == "pin_mismatch");
  auto bad = base;
  bad.insert(bad.end(), {"--pin", "md5/xyz"});
  CHECK(verifull(bad).exit_code == 2);
}

TEST_CASE("verify: --ca from stdin, from env:VAR, several for rotation, and --untrusted") {
  CHECK(verifull({"verify", env().path("leaf.pem"), "--ca", "-", "--host", "db.example.com"}, env().path("ca.pem")).exit_code == 0);
  setenv("VERIFULL_CLI_TEST_CA", env().root.pem().c_str(), 1);
  CHECK(verifull({"verify", env().path("leaf.pem"), "--ca", "env:VERIFULL_CLI_TEST_CA", "--host", "db.example.com"}).exit_code == 0);
  CHECK(verifull({"verify", env().path("impostor.pem"), "--ca", env().path("ca.pem"), "--ca", env().path("other-ca.pem"),
                  "--host", "db.example.com"}).exit_code == 0);
  CHECK(verifull({"verify", env().path("ica-leaf.pem"), "--ca", env().path("ca.pem"), "--host", "db.example.com"}).exit_code == 1);
  CHECK(verifull({"verify", env().path("ica-leaf.pem"), "--ca", env().path("ca.pem"), "--untrusted", env().path("ica.pem"),
                  "--host", "db.example.com"}).exit_code == 0);
}

TEST_CASE("verify: bad input exits 2 with a sentence on stderr") {
  auto key = verifull({"verify", env().path("leaf.pem"), "--ca", env().path("leaf.key"), "--host", "db.example.com"});
  CHECK(key.exit_code == 2);
  CHECK(contains(key.err, "private key"));
  const auto key_pem = env().leaf.key_pem();
  CHECK_FALSE(contains(key.err + key.out, key_pem.substr(key_pem.find('\n') + 1, 30)));
  auto missing = verifull({"verify", env().path("leaf.pem"), "--ca", env().path("nope.pem"), "--host", "db.example.com"});
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.err, "nope.pem"));
  CHECK(verifull({"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem")}).exit_code == 2);
  CHECK(verifull({"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--host", "a", "--ip", "127.0.0.1"}).exit_code == 2);
  CHECK(verifull({"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--ip", "db.example.com"}).exit_code == 2);
  CHECK(verifull({"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--host", "bad host"}).exit_code == 2);
  CHECK(verifull({"verify", env().path("ca.pem"), "--ca", env().path("ca.pem"), "--host", "x", "--engine", "nope"}).exit_code == 2);
  CHECK(verifull({"no-such-command"}).exit_code == 2);
  CHECK(verifull({}).exit_code == 2);
}

TEST_CASE("ca-info lists anchors with fingerprints and expiry; --json too") {
  auto r = verifull({"ca-info", env().path("ca.pem")});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "CN=CLI Root"));
  CHECK(contains(r.out, "sha256:"));
  auto j = nlohmann::json::parse(verifull({"ca-info", env().path("ca.pem"), "--json"}).out);
  REQUIRE(j["anchors"].size() == 1);
  CHECK(j["anchors"][0]["subject"] == "CN=CLI Root");
  CHECK(j["anchors"][0]["not_after"].get<std::string>().size() == 20);
  CHECK(verifull({"ca-info", env().path("leaf.pem")}).exit_code == 2);
}

TEST_CASE("--allow-cn-fallback and --profile: a CN-only certificate, and an encoding deviation that only strict refuses") {
  auto cn_only = testpki::issue(env().root, testpki::leaf_spec("cn.example.com", {}));
  testpki::write_file(env().path("cn-only.pem"), cn_only.pem());
  const std::vector<std::string> base = {"verify", env().path("cn-only.pem"), "--ca", env().path("ca.pem"), "--host",
                                         "cn.example.com"};
  auto refused = verifull(base);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.out, "--allow-cn-fallback"));
  auto with = base;
  with.push_back("--allow-cn-fallback");
  CHECK(verifull(with).exit_code == 0);
  with.insert(with.end(), {"--profile", "strict"});
  CHECK(verifull(with).exit_code == 0);

  // test_pki's leaves name "db" in the CN but db.example.com in the SAN: strict refuses
  // that (CA/B BR 7.1.4.3), standard accepts it with a warning.
  const std::vector<std::string> leaf = {"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--host",
                                         "db.example.com", "--json"};
  auto standard = verifull(leaf);
  CHECK(standard.exit_code == 0);
  const auto warnings = nlohmann::json::parse(standard.out)["warnings"];
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0].get<std::string>(), "--profile strict refuses it"));
  auto strict_args = leaf;
  strict_args.insert(strict_args.end(), {"--profile", "strict"});
  auto strict = verifull(strict_args);
  CHECK(strict.exit_code == 1);
  CHECK(contains(nlohmann::json::parse(strict.out)["message"].get<std::string>(), "does not meet the strict profile"));

  auto bad = verifull({"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--host", "db.example.com",
                       "--profile", "lenient"});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "unknown profile \"lenient\""));
  // check, connect and audit take the same options (input is checked before any network).
  for (const char* cmd : {"check", "connect", "audit"}) {
    auto r = verifull({cmd, "postgres://127.0.0.1:1/x", "--ca", env().path("ca.pem"), "--profile", "lenient"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "unknown profile"));
  }
}

TEST_CASE("a FIFO or a device given as a PEM file is an input error at once, never a wait") {
  const std::string fifo = env().path("ca.fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::vector<std::vector<std::string>> commands = {
      {"ca-info", fifo},
      {"verify", env().path("leaf.pem"), "--ca", fifo, "--host", "db.example.com"},
      {"verify", fifo, "--ca", env().path("ca.pem"), "--host", "db.example.com"},
      {"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--untrusted", fifo, "--host", "db.example.com"},
      {"check", "postgres://127.0.0.1:1", "--ca", fifo},
      {"ca-info", "/dev/zero"},
  };
  for (const auto& args : commands) {
    auto r = verifull(args);  // a hang would fail the test by its timeout
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "is not a regular file"));
  }
}

namespace {
// Valid UTF-8 with no terminal controls: no C0 but \n and \t, no C1, no bidi overrides.
std::string unsafe_in(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return "control byte at " + std::to_string(i);
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F) return "C1 control";
    if (text.compare(i, 3, "\xE2\x80\xAE") == 0 || text.compare(i, 3, "\xE2\x81\xA6") == 0) return "bidi override";
    if (text.compare(i, 3, "\xE2\x80\xA8") == 0 || text.compare(i, 3, "\xE2\x80\xA9") == 0) return "line separator";
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > text.size()) return "invalid UTF-8 at " + std::to_string(i);
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return "invalid UTF-8 at " + std::to_string(i);
    i += len - 1;
  }
  return "";
}
}  // namespace

TEST_CASE("certificate text with terminal controls, bidi overrides or invalid UTF-8 is printed escaped") {
  auto spec = testpki::leaf_spec("", {"db.example.com", "evil\x1b[2J.example.com"});
  spec.subject_dn = "/CN=db\xE2\x80\xAE" "moc.evil\x1b[31m/O=x\xC2\x9By";
  auto evil = testpki::issue(env().root, spec);
  testpki::write_file(env().path("evil.pem"), evil.pem());
  for (const std::string& host : {"db.example.com", "other.example.com"}) {
    for (bool json : {false, true}) {
      std::vector<std::string> args = {"verify", env().path("evil.pem"), "--ca", env().path("ca.pem"), "--host", host};
      if (json) args.push_back("--json");
      auto r = verifull(args);
      CAPTURE(host);
      CAPTURE(json);
      CHECK(r.exit_code == (host == "db.example.com" ? 0 : 1));
      CHECK_MESSAGE(unsafe_in(r.out).empty(), unsafe_in(r.out));
      CHECK(contains(r.out, json ? "\\\\E2\\\\80\\\\AE" : "\\E2\\80\\AE"));  // shown, escaped (JSON escapes the backslash)
    }
  }
  auto info = verifull({"ca-info", env().path("ca.pem")});
  CHECK(unsafe_in(info.out).empty());
  auto bad = verifull({"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--host", "bad\x1b[31m\xff.example"});
  CHECK(bad.exit_code == 2);
  CHECK_MESSAGE(unsafe_in(bad.err).empty(), unsafe_in(bad.err));
}

namespace {
// A listener that holds each connection open for a while and records how many were
// open at once (the fakes serve one connection at a time, which would hide it).
class ConcurrencyMeter {
 public:
  ConcurrencyMeter() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::listen(fd_, 4096) == 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~ConcurrencyMeter() {
    stop_ = true;
    thread_.join();
    for (auto& h : holders_) h.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  int most_at_once() const { return most_; }
  int accepted() const { return accepted_; }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++accepted_;
      const int now = ++open_;
      if (now > most_) most_ = now;
      holders_.emplace_back([this, c] {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        --open_;  // before the close: the client may count a new probe as soon as it sees EOF
        ::close(c);
      });
    }
  }
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> open_{0}, most_{0}, accepted_{0};
  std::thread thread_;
  std::vector<std::thread> holders_;
};
}  // namespace

TEST_CASE("check over many endpoints opens at most --parallel connections at once, with a summary") {
  ConcurrencyMeter meter;
  const std::string url = "postgres://127.0.0.1:" + std::to_string(meter.port());
  std::string list = "# fleet\n\n";
  for (int i = 0; i < 120; ++i) list += url + "\n";
  testpki::write_file(env().path("fleet.txt"), list);
  auto r = verifull({"check", "--from", env().path("fleet.txt"), "--ca", env().path("ca.pem"), "--parallel", "6",
                     "--timeout", "5"});
  CHECK(r.exit_code == 1);  // the endpoints hang up: refused (protocol), none ok
  CHECK(meter.accepted() == 120);
  CHECK(meter.most_at_once() <= 6);
  CHECK(meter.most_at_once() >= 2);  // and they do run side by side
  CHECK(contains(r.out, "120 endpoints: 0 ok, 120 refused, 0 unreachable"));
  // The default bound holds too.
  ConcurrencyMeter meter2;
  const std::string url2 = "postgres://127.0.0.1:" + std::to_string(meter2.port());
  std::vector<std::string> args = {"check", "--ca", env().path("ca.pem"), "--json", "--timeout", "5"};
  for (int i = 0; i < 60; ++i) args.push_back(url2);
  auto j = verifull(args);
  CHECK(meter2.most_at_once() <= 16);
  std::istringstream lines(j.out);
  int objects = 0;
  for (std::string line; std::getline(lines, line);) objects += nlohmann::json::parse(line).contains("outcome");
  CHECK(objects == 60);  // JSON Lines: one object per endpoint
  CHECK(contains(j.err, "60 endpoints:"));
  for (const char* bad : {"0", "5000"})
    CHECK(verifull({"check", url, "--ca", env().path("ca.pem"), "--parallel", bad}).exit_code == 2);
  CHECK(verifull({"check", "--ca", env().path("ca.pem")}).exit_code == 2);
}

TEST_CASE("the man page documents every option of every command, and --help gives examples and exit codes") {
  const char* man_path = std::getenv("VERIFULL_MAN_PAGE");
  REQUIRE(man_path != nullptr);
  std::ifstream in(man_path);
  REQUIRE(in.good());
  std::string man((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string plain;  // troff's "\-" is a "-"
  for (std::size_t i = 0; i < man.size(); ++i) {
    if (man[i] == '\\' && i + 1 < man.size() && man[i + 1] == '-') continue;
    plain += man[i];
  }
  for (const char* cmd : {"check", "show", "connect", "verify", "ca-info", "audit"}) {
    CAPTURE(cmd);
    const auto help = verifull({cmd, "--help"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.out, "Examples:"));
    CHECK(contains(help.out, "Exit codes:"));
    CHECK(contains(help.out, "4 verified, then"));
    CHECK(contains(plain, std::string(".B verifull ") + cmd));
    std::istringstream lines(help.out);
    for (std::string line; std::getline(lines, line);) {
      for (std::size_t at = line.find("--"); at != std::string::npos; at = line.find("--", at + 2)) {
        std::size_t end = at + 2;
        while (end < line.size() && (std::isalnum(static_cast<unsigned char>(line[end])) || line[end] == '-')) ++end;
        const std::string option = line.substr(at, end - at);
        if (option.size() > 2) CHECK_MESSAGE(contains(plain, option), option << " (from `verifull " << cmd << " --help`) is not in the man page");
      }
    }
  }
  for (const char* code : {".B 0", ".B 1", ".B 2", ".B 3", ".B 4"}) CHECK(contains(man, code));
}

TEST_CASE("check refuses the URL parameters connect refuses, and its table names each endpoint's protocol") {
  for (const char* url : {"postgres://127.0.0.1:1/x?sslmode=disable", "postgres://127.0.0.1:1/x?sslrootcert=/x.pem",
                          "postgres://127.0.0.1:1/x?service=elsewhere", "mysql://127.0.0.1:1/x?ssl-mode=DISABLED",
                          "mysql://127.0.0.1:1/x?ssl=0"}) {
    CAPTURE(url);
    auto r = verifull({"check", url, "--ca", env().path("ca.pem")});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());  // refused before any probe
  }
  auto table = verifull({"check", "postgres://127.0.0.1:1", "mysql://127.0.0.1:1", "--ca", env().path("ca.pem"),
                         "--timeout", "2"});
  CHECK(table.exit_code == 3);
  CHECK(contains(table.out, "PROTOCOL"));
  CHECK(contains(table.out, "postgres "));
  CHECK(contains(table.out, "mysql "));
}

namespace {
// Runs the CLI with an endless standard input: `line` written again and again until the
// CLI stops reading (EPIPE) or `cap` bytes went in. Returns the exit code, standard
// error, the bytes written and the CLI's peak resident memory.
struct PipedRun {
  int exit_code = -1;
  std::string err;
  std::size_t written = 0;
  long max_rss_kib = 0;
};

PipedRun run_with_endless_stdin(const std::vector<std::string>& args, const std::string& line, std::size_t cap) {
  const char* cli = std::getenv("VERIFULL_CLI");
  REQUIRE(cli != nullptr);
  int in[2], err[2];
  REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
  std::vector<std::string> argv_text = {cli};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(err[1], 2);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::execv(cli, argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(err[1]);
  const auto old_sigpipe = ::signal(SIGPIPE, SIG_IGN);
  std::string chunk;
  while (chunk.size() < 65536) chunk += line;
  PipedRun r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (r.written < cap && std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::write(in[1], chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EPIPE: the CLI stopped reading
    r.written += static_cast<std::size_t>(n);
  }
  ::close(in[1]);
  char buf[4096];
  pollfd p{err[0], POLLIN, 0};
  while (std::chrono::steady_clock::now() < deadline && ::poll(&p, 1, 100) >= 0) {
    if (!(p.revents & (POLLIN | POLLHUP))) continue;
    const ssize_t n = ::read(err[0], buf, sizeof buf);
    if (n <= 0) break;
    r.err.append(buf, static_cast<std::size_t>(n));
  }
  ::close(err[0]);
  if (std::chrono::steady_clock::now() >= deadline) ::kill(pid, SIGKILL);  // a hang fails below
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  ::signal(SIGPIPE, old_sigpipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.max_rss_kib = usage.ru_maxrss;
  return r;
}
}  // namespace

TEST_CASE("check --from - reads at most 4 MiB of standard input: an endless pipe is refused promptly, in bounded memory") {
  const auto start = std::chrono::steady_clock::now();
  auto r = run_with_endless_stdin({"check", "--from", "-", "--ca", env().path("ca.pem")},
                                  "postgres://db.example.com:5432\n", std::size_t{256} << 20);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "URL list from standard input is larger than 4 MiB"));
  CHECK(r.written < (std::size_t{32} << 20));  // it stopped reading: the pipe broke long before the 256 MiB
  CHECK(r.max_rss_kib < 96 * 1024);
  CHECK(took < std::chrono::seconds(15));
}

TEST_CASE("a bad line of a URL list is quoted by a short, escaped excerpt, never whole") {
  const std::string huge_line = "postgres://" + std::string(10000, 'h') + ".example.com:5432";
  const std::string long_host = "postgres://" + std::string(300, 'x') + "\x1b[2J.example.com:5432";
  testpki::write_file(env().path("long-lines.txt"), huge_line + "\n" + long_host + "\npostgres://127.0.0.1:1\n");
  for (bool json : {false, true}) {
    CAPTURE(json);
    std::vector<std::string> args = {"check", "--from", env().path("long-lines.txt"), "--ca", env().path("ca.pem"),
                                     "--timeout", "2"};
    if (json) args.push_back("--json");
    auto r = verifull(args);
    CHECK(r.exit_code == 3);  // the closed port is the highest code; both long lines are input errors
    CHECK(contains(r.out + r.err, json ? "\"line\":1" : "line 1: the URL \"postgres://hhhh"));
    CHECK(contains(r.out + r.err, "is longer than 4096 bytes"));
    CHECK(contains(r.out + r.err, "(" + std::to_string(huge_line.size()) + " bytes)"));
    // The host's excerpt in its message (the host is the line without scheme and port).
    CHECK(contains(r.out + r.err, "(" + std::to_string(long_host.size() - 16) + " bytes)"));
    CHECK_FALSE(contains(r.out + r.err, std::string(200, 'h')));
    CHECK_FALSE(contains(r.out + r.err, std::string(200, 'x')));
    CHECK_MESSAGE(unsafe_in(r.out + r.err).empty(), unsafe_in(r.out + r.err));
    std::istringstream lines(r.out + r.err);
    for (std::string line; std::getline(lines, line);) CHECK(line.size() < 1000);
  }
}

TEST_CASE("check with one bad host exits 2 with the reason; it used to abort (SIGABRT)") {
  for (const char* url : {"postgres://-bad.example.com:5432", "mysql://10.0.0:3306", "postgres://192.000.002.001:5432"}) {
    CAPTURE(url);
    auto r = verifull({"check", url, "--ca", env().path("ca.pem"), "--timeout", "2"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "verifull: invalid host name"));
    auto j = verifull({"check", url, "--ca", env().path("ca.pem"), "--timeout", "2", "--json"});
    CHECK(j.exit_code == 2);
    const auto row = nlohmann::json::parse(j.out);
    CHECK(row["outcome"] == "input_error");
    CHECK(row["ok"] == false);
    // The other commands that reach an endpoint refuse it the same way, before any traffic.
    for (const char* cmd : {"show", "connect", "audit"}) {
      CAPTURE(cmd);
      auto other = verifull({cmd, url, "--ca", env().path("ca.pem"), "--timeout", "2"});
      CHECK(other.exit_code == 2);
      CHECK(contains(other.err, "verifull: invalid host name"));
    }
  }
}

TEST_CASE("U+2028 and U+2029 (line and paragraph separators) are printed escaped, like other controls") {
  auto spec = testpki::leaf_spec("", {"db.example.com"});
  spec.subject_dn = "/CN=db\xE2\x80\xA8" "fake: line/O=x\xE2\x80\xA9y";
  auto separated = testpki::issue(env().root, spec);
  testpki::write_file(env().path("separators.pem"), separated.pem());
  for (bool json : {false, true}) {
    CAPTURE(json);
    std::vector<std::string> args = {"verify", env().path("separators.pem"), "--ca", env().path("ca.pem"), "--host",
                                     "db.example.com"};
    if (json) args.push_back("--json");
    auto r = verifull(args);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(contains(r.out, "\xE2\x80\xA8"));
    CHECK_FALSE(contains(r.out, "\xE2\x80\xA9"));
    CHECK(contains(r.out, json ? "\\\\E2\\\\80\\\\A8" : "\\E2\\80\\A8"));
    CHECK(contains(r.out, json ? "\\\\E2\\\\80\\\\A9" : "\\E2\\80\\A9"));
  }
  auto bad = verifull({"verify", env().path("leaf.pem"), "--ca", env().path("ca.pem"), "--host", "db\xE2\x80\xA8.example"});
  CHECK(bad.exit_code == 2);
  CHECK_FALSE(contains(bad.err, "\xE2\x80\xA8"));
  CHECK(contains(bad.err, "\\E2\\80\\A8"));
}

TEST_CASE("audit --suggest-readonly reads its table list as the C ABI does: \"orders, customers\" names two tables") {
  for (const char* list : {"orders,customers", "orders, customers", " orders ,customers,"}) {
    CAPTURE(list);
    auto r = verifull({"audit", "--suggest-readonly", "--kind", "postgres", list});
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "GRANT SELECT ON TABLE \"public\".\"orders\", \"public\".\"customers\" TO"));
  }
  auto my = verifull({"audit", "--suggest-readonly", "--kind", "mysql", "shop.orders, shop.customers"});
  CHECK(my.exit_code == 0);
  CHECK(contains(my.out, "GRANT SELECT ON `shop`.`orders` TO"));
  CHECK(contains(my.out, "GRANT SELECT ON `shop`.`customers` TO"));
  // A blank inside a name is kept, for the identifier rule to refuse by name.
  auto bad = verifull({"audit", "--suggest-readonly", "--kind", "postgres", "my orders"});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "invalid table name \"my orders\""));
  auto none = verifull({"audit", "--suggest-readonly", "--kind", "postgres", " , "});
  CHECK(none.exit_code == 2);
  CHECK(contains(none.err, "at least one table"));
}

TEST_CASE("a port out of range is refused by the one port rule, in a URL and in every command that takes one") {
  for (const char* url : {"postgres://db.example.com:0", "mysql://db.example.com:65536", "postgres://db.example.com:x"}) {
    CAPTURE(url);
    for (const char* cmd : {"check", "show", "connect", "audit"}) {
      CAPTURE(cmd);
      auto r = verifull({cmd, url, "--ca", env().path("ca.pem"), "--timeout", "2"});
      CHECK(r.exit_code == 2);
      CHECK(contains(r.err + r.out, "the port must be a number from 1 to 65535"));
    }
  }
}
