#include "probe/mysql_greeting.hpp"

#include "probe/failure.hpp"

namespace verifull::detail {
namespace {

class Reader {
 public:
  Reader(const unsigned char* data, std::size_t len) : data_(data), len_(len) {}
  std::size_t left() const { return len_ - pos_; }
  void need(std::size_t n, const char* what) const {
    if (left() < n)
      throw ProbeFailure(Outcome::protocol_violation,
                         std::string("malformed MySQL greeting: truncated in the ") + what);
  }
  std::uint8_t u8(const char* what) {
    need(1, what);
    return data_[pos_++];
  }
  std::uint32_t le(std::size_t bytes, const char* what) {
    need(bytes, what);
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v |= static_cast<std::uint32_t>(data_[pos_ + i]) << (8 * i);
    pos_ += bytes;
    return v;
  }
  void skip(std::size_t n, const char* what) {
    need(n, what);
    pos_ += n;
  }
  // A NUL-terminated string that must end inside the packet.
  std::string cstring(const char* what) {
    std::string out;
    while (pos_ < len_ && data_[pos_] != 0) {
      const unsigned char c = data_[pos_++];
      out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    }
    if (pos_ >= len_)
      throw ProbeFailure(Outcome::protocol_violation,
                         std::string("malformed MySQL greeting: unterminated ") + what);
    ++pos_;
    return out;
  }

 private:
  const unsigned char* data_;
  std::size_t len_;
  std::size_t pos_ = 0;
};

}  // namespace

MysqlGreeting parse_mysql_greeting(const unsigned char* payload, std::size_t len) {
  if (len == 0) throw ProbeFailure(Outcome::protocol_violation, "malformed MySQL greeting: empty packet");
  if (len > kMaxGreetingPayload)
    throw ProbeFailure(Outcome::protocol_violation, "malformed MySQL greeting: " + std::to_string(len) + " bytes is too long");
  Reader r(payload, len);
  MysqlGreeting g;
  g.protocol_version = r.u8("protocol version");
  if (g.protocol_version == 0xff) {
    const auto code = r.le(2, "error code");
    throw ProbeFailure(Outcome::connection_refused,
                       "the server refused the connection before TLS with MySQL error " + std::to_string(code) +
                           (code == 1130 ? " (this host is not allowed to connect)" : "") +
                           " (its message is unauthenticated and not shown)");
  }
  if (g.protocol_version != 10)
    throw ProbeFailure(Outcome::protocol_violation,
                       "unexpected MySQL protocol version " + std::to_string(g.protocol_version) +
                           " — not a MySQL/MariaDB server, or one too old for TLS");
  g.server_version = r.cstring("server version");
  g.connection_id = r.le(4, "connection id");
  r.skip(8, "auth data");
  r.skip(1, "filler");
  g.capabilities = r.le(2, "capability flags");
  if (r.left() == 0) return g;  // a pre-4.1 style short greeting ends here
  g.charset = r.u8("character set");
  r.skip(2, "status flags");
  g.capabilities |= r.le(2, "capability flags") << 16;
  const std::uint8_t auth_len = r.u8("auth data length");
  r.skip(10, "reserved bytes");
  constexpr std::uint32_t kSecureConnection = 0x00008000, kPluginAuth = 0x00080000;
  if (g.capabilities & kSecureConnection) {
    const std::size_t part2 = auth_len > 8 ? std::max<std::size_t>(13, auth_len - 8u) : 13;
    r.skip(std::min(part2, r.left()), "auth data");
  }
  if ((g.capabilities & kPluginAuth) && r.left() > 0) {
    try {
      g.auth_plugin = r.cstring("auth plugin name");
    } catch (const ProbeFailure&) {
      // Some servers omit the final NUL; the name is only informational here.
    }
  }
  return g;
}

}  // namespace verifull::detail
