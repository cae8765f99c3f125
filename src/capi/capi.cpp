// The C ABI: every entry point goes through guard(), so no exception crosses it, and
// every handle carries a magic cookie so a stale or foreign pointer is refused.
#include "verifull.h"

#include <cstddef>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/client_cert.hpp"
#include "core/trust_data.hpp"
#include "verifull/verifull.hpp"

namespace {

using namespace verifull;

constexpr std::uint32_t kTrustMagic = 0x76665452;   // "vfTR"
constexpr std::uint32_t kReportMagic = 0x76665250;  // "vfRP"
constexpr std::uint32_t kPgMagic = 0x76665047;      // "vfPG"
constexpr std::uint32_t kMysqlMagic = 0x76664d59;   // "vfMY"

thread_local std::string g_last_error;
// Set when even the message of a failure could not be stored (out of memory):
// vf_last_error_message then returns a fixed sentence instead of a stale one.
thread_local bool g_last_error_lost = false;
// The outcome of the last VF_ERROR_NETWORK on this thread (vf_last_error_outcome), -1
// after any other error.
thread_local int g_last_error_outcome = -1;

// A failure with its own C code, thrown from helpers shared by several entry points
// (a bad options version, a missing argument) and turned into that code by guard().
struct CallError : std::runtime_error {
  int code;
  CallError(int c, const std::string& message) : std::runtime_error(message), code(c) {}
};

int fail(int code, std::string_view message, int network_outcome = -1) noexcept {
  g_last_error_outcome = code == VF_ERROR_NETWORK ? (network_outcome < 0 ? VF_OUTCOME_NETWORK_ERROR : network_outcome) : -1;
  try {
    g_last_error.assign(message);
    g_last_error_lost = false;
  } catch (...) {
    g_last_error_lost = true;
  }
  return code;
}

// The C code and message of the exception being handled. Building the message may
// itself throw (out of memory): that too ends here, as VF_ERROR_INTERNAL, so nothing
// escapes a noexcept entry point (which would be std::terminate in the caller's process).
int fail_with_current_exception() noexcept {
  try {
    try {
      throw;
    } catch (const CallError& e) {
      return fail(e.code, e.what());
    } catch (const InputError& e) {
      return fail(VF_ERROR_INPUT, e.what());
    } catch (const NetworkError& e) {
      return fail(VF_ERROR_NETWORK, e.what(), static_cast<int>(e.outcome()));
    } catch (const std::bad_alloc&) {
      return fail(VF_ERROR_INTERNAL, "out of memory");
    } catch (const std::exception& e) {
      return fail(VF_ERROR_INTERNAL, std::string("internal error: ") + e.what());
    }
  } catch (...) {
  }
  return fail(VF_ERROR_INTERNAL, "internal error: unknown exception");
}

// Every entry point runs its body through here: no exception crosses the C ABI.
template <typename F>
int guard(F&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return fail_with_current_exception();
  }
}

int write_string(const std::string& value, char* buf, std::size_t* len) {
  if (!len) return fail(VF_ERROR_NULL_POINTER, "len must not be NULL");
  const std::size_t needed = value.size() + 1;
  const std::size_t available = *len;
  *len = needed;
  if (!buf || available < needed)
    return fail(VF_ERROR_BUFFER_TOO_SMALL, "buffer too small: " + std::to_string(needed) + " bytes needed");
  std::memcpy(buf, value.c_str(), needed);
  return VF_OK;
}

}  // namespace

struct vf_trust_struct {
  std::uint32_t magic = kTrustMagic;
  Trust trust;
  explicit vf_trust_struct(Trust t) : trust(std::move(t)) {}
  ~vf_trust_struct() { magic = 0; }
};

struct vf_pg_struct {
  std::uint32_t magic = kPgMagic;
  std::optional<postgres::AsyncConnect> pending;
  postgres::Connected result;
  ~vf_pg_struct() { magic = 0; }
};

struct vf_mysql_struct {
  std::uint32_t magic = kMysqlMagic;
  mysql::Connected result;
  ~vf_mysql_struct() { magic = 0; }
};

struct vf_report_struct {
  std::uint32_t magic = kReportMagic;
  Report report;
  explicit vf_report_struct(Report r) : report(std::move(r)) {}
  ~vf_report_struct() { magic = 0; }
};

