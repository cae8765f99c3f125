// The input rules that live in one file each (docs/design.md, section 13): the list
// syntax, the port rule, the DNS label and name rule, the host rule and check_policy,
// and, for the rules with more than one entry point, that the C++ API and the C ABI
// agree (tests/cli/test_cli.cpp shows the CLI agreeing too). Internal units, so linked
// with the library's internals.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/checked_policy.hpp"
#include "core/dns_name.hpp"
#include "core/list_syntax.hpp"
#include "core/port.hpp"
#include "core/profile.hpp"
#include "verifull.h"
#include "verifull/verifull.hpp"

namespace vd = verifull::detail;
using Items = std::vector<std::string>;

namespace {

// The C ABI's answer as a string; empty when it refused (the error is then in error).
std::string c_abi_suggest(int kind, const char* tables, std::string& error) {
  char buf[4096];
  std::size_t len = sizeof buf;
  if (vf_suggest_readonly_sql(kind, tables, nullptr, buf, &len) != VF_OK) {
    error = vf_last_error_message();
    return "";
  }
  return buf;
}

}  // namespace

TEST_CASE("split_list: every item as written, empty ones included") {
  CHECK(vd::split_list("a,b,c") == Items{"a", "b", "c"});
  CHECK(vd::split_list("") == Items{""});
  CHECK(vd::split_list("a,,b") == Items{"a", "", "b"});
  CHECK(vd::split_list(",") == Items{"", ""});
  CHECK(vd::split_list(" a , b ") == Items{" a ", " b "});
  CHECK(vd::split_list("k=1&j=2", '&') == Items{"k=1", "j=2"});
  CHECK(vd::split_list("k=1,2&j", '&') == Items{"k=1,2", "j"});
}

TEST_CASE("parse_name_list: blanks around a name dropped, blanks inside kept, empty items dropped") {
  CHECK(vd::parse_name_list("orders,customers") == Items{"orders", "customers"});
  CHECK(vd::parse_name_list("orders, customers") == Items{"orders", "customers"});
  CHECK(vd::parse_name_list(" orders ,\tcustomers\t") == Items{"orders", "customers"});
  CHECK(vd::parse_name_list("orders,,customers,") == Items{"orders", "customers"});
  CHECK(vd::parse_name_list("my table, b") == Items{"my table", "b"});
  CHECK(vd::parse_name_list("").empty());
  CHECK(vd::parse_name_list(" , ,").empty());
}

TEST_CASE("parse_port: a decimal number from 1 to 65535, nothing else") {
  CHECK(vd::parse_port("1") == 1);
  CHECK(vd::parse_port("5432") == 5432);
  CHECK(vd::parse_port("65535") == 65535);
  CHECK(vd::parse_port("00080") == 80);
  for (const char* bad : {"", "0", "00000", "65536", "99999", "100000", "-1", "+80", " 80", "80 ", "8o", "0x50", "5432,"})
    CHECK_MESSAGE(!vd::parse_port(bad), bad);
}

TEST_CASE("one port rule: the URL parser and libpq's port list agree, in the C++ API and the C ABI") {
  for (const std::string port : {"1", "5432", "65535"}) {
    CHECK(verifull::parse_url("postgres://db.example.com:" + port).port == std::stoi(port));
    CHECK_NOTHROW(verifull::postgres::validate("host=db.example.com port=" + port));
    char buf[1024];
    std::size_t len = sizeof buf;
    CHECK(vf_parse_url(("mysql://db.example.com:" + port).c_str(), buf, &len) == VF_OK);
  }
  for (const std::string port : {"0", "65536", "http", "-1"}) {
    CAPTURE(port);
    CHECK_THROWS_WITH_AS(verifull::parse_url("postgres://db.example.com:" + port),
                         doctest::Contains("the port must be a number from 1 to 65535"), verifull::InputError);
    CHECK_THROWS_WITH_AS(verifull::postgres::validate("host=db.example.com port=" + port),
                         doctest::Contains("(expected a number from 1 to 65535)"), verifull::InputError);
    char buf[1024];
    std::size_t len = sizeof buf;
    CHECK(vf_parse_url(("mysql://db.example.com:" + port).c_str(), buf, &len) == VF_ERROR_INPUT);
    CHECK(std::string(vf_last_error_message()).find("the port must be a number from 1 to 65535") != std::string::npos);
  }
}

TEST_CASE("dns_label_problem: 1 to 63 letters, digits, '-' and '_', no hyphen at either end") {
  CHECK(!vd::dns_label_problem("db"));
  CHECK(!vd::dns_label_problem("db-1"));
  CHECK(!vd::dns_label_problem("_srv"));
  CHECK(!vd::dns_label_problem(std::string(63, 'a')));
  CHECK(vd::dns_label_problem("") == "empty label");
  CHECK(vd::dns_label_problem(std::string(64, 'a')) == "a label is longer than 63 characters");
  CHECK(vd::dns_label_problem("-db") == "a label starts or ends with a hyphen");
  CHECK(vd::dns_label_problem("db-") == "a label starts or ends with a hyphen");
  const auto star = vd::dns_label_problem("*");
  REQUIRE(star);
  CHECK(star->find("character '*'") != std::string::npos);
  CHECK(vd::dns_label_problem("d b"));
  CHECK(vd::dns_label_problem("d\xc3\xa9"));  // UTF-8: the punycode form is expected
}

