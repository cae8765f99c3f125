// Walks the README's table "Connection settings" (between the settings-table markers)
// against the code: for every libpq keyword it builds a connection string, for every
// Connector/C URL parameter a mysql:// URL, and checks the documented treatment:
//   set       verifull's value is in the hardened parameters / on the handle, and the
//             "refused" value is an InputError naming the setting;
//   honoured  the value is carried into the parameters / onto the handle;
//   refused   the value is an InputError naming the setting;
//   python    a URL parameter of Python's drivers: validate() accepts it, a
//             Connector/C connect refuses it by name.
// No server and no name resolution: every string carries hostaddr.
#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <mysql.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "core/crl.hpp"
#include "mysql/handle_internal.hpp"
#include "postgres/params_internal.hpp"
#include "test_pki.hpp"
#include "verifull/errors.hpp"
#include "verifull/verifull.hpp"

using namespace verifull;

namespace {

struct Row {
  std::string driver, option, name, treatment, value, refused;
  int line = 0;
};

std::string trim(std::string text) {
  while (!text.empty() && (std::isspace(static_cast<unsigned char>(text.back())) || text.back() == '`')) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && (std::isspace(static_cast<unsigned char>(text[start])) || text[start] == '`')) ++start;
  return text.substr(start);
}

std::vector<Row> settings_table() {
  const char* readme = std::getenv("VERIFULL_README");
  REQUIRE_MESSAGE(readme != nullptr, "VERIFULL_README is not set (meson test sets it)");
  std::ifstream in(readme);
  REQUIRE(in.good());
  std::vector<Row> rows;
  bool inside = false;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find("settings-table begin") != std::string::npos) inside = true;
    if (line.find("settings-table end") != std::string::npos) inside = false;
    if (!inside || line.rfind("| ", 0) != 0 || line.rfind("| driver", 0) == 0) continue;
    std::vector<std::string> cells;
    std::stringstream split(line.substr(1));
    for (std::string cell; std::getline(split, cell, '|');) cells.push_back(trim(cell));
    REQUIRE_MESSAGE(cells.size() >= 6, "README line " << number << " is not a settings row");
    rows.push_back({cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], number});
  }
  return rows;
}

const testpki::Cert& test_ca() {
  static const auto ca = testpki::make_root(testpki::ca_spec("verifull settings test CA"));
  return ca;
}
Trust test_trust() { return Trust::from_pem(test_ca().pem(), "settings test CA"); }

// ---- libpq --------------------------------------------------------------------------

std::string quoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += (c == '\'' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "'";
}

// Client certificate files for the rows that name them ($CLIENT_CERT, ...): a pair, an
// encrypted pair whose passphrase is $CLIENT_KEY_PASSPHRASE, and a key readable by others.
struct ClientFiles {
  std::string dir, cert, key, enc_cert, enc_key, loose_key, passphrase = "settings-passphrase";
  ClientFiles() {
    char pattern[] = "/tmp/verifull-settings-XXXXXX";
    dir = ::mkdtemp(pattern);
    testpki::Spec spec = testpki::leaf_spec("settings client", {});
    spec.eku = {"clientAuth"};
    const auto pair = testpki::issue(test_ca(), spec), enc = testpki::issue(test_ca(), spec);
    cert = dir + "/client.pem", key = dir + "/client.key", loose_key = dir + "/loose.key";
    enc_cert = dir + "/enc.pem", enc_key = dir + "/enc.key";
    testpki::write_file(cert, pair.pem());
    testpki::write_file(key, pair.key_pem());
    testpki::write_file(loose_key, pair.key_pem());
    ::chmod(loose_key.c_str(), 0644);
    testpki::write_file(enc_cert, enc.pem());
    testpki::write_file(enc_key, enc.key_pem_encrypted(passphrase));
  }
};
const ClientFiles& client_files() {
  static const ClientFiles files;
  return files;
}

// $FILE and $DIR in the table: a readable file and folder made for the test; $CLIENT_*
// and $LOOSE_KEY: the client certificate files above.
std::string expand(const std::string& value) {
  if (value == "$FILE") return std::getenv("VERIFULL_README");
  if (value == "$DIR") return "/";
  if (value == "$CLIENT_CERT") return client_files().cert;
  if (value == "$CLIENT_KEY") return client_files().key;
  if (value == "$LOOSE_KEY") return client_files().loose_key;
  if (value == "$CLIENT_KEY_PASSPHRASE") return client_files().passphrase;
  return value;
}

