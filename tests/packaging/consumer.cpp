// The C++ API from the installed package: a Trust, an offline verification, and the
// PGconn type the connections hand out.
#include <libpq-fe.h>

#include <iostream>
#include <verifull/verifull.hpp>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const auto trust = verifull::Trust::from_file(argv[1]);
  verifull::Policy policy;
  policy.host = "localhost";
  const auto report = verifull::verify_pem(verifull::read_input_file(argv[2], "leaf"), "", trust, policy);
  std::cout << verifull::outcome_name(report.outcome) << ": " << report.message << "\n";
  PGconn* unused = nullptr;
  (void)unused;
  return report.ok() ? 0 : 1;
}
