// Runs the verifull CLI (path in $VERIFULL_CLI) and captures exit code and output.
#pragma once

#include <string>
#include <vector>

namespace testcli {

struct Run {
  int exit_code = -1;
  std::string out, err;
};

Run verifull(const std::vector<std::string>& args, const std::string& stdin_file = "");

}  // namespace testcli
