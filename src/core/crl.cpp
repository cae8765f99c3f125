#include "core/crl.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/cert_facts.hpp"
#include "core/pem.hpp"
#include "verifull/errors.hpp"

namespace verifull::detail {
namespace {

constexpr std::uintmax_t kLargestCrlFile = 16u << 20;
constexpr std::size_t kMostFolderEntries = 1000;
constexpr std::string_view kPemBegin = "-----BEGIN ";

// `der` parsed as one CRL and nothing after it; nullptr otherwise.
CrlPtr crl_from_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (crl && p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) return nullptr;
  return crl;
}

// The CRLs in `content` (PEM blocks "X509 CRL", or one DER CRL). `strict`: any other
// PEM block, or nothing that is a CRL, is an InputError naming `source`; otherwise
// (a file found in a folder) they are skipped.
std::vector<LoadedCrl> parse_crls(std::string_view content, const std::string& source, bool strict) {
  std::vector<LoadedCrl> out;
  if (content.find(kPemBegin) != std::string_view::npos) {
    std::vector<PemBlock> blocks;
    try {
      blocks = scan_pem(content, source);
    } catch (const InputError&) {
      if (strict) throw;
      return out;
    }
    for (auto& block : blocks) {
      if (block.label != "X509 CRL") {
        if (strict)
          throw InputError(source + " line " + std::to_string(block.line) + " holds a " + block.label +
                           " block where a CRL (-----BEGIN X509 CRL-----) was expected");
        continue;
      }
      CrlPtr crl = crl_from_der(block.der);
      if (!crl) {
        if (strict)
          throw InputError(source + " line " + std::to_string(block.line) + ": the X509 CRL block is not a complete CRL");
        continue;
      }
      out.push_back({std::move(crl), std::move(block.der), source});
    }
  } else if (CrlPtr crl = crl_from_der(content)) {
    out.push_back({std::move(crl), std::string(content), source});
  }
  if (out.empty() && strict)
    throw InputError(source + " holds no certificate revocation list (expected PEM \"-----BEGIN X509 CRL-----\" "
                     "blocks or one DER CRL)");
  return out;
}

std::string read_bounded(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw InputError("cannot read the CRL file " + quote_input(path) + ": " + ec.message());
  if (size > kLargestCrlFile)
    throw InputError("the CRL file " + quote_input(path) + " is larger than 16 MiB; verifull reads CRLs up to that size");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read the CRL file " + quote_input(path));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void load_location(const std::string& path, std::vector<LoadedCrl>& out) {
  std::error_code ec;
  if (path.empty()) throw InputError("an empty CRL path was given");
  if (!std::filesystem::is_directory(path, ec)) {
    if (!std::filesystem::is_regular_file(path, ec))
      throw InputError("the CRL location " + quote_input(path) + " is neither a readable file nor a folder");
    auto crls = parse_crls(read_bounded(path), quote_input(path), true);
    std::move(crls.begin(), crls.end(), std::back_inserter(out));
    return;
  }
  // A folder like libpq's sslcrldir (made by `openssl rehash`): every regular file in
  // it that holds CRLs, in name order so the result does not depend on the file system.
  std::vector<std::string> files;
  std::size_t seen = 0;
  for (auto it = std::filesystem::directory_iterator(path, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    if (++seen > kMostFolderEntries)
      throw InputError("the CRL folder " + quote_input(path) + " holds more than 1000 entries; verifull reads up to that many");
    std::error_code file_ec;
    if (it->is_regular_file(file_ec)) files.push_back(it->path().string());
  }
  if (ec) throw InputError("cannot read the CRL folder " + quote_input(path) + ": " + ec.message());
  std::sort(files.begin(), files.end());
  const std::size_t before = out.size();
  for (const auto& file : files) {
    auto crls = parse_crls(read_bounded(file), quote_input(file), false);
    std::move(crls.begin(), crls.end(), std::back_inserter(out));
  }
  if (out.size() == before) throw InputError("the CRL folder " + quote_input(path) + " holds no CRL file");
}

bool issued_for(const X509_CRL* crl, const X509* cert) {
  return X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) == 0;
}

std::string serial_of(const X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  return hex_colon(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
                               static_cast<std::size_t>(ASN1_STRING_length(serial))));
}

std::string crl_name(const LoadedCrl& loaded) {
  return "the CRL of " + escape_display(name_to_string(X509_CRL_get_issuer(loaded.crl.get()))) + " from " +
         escape_display(loaded.source);
}

std::string parameter_key(const std::string& key) {
  std::string k;
  for (char c : key) k += c == '-' ? '_' : c;
  return k;
}

}  // namespace

CrlSet load_crls(const Policy& policy) {
  CrlSet set;
  set.require = policy.require_crl;
  for (const auto& path : policy.crls) load_location(path, set.crls);
  if (!policy.crl_pem.empty()) {
    auto crls = parse_crls(policy.crl_pem, "the in-memory CRLs", true);
    std::move(crls.begin(), crls.end(), std::back_inserter(set.crls));
  }
  return set;
}

std::string crls_pem(const CrlSet& crls) {
  std::string out;
  for (const auto& loaded : crls.crls) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509_CRL(bio.get(), loaded.crl.get()) != 1)
      throw std::runtime_error("cannot write a CRL as PEM for the driver");
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    out.append(data, static_cast<std::size_t>(n));
  }
  return out;
}

