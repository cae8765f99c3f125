// The dialled host, validated and classified once so every engine matches the same thing.
#pragma once

#include <string>

namespace verifull::detail {

struct PeerName {
  enum class Kind { dns, ip } kind = Kind::dns;
  std::string value;  // DNS: lower case, no trailing dot. IP: canonical text form.
  std::string ip_bytes;  // IP: 4 or 16 raw bytes
};

// InputError for an empty or malformed host.
PeerName parse_peer_name(const std::string& host);

}  // namespace verifull::detail
