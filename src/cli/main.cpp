// The verifull command line. Exit codes (docs/design.md, section 5): 0 verified/ok,
// 1 refused, 2 usage or bad input, 3 network, 4 verified, then the login, the database or
// the query failed.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "chain_text.hpp"
#include "core/list_syntax.hpp"
#include "fleet.hpp"
#include "formats.hpp"
#include "sql_results.hpp"
#include "verifull/verifull.hpp"

namespace {

using namespace verifull;

// docs/design.md, section 5: 4 = verified, then the server refused the login or the query
// failed.
enum ExitCode { kOk = 0, kRefused = 1, kInput = 2, kNetwork = 3, kAfterVerified = 4 };

// One JSON object on one line; text that is not UTF-8 (from a server) is replaced, never
// an exception.
void print_json_line(const nlohmann::json& j) {
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

Trust load_trust(const std::vector<std::string>& specs) {
  std::vector<Trust> parts;
  for (const auto& spec : specs) parts.push_back(Trust::from_spec(spec));
  return Trust::combine(parts);
}

int print_report(const Report& report, bool json) {
  if (json) {
    std::cout << report.to_json() << "\n";
  } else {
    std::cout << (report.ok() ? "OK " : "REFUSED ") << report.endpoint << " ("
              << outcome_name(report.outcome) << "): " << report.message << "\n";
    if (!report.tls_version.empty()) std::cout << "tls: " << report.tls_version << ", " << report.cipher << "\n";
    for (const auto& w : report.warnings) std::cout << "warning: " << w << "\n";
    if (!report.chain.empty()) {
      std::cout << "presented chain:\n";
      cli::print_chain(report.chain, cli::ChainForm::report, std::cout);
    }
  }
  return outcome_exit_code(report.outcome);
}

std::chrono::milliseconds timeout_from_seconds(double seconds) {
  if (!(seconds > 0) || seconds > 3600) throw InputError("--timeout must be between 0 and 3600 seconds");
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

// How a chain is judged, for every command that verifies one (verify, check, connect,
// audit).
struct RuleOptions {
  std::string profile = "standard";
  bool allow_cn_fallback = false;
  std::vector<std::string> crls;
  bool require_crl = false;

  void apply(Policy& p) const {
    p.profile = parse_profile(profile);
    p.allow_cn_fallback = allow_cn_fallback;
    p.crls = crls;
    p.require_crl = require_crl;
  }
};

// Revocation, for every command that verifies a chain (verify, check, connect, audit, show --ca).
void add_crl_options(CLI::App* cmd, std::vector<std::string>& crls, bool& require_crl) {
  cmd->add_option("--crl", crls,
                  "certificate revocation list: a FILE (PEM or DER) or a DIR of them (like libpq's sslcrldir); "
                  "repeatable; the driver gets the same CRLs");
  cmd->add_flag("--require-crl", require_crl, "refuse a chain with an issuer for which no CRL was given");
}

void add_rule_options(CLI::App* cmd, RuleOptions& o) {
  cmd->add_option("--profile", o.profile,
                  "standard (default: what libpq verify-full accepts, encoding deviations as warnings) or "
                  "strict (RFC 5280 / CA/B profile, OpenSSL's X509_STRICT)");
  cmd->add_flag("--allow-cn-fallback", o.allow_cn_fallback,
                "match a DNS name against the subject CN when the certificate has no subjectAltName, as libpq does");
  add_crl_options(cmd, o.crls, o.require_crl);
}

// The options every command that reaches an endpoint shares (check, connect, audit).
struct EndpointOptions {
  RuleOptions rules;
  std::vector<std::string> ca;
  std::vector<std::string> pins;
  std::string engine = "openssl";
  double timeout = 10;
  bool json = false;

  // Everything that can be bad input is checked here, before any connection is made.
  Policy policy() const {
    Policy p;
    p.pins = pins;
    p.engine = parse_engine(engine);
    p.timeout = timeout_from_seconds(timeout);
    rules.apply(p);
    for (const auto& pin : p.pins) decode_pin(pin);
    return p;
  }
  Trust trust() const {
    if (ca.empty()) throw InputError("--ca is required: the CA (trust anchors) the server must chain to");
    return load_trust(ca);
  }
};

void add_endpoint_options(CLI::App* cmd, EndpointOptions& o) {
  cmd->add_option("--ca", o.ca, "trust anchors: FILE, - (stdin) or env:VAR; repeatable");
  cmd->add_option("--pin", o.pins, "sha256/BASE64 key pin; repeatable, any one must match");
  cmd->add_option("--engine", o.engine, "openssl, botan or both");
  cmd->add_option("--timeout", o.timeout, "seconds for the whole call: probe, TLS, login (default 10)");
  cmd->add_flag("--json", o.json, "print JSON");
  add_rule_options(cmd, o.rules);
}

// What a connection presents or allows beyond the verification rules (connect, audit):
// a client certificate and the clear-text password opt-in. check and show send no
// credential, so they do not take these.
struct ConnectionOptions {
  std::string cert, key, key_passphrase_file;
  bool allow_cleartext_password = false;

  void apply(Policy& p) const {
    p.client_cert = cert;
    p.client_key = key;
    if (!key_passphrase_file.empty()) p.client_key_passphrase = read_passphrase(key_passphrase_file);
    p.allow_cleartext_password = allow_cleartext_password;
  }

  // The first line of the file, without its line break. Never echoed: a refusal names the
  // file only.
  static std::string read_passphrase(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    if (!in || !std::getline(in, line) || in.bad())
      throw InputError("--key-passphrase-file \"" + path + "\" cannot be read (or is empty)");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) throw InputError("--key-passphrase-file \"" + path + "\" holds an empty first line");
    if (line.size() > 1024) throw InputError("--key-passphrase-file \"" + path + "\": the passphrase is over 1024 bytes");
    return line;
  }
};

void add_connection_options(CLI::App* cmd, ConnectionOptions& o) {
  cmd->add_option("--cert", o.cert, "client certificate (PEM file) for servers that require one");
  cmd->add_option("--key", o.key, "the client certificate's private key (PEM file, mode 0600)");
  cmd->add_option("--key-passphrase-file", o.key_passphrase_file,
                  "a file whose first line is the key's passphrase (never given on the command line)");
  cmd->add_flag("--allow-cleartext-password", o.allow_cleartext_password,
                "answer a verified server that asks for the password as it is (mysql_clear_password: RDS IAM "
                "tokens, PAM, LDAP; PostgreSQL's password method)");
}

struct CheckArgs {
  std::vector<std::string> urls;
  std::string from;  // a file of URLs, one a line
  std::size_t parallel = 16;
  int warn_days = 30;
  EndpointOptions options;
  std::string format = "text";  // text, json, prometheus or nagios
  int crit_days = 7;            // --format nagios
  bool warn_days_given = false, crit_days_given = false;
};

const char* protocol_name(Protocol p) { return p == Protocol::postgres ? "postgres" : "mysql"; }

const char* row_result(const cli::FleetRow& row) {
  if (row.kind != cli::FleetRow::Kind::checked) return "BAD INPUT";
  return row.ok() ? "OK" : "REFUSED";
}

// Where a row came from, for messages: "line 7" of --from, or the endpoint.
std::string row_origin(const cli::FleetRow& row) {
  return row.input.line ? "line " + std::to_string(row.input.line) : row.label();
}

// One JSON object per row (JSON Lines). A checked row is the Report's JSON; a row that
// could not be checked has "endpoint": null, "ok": false, "outcome" "input_error" or
// "internal_error", the "message" and the "input" it came from (quoted: short and
// escaped). Rows from --from carry their "line".
void print_json_row(const cli::FleetRow& row) {
  nlohmann::ordered_json j;
  if (row.kind == cli::FleetRow::Kind::checked) {
    j = nlohmann::ordered_json::parse(row.report.to_json());
  } else {
    j = {{"endpoint", nullptr}, {"ok", false}, {"outcome", row.outcome()}, {"message", row.error},
         {"input", quote_input(row.input.url)}};
  }
  if (row.input.line) j["line"] = row.input.line;
  std::cout << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

void print_table(const std::vector<cli::FleetRow>& rows) {
  std::size_t width = 8;
  for (const auto& row : rows) width = std::max(width, row.label().size());
  std::cout << std::left << std::setw(static_cast<int>(width) + 2) << "ENDPOINT" << std::setw(10) << "PROTOCOL"
            << std::setw(11) << "RESULT" << std::setw(20) << "OUTCOME" << "TLS\n";
  for (const auto& row : rows) {
    std::cout << std::left << std::setw(static_cast<int>(width) + 2) << row.label() << std::setw(10)
              << (row.endpoint ? protocol_name(row.endpoint->protocol) : "-") << std::setw(11) << row_result(row)
              << std::setw(20) << row.outcome()
              << (row.report.tls_version.empty() ? "-" : row.report.tls_version) << "\n";
  }
  std::cout << "\n";
  for (const auto& row : rows) {
    if (row.kind == cli::FleetRow::Kind::checked) std::cout << row.report.endpoint << ": " << row.report.message << "\n";
    else std::cout << row_origin(row) << ": " << row.error << "\n";
  }
}

void print_summary(const cli::FleetSummary& s, std::size_t total, int warn_days, std::ostream& out) {
  out << total << " endpoints: " << s.ok << " ok, " << s.refused << " refused, " << s.unreachable << " unreachable";
  if (s.bad_input) out << ", " << s.bad_input << " not checked (bad input)";
  out << "; " << s.expiring.size() << " with a certificate expiring within " << warn_days << " days\n";
  for (const auto& e : s.expiring) out << "  expiring: " << e << "\n";
}

// A single endpoint has no summary, but its expiry warning is printed all the same (the
// exit code stays the outcome's; --format nagios turns expiry into one).
void print_expiring(const cli::FleetSummary& s, int warn_days, std::ostream& out) {
  for (const auto& e : s.expiring) out << "expiring: " << e << " (within --warn-days " << warn_days << ")\n";
}

// Each format takes the options that mean something to it and refuses the others by name.
void check_format_options(const CheckArgs& a, const std::string& format) {
  if (format != "text" && format != "json" && format != "prometheus" && format != "nagios")
    throw InputError("--format must be text, json, prometheus or nagios, not " + quote_input(a.format));
  if (a.options.json && format != "json")
    throw InputError("--json and --format " + format + " ask for two outputs: give one of them");
  if (a.crit_days_given && format != "nagios")
    throw InputError("--crit-days sets the CRITICAL threshold of --format nagios; the other formats have none");
  if (a.crit_days < 0 || a.crit_days > 3650) throw InputError("--crit-days must be between 0 and 3650");
  if (format == "nagios" && a.crit_days_given && a.crit_days > a.warn_days)
    throw InputError("--crit-days (" + std::to_string(a.crit_days) + ") must not exceed --warn-days (" +
                     std::to_string(a.warn_days) + "): a certificate turns WARNING before CRITICAL");
  if (a.warn_days_given && format == "prometheus")
    throw InputError("--warn-days has no effect with --format prometheus, which exports the seconds until expiry: "
                     "set the threshold in an alerting rule on verifull_chain_expiry_seconds");
}

int run_check(const CheckArgs& a) {
  // Bad options and an unreadable list stop the whole run before any connection; a bad
  // URL stops only its own row (cli::parse_rows).
  std::vector<cli::FleetInput> inputs;
  for (const auto& url : a.urls) inputs.push_back({0, url});
  if (!a.from.empty()) {
    const auto listed = cli::read_url_list(a.from);
    inputs.insert(inputs.end(), listed.begin(), listed.end());
  }
  if (inputs.empty()) throw InputError("no endpoint given: pass URLs, or --from FILE with one URL a line");
  if (a.parallel < 1 || a.parallel > 1024) throw InputError("--parallel must be between 1 and 1024");
  if (a.warn_days < 0 || a.warn_days > 3650) throw InputError("--warn-days must be between 0 and 3650");
  const std::string format = a.options.json && a.format == "text" ? "json" : a.format;
  check_format_options(a, format);
  const Policy policy = a.options.policy();
  const Trust trust = a.options.trust();
  std::vector<cli::FleetRow> rows = cli::parse_rows(inputs);

  cli::FleetOptions fleet;
  fleet.parallel = a.parallel;
  fleet.progress = rows.size() > 1 && ::isatty(STDERR_FILENO);
  cli::check_all(rows, trust, policy, fleet);

  const std::int64_t now = std::time(nullptr);
  if (format == "nagios") {
    // The default CRITICAL threshold follows a --warn-days below it.
    const int crit_days = a.crit_days_given ? a.crit_days : std::min(a.crit_days, a.warn_days);
    return cli::print_nagios(rows, {a.warn_days, crit_days}, now, std::cout);
  }
  int worst = kOk;
  for (const auto& row : rows) worst = std::max(worst, row.exit_code());
  if (format == "prometheus") {
    cli::print_prometheus(rows, now, std::cout);
    // The series say which rows were bad input; whoever runs it by hand also learns why.
    for (const auto& row : rows)
      if (row.kind != cli::FleetRow::Kind::checked) std::cerr << "verifull: " << row_origin(row) << ": " << row.error << "\n";
    return worst;
  }
  const auto summary = cli::summarize(rows, a.warn_days, now);
  if (format == "json") {
    for (const auto& row : rows) print_json_row(row);
    if (rows.size() > 1) print_summary(summary, rows.size(), a.warn_days, std::cerr);
    else print_expiring(summary, a.warn_days, std::cerr);
  } else if (rows.size() == 1 && rows.front().kind == cli::FleetRow::Kind::checked) {
    print_report(rows.front().report, false);
    print_expiring(summary, a.warn_days, std::cout);
  } else if (rows.size() == 1) {
    // One endpoint that could not be checked reads like verify's and connect's bad input.
    const auto& row = rows.front();
    std::cerr << "verifull: " << (row.input.line ? row_origin(row) + ": " : "") << row.error << "\n";
  } else {
    print_table(rows);
    std::cout << "\n";
    print_summary(summary, rows.size(), a.warn_days, std::cout);
  }
  return worst;
}

struct ConnectArgs {
  std::string url;
  std::string query = "SELECT 1";
  EndpointOptions options;
  ConnectionOptions connection;
};

int print_connection(const Report& report, const std::string& sql, const cli::QueryResult& q, bool json) {
  if (json) {
    auto j = nlohmann::json::parse(report.to_json());
    if (report.ok()) cli::add_query_json(j, sql, q);
    print_json_line(j);
  } else {
    print_report(report, false);
    if (report.ok()) cli::print_query_text(sql, q, std::cout);
  }
  if (!report.ok()) return outcome_exit_code(report.outcome);
  return q.error.empty() ? kOk : kAfterVerified;
}

int run_connect(const ConnectArgs& a) {
  const Endpoint endpoint = parse_url(a.url);  // validates the scheme and shape
  const Policy policy = [&] {
    Policy p = a.options.policy();
    a.connection.apply(p);
    return p;
  }();
  const Trust trust = a.options.trust();
  cli::QueryResult q;
  if (endpoint.protocol == Protocol::mysql) {
    // The password comes from the URL or MYSQL_PWD.
    auto connected = mysql::connect(a.url, trust, policy);
    if (connected.report.ok()) q = cli::run_mysql_query(connected.conn.get(), a.query);
    return print_connection(connected.report, a.query, q, a.options.json);
  }
  // The password comes from the URL or, as libpq does, from PGPASSWORD.
  auto connected = postgres::connect(a.url, trust, policy);
  if (connected.report.ok()) q = cli::run_postgres_query(connected.conn.get(), a.query);
  return print_connection(connected.report, a.query, q, a.options.json);
}

struct AuditArgs {
  std::string target;  // a URL, or with --suggest-readonly the tables
  EndpointOptions options;
  ConnectionOptions connection;
  bool suggest_readonly = false;
  std::string kind;
  std::string user = "readonly_integration";
};

int print_audit(const Report& connection, const AuditReport* audit, bool json) {
  if (json) {
    auto j = nlohmann::json::parse(connection.to_json());
    if (audit) j["audit"] = nlohmann::json::parse(audit->to_json());
    print_json_line(j);
  } else if (!audit) {
    print_report(connection, false);
  } else {
    std::cout << "connected to " << connection.endpoint << " (verified, " << connection.tls_version << ")\n"
              << privilege_level_name(audit->verdict) << ": " << audit->message << "\n";
    for (const auto& f : audit->admin_findings) std::cout << "  admin: " << f << "\n";
    for (const auto& f : audit->broad_findings) std::cout << "  broad: " << f << "\n";
    for (const auto& [kind, count] : audit->table_privileges)
      if (count) std::cout << "  " << kind << " on " << count << " table" << (count == 1 ? "" : "s") << "\n";
  }
  if (!connection.ok()) return outcome_exit_code(connection.outcome);
  return audit->verdict == PrivilegeLevel::least_privilege ? kOk : kRefused;
}

int run_audit(const AuditArgs& a) {
  if (a.suggest_readonly) {
    const auto tables = detail::parse_name_list(a.target);  // as the C ABI reads it (core/list_syntax.hpp)
    if (a.kind == "postgres") std::cout << postgres::suggest_readonly_sql(tables, a.user);
    else if (a.kind == "mysql") std::cout << mysql::suggest_readonly_sql(tables, a.user);
    else throw InputError("--suggest-readonly needs --kind postgres or --kind mysql");
    return kOk;
  }
  const Endpoint endpoint = parse_url(a.target);
  const Policy policy = [&] {
    Policy p = a.options.policy();
    a.connection.apply(p);
    return p;
  }();
  const Trust trust = a.options.trust();
  const bool json = a.options.json;
  // --timeout bounds the connect and the audit queries together (NetworkError, exit 3).
  const auto deadline = std::chrono::steady_clock::now() + policy.timeout;
  const auto left = [&] {
    return std::max(std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      deadline - std::chrono::steady_clock::now()));
  };
  if (endpoint.protocol == Protocol::mysql) {
    auto connected = mysql::connect(a.target, trust, policy);
    if (!connected.report.ok()) return print_audit(connected.report, nullptr, json);
    const auto audit = mysql::audit(connected.conn.get(), left());
    return print_audit(connected.report, &audit, json);
  }
  auto connected = postgres::connect(a.target, trust, policy);
  if (!connected.report.ok()) return print_audit(connected.report, nullptr, json);
  const auto audit = postgres::audit(connected.conn.get(), left());
  return print_audit(connected.report, &audit, json);
}

struct ShowArgs {
  std::string url;
  double timeout = 10;
  std::vector<std::string> ca;  // optional: say which of these anchors the chain ends at
  bool json = false;
  std::vector<std::string> crls;  // with --ca: revocation too, as `check` would
  bool require_crl = false;
};

// `show` trusts nothing; with --ca it also says whether, and to which anchor, the chain
// leads (the verdict of `check`, without refusing).
int run_show(const ShowArgs& a) {
  const Endpoint endpoint = parse_url(a.url);
  std::optional<Trust> trust;
  if (!a.ca.empty()) trust = load_trust(a.ca);
  if (!trust && (!a.crls.empty() || a.require_crl))
    throw InputError("--crl and --require-crl apply to the verdict `show` gives with --ca; give --ca too");
  const ProbeResult result = fetch_chain(endpoint, timeout_from_seconds(a.timeout));
  if (result.outcome != Outcome::ok) {
    if (a.json) {
      print_json_line({{"endpoint", endpoint.host_port()}, {"ok", false},
                       {"outcome", outcome_name(result.outcome)}, {"message", result.message}});
    } else {
      std::cerr << "verifull: " << endpoint.host_port() << " (" << outcome_name(result.outcome)
                << "): " << result.message << "\n";
    }
    return outcome_exit_code(result.outcome);
  }
  std::optional<Report> verdict;
  if (trust) {
    std::string pem;
    for (const auto& c : result.chain) pem += c.pem;
    Policy policy;
    policy.host = endpoint.host;
    policy.crls = a.crls;
    policy.require_crl = a.require_crl;
    verdict = verify_pem(pem, "", *trust, policy);
  }
  if (a.json) {
    Report facts;  // the chain in check --json's form
    facts.chain = result.chain;
    nlohmann::json out = {{"endpoint", endpoint.host_port()}, {"protocol", protocol_name(endpoint.protocol)},
                          {"tls_version", result.tls_version}, {"cipher", result.cipher},
                          {"chain", nlohmann::json::parse(facts.to_json())["chain"]}, {"verified", nullptr}};
    if (verdict) {
      out["verified"] = {{"ok", verdict->ok()}, {"outcome", outcome_name(verdict->outcome)},
                         {"message", verdict->message},
                         {"anchor", verdict->anchor.empty() ? nlohmann::json(nullptr) : nlohmann::json(verdict->anchor)}};
    }
    print_json_line(out);
    return kOk;
  }
  std::cout << "# " << result.message << ", " << result.cipher
            << ". NOT VERIFIED: `show` trusts nothing; compare the fingerprints with what your provider publishes.\n";
  if (verdict)
    std::cout << "# with the given anchors: " << outcome_name(verdict->outcome) << ": " << verdict->message << "\n";
  cli::print_chain(result.chain, cli::ChainForm::commented, std::cout);
  return kOk;
}

struct VerifyArgs {
  std::string leaf;
  std::vector<std::string> ca;
  std::string untrusted;
  std::string host;
  std::string ip;
  std::string at;
  std::vector<std::string> pins;
  std::string engine = "openssl";
  RuleOptions rules;
  bool json = false;
};

int run_verify(const VerifyArgs& a) {
  Policy policy;
  if (!a.ip.empty()) {
    if (!is_ip_literal(a.ip)) throw InputError("--ip " + a.ip + " is not an IPv4 or IPv6 address");
    policy.host = a.ip;
  } else {
    policy.host = a.host;
  }
  policy.pins = a.pins;
  policy.engine = parse_engine(a.engine);
  a.rules.apply(policy);
  if (!a.at.empty()) policy.verification_time = parse_rfc3339(a.at);
  const Trust trust = load_trust(a.ca);
  const std::string leaf = read_input_file(a.leaf, "certificate file");
  const std::string untrusted = a.untrusted.empty() ? "" : read_input_file(a.untrusted, "untrusted file");
  return print_report(verify_pem(leaf, untrusted, trust, policy), a.json);
}

int run_ca_info(const std::string& spec, bool json) {
  const Trust trust = Trust::from_spec(spec);
  const auto warnings = trust.warnings(static_cast<std::int64_t>(std::time(nullptr)));
  if (json) {
    nlohmann::json anchors = nlohmann::json::array();
    for (const auto& a : trust.anchors()) {
      anchors.push_back({{"subject", a.subject}, {"sha256", a.sha256}, {"spki_sha256", a.spki_sha256},
                         {"not_before", a.not_before}, {"not_after", a.not_after},
                         {"self_signed", a.self_signed}, {"is_ca", a.is_ca}});
    }
    print_json_line({{"source", trust.source()}, {"anchors", anchors}, {"warnings", warnings}});
    return kOk;
  }
  std::cout << trust.source() << ": " << trust.anchors().size() << " trust anchor"
            << (trust.anchors().size() == 1 ? "" : "s") << "\n";
  for (std::size_t i = 0; i < trust.anchors().size(); ++i) {
    const auto& a = trust.anchors()[i];
    std::cout << "  [" << i << "] " << a.subject << "\n"
              << "      sha256:   " << a.sha256 << "\n"
              << "      key pin:  " << a.spki_sha256 << "\n"
              << "      valid:    " << a.not_before << " to " << a.not_after << "\n";
  }
  for (const auto& w : warnings) std::cout << "warning: " << w << "\n";
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"verifull: verified TLS for PostgreSQL and MySQL clients"};
  app.require_subcommand(1);
  const std::string exit_codes =
      "Exit codes: 0 verified/ok, 1 refused (a certificate or endpoint failed a check), 2 usage or bad input, "
      "3 network (unreachable, refused, timeout), 4 verified, then the server refused the login or the query "
      "failed. See man verifull.";
  app.footer(exit_codes);
  app.set_version_flag("--version", VERIFULL_VERSION_STRING);

  VerifyArgs verify;
  auto* verify_cmd = app.add_subcommand("verify", "check a certificate chain offline, as a connection would");
  verify_cmd->footer("Examples:\n  verifull verify server.pem --ca ca.pem --host db.example.com --profile strict\n" + exit_codes);
  verify_cmd->add_option("LEAF", verify.leaf, "PEM file: the server certificate, then any intermediates")->required();
  verify_cmd->add_option("--ca", verify.ca, "trust anchors: FILE, - (stdin) or env:VAR; repeatable")->required();
  verify_cmd->add_option("--untrusted", verify.untrusted, "PEM file of extra intermediates");
  auto* host_opt = verify_cmd->add_option("--host", verify.host, "the DNS name (or IP) that was dialled");
  auto* ip_opt = verify_cmd->add_option("--ip", verify.ip, "the IP address that was dialled");
  host_opt->excludes(ip_opt);
  verify_cmd->add_option("--at", verify.at, "verify as of this RFC 3339 time instead of now");
  verify_cmd->add_option("--pin", verify.pins, "sha256/BASE64 key pin; repeatable, any one must match");
  verify_cmd->add_option("--engine", verify.engine, "openssl, botan or both");
  verify_cmd->add_flag("--json", verify.json, "print one JSON object");
  add_rule_options(verify_cmd, verify.rules);

  std::string ca_info_spec;
  bool ca_info_json = false;
  auto* ca_info_cmd = app.add_subcommand("ca-info", "list trust anchors with fingerprints and expiry");
  ca_info_cmd->footer("Examples:\n  verifull ca-info aptible-ca.pem --json\n" + exit_codes);
  ca_info_cmd->add_option("FILE", ca_info_spec, "FILE, - (stdin) or env:VAR")->required();
  ca_info_cmd->add_flag("--json", ca_info_json, "print one JSON object");

  CheckArgs check_args;
  auto* check_cmd = app.add_subcommand("check", "probe endpoints and verify them; never sends credentials");
  check_cmd->footer("Examples:\n  verifull check postgres://db.example.com:5432 mysql://db2.example.com:3306 --ca ca.pem\n  verifull check --from endpoints.txt --ca ca.pem --parallel 32 --json\n" + exit_codes);
  check_cmd->add_option("URL", check_args.urls, "postgres://, postgresql://, mysql:// or mariadb:// URLs");
  check_cmd->add_option("--from", check_args.from,
                        "a file of URLs, one a line (# comments; - for standard input; at most 4 MiB)");
  check_cmd->add_option("--parallel", check_args.parallel, "probes at once, at most (default 16)");
  check_cmd->add_option("--warn-days", check_args.warn_days,
                        "name certificates that expire within this many days (default 30); with --format nagios, "
                        "the WARNING threshold");
  add_endpoint_options(check_cmd, check_args.options);
  check_cmd->add_option("--format", check_args.format,
                        "text (default), json (as --json), prometheus (text exposition format) or nagios "
                        "(a plugin: status line, perfdata, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)");
  check_cmd->add_option("--crit-days", check_args.crit_days,
                        "with --format nagios: CRITICAL when a certificate expires within this many days (default 7, or "
                        "--warn-days when lower)");

  ConnectArgs connect_args;
  auto* connect_cmd = app.add_subcommand("connect", "open a verified connection and run a query");
  connect_cmd->footer("Examples:\n  PGPASSWORD=... verifull connect postgres://app@db.example.com:5432/app --ca ca.pem --query \"SELECT 1\" --json\n" + exit_codes);
  connect_cmd->add_option("URL", connect_args.url, "postgres:// or mysql:// user:password@host:port/db")->required();
  connect_cmd->add_option("--query", connect_args.query, "SQL to run (default SELECT 1)");
  add_endpoint_options(connect_cmd, connect_args.options);
  add_connection_options(connect_cmd, connect_args.connection);

  AuditArgs audit_args;
  auto* audit_cmd = app.add_subcommand("audit", "report what the credential in URL may do (least privilege)");
  audit_cmd->footer("Examples:\n  verifull audit mysql://report:pw@db.example.com:3306/shop --ca ca.pem\n  verifull audit --suggest-readonly --kind postgres orders,customers\n" + exit_codes);
  audit_cmd->add_option("TARGET", audit_args.target, "URL; with --suggest-readonly: TABLE[,TABLE...]")->required();
  add_endpoint_options(audit_cmd, audit_args.options);
  add_connection_options(audit_cmd, audit_args.connection);
  audit_cmd->add_flag("--suggest-readonly", audit_args.suggest_readonly,
                      "print SQL creating a read-only user for the tables, with a generated password");
  audit_cmd->add_option("--kind", audit_args.kind, "postgres or mysql (with --suggest-readonly)");
  audit_cmd->add_option("--user", audit_args.user, "the new user's name (default readonly_integration)");

  ShowArgs show;
  auto* show_cmd = app.add_subcommand("show", "print the chain an endpoint presents as PEM, trusting nothing");
  show_cmd->footer("Examples:\n  verifull show postgres://db.example.com:5432 --ca ca.pem --json\n" + exit_codes);
  show_cmd->add_option("URL", show.url, "postgres:// or mysql:// URL")->required();
  show_cmd->add_option("--timeout", show.timeout, "seconds for the whole probe (default 10)");
  show_cmd->add_option("--ca", show.ca, "also say whether the chain leads to these anchors; repeatable");
  show_cmd->add_flag("--json", show.json, "print one JSON object");
  add_crl_options(show_cmd, show.crls, show.require_crl);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (cli::nagios_requested(argc, argv)) {  // a plugin's bad arguments are UNKNOWN
      std::cout << "VERIFULL UNKNOWN - " << InputError(e.what()).what() << "\n";  // redacted, escaped
      return cli::nagios_unknown;
    }
    app.exit(e);
    return kInput;
  }

  try {
    if (*verify_cmd) {
      if (verify.host.empty() && verify.ip.empty()) throw InputError("one of --host or --ip is required");
      return run_verify(verify);
    }
    if (*ca_info_cmd) return run_ca_info(ca_info_spec, ca_info_json);
    if (*check_cmd) {
      check_args.warn_days_given = check_cmd->count("--warn-days") > 0;
      check_args.crit_days_given = check_cmd->count("--crit-days") > 0;
      if (check_args.format == "nagios")
        return cli::nagios_unknown_on_error([&] { return run_check(check_args); }, std::cout);
      return run_check(check_args);
    }
    if (*show_cmd) return run_show(show);
    if (*connect_cmd) return run_connect(connect_args);
    if (*audit_cmd) return run_audit(audit_args);
  } catch (const InputError& e) {
    std::cerr << "verifull: " << e.what() << "\n";
    return kInput;
  } catch (const NetworkError& e) {
    std::cerr << "verifull: " << e.what() << "\n";
    return kNetwork;
  } catch (const std::exception& e) {
    std::cerr << "verifull: internal error: " << e.what() << "\n";
    return kInput;
  } catch (...) {
    std::cerr << "verifull: internal error: unknown exception\n";
    return kInput;
  }
  return kInput;
}
