// A verified PostgreSQL connection from C++: the connection opens only after the server
// proved, before any credential was sent, that its certificate chains to your CA and
// names the host in the URL.
//
//   postgres_connect CA.pem postgres://user:password@db.example.com:5432/app
//
// Build: c++ -std=c++17 postgres_connect.cpp $(pkg-config --cflags --libs verifull libpq)
#include <libpq-fe.h>

#include <iostream>
#include <verifull/verifull.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " CA.pem postgres://user:password@host:port/db\n";
    return 2;
  }
  try {
    // The anchors: your provider's CA (a file here; Trust::from_pem / from_env work too).
    const auto trust = verifull::Trust::from_file(argv[1]);
    // sslmode=verify-full and friends are set for you; weaker settings are refused.
    auto connected = verifull::postgres::connect(argv[2], trust);
    if (!connected.report.ok()) {
      // Refused: the outcome is stable (name_mismatch, untrusted_issuer, ...), the message
      // says what to do.
      std::cerr << verifull::outcome_name(connected.report.outcome) << ": " << connected.report.message << "\n";
      return 1;
    }
    // An ordinary PGconn from here on; the Connection closes it.
    PGresult* result = PQexec(connected.conn.get(), "SELECT current_user, version()");
    if (PQresultStatus(result) == PGRES_TUPLES_OK)
      std::cout << "connected as " << PQgetvalue(result, 0, 0) << " over " << connected.report.tls_version << "\n";
    PQclear(result);
    return 0;
  } catch (const verifull::InputError& e) {  // a bad CA file, URL, or sslmode
    std::cerr << "bad input: " << e.what() << "\n";
    return 2;
  }
}