namespace {

const Trust* trust_of(vf_trust_t handle) {
  if (!handle || handle->magic != kTrustMagic) return nullptr;
  return &handle->trust;
}

const Report* report_of(vf_report_t handle) {
  if (!handle || handle->magic != kReportMagic) return nullptr;
  return &handle->report;
}

int invalid_handle(const char* what) {
  return fail(VF_ERROR_INVALID_HANDLE, std::string("not a valid ") + what + " handle");
}

int make_trust(vf_trust_t* out, Trust (*load)(const char*), const char* arg) {
  if (!out) return fail(VF_ERROR_NULL_POINTER, "the output handle pointer must not be NULL");
  *out = nullptr;
  if (!arg) return fail(VF_ERROR_NULL_POINTER, "the input string must not be NULL");
  *out = new vf_trust_struct(load(arg));
  return VF_OK;
}

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

Policy to_policy(const vf_policy_options* o, bool host_required = true);

vf_mysql_struct* mysql_of(vf_mysql_t handle) {
  if (!handle || handle->magic != kMysqlMagic) return nullptr;
  return handle;
}

vf_pg_struct* pg_of(vf_pg_t handle) {
  if (!handle || handle->magic != kPgMagic) return nullptr;
  return handle;
}

// Where the names come from a URL or connection string, host may be NULL.
Policy to_policy_without_host(const vf_policy_options* o) { return to_policy(o, false); }

Policy to_policy(const vf_policy_options* o, bool host_required) {
  // The one place the options version is checked: every entry point goes through here.
  if (o->version < 1 || o->version > VF_POLICY_OPTIONS_VERSION)
    throw CallError(VF_ERROR_BAD_VERSION, "vf_policy_options.version is " + std::to_string(o->version) +
                                              "; this library knows versions 1 to " +
                                              std::to_string(VF_POLICY_OPTIONS_VERSION));
  Policy p;
  if (!o->host && host_required) throw InputError("vf_policy_options.host is required");
  if (o->host) p.host = o->host;
  if (o->pin_count && !o->pins) throw InputError("vf_policy_options.pins is NULL but pin_count is not 0");
  for (std::size_t i = 0; i < o->pin_count; ++i) {
    if (!o->pins[i]) throw InputError("vf_policy_options.pins[" + std::to_string(i) + "] is NULL");
    p.pins.emplace_back(o->pins[i]);
  }
  switch (o->engine) {
    case VF_ENGINE_DEFAULT: break;
    case VF_ENGINE_OPENSSL: p.engine = Engine::openssl; break;
    case VF_ENGINE_BOTAN: p.engine = Engine::botan; break;
    case VF_ENGINE_BOTH: p.engine = Engine::both; break;
    default: throw InputError("unknown engine " + std::to_string(o->engine));
  }
  if (o->has_verification_time) p.verification_time = o->verification_time;
  if (o->max_intermediates >= 0) p.max_intermediates = o->max_intermediates;
  if (o->timeout_ms) p.timeout = std::chrono::milliseconds(o->timeout_ms);
  if (o->version >= 2) p.refuse_admin_credentials = o->refuse_admin_credentials != 0;
  if (o->version >= 3) {
    switch (o->profile) {
      case VF_PROFILE_STANDARD: p.profile = Profile::standard; break;
      case VF_PROFILE_STRICT: p.profile = Profile::strict; break;
      default: throw InputError("unknown profile " + std::to_string(o->profile) + " (VF_PROFILE_STANDARD or VF_PROFILE_STRICT)");
    }
    p.allow_cn_fallback = o->allow_cn_fallback != 0;
  }
  if (o->version >= 4) {
    if (o->crl_count && !o->crls) throw InputError("vf_policy_options.crls is NULL but crl_count is not 0");
    for (std::size_t i = 0; i < o->crl_count; ++i) {
      if (!o->crls[i]) throw InputError("vf_policy_options.crls[" + std::to_string(i) + "] is NULL");
      p.crls.emplace_back(o->crls[i]);
    }
    if (o->crl_pem_len && !o->crl_pem) throw InputError("vf_policy_options.crl_pem is NULL but crl_pem_len is not 0");
    if (o->crl_pem) p.crl_pem.assign(o->crl_pem, o->crl_pem_len);
    p.require_crl = o->require_crl != 0;
    // Credentials: checked by the connect that uses them (core/client_cert.hpp), never echoed.
    if (o->client_cert) p.client_cert = o->client_cert;
    if (o->client_key) p.client_key = o->client_key;
    if (o->client_key_passphrase) p.client_key_passphrase = o->client_key_passphrase;
    p.allow_cleartext_password = o->allow_cleartext_password != 0;
  }
  return p;
}

}  // namespace

