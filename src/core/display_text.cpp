// Text from certificates and servers made safe for a terminal (docs/design.md, section 10).
#include "core/display_text.hpp"

#include <cstdint>

namespace verifull::detail {

namespace {

// Code points that change how a terminal shows the text around them: C1 controls (U+009B
// is CSI, an escape sequence on its own; U+0085 is NEL), the line and paragraph separators
// U+2028 / U+2029 (a new line in editors, log viewers and JSON-reading tools, so one
// message could pose as two), bidirectional overrides and isolates (the "Trojan Source"
// trick), zero-width and other invisible format characters.
bool hides_or_reorders(std::uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF ||
         (cp >= 0xFFF9 && cp <= 0xFFFB);
}

void escape_bytes(std::string& out, std::string_view bytes) {
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : bytes) {
    out += '\\';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
}

// Length of the valid UTF-8 sequence at s[i] and its code point; 0 when invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static const std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;  // overlong, surrogate
  return len;
}

}  // namespace

std::string escape_display(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8_sequence(text, i, cp);
    if (len == 0) {
      escape_bytes(out, text.substr(i, 1));  // not UTF-8: one byte at a time
      i += 1;
    } else if (cp < 0x20 || cp == 0x7F || hides_or_reorders(cp)) {
      escape_bytes(out, text.substr(i, len));
      i += len;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace verifull::detail
