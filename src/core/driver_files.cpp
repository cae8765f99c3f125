#include "core/driver_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

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

// A directory of ours, reachable by us alone, not a symlink; created when missing.
bool usable_private_dir(const std::string& dir, bool create) {
  if (create && ::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return false;
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    if (create)
      throw InputError("refusing to keep verifull's driver files in " + dir +
                       ": it is not a private directory of this user (mode 0700); remove it or fix its owner and mode");
    return false;
  }
  return true;
}

const std::string& private_dir() {
  static std::once_flag once;
  static std::string dir;
  std::call_once(once, [] {
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (runtime && *runtime && usable_private_dir(runtime, false)) {
      dir = std::string(runtime) + "/verifull";
    } else {
      dir = "/tmp/verifull-" + std::to_string(::geteuid());
    }
  });
  usable_private_dir(dir, true);  // every time: a directory removed meanwhile is made again
  return dir;
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

bool driver_file_intact(const std::string& path, std::size_t size) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
         static_cast<std::size_t>(st.st_size) == size;
}

std::string driver_file(const std::string& content, const std::string& suffix) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  const std::string& dir = private_dir();
  const std::string path = dir + "/" + hex_lower(sha256(content)) + suffix;
  if (!holds(path, content)) write_atomically(dir, path, content);
  return path;
}

}  // namespace verifull::detail
