#include "run_cli.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace testcli {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

Run verifull(const std::vector<std::string>& args, const std::string& stdin_file) {
  const char* cli = std::getenv("VERIFULL_CLI");
  REQUIRE_MESSAGE(cli != nullptr, "VERIFULL_CLI is not set (run the tests through meson)");
  char tmpl[] = "/tmp/verifull-cli-run-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::string cmd = quote(cli);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " >" + quote(dir + "/out") + " 2>" + quote(dir + "/err");
  cmd += " <" + quote(stdin_file.empty() ? "/dev/null" : stdin_file);
  const int status = std::system(cmd.c_str());
  Run r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  (void)!std::system(("rm -rf " + quote(dir)).c_str());
  return r;
}

}  // namespace testcli
