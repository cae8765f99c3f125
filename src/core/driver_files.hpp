// Files that drivers read by path: libpq's sslrootcert, Connector/C's option file.
//
// A path handed to a driver may be used long after the object that made it is gone, in
// another thread, or in a child process (multiprocessing spawn). So these files are
// content-addressed in a private directory and kept: the same content always has the
// same path, a path never names other content, and the file outlives every object of
// this process. Their content is not secret (CA certificates, a fingerprint, settings).
// The directory is $XDG_RUNTIME_DIR/verifull, else /tmp/verifull-<uid>: created 0700,
// and refused (InputError) when it is not a directory of ours that only we can reach.
#pragma once

#include <cstddef>
#include <string>

namespace verifull::detail {

// The path of a file holding exactly `content`, named <sha256>`suffix` (".pem", ".cnf").
std::string driver_file(const std::string& content, const std::string& suffix);

// The cheap check for a path driver_file() returned before: still a regular file of
// ours of `size` bytes (only this user can write in the folder). When false, call
// driver_file() again to make it anew.
bool driver_file_intact(const std::string& path, std::size_t size);

}  // namespace verifull::detail
