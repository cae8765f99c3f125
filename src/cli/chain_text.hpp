// The one chain printer of the CLI: every command that shows a chain (check, connect,
// verify, audit through their report; show) prints it here.
#pragma once

#include <ostream>
#include <vector>

#include "verifull/verifull.hpp"

namespace verifull::cli {

enum class ChainForm {
  report,     // under a report: "  [0] subject", then indented facts
  commented,  // `show`: every fact a "#" comment, each certificate followed by its PEM
};

void print_chain(const std::vector<CertInfo>& chain, ChainForm form, std::ostream& out);

}  // namespace verifull::cli