extern "C" {

int vf_abi_version(void) { return VERIFULL_ABI_VERSION; }
const char* vf_version_string(void) { return VERIFULL_VERSION_STRING; }
const char* vf_last_error_message(void) {
  return g_last_error_lost ? "out of memory while recording the error" : g_last_error.c_str();
}
int vf_last_error_outcome(void) { return g_last_error_outcome; }

const char* vf_outcome_name(int outcome) {
  if (outcome < VF_OUTCOME_OK || outcome > VF_OUTCOME_LAST) return "unknown";
  return outcome_name(static_cast<Outcome>(outcome));
}

int vf_trust_from_file(vf_trust_t* trust, const char* path) {
  return guard([&] { return make_trust(trust, [](const char* p) { return Trust::from_file(p); }, path); });
}

int vf_trust_from_env(vf_trust_t* trust, const char* variable) {
  return guard([&] { return make_trust(trust, [](const char* v) { return Trust::from_env(v); }, variable); });
}

int vf_trust_from_pem(vf_trust_t* trust, const char* pem, size_t pem_len) {
  return guard([&] {
    if (!trust) return fail(VF_ERROR_NULL_POINTER, "the output handle pointer must not be NULL");
    *trust = nullptr;
    if (!pem && pem_len) return fail(VF_ERROR_NULL_POINTER, "pem is NULL");
    *trust = new vf_trust_struct(Trust::from_pem(std::string_view(pem ? pem : "", pem_len), "PEM text"));
    return VF_OK;
  });
}

int vf_trust_destroy(vf_trust_t trust) {
  return guard([&] {
    if (!trust) return VF_OK;
    if (!trust_of(trust)) return invalid_handle("trust");
    delete trust;
    return VF_OK;
  });
}

int vf_trust_anchor_count(vf_trust_t trust, size_t* count) {
  return guard([&] {
    const Trust* t = trust_of(trust);
    if (!t) return invalid_handle("trust");
    if (!count) return fail(VF_ERROR_NULL_POINTER, "count must not be NULL");
    *count = detail::trust_data(*t).anchors.size();  // counting needs no descriptions
    return VF_OK;
  });
}

int vf_trust_anchor_field(vf_trust_t trust, size_t index, int field, char* buf, size_t* len) {
  return guard([&] {
    const Trust* t = trust_of(trust);
    if (!t) return invalid_handle("trust");
    if (index >= t->anchors().size()) return fail(VF_ERROR_OUT_OF_RANGE, "anchor index out of range");
    const AnchorInfo& a = t->anchors()[index];
    switch (field) {
      case VF_CERT_SUBJECT: return write_string(a.subject, buf, len);
      case VF_CERT_NOT_BEFORE: return write_string(a.not_before, buf, len);
      case VF_CERT_NOT_AFTER: return write_string(a.not_after, buf, len);
      case VF_CERT_SHA256: return write_string(a.sha256, buf, len);
      case VF_CERT_SPKI_SHA256: return write_string(a.spki_sha256, buf, len);
      default: return fail(VF_ERROR_INPUT, "field " + std::to_string(field) + " is not available for anchors");
    }
  });
}

int vf_trust_anchors_file(vf_trust_t trust, char* buf, size_t* len) {
  return guard([&] {
    const Trust* t = trust_of(trust);
    if (!t) return invalid_handle("trust");
    return write_string(t->anchors_file(), buf, len);
  });
}

int vf_verify_pem(vf_report_t* report, const char* presented_pem, size_t presented_len,
                  const char* untrusted_pem, size_t untrusted_len, vf_trust_t trust,
                  const vf_policy_options* options) {
  return guard([&] {
    if (!report) return fail(VF_ERROR_NULL_POINTER, "the output report pointer must not be NULL");
    *report = nullptr;
    if (!presented_pem || !options) return fail(VF_ERROR_NULL_POINTER, "presented_pem and options are required");
    if (!untrusted_pem && untrusted_len) return fail(VF_ERROR_NULL_POINTER, "untrusted_pem is NULL");
    const Trust* t = trust_of(trust);
    if (!t) return invalid_handle("trust");
    Report r = verify_pem(std::string_view(presented_pem, presented_len),
                          std::string_view(untrusted_pem ? untrusted_pem : "", untrusted_len), *t,
                          to_policy(options));
    *report = new vf_report_struct(std::move(r));
    return VF_OK;
  });
}

int vf_report_destroy(vf_report_t report) {
  return guard([&] {
    if (!report) return VF_OK;
    if (!report_of(report)) return invalid_handle("report");
    delete report;
    return VF_OK;
  });
}

int vf_report_outcome(vf_report_t report, int* outcome) {
  return guard([&] {
    const Report* r = report_of(report);
    if (!r) return invalid_handle("report");
    if (!outcome) return fail(VF_ERROR_NULL_POINTER, "outcome must not be NULL");
    *outcome = static_cast<int>(r->outcome);
    return VF_OK;
  });
}

int vf_report_message(vf_report_t report, char* buf, size_t* len) {
  return guard([&] {
    const Report* r = report_of(report);
    if (!r) return invalid_handle("report");
    return write_string(r->message, buf, len);
  });
}

int vf_report_json(vf_report_t report, char* buf, size_t* len) {
  return guard([&] {
    const Report* r = report_of(report);
    if (!r) return invalid_handle("report");
    return write_string(r->to_json(), buf, len);
  });
}

int vf_report_chain_length(vf_report_t report, size_t* length) {
  return guard([&] {
    const Report* r = report_of(report);
    if (!r) return invalid_handle("report");
    if (!length) return fail(VF_ERROR_NULL_POINTER, "length must not be NULL");
    *length = r->chain.size();
    return VF_OK;
  });
}

int vf_report_cert_field(vf_report_t report, size_t index, int field, char* buf, size_t* len) {
  return guard([&] {
    const Report* r = report_of(report);
    if (!r) return invalid_handle("report");
    if (index >= r->chain.size()) return fail(VF_ERROR_OUT_OF_RANGE, "certificate index out of range");
    return write_string(cert_field(r->chain[index], field), buf, len);
  });
}

int vf_check(vf_report_t* report, const char* url, vf_trust_t trust, const vf_policy_options* options) {
  return guard([&] {
    if (!report) return fail(VF_ERROR_NULL_POINTER, "the output report pointer must not be NULL");
    *report = nullptr;
    if (!url || !options) return fail(VF_ERROR_NULL_POINTER, "url and options are required");
    const Trust* t = trust_of(trust);
    if (!t) return invalid_handle("trust");
    *report = new vf_report_struct(check(parse_url(url), *t, to_policy_without_host(options)));
    return VF_OK;
  });
}

namespace {
int pg_start(vf_pg_t* pg, const char* conninfo, vf_trust_t trust, const vf_policy_options* options, bool blocking) {
  if (!pg) return fail(VF_ERROR_NULL_POINTER, "the output handle pointer must not be NULL");
  *pg = nullptr;
  if (!conninfo || !options) return fail(VF_ERROR_NULL_POINTER, "conninfo_or_url and options are required");
  const Trust* t = trust_of(trust);
  if (!t) return invalid_handle("trust");
  if (options->host) return fail(VF_ERROR_INPUT, "options->host must be NULL: the host names come from the connection string");
  const Policy policy = to_policy_without_host(options);
  auto handle = std::make_unique<vf_pg_struct>();
  if (blocking) {
    handle->result = postgres::connect(conninfo, *t, policy);
  } else {
    handle->pending.emplace(conninfo, *t, policy);
  }
  *pg = handle.release();
  return VF_OK;
}
}  // namespace

int vf_pg_connect(vf_pg_t* pg, const char* conninfo_or_url, vf_trust_t trust, const vf_policy_options* options) {
  return guard([&] { return pg_start(pg, conninfo_or_url, trust, options, true); });
}

int vf_pg_connect_start(vf_pg_t* pg, const char* conninfo_or_url, vf_trust_t trust, const vf_policy_options* options) {
  return guard([&] { return pg_start(pg, conninfo_or_url, trust, options, false); });
}

int vf_pg_connect_poll(vf_pg_t pg, int* wait, int* socket) {
  return guard([&] {
    vf_pg_struct* h = pg_of(pg);
    if (!h) return invalid_handle("pg");
    if (!wait || !socket) return fail(VF_ERROR_NULL_POINTER, "wait and socket must not be NULL");
    if (!h->pending) {
      *wait = VF_WAIT_DONE;
      *socket = -1;
      return VF_OK;
    }
    const auto step = h->pending->step();
    *socket = h->pending->socket();
    if (step == postgres::AsyncConnect::Wait::done) {
      h->result = h->pending->finish();
      h->pending.reset();
      *wait = VF_WAIT_DONE;
      *socket = -1;
    } else {
      *wait = step == postgres::AsyncConnect::Wait::read ? VF_WAIT_READ : VF_WAIT_WRITE;
    }
    return VF_OK;
  });
}

int vf_pg_connect_time_left(vf_pg_t pg, unsigned int* ms) {
  return guard([&] {
    vf_pg_struct* h = pg_of(pg);
    if (!h) return invalid_handle("pg");
    if (!ms) return fail(VF_ERROR_NULL_POINTER, "ms must not be NULL");
    *ms = h->pending ? static_cast<unsigned int>(h->pending->time_left().count()) : 0;
    return VF_OK;
  });
}

int vf_pg_report(vf_pg_t pg, vf_report_t* report) {
  return guard([&] {
    vf_pg_struct* h = pg_of(pg);
    if (!h) return invalid_handle("pg");
    if (!report) return fail(VF_ERROR_NULL_POINTER, "report must not be NULL");
    if (h->pending) return fail(VF_ERROR_INPUT, "the connection is still in progress: poll until VF_WAIT_DONE");
    *report = new vf_report_struct(h->result.report);
    return VF_OK;
  });
}

int vf_pg_conn(vf_pg_t pg, void** pgconn) {
  return guard([&] {
    vf_pg_struct* h = pg_of(pg);
    if (!h) return invalid_handle("pg");
    if (!pgconn) return fail(VF_ERROR_NULL_POINTER, "pgconn must not be NULL");
    *pgconn = h->result.conn.get();
    return VF_OK;
  });
}

int vf_pg_release(vf_pg_t pg, void** pgconn) {
  return guard([&] {
    vf_pg_struct* h = pg_of(pg);
    if (!h) return invalid_handle("pg");
    if (!pgconn) return fail(VF_ERROR_NULL_POINTER, "pgconn must not be NULL");
    *pgconn = h->result.conn.release();
    return VF_OK;
  });
}

int vf_pg_destroy(vf_pg_t pg) {
  return guard([&] {
    if (!pg) return VF_OK;
    if (!pg_of(pg)) return invalid_handle("pg");
    delete pg;
    return VF_OK;
  });
}

int vf_pg_conninfo(const char* conninfo_or_url, vf_trust_t trust, const vf_policy_options* options, char* buf,
                   size_t* len) {
  return guard([&] {
    if (!conninfo_or_url || !options) return fail(VF_ERROR_NULL_POINTER, "conninfo_or_url and options are required");
    const Trust* t = trust_of(trust);
    if (!t) return invalid_handle("trust");
    return write_string(postgres::conninfo(conninfo_or_url, *t, to_policy_without_host(options)), buf, len);
  });
}

namespace {
// Checks shared by the connect calls; returns the trust or fails.
const Trust* connect_inputs(const char* url, vf_trust_t trust, const vf_policy_options* options) {
  if (!url || !options) throw CallError(VF_ERROR_NULL_POINTER, "url and options are required");
  const Trust* t = trust_of(trust);
  if (!t) throw CallError(VF_ERROR_INVALID_HANDLE, "not a valid trust handle");
  return t;
}
}  // namespace

int vf_mysql_connect(vf_mysql_t* my, const char* url, vf_trust_t trust, const vf_policy_options* options) {
  return guard([&] {
    if (!my) return fail(VF_ERROR_NULL_POINTER, "the output handle pointer must not be NULL");
    *my = nullptr;
    const Trust* t = connect_inputs(url, trust, options);
    auto handle = std::make_unique<vf_mysql_struct>();
    handle->result = mysql::connect(url, *t, to_policy_without_host(options));
    *my = handle.release();
    return VF_OK;
  });
}

int vf_mysql_connect_handle(void* mysql_handle, const char* url, vf_trust_t trust, const vf_policy_options* options,
                            vf_report_t* report) {
  return guard([&] {
    if (!report) return fail(VF_ERROR_NULL_POINTER, "report must not be NULL");
    *report = nullptr;
    if (!mysql_handle) return fail(VF_ERROR_NULL_POINTER, "the MYSQL handle must not be NULL");
    const Trust* t = connect_inputs(url, trust, options);
    *report = new vf_report_struct(
        mysql::connect(static_cast<MYSQL*>(mysql_handle), parse_url(url), *t, to_policy_without_host(options)));
    return VF_OK;
  });
}

int vf_mysql_report(vf_mysql_t my, vf_report_t* report) {
  return guard([&] {
    vf_mysql_struct* h = mysql_of(my);
    if (!h) return invalid_handle("mysql");
    if (!report) return fail(VF_ERROR_NULL_POINTER, "report must not be NULL");
    *report = new vf_report_struct(h->result.report);
    return VF_OK;
  });
}

int vf_mysql_conn(vf_mysql_t my, void** mysql_handle) {
  return guard([&] {
    vf_mysql_struct* h = mysql_of(my);
    if (!h) return invalid_handle("mysql");
    if (!mysql_handle) return fail(VF_ERROR_NULL_POINTER, "mysql must not be NULL");
    *mysql_handle = h->result.conn.get();
    return VF_OK;
  });
}

int vf_mysql_release(vf_mysql_t my, void** mysql_handle) {
  return guard([&] {
    vf_mysql_struct* h = mysql_of(my);
    if (!h) return invalid_handle("mysql");
    if (!mysql_handle) return fail(VF_ERROR_NULL_POINTER, "mysql must not be NULL");
    *mysql_handle = h->result.conn.release();
    return VF_OK;
  });
}

int vf_mysql_approve(vf_report_t* report, const char* url, vf_trust_t trust, const vf_policy_options* options,
                     char* buf, size_t* len) {
  return guard([&] {
    if (!report) return fail(VF_ERROR_NULL_POINTER, "report must not be NULL");
    *report = nullptr;
    const Trust* t = connect_inputs(url, trust, options);
    auto approved = mysql::approve(parse_url(url), *t, to_policy_without_host(options));
    // The fingerprint first: a too-small buffer must not leak a report handle.
    const int rc = write_string(approved.sha1_fingerprint, buf, len);
    if (rc != VF_OK) return rc;
    *report = new vf_report_struct(std::move(approved.report));
    return VF_OK;
  });
}

int vf_mysql_option_file(const char* url, vf_trust_t trust, const char* sha1_fingerprint, char* buf, size_t* len) {
  return guard([&] {
    if (!url || !sha1_fingerprint) return fail(VF_ERROR_NULL_POINTER, "url and sha1_fingerprint must not be NULL");
    const Trust* t = trust_of(trust);
    if (!t) return fail(VF_ERROR_INVALID_HANDLE, "not a live trust handle");
    return write_string(mysql::option_file(parse_url(url), *t, sha1_fingerprint), buf, len);
  });
}

int vf_mysql_option_file_with_policy(const char* url, vf_trust_t trust, const char* sha1_fingerprint,
                                     const vf_policy_options* options, char* buf, size_t* len) {
  return guard([&] {
    if (!url || !sha1_fingerprint) return fail(VF_ERROR_NULL_POINTER, "url and sha1_fingerprint must not be NULL");
    const Trust* t = connect_inputs(url, trust, options);
    return write_string(mysql::option_file(parse_url(url), *t, sha1_fingerprint, to_policy_without_host(options)),
                        buf, len);
  });
}

int vf_client_certificate_check(const vf_policy_options* options) {
  return guard([&] {
    if (!options) return fail(VF_ERROR_NULL_POINTER, "options must not be NULL");
    detail::check_client_certificate(to_policy_without_host(options));
    return VF_OK;
  });
}

const char* vf_mysql_option_file_missing_socket(void) { return mysql::option_file_missing_socket; }

int vf_mysql_cache_clear(void) {
  return guard([&] {
    mysql::ApprovedCache::shared().clear();
    return VF_OK;
  });
}

int vf_parse_url(const char* url, char* buf, size_t* len) {
  return guard([&] {
    if (!url) return fail(VF_ERROR_NULL_POINTER, "url must not be NULL");
    const Endpoint ep = parse_url(url);
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [k, v] : ep.params) params[k] = v;
    const nlohmann::json j = {{"protocol", ep.protocol == Protocol::postgres ? "postgres" : "mysql"},
                              {"host", ep.host},
                              {"port", ep.port},
                              {"user", ep.user},
                              {"password", ep.password},
                              {"database", ep.database},
                              {"params", params}};
    return write_string(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), buf, len);
  });
}

