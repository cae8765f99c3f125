// The C ABI's report handles (vf_report_t): the calls that make a verdict (offline
// verification, the probe) and the accessors that read it.
#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include "capi/handle.hpp"
#include "core/pem.hpp"
#include "core/verdict.hpp"

using namespace verifull;
using namespace verifull::capi;

namespace {

std::string cert_field(const CertInfo& c, int field) {
  switch (field) {
    case VF_CERT_SUBJECT: return c.subject;
    case VF_CERT_ISSUER: return c.issuer;
    case VF_CERT_SANS: {
      std::string out;
      for (const auto& s : c.sans) out += (out.empty() ? "" : ", ") + s;
      return out;
    }
    case VF_CERT_NOT_BEFORE: return c.not_before;
    case VF_CERT_NOT_AFTER: return c.not_after;
    case VF_CERT_SHA256: return c.sha256;
    case VF_CERT_SPKI_SHA256: return c.spki_sha256;
    case VF_CERT_PEM: return c.pem;
    default: throw InputError("unknown certificate field " + std::to_string(field));
  }
}

constexpr const char* kNoReportPointer = "the output report pointer must not be NULL";

}  // namespace

extern "C" {

int vf_verify_pem(vf_report_t* report, const char* presented_pem, size_t presented_len,
                  const char* untrusted_pem, size_t untrusted_len, vf_trust_t trust,
                  const vf_policy_options* options) {
  return guard([&] {
    ReportHandle::clear(report, kNoReportPointer);
    if (!presented_pem || !options) return fail(VF_ERROR_NULL_POINTER, "presented_pem and options are required");
    if (!untrusted_pem && untrusted_len) return fail(VF_ERROR_NULL_POINTER, "untrusted_pem is NULL");
    const Trust& t = TrustHandle::checked(trust);
    return ReportHandle::give(report, verify_pem(std::string_view(presented_pem, presented_len),
                                                 std::string_view(untrusted_pem ? untrusted_pem : "", untrusted_len),
                                                 t, to_policy(options)));
  });
}

int vf_verify_der_chain(vf_report_t* report, const unsigned char* const* certs, const size_t* lens, size_t count,
                        vf_trust_t trust, const vf_policy_options* options) {
  return guard([&] {
    ReportHandle::clear(report, kNoReportPointer);
    require(options, "options are required");
    if (count == 0) return fail(VF_ERROR_INPUT, "the presented chain is empty: the server showed no certificate");
    if (!certs || !lens) return fail(VF_ERROR_NULL_POINTER, "certs and lens must not be NULL");
    const Trust& t = TrustHandle::checked(trust);
    detail::X509StackPtr presented(sk_X509_new_null());
    if (!presented) throw std::bad_alloc();
    for (size_t i = 0; i < count; ++i) {
      if (!certs[i]) return fail(VF_ERROR_NULL_POINTER, "certs[" + std::to_string(i) + "] is NULL");
      detail::X509Ptr cert = detail::certificate_from_der(
          std::string_view(reinterpret_cast<const char*>(certs[i]), lens[i]));
      if (!cert)
        return fail(VF_ERROR_INPUT, "certificate " + std::to_string(i) + " of the presented chain is not a complete "
                                    "DER X.509 certificate");
      if (sk_X509_push(presented.get(), cert.get()) <= 0) throw std::bad_alloc();
      cert.release();  // the stack owns it now
    }
    return ReportHandle::give(report, detail::verify_chain(presented.get(), nullptr, t, to_policy(options)));
  });
}

int vf_check(vf_report_t* report, const char* url, vf_trust_t trust, const vf_policy_options* options) {
  return guard([&] {
    ReportHandle::clear(report, kNoReportPointer);
    if (!url || !options) return fail(VF_ERROR_NULL_POINTER, "url and options are required");
    const Trust& t = TrustHandle::checked(trust);
    return ReportHandle::give(report, check(parse_url(url), t, to_policy_without_host(options)));
  });
}

int vf_check_with_message(vf_report_t* report, const char* url, vf_trust_t trust, const vf_policy_options* options,
                          char* error_buf, size_t* error_len) {
  const int rc = vf_check(report, url, trust, options);
  if (rc != VF_OK && error_len) {
    // Copied here, on the thread that ran the probe: the thread-local last error is not
    // visible to the event-loop thread that started it. The last error stays as it is.
    const std::string_view message = last_error_message();
    const size_t available = *error_len;
    *error_len = message.size() + 1;
    if (error_buf && available > 0) {
      const size_t n = std::min(message.size(), available - 1);
      std::memcpy(error_buf, message.data(), n);
      error_buf[n] = '\0';
    }
  }
  return rc;
}

int vf_report_destroy(vf_report_t report) {
  return guard([&] { return ReportHandle::destroy(report); });
}

int vf_report_outcome(vf_report_t report, int* outcome) {
  return guard([&] {
    const Report& r = ReportHandle::checked(report);
    return write_value(outcome, r.outcome, "outcome must not be NULL");
  });
}

int vf_report_message(vf_report_t report, char* buf, size_t* len) {
  return guard([&] { return write_string(ReportHandle::checked(report).message, buf, len); });
}

int vf_report_json(vf_report_t report, char* buf, size_t* len) {
  return guard([&] { return write_string(ReportHandle::checked(report).to_json(), buf, len); });
}

int vf_report_chain_length(vf_report_t report, size_t* length) {
  return guard([&] {
    const Report& r = ReportHandle::checked(report);
    return write_value(length, r.chain.size(), "length must not be NULL");
  });
}

int vf_report_cert_field(vf_report_t report, size_t index, int field, char* buf, size_t* len) {
  return guard([&] {
    const Report& r = ReportHandle::checked(report);
    if (index >= r.chain.size()) return fail(VF_ERROR_OUT_OF_RANGE, "certificate index out of range");
    return write_string(cert_field(r.chain[index], field), buf, len);
  });
}

}  // extern "C"
