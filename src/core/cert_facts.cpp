#include "core/cert_facts.hpp"
#include "core/fork_safe.hpp"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <ctime>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace verifull::detail {

namespace {

// Code points that change how a terminal shows the text around them: C1 controls (U+009B
// is CSI, an escape sequence on its own; U+0085 is NEL), the line and paragraph separators
// U+2028 / U+2029 (a new line in editors, log viewers and JSON-reading tools, so one
// message could pose as two), bidirectional overrides and isolates (the "Trojan Source"
// trick), zero-width and other invisible format characters.
bool hides_or_reorders(std::uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF ||
         (cp >= 0xFFF9 && cp <= 0xFFFB);
}

void escape_bytes(std::string& out, std::string_view bytes) {
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : bytes) {
    out += '\\';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
}

// Length of the valid UTF-8 sequence at s[i] and its code point; 0 when invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static const std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;  // overlong, surrogate
  return len;
}

}  // namespace

std::string escape_display(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8_sequence(text, i, cp);
    if (len == 0) {
      escape_bytes(out, text.substr(i, 1));  // not UTF-8: one byte at a time
      i += 1;
    } else if (cp < 0x20 || cp == 0x7F || hides_or_reorders(cp)) {
      escape_bytes(out, text.substr(i, len));
      i += len;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

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

std::string rfc3339(std::int64_t unix_seconds) {
  std::tm tm{};
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::int64_t unix_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string rfc3339(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return "invalid";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string hex_colon(const std::string& bytes) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ':';
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string hex_lower(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// OpenSSL 3 looks an implementation up on every SHA256()/EVP_sha256() call; fetching
// it once makes a fingerprint several times cheaper (it is on every verification).
static const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

std::string sha256(const std::string& bytes) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(digest.data()), &len, sha256_md(), nullptr);
  return digest;
}

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
class DescriptionCache {
 public:
  std::optional<CertInfo> find(const std::string& key, const X509* cert) {
    std::lock_guard<ForkSafeMutex> lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end() || X509_cmp(it->second.cert.get(), cert) != 0) return std::nullopt;
    return it->second.info;
  }
  void store(const std::string& key, const X509* cert, const CertInfo& info) {
    std::lock_guard<ForkSafeMutex> lock(mutex_);
    if (entries_.size() >= kCapacity) entries_.clear();  // simple and bounded
    entries_[key] = Entry{share(const_cast<X509*>(cert)), info};
  }

 private:
  static constexpr std::size_t kCapacity = 256;
  struct Entry {
    X509Ptr cert;
    CertInfo info;
  };
  ForkSafeMutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

DescriptionCache& description_cache() {
  static DescriptionCache cache;
  return cache;
}

}  // namespace

CertInfo cert_info(const X509* cert) {
  unsigned char sha1[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha1(), sha1, &len) != 1) return describe(cert);
  const std::string key(reinterpret_cast<char*>(sha1), len);
  if (auto hit = description_cache().find(key, cert)) return *hit;
  CertInfo info = describe(cert);
  description_cache().store(key, cert, info);
  return info;
}

}  // namespace verifull::detail
