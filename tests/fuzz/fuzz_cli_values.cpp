// The value parsers behind the CLI and the policy: times, pins, host names and IP
// literals, engine names, and SHOW GRANTS lines (server text the audit parses).
#include "audit/audit_internal.hpp"
#include "core/peer_name.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto guarded = [](auto&& f) {
    try {
      f();
    } catch (const verifull::InputError&) {
    }
  };
  guarded([&] { (void)verifull::parse_rfc3339(text); });
  guarded([&] { (void)verifull::decode_pin(text); });
  guarded([&] { (void)verifull::parse_engine(text); });
  guarded([&] { (void)verifull::detail::parse_peer_name(text); });
  (void)verifull::is_ip_literal(text);
  std::vector<std::string> lines;
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  lines.push_back(line);
  (void)verifull::mysql::audit_grants("fuzz@%", lines).to_json();
  return 0;
}
