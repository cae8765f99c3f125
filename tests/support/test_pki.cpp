#include "test_pki.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>

namespace testpki {
namespace {

KeyPtr generate(KeyKind kind) {
  EVP_PKEY* key = nullptr;
  switch (kind) {
    case KeyKind::ec_p256: key = EVP_EC_gen("P-256"); break;
    case KeyKind::ec_p224: key = EVP_EC_gen("P-224"); break;
    case KeyKind::rsa_1024: key = EVP_RSA_gen(1024); break;
    case KeyKind::rsa_2048: key = EVP_RSA_gen(2048); break;
  }
  if (!key) throw std::runtime_error("key generation failed");
  return KeyPtr(key, KeyFree{});
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

Cert build(const Spec& spec, X509* issuer_cert, EVP_PKEY* issuer_key) {
  Cert out;
  out.key = spec.same_key ? spec.same_key : generate(spec.key);
  X509* cert = X509_new();
  out.cert = CertPtr(cert, CertFree{});
  X509_set_version(cert, 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  serial[0] |= 0x01;  // nonzero
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_NAME* name = X509_NAME_new();
  if (spec.subject_dn.empty()) {
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  } else {
    X509_NAME_free(name);
    name = X509_NAME_new();
    std::string rest = spec.subject_dn.substr(1);  // "/CN=a/CN=b"
    for (std::size_t at = 0; at <= rest.size();) {
      const auto next = rest.find('/', at);
      const std::string rdn = rest.substr(at, next == std::string::npos ? std::string::npos : next - at);
      const auto eq = rdn.find('=');
      X509_NAME_add_entry_by_txt(name, rdn.substr(0, eq).c_str(), MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(rdn.substr(eq + 1).c_str()), -1, -1, 0);
      if (next == std::string::npos) break;
      at = next + 1;
    }
  }
  X509_set_subject_name(cert, name);
  X509_NAME_free(name);
  X509* signer_cert = issuer_cert ? issuer_cert : cert;
  EVP_PKEY* signer_key = issuer_key ? issuer_key : out.key.get();
  X509_set_issuer_name(cert, X509_get_subject_name(signer_cert));
  X509_gmtime_adj(X509_getm_notBefore(cert), spec.not_before);
  X509_gmtime_adj(X509_getm_notAfter(cert), spec.not_after);
  X509_set_pubkey(cert, out.key.get());

  if (spec.basic_constraints) {
    std::string bc = spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
    if (spec.ca && spec.path_len >= 0) bc += ",pathlen:" + std::to_string(spec.path_len);
    add_ext(cert, signer_cert, NID_basic_constraints, bc);
  }
  if (spec.key_usage)
    add_ext(cert, signer_cert, NID_key_usage,
            spec.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment");
  if (spec.key_identifiers) {
    add_ext(cert, signer_cert, NID_subject_key_identifier, "hash");
    if (issuer_cert) add_ext(cert, signer_cert, NID_authority_key_identifier, "keyid:always");
  }
  if (!spec.eku.empty()) {
    std::string eku;
    for (const auto& e : spec.eku) eku += (eku.empty() ? "" : ",") + e;
    add_ext(cert, signer_cert, NID_ext_key_usage, eku);
  }
  for (const auto& raw : spec.raw_extensions) {
    ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(value, reinterpret_cast<const unsigned char*>(raw.der.data()), static_cast<int>(raw.der.size()));
    X509_EXTENSION* ext = X509_EXTENSION_create_by_NID(nullptr, raw.nid, raw.critical ? 1 : 0, value);
    ASN1_OCTET_STRING_free(value);
    if (!ext) throw std::runtime_error("bad raw extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (!spec.name_constraints.empty()) add_ext(cert, signer_cert, NID_name_constraints, spec.name_constraints);
  std::string san;
  for (const auto& d : spec.dns) san += (san.empty() ? "" : ",") + ("DNS:" + d);
  for (const auto& ip : spec.ips) san += (san.empty() ? "" : ",") + ("IP:" + ip);
  if (!san.empty()) add_ext(cert, signer_cert, NID_subject_alt_name, san);

  const EVP_MD* md = EVP_get_digestbyname(spec.digest.c_str());
  if (!md || X509_sign(cert, signer_key, md) <= 0) throw std::runtime_error("signing failed");
  return out;
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string s(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return s;
}

}  // namespace

Cert make_root(Spec spec) { return build(spec, nullptr, nullptr); }

Crl make_crl(const Cert& issuer, const CrlSpec& spec) {
  std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> crl(X509_CRL_new(), X509_CRL_free);
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> last(X509_time_adj_ex(nullptr, 0, spec.this_update, nullptr),
                                                              ASN1_TIME_free);
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> next(X509_time_adj_ex(nullptr, 0, spec.next_update, nullptr),
                                                              ASN1_TIME_free);
  if (!crl || !last || !next || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.cert.get())) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 || X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1)
    throw std::runtime_error("cannot build a CRL");
  for (const Cert* cert : spec.revoked) {
    X509_REVOKED* entry = X509_REVOKED_new();
    if (!entry || X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(cert->cert.get())) != 1 ||
        X509_REVOKED_set_revocationDate(entry, last.get()) != 1 || X509_CRL_add0_revoked(crl.get(), entry) != 1)
      throw std::runtime_error("cannot add a CRL entry");
  }
  if (spec.authority_key_id) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer.cert.get(), nullptr, nullptr, crl.get(), 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always");
    if (!ext) throw std::runtime_error("cannot make the CRL's authorityKeyIdentifier");
    X509_CRL_add_ext(crl.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (spec.crl_number) {
    std::unique_ptr<ASN1_INTEGER, decltype(&ASN1_INTEGER_free)> number(ASN1_INTEGER_new(), ASN1_INTEGER_free);
    if (!number || ASN1_INTEGER_set(number.get(), 1) != 1 ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1)
      throw std::runtime_error("cannot add the CRL number");
  }
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), spec.signing_key ? spec.signing_key : issuer.key.get(), EVP_sha256()) <= 0)
    throw std::runtime_error("cannot sign a CRL");
  Crl out;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_CRL(bio, crl.get());
  out.pem = bio_string(bio);
  unsigned char* der = nullptr;
  const int n = i2d_X509_CRL(crl.get(), &der);
  out.der.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  char name[32];
  snprintf(name, sizeof name, "%08lx.r0", X509_NAME_hash_ex(X509_CRL_get_issuer(crl.get()), nullptr, nullptr, nullptr));
  out.hash_name = name;
  return out;
}
Cert issue(const Cert& issuer, Spec spec) { return build(spec, issuer.cert.get(), issuer.key.get()); }

std::string Cert::pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert.get());
  return bio_string(bio);
}

