// The C ABI's mysql handles (vf_mysql_t): Connector/C connections pinned to an approved
// certificate, and the approvals and option files for drivers that configure
// Connector/C themselves.
#include "capi/handle.hpp"
#include "mysql/handle_internal.hpp"

using namespace verifull;
using namespace verifull::capi;

namespace {

// Checks shared by the calls that take a URL, a trust and options: the trust.
const Trust& connect_inputs(const char* url, vf_trust_t trust, const vf_policy_options* options) {
  if (!url || !options) throw CallError(VF_ERROR_NULL_POINTER, "url and options are required");
  return TrustHandle::checked(trust);
}

// The connection of a live mysql handle, for a call that hands its MYSQL* out through `out`.
mysql::Connected& connected(vf_mysql_t my, void** out) {
  mysql::Connected& c = MysqlHandle::checked(my);
  require(out, "mysql must not be NULL");
  return c;
}

}  // namespace

extern "C" {

int vf_mysql_connect(vf_mysql_t* my, const char* url, vf_trust_t trust, const vf_policy_options* options) {
  return guard([&] {
    MysqlHandle::clear(my);
    const Trust& t = connect_inputs(url, trust, options);
    return MysqlHandle::give(my, mysql::connect(url, t, to_policy_without_host(options)));
  });
}

int vf_mysql_connect_handle(void* mysql_handle, const char* url, vf_trust_t trust, const vf_policy_options* options,
                            vf_report_t* report) {
  return guard([&] {
    ReportHandle::clear(report, "report must not be NULL");
    require(mysql_handle, "the MYSQL handle must not be NULL");
    const Trust& t = connect_inputs(url, trust, options);
    return ReportHandle::give(
        report, mysql::connect(static_cast<MYSQL*>(mysql_handle), parse_url(url), t, to_policy_without_host(options)));
  });
}

int vf_mysql_report(vf_mysql_t my, vf_report_t* report) {
  return guard([&] {
    const mysql::Connected& c = MysqlHandle::checked(my);
    require(report, "report must not be NULL");
    return ReportHandle::give(report, c.report);
  });
}

int vf_mysql_conn(vf_mysql_t my, void** mysql_handle) {
  return guard([&] {
    mysql::Connected& c = connected(my, mysql_handle);
    *mysql_handle = c.conn.get();
    return VF_OK;
  });
}

int vf_mysql_release(vf_mysql_t my, void** mysql_handle) {
  return guard([&] {
    mysql::Connected& c = connected(my, mysql_handle);
    *mysql_handle = c.conn.release();
    return VF_OK;
  });
}

int vf_mysql_destroy(vf_mysql_t my) {
  return guard([&] { return MysqlHandle::destroy(my); });
}

int vf_mysql_approve(vf_report_t* report, const char* url, vf_trust_t trust, const vf_policy_options* options,
                     char* buf, size_t* len) {
  return guard([&] {
    ReportHandle::clear(report, "report must not be NULL");
    const Trust& t = connect_inputs(url, trust, options);
    auto approved = mysql::approve(parse_url(url), t, to_policy_without_host(options));
    // The fingerprint first: a too-small buffer must not leak a report handle.
    const int rc = write_string(approved.sha1_fingerprint, buf, len);
    if (rc != VF_OK) return rc;
    return ReportHandle::give(report, std::move(approved.report));
  });
}

int vf_mysql_option_file(const char* url, vf_trust_t trust, const char* sha1_fingerprint, char* buf, size_t* len) {
  return guard([&] {
    if (!url || !sha1_fingerprint) return fail(VF_ERROR_NULL_POINTER, "url and sha1_fingerprint must not be NULL");
    const Trust& t = TrustHandle::checked(trust);
    return write_string(mysql::option_file(parse_url(url), t, sha1_fingerprint), buf, len);
  });
}

int vf_mysql_option_file_with_policy(const char* url, vf_trust_t trust, const char* sha1_fingerprint,
                                     const vf_policy_options* options, char* buf, size_t* len) {
  return guard([&] {
    if (!url || !sha1_fingerprint) return fail(VF_ERROR_NULL_POINTER, "url and sha1_fingerprint must not be NULL");
    const Trust& t = connect_inputs(url, trust, options);
    return write_string(mysql::option_file(parse_url(url), t, sha1_fingerprint, to_policy_without_host(options)),
                        buf, len);
  });
}

const char* vf_mysql_option_file_missing_socket(void) { return mysql::option_file_missing_socket; }

int vf_mysql_cache_clear(void) {
  return guard([&] {
    mysql::ApprovedCache::shared().clear();
    return VF_OK;
  });
}

int vf_mysql_presented_another_certificate(unsigned int error_code, const char* error_message, int* yes) {
  return guard([&] {
    if (!error_message || !yes) return fail(VF_ERROR_NULL_POINTER, "error_message and yes must not be NULL");
    *yes = mysql::presented_another_certificate(error_code, error_message) ? 1 : 0;
    return VF_OK;
  });
}

int vf_mysql_audit(void* mysql_handle, char* buf, size_t* len) {
  return guard([&] {
    require(mysql_handle, "mysql must not be NULL");
    return write_string(mysql::audit(static_cast<MYSQL*>(mysql_handle)).to_json(), buf, len);
  });
}

}  // extern "C"