// A client certificate setting is checked with its partners (a certificate needs its
// key): the other settings a row's string or URL needs, as (name, value) pairs.
std::vector<std::pair<std::string, std::string>> companions(const std::string& name) {
  const auto& f = client_files();
  if (name == "sslcert") return {{"sslkey", f.key}};
  if (name == "sslkey") return {{"sslcert", f.cert}};
  if (name == "sslpassword") return {{"sslcert", f.enc_cert}, {"sslkey", f.enc_key}};
  if (name == "ssl-cert") return {{"ssl-key", f.key}};
  if (name == "ssl-key") return {{"ssl-cert", f.cert}};
  if (name == "ssl-passphrase") return {{"ssl-cert", f.enc_cert}, {"ssl-key", f.enc_key}};
  return {};
}

postgres::Params libpq_hardened(const std::string& keyword, const std::string& raw_value) {
  // hostaddr given: the destination is pinned without resolving a name.
  const std::string value = expand(raw_value);
  std::string conninfo = "host=db.example.com hostaddr=127.0.0.1 dbname=app " + keyword + "=" + quoted(value);
  for (const auto& [name, partner] : companions(keyword)) conninfo += " " + name + "=" + quoted(partner);
  return postgres::hardened_params(conninfo, test_trust());
}

std::optional<std::string> param(const postgres::Params& params, const std::string& key) {
  std::optional<std::string> found;
  for (const auto& [k, v] : params)
    if (k == key) found = v;
  return found;
}

void check_refused(const std::function<void()>& attempt, const Row& row, const std::string& value) {
  try {
    attempt();
    FAIL_CHECK("README line " << row.line << ": " << row.name << "=" << value << " was accepted, the table says refused");
  } catch (const InputError& e) {
    CHECK_MESSAGE(std::string(e.what()).find(row.name) != std::string::npos,
                  "README line " << row.line << ": the refusal does not name " << row.name << ": " << e.what());
  }
}

