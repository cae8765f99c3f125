#include "core/driver_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/cert_facts.hpp"
#include "verifull/errors.hpp"

namespace verifull::detail {
namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// A directory of ours, reachable by us alone, not a symlink.
bool private_dir_of_ours(const std::string& dir) {
  struct stat st {};
  return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
}

// A folder in which no other user can remove, rename or replace what this user made:
// owned by this user or root and writable by nobody else, or (when `shared` is allowed)
// a world-writable folder with the sticky bit, such as /tmp.
bool safe_parent(const std::string& dir, bool shared) {
  struct stat st {};
  if (dir.empty() || dir[0] != '/' || ::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  if (st.st_uid != ::geteuid() && st.st_uid != 0) return false;
  return (st.st_mode & 022) == 0 || (shared && (st.st_mode & S_ISVTX));
}

// `dir`, made 0700 when missing, when it then is a private directory of ours; nothing
// when it is not (another user made it first, or it is a symlink).
std::optional<std::string> private_dir_at(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return std::nullopt;
  if (!private_dir_of_ours(dir)) return std::nullopt;
  return dir;
}

std::string absolute_env(const char* name) {
  const char* value = std::getenv(name);
  return value && value[0] == '/' ? value : "";
}

// The user's cache folder ($XDG_CACHE_HOME, else ~/.cache), made 0700 when missing in a
// home folder of ours; empty when there is none that is safe.
std::string cache_home() {
  std::string cache = absolute_env("XDG_CACHE_HOME");
  if (cache.empty()) {
    const std::string home = absolute_env("HOME");
    if (home.empty() || !safe_parent(home, false)) return "";
    cache = home + "/.cache";
    ::mkdir(cache.c_str(), 0700);
  }
  return safe_parent(cache, false) ? cache : "";
}

std::string temp_root() {
  const std::string tmpdir = absolute_env("TMPDIR");
  return !tmpdir.empty() && safe_parent(tmpdir, true) ? tmpdir : "/tmp";
}

// This process's own folder when the usual one in the temp folder is not ours: made
// once by mkdtemp (nobody else can make or take it), again if it went away. Kept for the
// life of the process, as every path handed out names it.
// Each one made keeps a pointer to the one it replaced, so all stay reachable.
struct FreshDir {
  std::string path;
  const FreshDir* replaced;
};
std::atomic<const FreshDir*> fresh_dir{nullptr};

std::string fresh_private_dir(const std::string& tmp) {
  const FreshDir* current = fresh_dir.load();
  if (current && private_dir_of_ours(current->path)) return current->path;
  std::string made = tmp + "/verifull-" + std::to_string(::geteuid()) + "-XXXXXX";
  if (!::mkdtemp(made.data()))
    throw InputError("cannot create a private folder for verifull's driver files in " + tmp + ": " +
                     std::strerror(errno));
  const auto* kept = new FreshDir{made, current};  // never freed: see above
  if (fresh_dir.compare_exchange_strong(current, kept)) return kept->path;
  ::rmdir(made.c_str());  // another thread made one at the same moment: use that one
  delete kept;
  return current->path;
}

// Chosen on every call (a few system calls; see driver_files.hpp for the order), so a
// folder removed or taken meanwhile never makes a permanent failure.
std::string private_dir() {
  const std::string runtime = absolute_env("XDG_RUNTIME_DIR");
  if (!runtime.empty() && private_dir_of_ours(runtime))
    if (auto dir = private_dir_at(runtime + "/verifull")) return *dir;
  const std::string cache = cache_home();
  if (!cache.empty())
    if (auto dir = private_dir_at(cache + "/verifull")) return *dir;
  const std::string tmp = temp_root();
  if (auto dir = private_dir_at(tmp + "/verifull-" + std::to_string(::geteuid()))) return *dir;
  return fresh_private_dir(tmp);
}

// True when `path` is a regular file of ours holding exactly `content`.
bool holds(const std::string& path, const std::string& content) {
  Fd f{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)};
  if (f.fd < 0) return false;
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
      static_cast<std::size_t>(st.st_size) != content.size())
    return false;
  std::string existing(content.size(), '\0');
  std::size_t got = 0;
  while (got < existing.size()) {
    const ssize_t n = ::read(f.fd, existing.data() + got, existing.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return existing == content;
}

// The cheap check: a regular file of ours of `size` bytes (only this user can write in
// the private folder, and files there are only ever renamed into place whole).
bool present(const std::string& path, std::size_t size) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
         static_cast<std::size_t>(st.st_size) == size;
}

void write_atomically(const std::string& dir, const std::string& path, const std::string& content) {
  std::string tmp = dir + "/.tmp-XXXXXX";
  Fd f{::mkostemp(tmp.data(), O_CLOEXEC)};
  if (f.fd < 0) throw InputError("cannot create a file in " + dir + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(f.fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::unlink(tmp.c_str());
      throw InputError("cannot write " + tmp + ": " + std::strerror(errno));
    }
    written += static_cast<std::size_t>(n);
  }
  ::fchmod(f.fd, 0600);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw InputError("cannot create " + path + ": " + std::strerror(errno));
  }
}

}  // namespace

std::string driver_file(const std::string& content, const std::string& suffix) {
  const std::string dir = private_dir();
  const std::string path = dir + "/" + hex_lower(sha256(content)) + suffix;
  if (!holds(path, content)) write_atomically(dir, path, content);
  return path;
}

std::string driver_file(const std::string& content, const std::string& sha256_hex, const std::string& suffix) {
  const std::string dir = private_dir();
  const std::string path = dir + "/" + sha256_hex + suffix;
  if (!present(path, content.size())) write_atomically(dir, path, content);
  return path;
}

}  // namespace verifull::detail
