#include "core/crl.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <filesystem>
#include <memory>

#include "core/openssl_types.hpp"

namespace verifull::detail {
namespace {

using CrlPtr = std::unique_ptr<X509_CRL, OpenSslDeleter<X509_CRL, X509_CRL_free>>;

constexpr std::uintmax_t kLargestCrlFile = 16u << 20;
constexpr std::size_t kMostFolderEntries = 1000;

std::vector<CrlPtr> read_crls(const CrlLocations& where) {
  std::vector<std::string> files = where.files;
  for (const auto& folder : where.folders) {
    std::error_code ec;
    std::size_t seen = 0;
    for (auto it = std::filesystem::directory_iterator(folder, ec);
         !ec && it != std::filesystem::directory_iterator() && seen < kMostFolderEntries; it.increment(ec), ++seen)
      files.push_back(it->path().string());
  }
  std::vector<CrlPtr> out;
  for (const auto& file : files) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec) || std::filesystem::file_size(file, ec) > kLargestCrlFile) continue;
    BioPtr bio(BIO_new_file(file.c_str(), "r"));
    while (bio) {
      X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
      if (!crl) break;
      out.emplace_back(crl);
    }
    ERR_clear_error();  // the end of the file, or a file that is not PEM: the driver says so
  }
  return out;
}

std::string parameter_key(const std::string& key) {
  std::string k;
  for (char c : key) k += c == '-' ? '_' : c;
  return k;
}

}  // namespace

CrlLocations crl_locations(const Endpoint& endpoint) {
  CrlLocations where;
  for (const auto& [key, value] : endpoint.params) {
    const std::string k = parameter_key(key);
    if (endpoint.protocol == Protocol::postgres ? k == "sslcrl" : k == "ssl_crl") where.files.push_back(value);
    if (endpoint.protocol == Protocol::postgres ? k == "sslcrldir" : k == "ssl_crlpath") where.folders.push_back(value);
  }
  return where;
}

std::optional<std::string> revoked_certificate(const std::vector<CertInfo>& chain, const CrlLocations& where) {
  if (where.empty()) return std::nullopt;
  const auto crls = read_crls(where);
  for (const auto& info : chain) {
    BioPtr bio(BIO_new_mem_buf(info.pem.data(), static_cast<int>(info.pem.size())));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) continue;
    for (const auto& crl : crls) {
      X509_REVOKED* entry = nullptr;
      if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_issuer_name(cert.get())) == 0 &&
          X509_CRL_get0_by_cert(crl.get(), &entry, cert.get()) == 1)
        return info.subject;
    }
  }
  return std::nullopt;
}

}  // namespace verifull::detail
