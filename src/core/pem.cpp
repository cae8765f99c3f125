#include "core/pem.hpp"

#include <openssl/evp.h>

#include "core/fork_safe.hpp"
#include "verifull/errors.hpp"

namespace verifull::detail {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

std::string where(const std::string& source, int line) {
  return source + " line " + std::to_string(line);
}

bool is_key_label(const std::string& label) {
  return label.find("PRIVATE KEY") != std::string::npos;
}

// Strict base64: only the alphabet, '=' padding at the end, length a multiple of 4.
bool decode_base64(const std::string& text, std::string& out) {
  if (text.empty() || text.size() % 4 != 0) return false;
  const auto padding_at = text.find('=');
  if (padding_at != std::string::npos) {
    if (padding_at < text.size() - 2) return false;
    for (auto i = padding_at; i < text.size(); ++i)
      if (text[i] != '=') return false;
  }
  for (char c : text.substr(0, padding_at))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  out.resize(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return false;
  const auto pad = text.size() - (padding_at == std::string::npos ? text.size() : padding_at);
  out.resize(static_cast<std::size_t>(n) - pad);
  return true;
}

std::string_view trim_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.remove_suffix(1);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  return line;
}

// "-----BEGIN LABEL-----" -> "LABEL"; empty when the line is not such a marker.
std::string marker_label(std::string_view line, std::string_view prefix) {
  if (line.substr(0, prefix.size()) != prefix) return {};
  line.remove_prefix(prefix.size());
  if (line.size() < kDashes.size() || line.substr(line.size() - kDashes.size()) != kDashes)
    return {};
  line.remove_suffix(kDashes.size());
  return std::string(line);
}

}  // namespace

std::vector<PemBlock> scan_pem(std::string_view text, const std::string& source) {
  for (unsigned char c : text) {
    if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f) {
      throw InputError(source +
                       " is not PEM text (it contains binary bytes; a DER file must be "
                       "converted: openssl x509 -inform der -in FILE -out FILE.pem)");
    }
  }
  std::vector<PemBlock> blocks;
  PemBlock current;
  std::string body;
  bool inside = false;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const auto line = trim_line(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    if (!inside) {
      if (line.substr(0, kBegin.size()) == kBegin) {
        current = PemBlock{marker_label(line, kBegin), {}, line_no};
        if (current.label.empty())
          throw InputError("malformed PEM BEGIN line at " + where(source, line_no));
        body.clear();
        inside = true;
      } else if (line.substr(0, kEnd.size()) == kEnd) {
        throw InputError("PEM END line without a BEGIN at " + where(source, line_no));
      }
      continue;
    }
    if (line.substr(0, kEnd.size()) == kEnd) {
      const auto end_label = marker_label(line, kEnd);
      if (end_label != current.label) {
        throw InputError("PEM block " + quote_input(is_key_label(current.label) ? "PRIVATE KEY" : current.label) +
                         " starting at " + where(source, current.line) +
                         " ends with a different END line at line " + std::to_string(line_no));
      }
      // A private key is refused by the caller with its own message; no need to decode.
      if (!is_key_label(current.label) && !decode_base64(body, current.der)) {
        throw InputError("PEM block " + quote_input(current.label) + " starting at " +
                         where(source, current.line) +
                         " has invalid base64 (garbled or truncated)");
      }
      blocks.push_back(std::move(current));
      inside = false;
      continue;
    }
    if (line.substr(0, kBegin.size()) == kBegin) {
      throw InputError("PEM block starting at " + where(source, current.line) +
                       " has no END line before the next BEGIN at line " +
                       std::to_string(line_no) + " (truncated?)");
    }
    if (line.find(':') != std::string_view::npos) {
      // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") only occur in legacy encrypted keys.
      if (is_key_label(current.label)) continue;
      throw InputError("PEM block " + quote_input(current.label) + " starting at " +
                       where(source, current.line) + " has a header line; expected base64");
    }
    body.append(line);
  }
  if (inside) {
    throw InputError("PEM block " + quote_input(is_key_label(current.label) ? "PRIVATE KEY" : current.label) +
                     " starting at " + where(source, current.line) +
                     " has no END line (truncated file?)");
  }
  return blocks;
}

std::vector<PemBlock> certificate_blocks(std::string_view text, const std::string& source,
                                         const std::string& what) {
  auto blocks = scan_pem(text, source);
  // Refuse key material before anything else, so the message is about the key.
  for (const auto& block : blocks) {
    if (is_key_label(block.label)) {
      throw InputError(source + " contains a private key (" + quote_input(block.label) + " PEM block at line " +
                       std::to_string(block.line) + "); " + what +
                       " must be certificates only. The key is not shown; remove it from this "
                       "file and treat it as exposed if this file was shared");
    }
  }
  if (blocks.empty()) {
    throw InputError(source + (text.empty() ? " is empty" : " contains no PEM certificate") +
                     "; expected " + what + " as \"-----BEGIN CERTIFICATE-----\" blocks");
  }
  for (const auto& block : blocks) {
    if (block.label != "CERTIFICATE") {
      throw InputError(source + " has a " + quote_input(block.label) + " PEM block at line " +
                       std::to_string(block.line) + "; " + what + " must be CERTIFICATE blocks");
    }
  }
  return blocks;
}

std::string not_a_certificate(const std::string& source, int line) {
  return "the CERTIFICATE block at " + where(source, line) +
         " is not a valid X.509 certificate (DER does not parse completely)";
}

X509Ptr certificate_from_der(std::string_view der) {
  const NoForkHere no_fork;  // d2i_X509 takes OpenSSL's decoder locks (core/fork_safe.hpp)
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != begin + der.size()) return nullptr;
  return cert;
}

std::vector<ParsedCert> parse_certificates(std::string_view text, const std::string& source,
                                           const std::string& what) {
  std::vector<ParsedCert> certs;
  for (const auto& block : certificate_blocks(text, source, what)) {
    X509Ptr cert = certificate_from_der(block.der);
    if (!cert) throw InputError(not_a_certificate(source, block.line));
    certs.push_back({std::move(cert), block.line});
  }
  return certs;
}

}  // namespace verifull::detail