// $CRL and $CRLDIR in the table: a CRL of the test CA in a file, and in a folder.
const testpki::Crl& test_crl() {
  static const auto crl = testpki::make_crl(test_ca());
  return crl;
}
std::string crl_location(const std::string& value) {
  static const std::string folder = [] {
    char tmpl[] = "/tmp/verifull-settings-crl-XXXXXX";
    const std::string made = mkdtemp(tmpl);
    testpki::write_file(made + "/file.pem", test_crl().pem);
    testpki::write_file(made + "/dir/" + test_crl().hash_name, test_crl().pem);
    return made;
  }();
  if (value == "$CRL") return folder + "/file.pem";
  if (value == "$CRLDIR") return folder + "/dir";
  return value;
}
std::string file_content(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void walk_libpq(const Row& row) {
  const std::string& key = row.name;
  if (row.treatment == "set") {
    if (row.value != "-") {
      const auto out = libpq_hardened("application_name", "settings-test");
      const auto got = param(out, key);
      REQUIRE_MESSAGE(got.has_value(), "README line " << row.line << ": verifull does not set " << key);
      if (row.value != "*") {
        CHECK_MESSAGE(*got == row.value, "README line " << row.line << ": " << key << "=" << *got);
        CHECK_NOTHROW(libpq_hardened(key, row.value));  // verifull's own value is accepted
      }
    }
    check_refused([&] { libpq_hardened(key, row.refused); }, row, row.refused);
  } else if (row.treatment == "honoured") {
    const auto out = libpq_hardened(key, row.value);
    CHECK_MESSAGE(param(out, key) == std::optional<std::string>(expand(row.value)),
                  "README line " << row.line << ": " << key << "=" << row.value << " is not carried");
    if (row.refused != "-") check_refused([&] { libpq_hardened(key, row.refused); }, row, row.refused);
  } else if (row.treatment == "refused") {
    check_refused([&] { libpq_hardened(key, row.refused); }, row, row.refused);
  } else if (row.treatment == "crl") {
    // Read by verifull; libpq gets the policy's CRLs as one PEM file in sslcrl.
    const auto out = libpq_hardened(key, crl_location(row.value));
    const auto given = param(out, "sslcrl");
    REQUIRE_MESSAGE(given.has_value(), "README line " << row.line << ": " << key << " gave libpq no sslcrl");
    CHECK(file_content(*given) == test_crl().pem);
    CHECK_FALSE(param(out, "sslcrldir").has_value());
    check_refused([&] { libpq_hardened(key, row.refused); }, row, row.refused);
  } else {
    FAIL_CHECK("README line " << row.line << ": unknown treatment " << row.treatment << " for libpq");
  }
}

// ---- Connector/C -----------------------------------------------------------------------

std::string percent_encoded(const std::string& value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Endpoint mysql_endpoint(const std::string& name, const std::string& raw_value) {
  std::string url = "mysql://app@127.0.0.1:3306/app?" + name + "=" + percent_encoded(expand(raw_value));
  for (const auto& [partner, value] : companions(name)) url += "&" + partner + "=" + percent_encoded(value);
  return parse_url(url);
}

struct Handle {
  MYSQL* m = mysql_init(nullptr);
  ~Handle() { mysql_close(m); }
};

// What the handle holds for an option, in the table's terms; nullopt when Connector/C
// cannot read it back.
std::optional<std::string> read_option(MYSQL* m, const std::string& option) {
  static const std::map<std::string, enum mysql_option> text = {
      {"MYSQL_OPT_SSL_CA", MYSQL_OPT_SSL_CA},         {"MYSQL_OPT_SSL_CIPHER", MYSQL_OPT_SSL_CIPHER},
      {"MARIADB_OPT_TLS_VERSION", MARIADB_OPT_TLS_VERSION}, {"MARIADB_OPT_TLS_PEER_FP", MARIADB_OPT_TLS_PEER_FP},
      {"MYSQL_OPT_SSL_CRL", MYSQL_OPT_SSL_CRL},       {"MYSQL_OPT_SSL_CRLPATH", MYSQL_OPT_SSL_CRLPATH},
      {"MYSQL_SET_CHARSET_NAME", MYSQL_SET_CHARSET_NAME},
      {"MYSQL_OPT_SSL_CERT", MYSQL_OPT_SSL_CERT},     {"MYSQL_OPT_SSL_KEY", MYSQL_OPT_SSL_KEY},
      {"MARIADB_OPT_TLS_PASSPHRASE", MARIADB_OPT_TLS_PASSPHRASE}};
  static const std::map<std::string, enum mysql_option> flags = {
      {"MYSQL_OPT_SSL_VERIFY_SERVER_CERT", MYSQL_OPT_SSL_VERIFY_SERVER_CERT},
      {"MYSQL_OPT_SSL_ENFORCE", MYSQL_OPT_SSL_ENFORCE},
      {"MYSQL_OPT_COMPRESS", MYSQL_OPT_COMPRESS}};
  static const std::map<std::string, enum mysql_option> numbers = {
      {"MYSQL_OPT_PROTOCOL", MYSQL_OPT_PROTOCOL},
      {"MYSQL_OPT_CONNECT_TIMEOUT", MYSQL_OPT_CONNECT_TIMEOUT},
      {"MYSQL_OPT_READ_TIMEOUT", MYSQL_OPT_READ_TIMEOUT},
      {"MYSQL_OPT_WRITE_TIMEOUT", MYSQL_OPT_WRITE_TIMEOUT},
      {"MYSQL_OPT_LOCAL_INFILE", MYSQL_OPT_LOCAL_INFILE}};
  if (auto it = text.find(option); it != text.end()) {
    char* value = nullptr;
    if (mysql_get_optionv(m, it->second, &value) != 0) return std::nullopt;
    return value ? std::string(value) : std::string();
  }
  if (auto it = flags.find(option); it != flags.end()) {
    my_bool value = 0;
    if (mysql_get_optionv(m, it->second, &value) != 0) return std::nullopt;
    return std::to_string(static_cast<int>(value));
  }
  if (auto it = numbers.find(option); it != numbers.end()) {
    unsigned int value = 0;
    if (mysql_get_optionv(m, it->second, &value) != 0) return std::nullopt;
    return std::to_string(value);
  }
  if (option == "MYSQL_INIT_COMMAND") {
    char** commands = nullptr;
    unsigned int count = 0;
    if (mysql_get_optionv(m, MYSQL_INIT_COMMAND, &commands, &count) != 0) return std::nullopt;
    std::string all;
    for (unsigned int i = 0; i < count; ++i) all += std::string(commands[i]) + ";";
    return all;
  }
  return std::nullopt;
}

void walk_connector_c(const Row& row) {
  const bool has_url_name = row.name != "-";
  if (row.treatment == "set") {
    if (row.value != "-") {
      Handle h;
      Policy policy;
      mysql::configure(h.m, test_trust(), policy, std::string(40, 'a'));
      const auto got = read_option(h.m, row.option);
      REQUIRE_MESSAGE(got.has_value(), "README line " << row.line << ": the test cannot read " << row.option);
      if (row.value == "*") {
        CHECK_MESSAGE(!got->empty(), "README line " << row.line << ": verifull does not set " << row.option);
      } else {
        CHECK_MESSAGE(*got == row.value, "README line " << row.line << ": " << row.option << " is " << *got);
      }
    }
    if (has_url_name)
      check_refused([&] { mysql::validate(mysql_endpoint(row.name, row.refused)); }, row, row.refused);
  } else if (row.treatment == "honoured") {
    const std::string value = expand(row.value);
    const Endpoint ep = mysql_endpoint(row.name, value);
    CHECK_NOTHROW(mysql::validate(ep));
    Handle h;
    mysql::apply_url_parameters(h.m, ep);
    const auto got = read_option(h.m, row.option);
    REQUIRE_MESSAGE(got.has_value(), "README line " << row.line << ": the test cannot read " << row.option);
    CHECK_MESSAGE(got->find(value) != std::string::npos,
                  "README line " << row.line << ": " << row.name << "=" << value << " set " << row.option << " to "
                                 << *got);
    if (row.refused != "-")
      check_refused([&] { mysql::validate(mysql_endpoint(row.name, row.refused)); }, row, row.refused);
  } else if (row.treatment == "crl") {
    // The URL's CRL is one of the policy's; configure() gives Connector/C all of them.
    const Endpoint ep = mysql_endpoint(row.name, crl_location(row.value));
    CHECK_NOTHROW(mysql::validate(ep));
    Handle h;
    mysql::configure(h.m, test_trust(), detail::with_url_crls(Policy{}, Protocol::mysql, ep.params), std::string(40, 'a'));
    const auto got = read_option(h.m, "MYSQL_OPT_SSL_CRL");  // a folder too: its CRLs are in the one file
    REQUIRE_MESSAGE(got.has_value(), "README line " << row.line << ": the test cannot read MYSQL_OPT_SSL_CRL");
    CHECK(file_content(*got) == test_crl().pem);
    check_refused([&] { mysql::validate(mysql_endpoint(row.name, row.refused)); }, row, row.refused);
  } else if (row.treatment == "refused") {
    REQUIRE(has_url_name);
    check_refused([&] { mysql::validate(mysql_endpoint(row.name, row.refused)); }, row, row.refused);
  } else if (row.treatment == "python") {
    const Endpoint ep = mysql_endpoint(row.name, "1");
    CHECK_NOTHROW(mysql::validate(ep));
    Handle h;
    check_refused([&] { mysql::apply_url_parameters(h.m, ep); }, row, "1");
  } else {
    FAIL_CHECK("README line " << row.line << ": unknown treatment " << row.treatment << " for Connector/C");
  }
}

}  // namespace

TEST_CASE("every libpq and Connector/C setting in the README's table is treated as the table says") {
  const auto rows = settings_table();
  REQUIRE(rows.size() >= 50);
  for (const auto& row : rows) {
    CAPTURE(row.line);
    CAPTURE(row.name);
    if (row.driver == "libpq") {
      walk_libpq(row);
    } else if (row.driver == "Connector/C") {
      walk_connector_c(row);
    } else {
      FAIL_CHECK("README line " << row.line << ": unknown driver " << row.driver);
    }
  }
}

TEST_CASE("the table lists every TLS and authentication keyword libpq 15 knows") {
  std::vector<std::string> listed;
  for (const auto& row : settings_table())
    if (row.driver == "libpq") listed.push_back(row.name);
  PQconninfoOption* defaults = PQconndefaults();
  REQUIRE(defaults != nullptr);
  for (const PQconninfoOption* o = defaults; o->keyword; ++o) {
    const std::string keyword = o->keyword;
    const bool security = keyword.rfind("ssl", 0) == 0 || keyword.rfind("gss", 0) == 0 || keyword == "requiressl" ||
                          keyword == "krbsrvname" || keyword == "channel_binding" || keyword == "host" ||
                          keyword == "hostaddr" || keyword == "port" || keyword == "service" ||
                          keyword == "passfile" || keyword == "password" || keyword == "user" ||
                          keyword == "target_session_attrs";
    if (security)
      CHECK_MESSAGE(std::find(listed.begin(), listed.end(), keyword) != listed.end(),
                    "libpq keyword " << keyword << " is missing from the README's settings table");
  }
  PQconninfoFree(defaults);
}

TEST_CASE("an unknown mysql:// URL parameter is refused by name, not ignored") {
  check_refused([] { mysql::validate(parse_url("mysql://app@127.0.0.1:3306/app?frobnicate=1")); },
                Row{"Connector/C", "-", "frobnicate", "refused", "-", "1", 0}, "1");
}

TEST_CASE("requiressl is read as libpq reads it: by keyword, not inside another value") {
  const Trust trust = test_trust();
  CHECK_NOTHROW(postgres::hardened_params(
      "host=db.example.com hostaddr=127.0.0.1 password='x requiressl=0' application_name=requiressl=0", trust));
  CHECK_NOTHROW(postgres::hardened_params("host=db.example.com hostaddr=127.0.0.1 requiressl=1", trust));
  for (const std::string& text : {"host=db.example.com hostaddr=127.0.0.1 requiressl = '0'",
                                  "postgres://db.example.com/app?hostaddr=127.0.0.1&requiressl=0"}) {
    CAPTURE(text);
    check_refused([&] { postgres::hardened_params(text, trust); },
                  Row{"libpq", "requiressl", "requiressl", "set", "-", "0", 0}, "0");
  }
}