TEST_CASE("dns_name_problem: 1 to 253 characters, every label good, '*' only as a whole leftmost label when allowed") {
  CHECK(!vd::dns_name_problem("db.example.com", false));
  CHECK(!vd::dns_name_problem("*.example.com", true));
  CHECK(vd::dns_name_problem("*.example.com", false));
  CHECK(vd::dns_name_problem("db.*.example.com", true));
  CHECK(vd::dns_name_problem("*db.example.com", true));
  CHECK(vd::dns_name_problem("", false) == "length must be 1 to 253 characters");
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(63, 'a') + ".";
  CHECK(vd::dns_name_problem(long_name.substr(0, 253), false) == std::nullopt);
  CHECK(vd::dns_name_problem(long_name.substr(0, 254) + "b", false) == "length must be 1 to 253 characters");
  CHECK(vd::dns_name_problem("db..example.com", false) == "empty label");
  CHECK(vd::dns_name_problem("db.-example.com", false) == "a label starts or ends with a hyphen");
}

TEST_CASE("one label checker: the dialled host and a certificate's SAN follow the same rule") {
  for (const std::string name : {"db.example.com", "db_1.example.com", "a-b.example.com"}) {
    CHECK(vd::is_valid_dns_san(name));
    CHECK(vd::parse_peer_name(name).value == name);
  }
  const std::vector<std::string> bad_names = {"-db.example.com", "db..example.com",
                                              std::string(64, 'a') + ".example.com", "d b.example.com"};
  for (const auto& name : bad_names) {
    CAPTURE(name);
    CHECK(!vd::is_valid_dns_san(name));
    CHECK_THROWS_AS(vd::parse_peer_name(name), verifull::InputError);
  }
  CHECK(vd::is_valid_dns_san("*.example.com"));  // a certificate may carry a wildcard; a host may not
  CHECK_THROWS_AS(vd::parse_peer_name("*.example.com"), verifull::InputError);
}

TEST_CASE("parse_peer_name: IP literals canonical, DNS names lower case without the trailing dot, messages name the host and the rule") {
  CHECK(vd::parse_peer_name("DB.Example.COM.").value == "db.example.com");
  CHECK(vd::parse_peer_name("[2001:db8::0:1]").value == "2001:db8::1");
  CHECK(vd::parse_peer_name("192.0.2.1").ip_bytes.size() == 4);
  try {
    vd::parse_peer_name("db.-bad.example.com");
    FAIL("accepted");
  } catch (const verifull::InputError& e) {
    const std::string what = e.what();
    CHECK(what.find("db.-bad.example.com") != std::string::npos);
    CHECK(what.find("a label starts or ends with a hyphen") != std::string::npos);
  }
  CHECK_THROWS_WITH_AS(vd::parse_peer_name("10.0.0"), doctest::Contains("looks like an IP address"),
                       verifull::InputError);
  CHECK_THROWS_WITH_AS(vd::parse_peer_name(""), doctest::Contains("no host name given"), verifull::InputError);
}

TEST_CASE("check_policy: the host, every pin, the time and the intermediate limit, the first bad one named") {
  verifull::Policy policy;
  policy.host = "DB.example.com";
  const std::string pin = "sha256/" + std::string(43, 'A') + "=";
  policy.pins = {pin};
  const auto checked = vd::check_policy(policy);
  CHECK(checked.peer.value == "db.example.com");
  REQUIRE(checked.pins.size() == 1);
  CHECK(checked.pins[0] == std::string(32, '\0'));
  CHECK(checked.max_intermediates == verifull::max_chain_intermediates);

  auto bad = policy;
  bad.pins.push_back("sha256/short");
  CHECK_THROWS_WITH_AS(vd::check_policy(bad), doctest::Contains("invalid pin"), verifull::InputError);
  bad = policy;
  bad.host = "db..example.com";
  CHECK_THROWS_WITH_AS(vd::check_policy(bad), doctest::Contains("empty label"), verifull::InputError);
  bad = policy;
  bad.verification_time = -1;
  CHECK_THROWS_WITH_AS(vd::check_policy(bad), doctest::Contains("out of range"), verifull::InputError);
  bad = policy;
  bad.max_intermediates = -1;
  CHECK_THROWS_WITH_AS(vd::check_policy(bad), doctest::Contains("must not be negative"), verifull::InputError);
}

TEST_CASE("one list syntax: the C++ API and the C ABI read \"orders, customers\" the same way") {
  const auto tables = vd::parse_name_list("orders, customers");
  const std::string cpp = verifull::postgres::suggest_readonly_sql(tables, "readonly_integration");
  std::string error;
  const std::string c = c_abi_suggest(VF_KIND_POSTGRES, "orders, customers", error);
  CHECK(error.empty());
  const std::string grant = "GRANT SELECT ON TABLE \"public\".\"orders\", \"public\".\"customers\" TO";
  CHECK(cpp.find(grant) != std::string::npos);
  CHECK(c.find(grant) != std::string::npos);
  const std::string my = c_abi_suggest(VF_KIND_MYSQL, "shop.orders ,shop.customers", error);
  CHECK(my.find("GRANT SELECT ON `shop`.`orders` TO") != std::string::npos);
  CHECK(my.find("GRANT SELECT ON `shop`.`customers` TO") != std::string::npos);
  // A blank inside a name stays, for the identifier rule to refuse; nothing names no table.
  CHECK(c_abi_suggest(VF_KIND_POSTGRES, "my orders", error).empty());
  CHECK(error.find("table name") != std::string::npos);
  error.clear();
  CHECK(c_abi_suggest(VF_KIND_POSTGRES, " , ", error).empty());
  CHECK(error.find("at least one table") != std::string::npos);
}
