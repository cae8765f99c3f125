// Where the files handed to drivers are kept (core/driver_files.hpp): in a folder only
// this user controls, never one another local user made first, and never a permanent
// failure because of one. The folder is chosen on each call from the environment, so
// each case sets TMPDIR, HOME, XDG_CACHE_HOME and XDG_RUNTIME_DIR to folders of its own.
#include <doctest/doctest.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "scoped_env.hpp"
#include "test_pki.hpp"
#include "verifull/verifull.hpp"

using namespace verifull;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/verifull-driver-files-XXXXXX";
    path = ::mkdtemp(tmpl);
    ::chmod(path.c_str(), 01777);  // like /tmp: shared, sticky
  }
  ~TempDir() { fs::remove_all(path); }
};

const Trust& trust() {
  static const Trust t = Trust::from_pem(testpki::make_root(testpki::ca_spec("Driver Files CA")).pem());
  return t;
}

const std::string uid = std::to_string(::geteuid());

// The uid of a user who is not us (nobody), when we may give folders away (root).
bool other_user(uid_t& other) {
  if (::geteuid() != 0) return false;
  const passwd* nobody = ::getpwnam("nobody");
  other = nobody ? nobody->pw_uid : 65534;
  return true;
}

bool private_folder_of_ours(const std::string& dir) {
  struct stat st {};
  return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string parent_of(const std::string& path) { return fs::path(path).parent_path().string(); }

}  // namespace

TEST_CASE("the temp folder's verifull-<uid>, when free, is made private and used") {
  TempDir tmp;
  ScopedEnv env({{"TMPDIR", tmp.path}, {"HOME", "/nonexistent"}, {"XDG_CACHE_HOME", ""}, {"XDG_RUNTIME_DIR", ""}});
  const std::string path = trust().anchors_file();
  CHECK(parent_of(path) == tmp.path + "/verifull-" + uid);
  CHECK(private_folder_of_ours(parent_of(path)));
  // Removed meanwhile (a temp cleaner): made again, same path.
  fs::remove_all(tmp.path + "/verifull-" + uid);
  CHECK(trust().anchors_file() == path);
  CHECK(fs::exists(path));
}

TEST_CASE("a verifull-<uid> that another user made first is not used, and connections still get their files") {
  uid_t other = 0;
  if (!other_user(other)) {
    MESSAGE("not root: cannot make a folder owned by another user; skipped");
    return;
  }
  TempDir tmp;
  ScopedEnv env({{"TMPDIR", tmp.path}, {"HOME", "/nonexistent"}, {"XDG_CACHE_HOME", ""}, {"XDG_RUNTIME_DIR", ""}});
  const std::string hostile = tmp.path + "/verifull-" + uid;
  REQUIRE(::mkdir(hostile.c_str(), 0777) == 0);
  REQUIRE(::chmod(hostile.c_str(), 0777) == 0);
  REQUIRE(::chown(hostile.c_str(), other, other) == 0);
  const std::string path = trust().anchors_file();
  CHECK_FALSE(starts_with(path, hostile + "/"));
  CHECK(starts_with(parent_of(path), tmp.path + "/verifull-" + uid + "-"));  // a fresh folder of this process
  CHECK(private_folder_of_ours(parent_of(path)));
  CHECK(fs::is_empty(hostile));
  // The same folder for the next files of this process.
  const std::string option_file =
      mysql::option_file(parse_url("mysql://127.0.0.1:3306"), trust(), std::string(40, 'a'));
  CHECK(parent_of(option_file) == parent_of(path));
  CHECK(trust().anchors_file() == path);
  CHECK(fs::is_empty(hostile));
}

TEST_CASE("a verifull-<uid> that is a symlink, or not private, is not used") {
  TempDir tmp;
  ScopedEnv env({{"TMPDIR", tmp.path}, {"HOME", "/nonexistent"}, {"XDG_CACHE_HOME", ""}, {"XDG_RUNTIME_DIR", ""}});
  const std::string usual = tmp.path + "/verifull-" + uid;
  const std::string target = tmp.path + "/elsewhere";
  REQUIRE(::mkdir(target.c_str(), 0700) == 0);
  REQUIRE(::symlink(target.c_str(), usual.c_str()) == 0);  // even a private folder of ours behind it
  const std::string via_link = trust().anchors_file();
  CHECK_FALSE(starts_with(via_link, usual + "/"));
  CHECK(fs::is_empty(target));
  REQUIRE(::unlink(usual.c_str()) == 0);
  REQUIRE(::mkdir(usual.c_str(), 0755) == 0);  // ours, but others may read and traverse it
  REQUIRE(::chmod(usual.c_str(), 0755) == 0);
  const std::string open_folder = trust().anchors_file();
  CHECK_FALSE(starts_with(open_folder, usual + "/"));
  CHECK(private_folder_of_ours(parent_of(open_folder)));
}

TEST_CASE("XDG_RUNTIME_DIR, then the user's cache folder, come before the temp folder") {
  TempDir tmp;
  const std::string runtime = tmp.path + "/runtime";
  const std::string home = tmp.path + "/home";
  REQUIRE(::mkdir(runtime.c_str(), 0700) == 0);
  REQUIRE(::mkdir(home.c_str(), 0700) == 0);
  {
    ScopedEnv env({{"TMPDIR", tmp.path}, {"HOME", home}, {"XDG_CACHE_HOME", ""}, {"XDG_RUNTIME_DIR", runtime}});
    CHECK(parent_of(trust().anchors_file()) == runtime + "/verifull");
  }
  {
    ScopedEnv env({{"TMPDIR", tmp.path}, {"HOME", home}, {"XDG_CACHE_HOME", ""}, {"XDG_RUNTIME_DIR", ""}});
    const std::string path = trust().anchors_file();
    CHECK(parent_of(path) == home + "/.cache/verifull");
    CHECK(private_folder_of_ours(home + "/.cache/verifull"));
  }
  uid_t other = 0;
  if (other_user(other)) {
    // A runtime folder or home of another user is never used.
    REQUIRE(::chown(runtime.c_str(), other, other) == 0);
    REQUIRE(::chown(home.c_str(), other, other) == 0);
    ScopedEnv env({{"TMPDIR", tmp.path}, {"HOME", home}, {"XDG_CACHE_HOME", ""}, {"XDG_RUNTIME_DIR", runtime}});
    CHECK(parent_of(trust().anchors_file()) == tmp.path + "/verifull-" + uid);
  }
}
