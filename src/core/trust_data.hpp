// The inside of a Trust: parsed anchors and the OpenSSL store built from them once.
#pragma once

#include <string>
#include <vector>

#include "core/openssl_types.hpp"
#include "verifull/trust.hpp"

namespace verifull::detail {

struct TrustData {
  std::vector<X509Ptr> anchors;
  std::vector<AnchorInfo> info;
  // Only these anchors: never the system store, never a default path. Read-only after
  // construction, so verifications on many threads may share it.
  X509StorePtr store;
  std::string source;
};

}  // namespace verifull::detail
