// The inside of a Trust: its anchors (anchor.hpp) and the OpenSSL store they go into.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/anchor.hpp"
#include "core/openssl_types.hpp"
#include "verifull/trust.hpp"

namespace verifull::detail {

struct BotanAnchors;  // the Botan engine's view of the anchors, built on first use

struct TrustData {
  std::vector<AnchorPtr> anchors;  // shared with the Trusts combined from or narrowed to this one
  // Descriptions (fingerprints, names, dates, self-signed) of `anchors`, in the same
  // order, made on first use: loading a 150-anchor bundle must stay cheap, and most
  // callers only verify.
  const std::vector<AnchorInfo>& info() const;
  mutable std::once_flag info_once;
  mutable std::vector<AnchorInfo> info_;
  // Only these anchors: never the system store, never a default path. Starts empty;
  // store_for() adds the anchors a chain may end at before OpenSSL verifies it (adding
  // is locked inside OpenSSL, so verifications on many threads may share the store).
  X509StorePtr store;
  X509_STORE* store_for(const X509* leaf, const STACK_OF(X509) * untrusted) const;
  std::string source;

  // The anchors as one PEM text, made once (its driver file: driver_files.hpp).
  const std::string& pem() const;
  mutable std::once_flag pem_once;
  mutable std::string pem_;

  // A fingerprint of the whole set (the SHA-256 of pem()), for caches keyed by trust
  // and as the name of the driver file.
  mutable std::once_flag identity_once;
  mutable std::string identity;

  mutable std::once_flag botan_once;
  mutable std::shared_ptr<BotanAnchors> botan_anchors;
};

// TrustData::identity, made once.
const std::string& trust_identity(const Trust& trust);

}  // namespace verifull::detail
