// Writes a small test PKI to a folder, for the demo and for the test servers:
//   ca.pem                      the trust anchor the clients are given
//   server.pem/.key             DNS:localhost only (so dialling 127.0.0.1 is a name mismatch)
//   server2.pem/.key            the same name, a new key (certificate rotation)
//   server-ip.pem/.key          DNS:localhost and IP:127.0.0.1 (for clients such as
//                               mysqlclient that reach "localhost" only by Unix socket)
//   server-ip2.pem/.key         the same names, another key (only a pin tells them apart)
//   server-rsa.pem/.key         DNS:localhost with an RSA-2048 key (static-RSA cipher suites
//                               need one: the weak-TLS fakes)
//   wrong-name.pem/.key         same CA, but for wrong-name.invalid only
//   other-ca.pem                an unrelated CA
//   impostor.pem/.key           issued by the other CA for localhost and 127.0.0.1
//   client-ca.pem               the CA the servers accept client certificates from
//   client.pem/.key             a client certificate (CN = the database user verifull_cert)
//   client-enc.pem/.key         another one, its key encrypted (PKCS#8, AES-256) with the
//   client-enc.pass             passphrase in this file (random, one line)
//   crl-revoked.pem / .der      the CA's CRL listing server.pem (and server-ip.pem): the
//                               certificate the TLS test servers present
//   crl-empty.pem               the CA's CRL listing nothing
//   crl-expired.pem             the CA's CRL listing nothing, past its nextUpdate
//   crl-wrong-key.pem           a CRL under the CA's name signed by another key
//   crl-other-ca.pem            the other CA's CRL (no CRL of the demo CA)
//   crl-dir/, crl-dir-empty/    hashed folders (libpq's sslcrldir) with crl-revoked and
//                               crl-empty, named <issuer hash>.r0
// Keys are generated fresh on every run and never leave the folder (mode 0600).
#include <openssl/rand.h>

#include <iostream>

#include "test_pki.hpp"

// The database user the client certificates name (tests/servers/servers.py creates it).
constexpr const char* kClientUser = "verifull_cert";

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_test_pki DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  using namespace testpki;
  const Cert ca = make_root(ca_spec("verifull demo CA"));
  const Cert server = issue(ca, leaf_spec("localhost", {"localhost"}));
  const Cert server2 = issue(ca, leaf_spec("localhost", {"localhost"}));
  const Cert server_ip = issue(ca, leaf_spec("localhost", {"localhost"}, {"127.0.0.1"}));
  const Cert server_ip2 = issue(ca, leaf_spec("localhost", {"localhost"}, {"127.0.0.1"}));
  Spec rsa = leaf_spec("localhost", {"localhost"});
  rsa.key = KeyKind::rsa_2048;
  const Cert server_rsa = issue(ca, rsa);
  const Cert wrong = issue(ca, leaf_spec("wrong-name.invalid", {"wrong-name.invalid"}));
  const Cert other_ca = make_root(ca_spec("verifull demo impostor CA"));
  const Cert impostor = issue(other_ca, leaf_spec("localhost", {"localhost"}, {"127.0.0.1", "::1"}));
  write_file(dir + "/ca.pem", ca.pem());
  write_file(dir + "/server.pem", server.pem());
  write_file(dir + "/server.key", server.key_pem());
  write_file(dir + "/server2.pem", server2.pem());
  write_file(dir + "/server2.key", server2.key_pem());
  write_file(dir + "/server-ip.pem", server_ip.pem());
  write_file(dir + "/server-ip.key", server_ip.key_pem());
  write_file(dir + "/server-ip2.pem", server_ip2.pem());
  write_file(dir + "/server-ip2.key", server_ip2.key_pem());
  write_file(dir + "/server-rsa.pem", server_rsa.pem());
  write_file(dir + "/server-rsa.key", server_rsa.key_pem());
  write_file(dir + "/wrong-name.pem", wrong.pem());
  write_file(dir + "/wrong-name.key", wrong.key_pem());
  write_file(dir + "/other-ca.pem", other_ca.pem());
  write_file(dir + "/impostor.pem", impostor.pem());
  write_file(dir + "/impostor.key", impostor.key_pem());
  const Cert client_ca = make_root(ca_spec("verifull demo client CA"));
  Spec client_spec = leaf_spec(kClientUser, {});
  client_spec.eku = {"clientAuth"};
  const Cert client = issue(client_ca, client_spec);
  const Cert client_enc = issue(client_ca, client_spec);
  unsigned char random[12];
  RAND_bytes(random, sizeof random);
  std::string passphrase = "pass-";
  for (unsigned char b : random) passphrase += "0123456789abcdef"[b & 15];
  write_file(dir + "/client-ca.pem", client_ca.pem());
  write_file(dir + "/client.pem", client.pem());
  write_file(dir + "/client.key", client.key_pem());
  write_file(dir + "/client-enc.pem", client_enc.pem());
  write_file(dir + "/client-enc.key", client_enc.key_pem_encrypted(passphrase));
  write_file(dir + "/client-enc.pass", passphrase + "\n");
  const Crl revoked = make_crl(ca, CrlSpec{{&server, &server_ip}});
  const Crl empty = make_crl(ca);
  CrlSpec expired;
  expired.this_update = -10L * 86400;
  expired.next_update = -86400;
  CrlSpec forged;
  forged.signing_key = other_ca.key.get();
  // It names the CA's key identifier, as a forgery copying the CA's CRL would.
  write_file(dir + "/crl-revoked.pem", revoked.pem);
  write_file(dir + "/crl-revoked.der", revoked.der);
  write_file(dir + "/crl-empty.pem", empty.pem);
  write_file(dir + "/crl-expired.pem", make_crl(ca, expired).pem);
  write_file(dir + "/crl-wrong-key.pem", make_crl(ca, forged).pem);
  write_file(dir + "/crl-other-ca.pem", make_crl(other_ca).pem);
  write_file(dir + "/crl-dir/" + revoked.hash_name, revoked.pem);
  write_file(dir + "/crl-dir-empty/" + empty.hash_name, empty.pem);
  std::cout << "test PKI written to " << dir << "\n";
  return 0;
}
