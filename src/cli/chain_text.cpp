#include "chain_text.hpp"

#include <string>

namespace verifull::cli {

void print_chain(const std::vector<CertInfo>& chain, ChainForm form, std::ostream& out) {
  const bool commented = form == ChainForm::commented;
  const std::string lead = commented ? "# " : "  ";
  // A fact's label, padded so that the values line up.
  const auto fact = [&](const std::string& label) -> std::ostream& {
    const std::size_t width = commented ? 9 : 10;
    return out << (commented ? "#     " : "      ") << label << std::string(width - label.size(), ' ');
  };
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const auto& c = chain[i];
    out << lead << "[" << i << "] " << c.subject << "\n";
    fact("issuer:") << c.issuer << "\n";
    if (!c.sans.empty()) {
      fact("names:");
      for (std::size_t k = 0; k < c.sans.size(); ++k) out << (k ? ", " : "") << c.sans[k];
      out << "\n";
    }
    fact("valid:") << c.not_before << " to " << c.not_after << "\n";
    fact("sha256:") << c.sha256 << "\n";
    fact("key pin:") << c.spki_sha256 << "\n";
    if (commented) out << c.pem;
  }
}

}  // namespace verifull::cli
