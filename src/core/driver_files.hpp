// Files that drivers read by path: libpq's sslrootcert, Connector/C's option file.
//
// A path handed to a driver may be used long after the object that made it is gone, in
// another thread, or in a child process (multiprocessing spawn). So these files are
// content-addressed in a private folder and kept: the same content always has the
// same path, a path never names other content, and the file outlives every object of
// this process. Their content is not secret (CA certificates, a fingerprint, settings).
//
// The folder is the first of these that is a directory of this user, mode 0700, not a
// symlink, in a parent no other user can change:
//   1. $XDG_RUNTIME_DIR/verifull (a per-user folder only this user can create in),
//   2. $XDG_CACHE_HOME/verifull, else $HOME/.cache/verifull (likewise),
//   3. $TMPDIR/verifull-<uid>, else /tmp/verifull-<uid> (shared: another local user may
//      have made it first),
//   4. a fresh folder $TMPDIR/verifull-<uid>-XXXXXX made by mkdtemp for this process.
// So another user can never take the folder away (at worst this process uses a fresh
// one), and files are never written into a folder another user controls.
//
// No lock: files are written under a temporary name and renamed into place, so
// concurrent writers of the same content (threads, processes) all end with the same
// complete file; nothing is held across fork() (core/fork_safe.hpp).
#pragma once

#include <cstddef>
#include <string>

namespace verifull::detail {

// The path of a file holding exactly `content`, named <sha256>`suffix` (".pem", ".cnf").
// Reads an existing file to confirm its content.
std::string driver_file(const std::string& content, const std::string& suffix);

// The same for content whose SHA-256 (lowercase hex) the caller keeps, checked cheaply
// on each call (a regular file of ours of the right size in the private folder, where
// only this user can write) and written anew when it is not there.
std::string driver_file(const std::string& content, const std::string& sha256_hex, const std::string& suffix);

}  // namespace verifull::detail
