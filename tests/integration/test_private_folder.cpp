// Connections when another local user made verifull's usual folder in the temp folder
// first: they still work, and the files handed to libpq and Connector/C are in a fresh
// private folder of this process, never in the other user's (core/driver_files.hpp).
// The usual folder is this test's own temp folder (TMPDIR), never the shared /tmp.
#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "libpq_option.hpp"
#include "run_cli.hpp"
#include "scoped_env.hpp"
#include "servers_env.hpp"
#include "verifull/verifull.hpp"

using namespace verifull;
namespace fs = std::filesystem;

namespace {

using servers::mysql_url;
using servers::pg_url;

using testsupport::libpq_option;

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

TEST_CASE("another user's verifull-<uid> in the temp folder: connections work, with files in a fresh private folder") {
  if (::geteuid() != 0) {
    MESSAGE("not root: cannot make a folder owned by another user; skipped");
    return;
  }
  char tmpl[] = "/tmp/verifull-private-folder-XXXXXX";
  const std::string tmp = ::mkdtemp(tmpl);
  REQUIRE(::chmod(tmp.c_str(), 01777) == 0);  // like /tmp
  const std::string uid = std::to_string(::geteuid());
  const std::string hostile = tmp + "/verifull-" + uid;
  const passwd* nobody = ::getpwnam("nobody");
  const uid_t other = nobody ? nobody->pw_uid : 65534;
  REQUIRE(::mkdir(hostile.c_str(), 0777) == 0);
  REQUIRE(::chmod(hostile.c_str(), 0777) == 0);
  REQUIRE(::chown(hostile.c_str(), other, other) == 0);
  {
    ScopedEnv env({{"TMPDIR", tmp}, {"HOME", "/nonexistent"}, {"XDG_CACHE_HOME", ""}, {"XDG_RUNTIME_DIR", ""}});
    const std::string fresh_prefix = tmp + "/verifull-" + uid + "-";

    auto pg = postgres::connect(pg_url(), servers::trust());
    REQUIRE_MESSAGE(pg.report.ok(), pg.report.message);
    CHECK(starts_with(libpq_option(pg.conn.get(), "sslrootcert"), fresh_prefix));

    mysql::ApprovedCache cache;
    auto my = mysql::connect(mysql_url(), servers::trust(), Policy{}, cache);
    REQUIRE_MESSAGE(my.report.ok(), my.report.message);
    const char* ca_path = nullptr;
    REQUIRE(mysql_get_optionv(my.conn.get(), MYSQL_OPT_SSL_CA, &ca_path) == 0);
    REQUIRE(ca_path != nullptr);
    CHECK(starts_with(ca_path, fresh_prefix));

    // The CLI (a process of its own, same environment) as well.
    for (const auto& url : {pg_url(), mysql_url()}) {
      const auto cli = testcli::verifull({"connect", url, "--ca", servers::pki("ca.pem")});
      CHECK_MESSAGE(cli.exit_code == 0, url << ": " << cli.out << cli.err);
    }
    CHECK(fs::is_empty(hostile));
  }
  fs::remove_all(tmp);
}
