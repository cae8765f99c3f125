// Facts about a certificate (names, fingerprints, PEM), described once per certificate
// and kept in a bounded cache.
#include "core/cert_facts.hpp"
#include "core/bounded_cache.hpp"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <ctime>
#include <memory>
#include <optional>

namespace verifull::detail {

std::string name_to_string(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  // RFC 2253 escaping covers ASCII controls; the rest (C1, bidi overrides, invalid
  // UTF-8) is escaped here the same way, as \XX per byte.
  return escape_display(std::string_view(data, static_cast<std::size_t>(n)));
}

std::string subject_of(const X509* cert) { return name_to_string(X509_get_subject_name(cert)); }

std::string der_of(const X509* cert) {
  const int n = i2d_X509(cert, nullptr);
  if (n <= 0) return {};
  std::string der(static_cast<std::size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert, &p);
  return der;
}

std::string spki_sha256_raw(const X509* cert) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  unsigned int len = 0;
  if (X509_pubkey_digest(cert, sha256_md(), reinterpret_cast<unsigned char*>(digest.data()), &len) != 1) return {};
  return digest;
}

std::string spki_pin(const X509* cert) { return "sha256/" + base64(spki_sha256_raw(cert)); }

std::string pem_from_der(const std::string& der) {
  const std::string b64 = base64(der);
  std::string pem = "-----BEGIN CERTIFICATE-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  return pem + "-----END CERTIFICATE-----\n";
}

std::string pem_of(const X509* cert) { return pem_from_der(der_of(cert)); }

std::string asn1_text(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
}

std::optional<std::string> ip_address_text(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {0};
  const int len = ASN1_STRING_length(ip);
  if (len != 4 && len != 16) return std::nullopt;
  inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), buf, sizeof buf);
  return std::string(buf);
}

static std::string ip_to_string(const ASN1_OCTET_STRING* ip) {
  return ip_address_text(ip).value_or("(malformed IP of " + std::to_string(ASN1_STRING_length(ip)) + " bytes)");
}

// Printable form of an IA5String SAN; control bytes are escaped so a hostile
// certificate cannot write to the terminal.
static std::string printable(const ASN1_STRING* s) { return escape_display(asn1_text(s)); }

std::vector<std::string> subject_alt_names(const X509* cert) {
  std::vector<std::string> out;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    switch (name->type) {
      case GEN_DNS: out.push_back("DNS:" + printable(name->d.dNSName)); break;
      case GEN_IPADD: out.push_back("IP:" + ip_to_string(name->d.iPAddress)); break;
      case GEN_EMAIL: out.push_back("email:" + printable(name->d.rfc822Name)); break;
      case GEN_URI: out.push_back("URI:" + printable(name->d.uniformResourceIdentifier)); break;
      case GEN_DIRNAME: out.push_back("DirName:" + name_to_string(name->d.directoryName)); break;
      default: out.push_back("othername"); break;
    }
  }
  return out;
}

bool has_san_extension(const X509* cert) {
  return X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) >= 0;
}

// Names match, key identifiers agree and the signature verifies with its own key.
// (X509_check_issued would also demand keyCertSign, which a self-signed server
// certificate trusted as itself does not carry.)
bool is_self_signed(const X509* cert) { return X509_self_signed(const_cast<X509*>(cert), 1) == 1; }

namespace {

CertInfo describe(const X509* cert) {
  CertInfo info;
  info.subject = subject_of(cert);
  info.issuer = name_to_string(X509_get_issuer_name(cert));
  info.sans = subject_alt_names(cert);
  info.not_before = rfc3339(X509_get0_notBefore(cert));
  info.not_after = rfc3339(X509_get0_notAfter(cert));
  const std::string der = der_of(cert);  // encoding is the costly part: once per certificate
  info.sha256 = hex_colon(sha256(der));
  info.spki_sha256 = spki_pin(cert);
  info.pem = pem_from_der(der);
  return info;
}

// A server presents the same chain on every connection, and describing a certificate
// (its DER encoding for the fingerprint, above all) costs more than a tenth of the
// verification itself. Descriptions are kept for the most recent certificates, keyed
// by the SHA-1 OpenSSL caches for every parsed certificate and confirmed with X509_cmp
// (full equality), so a hit is always the same certificate.
struct Described {
  X509Ptr cert;
  CertInfo info;
};
using DescriptionCache = BoundedCache<std::string, std::shared_ptr<const Described>>;

DescriptionCache& description_cache() {
  static DescriptionCache cache(256);
  return cache;
}

}  // namespace

CertInfo cert_info(const X509* cert) {
  unsigned char sha1[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha1(), sha1, &len) != 1) return describe(cert);
  const std::string key(reinterpret_cast<char*>(sha1), len);
  if (const auto hit = description_cache().find(key); hit && X509_cmp((*hit)->cert.get(), cert) == 0)
    return (*hit)->info;
  CertInfo info = describe(cert);
  description_cache().store(key, std::make_shared<const Described>(Described{share(const_cast<X509*>(cert)), info}));
  return info;
}

}  // namespace verifull::detail