bool is_url_crl_parameter(Protocol protocol, const std::string& key) {
  const std::string k = parameter_key(key);
  return protocol == Protocol::postgres ? (k == "sslcrl" || k == "sslcrldir") : (k == "ssl_crl" || k == "ssl_crlpath");
}

Policy with_url_crls(Policy policy, Protocol protocol, const std::vector<std::pair<std::string, std::string>>& params) {
  for (const auto& [key, value] : params) {
    if (!is_url_crl_parameter(protocol, key) || std::find(policy.crls.begin(), policy.crls.end(), value) != policy.crls.end())
      continue;
    try {  // read now, so that a bad one is refused naming the parameter
      std::vector<LoadedCrl> crls;
      load_location(value, crls);
    } catch (const InputError& e) {
      throw InputError("the parameter " + key + " names no usable CRL: " + e.what());
    }
    policy.crls.push_back(value);
  }
  return policy;
}

std::string explain_crl_refusal(Outcome outcome, const X509* cert, const std::string& role, const CrlSet& crls,
                                std::int64_t checked_at) {
  const std::string who = role + " " + subject_of(cert) + " (serial " + serial_of(cert) + ")";
  const std::string issuer = escape_display(name_to_string(X509_get_issuer_name(cert)));
  const LoadedCrl* about = nullptr;  // the CRL the refusal is about, when one can be named
  for (const auto& loaded : crls.crls) {
    if (!issued_for(loaded.crl.get(), cert)) continue;
    X509_REVOKED* entry = nullptr;
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(loaded.crl.get());
    const bool fits = outcome == Outcome::revoked ? X509_CRL_get0_by_cert(loaded.crl.get(), &entry, const_cast<X509*>(cert)) == 1
                      : outcome == Outcome::crl_expired ? next && unix_time(next) < checked_at
                                                         : true;
    if (fits) {
      about = &loaded;
      if (entry) {
        return who + " is revoked: " + crl_name(loaded) + " lists its serial (revoked on " +
               rfc3339(X509_REVOKED_get0_revocationDate(entry)) +
               ") — the server must not be trusted with this certificate; it needs a new one";
      }
      break;
    }
  }
  switch (outcome) {
    case Outcome::revoked:
      return who + " is revoked by a CRL its issuer " + issuer + " signed — the server needs a new certificate";
    case Outcome::crl_expired:
      if (about && X509_CRL_get0_nextUpdate(about->crl.get()))
        return "the CRL for " + who + " is out of date: " + crl_name(*about) + " was due to be replaced on " +
               rfc3339(X509_CRL_get0_nextUpdate(about->crl.get())) + " (checked at " + rfc3339(checked_at) +
               ") — fetch the CA's current CRL";
      return "the CRL for " + who + " is out of date (checked at " + rfc3339(checked_at) +
             ") — fetch the CA's current CRL";
    case Outcome::crl_bad_signature:
      return "a CRL under the name of " + issuer + ", the issuer of " + who +
             (about ? " (" + crl_name(*about) + ")" : std::string()) +
             ", is not signed by that issuer's key — the CRL is forged, corrupt, or from another CA of the same name; "
             "get the CRL the CA itself publishes";
    case Outcome::crl_missing:
      return "no CRL of " + issuer + " was given, and require_crl demands one for every issuer of the chain (" + who +
             ") — give that CA's CRL too, or leave require_crl off to check only the CRLs given";
    default: break;
  }
  return who + ": " + outcome_name(outcome);
}

std::vector<ProfileFinding> crl_profile_findings(const std::vector<X509Ptr>& verified, const CrlSet& crls) {
  std::vector<ProfileFinding> out;
  for (std::size_t depth = 0; depth + 1 < verified.size(); ++depth) {
    EVP_PKEY* issuer_key = X509_get0_pubkey(verified[depth + 1].get());
    for (const auto& loaded : crls.crls) {
      if (!issuer_key || !issued_for(loaded.crl.get(), verified[depth].get()) ||
          X509_CRL_verify(loaded.crl.get(), issuer_key) != 1)
        continue;
      int critical = 0;
      auto* number = static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(loaded.crl.get(), NID_crl_number, &critical, nullptr));
      if (!number) out.push_back({depth, crl_name(loaded) + " has no CRL number (RFC 5280 5.2.3)", false});
      ASN1_INTEGER_free(number);
    }
  }
  ERR_clear_error();
  return out;
}

std::optional<std::string> revoked_in(const std::vector<CertInfo>& chain, const CrlSet& crls) {
  for (const auto& info : chain) {
    BioPtr bio(BIO_new_mem_buf(info.pem.data(), static_cast<int>(info.pem.size())));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!cert) continue;
    for (const auto& loaded : crls.crls) {
      X509_REVOKED* entry = nullptr;
      if (issued_for(loaded.crl.get(), cert.get()) &&
          X509_CRL_get0_by_cert(loaded.crl.get(), &entry, cert.get()) == 1)
        return "the certificate " + escape_display(info.subject) + " (serial " + serial_of(cert.get()) +
               ") is revoked by " + crl_name(loaded);
    }
  }
  return std::nullopt;
}

}  // namespace verifull::detail
