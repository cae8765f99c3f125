// Facts about a certificate, in the forms the report and the CLI show. The escaping,
// digest and time forms they use have files of their own (display_text, digests,
// time_text), included here for the callers that use them with the facts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/digests.hpp"
#include "core/display_text.hpp"
#include "core/openssl_types.hpp"
#include "core/time_text.hpp"
#include "verifull/report.hpp"

namespace verifull::detail {

std::string name_to_string(const X509_NAME* name);
// The bytes of an ASN.1 string as they are (not escaped, not converted).
std::string asn1_text(const ASN1_STRING* s);
// An iPAddress's text ("192.0.2.1", "2001:db8::1"); nullopt when it is not 4 or 16 bytes.
std::optional<std::string> ip_address_text(const ASN1_OCTET_STRING* ip);
std::string subject_of(const X509* cert);
std::string der_of(const X509* cert);
std::string spki_sha256_raw(const X509* cert);  // 32 bytes
std::string spki_pin(const X509* cert);         // "sha256/BASE64"
std::string pem_of(const X509* cert);
std::string pem_from_der(const std::string& der);
// "DNS:a.example", "IP:10.0.0.1"; other kinds as OpenSSL names them.
std::vector<std::string> subject_alt_names(const X509* cert);
bool has_san_extension(const X509* cert);
bool is_self_signed(const X509* cert);
CertInfo cert_info(const X509* cert);

}  // namespace verifull::detail
