// The inside of a Trust: parsed anchors and the OpenSSL store built from them once.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/openssl_types.hpp"
#include "verifull/trust.hpp"

namespace verifull::detail {

struct BotanAnchors;  // the Botan engine's view of the anchors, built on first use

struct TrustData {
  std::vector<X509Ptr> anchors;
  std::vector<AnchorInfo> info;
  // Only these anchors: never the system store, never a default path. Read-only after
  // construction, so verifications on many threads may share it.
  X509StorePtr store;
  std::string source;

  // The anchors as a file for drivers that only take a path (libpq's sslrootcert,
  // Connector/C's MYSQL_OPT_SSL_CA). Made on first use, removed with the last Trust.
  struct AnchorFile {
    int fd = -1;            // a memfd: the path is /proc/self/fd/N, no file on disk
    std::string temp_dir;   // fallback: a 0700 directory holding a 0600 file
    std::string path;
    ~AnchorFile();
  };
  mutable std::once_flag anchor_file_once;
  mutable AnchorFile anchor_file;

  mutable std::once_flag botan_once;
  mutable std::shared_ptr<BotanAnchors> botan_anchors;
};

}  // namespace verifull::detail