std::string Cert::serial_text() const {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  std::string out;
  char byte[4];
  for (int i = 0; i < ASN1_STRING_length(serial); ++i) {
    snprintf(byte, sizeof byte, "%02X", ASN1_STRING_get0_data(serial)[i]);
    out += (i ? ":" : "") + std::string(byte);
  }
  return out;
}

std::string Cert::key_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return bio_string(bio);
}

std::string Cert::key_pem_encrypted(const std::string& passphrase) const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(bio, key.get(), EVP_aes_256_cbc(), passphrase.data(), static_cast<int>(passphrase.size()),
                                nullptr, nullptr);
  return bio_string(bio);
}

Cert load(const std::string& cert_path, const std::string& key_path) {
  Cert out;
  FILE* f = std::fopen(cert_path.c_str(), "r");
  if (!f) throw std::runtime_error("cannot read " + cert_path);
  out.cert = CertPtr(PEM_read_X509(f, nullptr, nullptr, nullptr), CertFree{});
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "r");
  if (!f) throw std::runtime_error("cannot read " + key_path);
  out.key = KeyPtr(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr), KeyFree{});
  std::fclose(f);
  if (!out.cert || !out.key) throw std::runtime_error("cannot parse " + cert_path + " / " + key_path);
  return out;
}

void write_file(const std::string& path, const std::string& content) {
  for (std::size_t i = 1; i < path.size(); ++i)
    if (path[i] == '/') ::mkdir(path.substr(0, i).c_str(), 0700);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << content;
  out.close();
  ::chmod(path.c_str(), 0600);
}

}  // namespace testpki
