#include "core/dns_name.hpp"

#include <cctype>

namespace verifull::detail {

std::optional<std::string> dns_label_problem(std::string_view label) {
  for (const char ch : label) {
    const auto c = static_cast<unsigned char>(ch);
    if (!std::isalnum(c) && c != '-' && c != '_')
      return std::string("character '") + ch + "' is not allowed (use the ASCII/punycode form of the name)";
  }
  if (label.empty()) return std::string("empty label");
  if (label.size() > 63) return std::string("a label is longer than 63 characters");
  if (label.front() == '-' || label.back() == '-') return std::string("a label starts or ends with a hyphen");
  return std::nullopt;
}

std::optional<std::string> dns_name_problem(std::string_view name, bool wildcard_allowed) {
  if (name.empty() || name.size() > 253) return std::string("length must be 1 to 253 characters");
  std::size_t start = 0;
  while (true) {
    const auto dot = name.find('.', start);
    const auto label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!(wildcard_allowed && start == 0 && label == "*"))
      if (auto problem = dns_label_problem(label)) return problem;
    if (dot == std::string_view::npos) return std::nullopt;
    start = dot + 1;
  }
}

}  // namespace verifull::detail
