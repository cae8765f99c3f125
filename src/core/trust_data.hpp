// The inside of a Trust: its anchors (anchor.hpp) and the OpenSSL store they go into.
// The public header declares only the name Trust::Impl; the library reaches it through
// detail::trust_data() below, the one accessor (docs/design.md, "The public surface").
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/anchor.hpp"
#include "core/openssl_types.hpp"
#include "verifull/trust.hpp"

namespace verifull {

namespace detail {
struct BotanAnchors;  // the Botan engine's view of the anchors, built on first use
}

inline namespace v0 {

struct Trust::Impl {
  std::vector<detail::AnchorPtr> anchors;  // shared with the Trusts combined from or narrowed to this one
  // Descriptions (fingerprints, names, dates, self-signed) of `anchors`, in the same
  // order, made on first use: loading a 150-anchor bundle must stay cheap, and most
  // callers only verify.
  const std::vector<AnchorInfo>& info() const;
  mutable std::once_flag info_once;
  mutable std::vector<AnchorInfo> info_;
  // Only these anchors: never the system store, never a default path. Starts empty;
  // store_for() adds the anchors a chain may end at before OpenSSL verifies it (adding
  // is locked inside OpenSSL, so verifications on many threads may share the store).
  detail::X509StorePtr store;
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
  mutable std::shared_ptr<detail::BotanAnchors> botan_anchors;
};

// Trust's friend: names its private Impl for the library and reads it. Nothing else
// in the library touches Trust's private members.
struct TrustAccess {
  using Data = Trust::Impl;
  static const Data& data(const Trust& trust) { return *trust.impl_; }
};

}  // namespace v0

namespace detail {

using TrustData = TrustAccess::Data;

// The inside of `trust`, for the library's own code.
inline const TrustData& trust_data(const Trust& trust) { return TrustAccess::data(trust); }

// TrustData::identity, made once.
const std::string& trust_identity(const Trust& trust);

}  // namespace detail
}  // namespace verifull