int vf_pg_audit(void* pgconn, char* buf, size_t* len) {
  return guard([&] {
    if (!pgconn) return fail(VF_ERROR_NULL_POINTER, "pgconn must not be NULL");
    return write_string(postgres::audit(static_cast<PGconn*>(pgconn)).to_json(), buf, len);
  });
}

int vf_mysql_audit(void* mysql_handle, char* buf, size_t* len) {
  return guard([&] {
    if (!mysql_handle) return fail(VF_ERROR_NULL_POINTER, "mysql must not be NULL");
    return write_string(mysql::audit(static_cast<MYSQL*>(mysql_handle)).to_json(), buf, len);
  });
}

int vf_suggest_readonly_sql(int kind, const char* tables, const char* user, char* buf, size_t* len) {
  return guard([&] {
    if (!tables) return fail(VF_ERROR_NULL_POINTER, "tables must not be NULL");
    // Comma-separated; spaces around a name are dropped, spaces inside one are kept
    // (and then refused by the identifier check).
    std::vector<std::string> list;
    std::string current;
    for (const char* p = tables;; ++p) {
      if (*p == ',' || *p == '\0') {
        const auto first = current.find_first_not_of(' '), last = current.find_last_not_of(' ');
        if (first != std::string::npos) list.push_back(current.substr(first, last - first + 1));
        current.clear();
        if (*p == '\0') break;
      } else {
        current += *p;
      }
    }
    const std::string name = user ? user : "readonly_integration";
    if (kind == VF_KIND_POSTGRES) return write_string(postgres::suggest_readonly_sql(list, name), buf, len);
    if (kind == VF_KIND_MYSQL) return write_string(mysql::suggest_readonly_sql(list, name), buf, len);
    return fail(VF_ERROR_INPUT, "kind must be VF_KIND_POSTGRES or VF_KIND_MYSQL");
  });
}

