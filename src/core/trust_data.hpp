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

  mutable std::once_flag botan_once;
  mutable std::shared_ptr<BotanAnchors> botan_anchors;
};

}  // namespace verifull::detail
