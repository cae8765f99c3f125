#include "interop_corpus.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace interop {
namespace {

namespace fs = std::filesystem;

// Debian 12's /etc/ssl/openssl.cnf for `openssl req` (x509_extensions = v3_ca), written
// out so the corpus is the same on any machine, plus the sections for the cases that
// are not a published recipe.
const char* kConfig = R"(
[ req ]
distinguished_name = req_distinguished_name
x509_extensions = v3_ca
[ req_distinguished_name ]
[ v3_ca ]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always,issuer
basicConstraints = critical,CA:true
[ proper_ca ]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
[ legacy_ca ]
basicConstraints = CA:true
keyUsage = keyCertSign,cRLSign
subjectKeyIdentifier = none
authorityKeyIdentifier = none
[ server_self ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = hash
[ leaf_no_aki ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = none
authorityKeyIdentifier = none
[ leaf_san ]
basicConstraints = CA:false
subjectAltName = DNS:localhost
[ leaf_cn_only ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
[ leaf_proper ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
)";

class Workspace {
 public:
  Workspace() {
    std::string tmpl = (fs::temp_directory_path() / "verifull-interop-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
    std::ofstream(root_ / "openssl.cnf") << kConfig;
  }
  ~Workspace() {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  // Runs the recipe's commands in a fresh folder for one case.
  void run(const std::string& dir, const std::vector<std::string>& commands) {
    fs::create_directories(root_ / dir);
    for (const auto& command : commands) {
      const std::string line = "cd '" + (root_ / dir).string() + "' && export OPENSSL_CONF='" +
                               (root_ / "openssl.cnf").string() + "' && { " + command + " ; } >>log 2>&1";
      const int status = std::system(line.c_str());
      if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("interop corpus: `" + command + "` failed:\n" + read(dir, "log"));
    }
  }

  std::string read(const std::string& dir, const std::string& file) const {
    std::ifstream in(root_ / dir / file, std::ios::binary);
    if (!in) throw std::runtime_error("interop corpus: no " + dir + "/" + file);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

  std::string config() const { return (root_ / "openssl.cnf").string(); }

 private:
  fs::path root_;
};

std::vector<Case> generate() {
  Workspace w;
  const std::string cnf = "-config '" + w.config() + "'";
  const std::string ext = "-extfile '" + w.config() + "' -extensions";
  std::vector<Case> out;

  // PostgreSQL manual, 19.9.5 "Creating Certificates": a self-signed server certificate,
  // used by the client as its own root (sslrootcert=server.crt). CA:TRUE, CN only.
  w.run("pg-self", {"openssl req -new -x509 -days 365 -nodes -text -out server.crt -keyout server.key -subj '/CN=localhost' " + cnf});
  out.push_back({"postgres-manual-self-signed", "PostgreSQL manual: openssl req -new -x509 ... -subj /CN=dbhost",
                 w.read("pg-self", "server.crt"), w.read("pg-self", "server.crt"), w.read("pg-self", "server.key"),
                 true, false, {"CA certificate (basicConstraints CA:TRUE)"}});

  // PostgreSQL manual: a root CA (x509 -req -extensions v3_ca -signkey) and a server
  // certificate it signs with `openssl x509 -req` and no extensions: version 1, CN only.
  const std::vector<std::string> pg_root = {
      "openssl req -new -nodes -text -out root.csr -keyout root.key -subj '/CN=root.yourdomain.com' " + cnf,
      "openssl x509 -req -in root.csr -text -days 3650 " + ext + " v3_ca -signkey root.key -out root.crt",
  };
  auto cmds = pg_root;
  cmds.push_back("openssl req -new -nodes -text -out server.csr -keyout server.key -subj '/CN=localhost' " + cnf);
  cmds.push_back("openssl x509 -req -in server.csr -text -days 365 -CA root.crt -CAkey root.key -CAcreateserial -out server.crt");
  w.run("pg-chain", cmds);
  out.push_back({"postgres-manual-chain", "PostgreSQL manual: root.crt (v3_ca) signs server.crt with x509 -req",
                 w.read("pg-chain", "root.crt"), w.read("pg-chain", "server.crt"), w.read("pg-chain", "server.key"),
                 true, false, {"version 1 certificate", "CA certificate without keyUsage"}});

  // PostgreSQL manual: the same with an intermediate CA, which the server presents.
  cmds = pg_root;
  cmds.push_back("openssl req -new -nodes -text -out intermediate.csr -keyout intermediate.key -subj '/CN=intermediate.yourdomain.com' " + cnf);
  cmds.push_back("openssl x509 -req -in intermediate.csr -text -days 1825 " + ext +
                 " v3_ca -CA root.crt -CAkey root.key -CAcreateserial -out intermediate.crt");
  cmds.push_back("openssl req -new -nodes -text -out server.csr -keyout server.key -subj '/CN=localhost' " + cnf);
  cmds.push_back("openssl x509 -req -in server.csr -text -days 365 -CA intermediate.crt -CAkey intermediate.key -CAcreateserial -out server.crt");
  w.run("pg-intermediate", cmds);
  out.push_back({"postgres-manual-intermediate", "PostgreSQL manual: root -> intermediate (v3_ca) -> server, chain presented",
                 w.read("pg-intermediate", "root.crt"),
                 w.read("pg-intermediate", "server.crt") + w.read("pg-intermediate", "intermediate.crt"),
                 w.read("pg-intermediate", "server.key"), true, false,
                 {"version 1 certificate", "CA certificate without keyUsage"}});

  // MariaDB's documentation ("Certificate Creation with OpenSSL", as mysql-test's
  // generate-ssl-certs does): req -x509 CA, server signed with -set_serial 01.
  w.run("mariadb", {
      "openssl genrsa 2048 > ca-key.pem",
      "openssl req -new -x509 -nodes -days 365000 -key ca-key.pem -out ca-cert.pem -subj '/CN=MariaDB test CA' " + cnf,
      "openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server-req.pem -subj '/CN=localhost' " + cnf,
      "openssl rsa -in server-key.pem -out server-key.pem",
      "openssl x509 -req -in server-req.pem -days 365000 -CA ca-cert.pem -CAkey ca-key.pem -set_serial 01 -out server-cert.pem",
  });
  out.push_back({"mariadb-generate-ssl-certs", "MariaDB docs: req -x509 CA, x509 -req -set_serial 01 server",
                 w.read("mariadb", "ca-cert.pem"), w.read("mariadb", "server-cert.pem"), w.read("mariadb", "server-key.pem"),
                 true, false, {"version 1 certificate", "CA certificate without keyUsage"}});

  // `openssl req -x509` defaults with a SAN: self-signed, CA:TRUE, its own anchor.
  w.run("req-x509", {"openssl req -x509 -newkey rsa:2048 -nodes -keyout server.key -out server.crt -days 365 "
                     "-subj '/CN=localhost' -addext 'subjectAltName=DNS:localhost' " + cnf});
  out.push_back({"openssl-req-x509-defaults", "openssl req -x509 -addext subjectAltName=DNS:localhost",
                 w.read("req-x509", "server.crt"), w.read("req-x509", "server.crt"), w.read("req-x509", "server.key"),
                 false, false, {"CA certificate (basicConstraints CA:TRUE)"}});

  // A self-signed server certificate that is not a CA, trusted as itself.
  w.run("self-leaf", {"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key "
                      "-out server.crt -days 365 -subj '/CN=localhost' " + cnf + " -extensions server_self"});
  out.push_back({"self-signed-server-as-anchor", "a self-signed CA:FALSE server certificate as sslrootcert",
                 w.read("self-leaf", "server.crt"), w.read("self-leaf", "server.crt"), w.read("self-leaf", "server.key"),
                 false, true, {}});

  // A well-formed CA, for the leaf cases below.
  const std::string proper_ca = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
                                "-out ca.crt -days 3650 -subj '/CN=verifull interop CA' " + cnf + " -extensions proper_ca";
  const auto sign_leaf = [&](const std::string& section, const std::string& cn) {
    return std::vector<std::string>{
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj '/CN=" + cn + "' " + cnf,
        "openssl x509 -req -in server.csr -days 365 -CA ca.crt -CAkey ca.key -CAcreateserial " + ext + " " + section + " -out server.crt",
    };
  };

  // A leaf without authorityKeyIdentifier (Python's cryptography and Go make these
  // unless told to add one).
  cmds = {proper_ca};
  for (auto& c : sign_leaf("leaf_no_aki", "localhost")) cmds.push_back(c);
  w.run("no-aki", cmds);
  out.push_back({"leaf-without-aki", "a leaf as Python cryptography / Go make it: no authorityKeyIdentifier",
                 w.read("no-aki", "ca.crt"), w.read("no-aki", "server.crt"), w.read("no-aki", "server.key"),
                 false, false, {"no authorityKeyIdentifier"}});

  // A legacy CA: no subjectKeyIdentifier, basicConstraints not critical.
  w.run("legacy", {"openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 "
                   "-subj '/CN=Legacy CA' " + cnf + " -extensions legacy_ca",
                   sign_leaf("leaf_no_aki", "localhost")[0], sign_leaf("leaf_no_aki", "localhost")[1]});
  out.push_back({"legacy-ca", "a CA without subjectKeyIdentifier and with a non-critical basicConstraints",
                 w.read("legacy", "ca.crt"), w.read("legacy", "server.crt"), w.read("legacy", "server.key"),
                 false, false, {"without a subjectKeyIdentifier", "basicConstraints extension is not marked critical"}});

  // A plain `openssl req -x509` CA (no keyUsage) signing a leaf with a SAN.
  w.run("plain-ca", {"openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 "
                     "-subj '/CN=Plain CA' " + cnf,
                     sign_leaf("leaf_san", "localhost")[0], sign_leaf("leaf_san", "localhost")[1]});
  out.push_back({"ca-without-keyusage", "openssl req -x509 defaults as a CA (no keyUsage)",
                 w.read("plain-ca", "ca.crt"), w.read("plain-ca", "server.crt"), w.read("plain-ca", "server.key"),
                 false, false, {"CA certificate without keyUsage"}});

  // A well-formed v3 leaf whose name is only in the CN.
  cmds = {proper_ca};
  for (auto& c : sign_leaf("leaf_cn_only", "localhost")) cmds.push_back(c);
  w.run("cn-only", cmds);
  out.push_back({"cn-only-v3", "a complete v3 leaf without subjectAltName (CN=localhost)",
                 w.read("cn-only", "ca.crt"), w.read("cn-only", "server.crt"), w.read("cn-only", "server.key"),
                 true, true, {}});

  // Root -> intermediate -> leaf, every certificate as RFC 5280 wants it.
  w.run("modern", {
      proper_ca,
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr -subj '/CN=verifull interop intermediate' " + cnf,
      "openssl x509 -req -in int.csr -days 1825 -CA ca.crt -CAkey ca.key -CAcreateserial " + ext + " proper_ca -out int.crt",
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' " + cnf,
      "openssl x509 -req -in server.csr -days 365 -CA int.crt -CAkey int.key -CAcreateserial " + ext + " leaf_proper -out server.crt",
  });
  out.push_back({"intermediate-chain", "root -> intermediate -> leaf, RFC 5280 throughout, chain presented",
                 w.read("modern", "ca.crt"), w.read("modern", "server.crt") + w.read("modern", "int.crt"),
                 w.read("modern", "server.key"), false, true, {}});
  return out;
}

}  // namespace

const std::vector<Case>& corpus() {
  static const std::vector<Case> cases = generate();
  return cases;
}

}  // namespace interop