int vf_mysql_destroy(vf_mysql_t my) {
  return guard([&] {
    if (!my) return VF_OK;
    if (!mysql_of(my)) return invalid_handle("mysql");
    delete my;
    return VF_OK;
  });
}

}  // extern "C"

// ---- Additions for bindings that run their own TLS (Node.js): verify the chain a
// handshake presented, the anchors as PEM for the TLS stack's CA option, the TLS-strength
// rule by name, and a probe whose error message survives running on a worker thread.
// Kept in one block, appended (the C ABI is append-only).
#include <algorithm>

#include "core/crl.hpp"
#include "core/driver_files.hpp"
#include "core/pem.hpp"
#include "core/tls_strength.hpp"
#include "core/verdict.hpp"
#include "mysql/handle_internal.hpp"

extern "C" {

namespace {
// The size of a version-3 struct: every field before the version-4 block (the
// version-3 struct ended there, padding included, as crls is pointer-aligned).
constexpr std::size_t kPolicyOptionsV3Size = offsetof(vf_policy_options, crls);

// Fills the first `size` bytes of *options with VF_POLICY_OPTIONS_INIT for the version
// whose layout is that size: a caller's struct is never written past its own end.
int init_policy_options(vf_policy_options* options, std::size_t size) {
  if (!options) return fail(VF_ERROR_NULL_POINTER, "options must not be NULL");
  unsigned version = 0;
  if (size == kPolicyOptionsV3Size) version = 3;
  if (size == sizeof(vf_policy_options)) version = VF_POLICY_OPTIONS_VERSION;
  if (!version)
    return fail(VF_ERROR_INPUT, "size " + std::to_string(size) + " is not the size of a vf_policy_options of version 3 (" +
                                    std::to_string(kPolicyOptionsV3Size) + ") or " +
                                    std::to_string(VF_POLICY_OPTIONS_VERSION) + " (" +
                                    std::to_string(sizeof(vf_policy_options)) + ")");
  vf_policy_options defaults = VF_POLICY_OPTIONS_INIT;  // the one definition of the defaults
  defaults.version = version;
  std::memcpy(options, &defaults, size);
  return VF_OK;
}
}  // namespace

int vf_policy_options_init(vf_policy_options* options) {
  // Shipped with version 3: a caller built against that header has a struct of that size,
  // so this fills exactly the version-3 layout (see vf_policy_options_init_size).
  return guard([&] { return init_policy_options(options, kPolicyOptionsV3Size); });
}

int vf_policy_options_init_size(vf_policy_options* options, size_t size) {
  return guard([&] { return init_policy_options(options, size); });
}

int vf_verify_der_chain(vf_report_t* report, const unsigned char* const* certs, const size_t* lens, size_t count,
                        vf_trust_t trust, const vf_policy_options* options) {
  return guard([&] {
    if (!report) return fail(VF_ERROR_NULL_POINTER, "the output report pointer must not be NULL");
    *report = nullptr;
    if (!options) return fail(VF_ERROR_NULL_POINTER, "options are required");
    if (count == 0) return fail(VF_ERROR_INPUT, "the presented chain is empty: the server showed no certificate");
    if (!certs || !lens) return fail(VF_ERROR_NULL_POINTER, "certs and lens must not be NULL");
    const Trust* t = trust_of(trust);
    if (!t) return invalid_handle("trust");
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
    Report r = detail::verify_chain(presented.get(), nullptr, *t, to_policy(options));
    *report = new vf_report_struct(std::move(r));
    return VF_OK;
  });
}

int vf_trust_anchors_pem(vf_trust_t trust, char* buf, size_t* len) {
  return guard([&] {
    const Trust* t = trust_of(trust);
    if (!t) return invalid_handle("trust");
    return write_string(t->pem(), buf, len);
  });
}

int vf_tls_weak_reason(const char* protocol, const char* cipher, char* buf, size_t* len) {
  return guard([&] {
    if (!protocol || !cipher) return fail(VF_ERROR_NULL_POINTER, "protocol and cipher must not be NULL");
    return write_string(detail::weak_tls_reason(protocol, cipher).value_or(""), buf, len);
  });
}

int vf_tls_strong_ciphers(char* buf, size_t* len) {
  return guard([&] { return write_string(detail::kStrongTls12Ciphers, buf, len); });
}

int vf_check_with_message(vf_report_t* report, const char* url, vf_trust_t trust, const vf_policy_options* options,
                          char* error_buf, size_t* error_len) {
  const int rc = vf_check(report, url, trust, options);
  if (rc != VF_OK && error_len) {
    // Copied here, on the thread that ran the probe: the thread-local last error is not
    // visible to the event-loop thread that started it.
    const std::string& message = g_last_error;
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

int vf_mysql_presented_another_certificate(unsigned int error_code, const char* error_message, int* yes) {
  return guard([&] {
    if (!error_message || !yes) return fail(VF_ERROR_NULL_POINTER, "error_message and yes must not be NULL");
    *yes = mysql::presented_another_certificate(error_code, error_message) ? 1 : 0;
    return VF_OK;
  });
}

int vf_outcome_exit_code(int outcome) {
  if (outcome < VF_OUTCOME_OK || outcome > VF_OUTCOME_LAST) return -1;
  return outcome_exit_code(static_cast<Outcome>(outcome));
}

int vf_policy_crl_file(const vf_policy_options* options, char* buf, size_t* len) {
  return guard([&] {
    if (!options) return fail(VF_ERROR_NULL_POINTER, "options must not be NULL");
    const auto crls = detail::load_crls(to_policy_without_host(options));
    return write_string(crls.crls.empty() ? std::string() : detail::driver_file(detail::crls_pem(crls), ".crl.pem"), buf,
                        len);
  });
}

}  // extern "C"
