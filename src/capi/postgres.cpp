// The C ABI's pg handles (vf_pg_t): libpq connections, blocking or driven by the
// caller's event loop, and the hardened conninfo string for other libpq users.
#include "capi/handle.hpp"

using namespace verifull;
using namespace verifull::capi;

namespace {

int pg_start(vf_pg_t* pg, const char* conninfo, vf_trust_t trust, const vf_policy_options* options, bool blocking) {
  PgHandle::clear(pg);
  if (!conninfo || !options) return fail(VF_ERROR_NULL_POINTER, "conninfo_or_url and options are required");
  const Trust& t = TrustHandle::checked(trust);
  if (options->host) return fail(VF_ERROR_INPUT, "options->host must be NULL: the host names come from the connection string");
  const Policy policy = to_policy_without_host(options);
  PgConnection connection;
  if (blocking) {
    connection.result = postgres::connect(conninfo, t, policy);
  } else {
    connection.pending.emplace(conninfo, t, policy);
  }
  return PgHandle::give(pg, std::move(connection));
}

// The connection of a live pg handle, for a call that hands its PGconn* out through `out`.
PgConnection& connected(vf_pg_t pg, void** out) {
  PgConnection& c = PgHandle::checked(pg);
  require(out, "pgconn must not be NULL");
  return c;
}

}  // namespace

extern "C" {

int vf_pg_connect(vf_pg_t* pg, const char* conninfo_or_url, vf_trust_t trust, const vf_policy_options* options) {
  return guard([&] { return pg_start(pg, conninfo_or_url, trust, options, true); });
}

int vf_pg_connect_start(vf_pg_t* pg, const char* conninfo_or_url, vf_trust_t trust, const vf_policy_options* options) {
  return guard([&] { return pg_start(pg, conninfo_or_url, trust, options, false); });
}

int vf_pg_connect_poll(vf_pg_t pg, int* wait, int* socket) {
  return guard([&] {
    PgConnection& c = PgHandle::checked(pg);
    if (!wait || !socket) return fail(VF_ERROR_NULL_POINTER, "wait and socket must not be NULL");
    if (!c.pending) {
      *wait = VF_WAIT_DONE;
      *socket = -1;
      return VF_OK;
    }
    const auto step = c.pending->step();
    *socket = c.pending->socket();
    if (step == postgres::AsyncConnect::Wait::done) {
      c.result = c.pending->finish();
      c.pending.reset();
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
    const PgConnection& c = PgHandle::checked(pg);
    return write_value(ms, c.pending ? c.pending->time_left().count() : 0, "ms must not be NULL");
  });
}

int vf_pg_report(vf_pg_t pg, vf_report_t* report) {
  return guard([&] {
    const PgConnection& c = PgHandle::checked(pg);
    require(report, "report must not be NULL");
    if (c.pending) return fail(VF_ERROR_INPUT, "the connection is still in progress: poll until VF_WAIT_DONE");
    return ReportHandle::give(report, c.result.report);
  });
}

int vf_pg_conn(vf_pg_t pg, void** pgconn) {
  return guard([&] {
    PgConnection& c = connected(pg, pgconn);
    *pgconn = c.result.conn.get();
    return VF_OK;
  });
}

int vf_pg_release(vf_pg_t pg, void** pgconn) {
  return guard([&] {
    PgConnection& c = connected(pg, pgconn);
    *pgconn = c.result.conn.release();
    return VF_OK;
  });
}

int vf_pg_destroy(vf_pg_t pg) {
  return guard([&] { return PgHandle::destroy(pg); });
}

int vf_pg_conninfo(const char* conninfo_or_url, vf_trust_t trust, const vf_policy_options* options, char* buf,
                   size_t* len) {
  return guard([&] {
    if (!conninfo_or_url || !options) return fail(VF_ERROR_NULL_POINTER, "conninfo_or_url and options are required");
    const Trust& t = TrustHandle::checked(trust);
    return write_string(postgres::conninfo(conninfo_or_url, t, to_policy_without_host(options)), buf, len);
  });
}

int vf_pg_audit(void* pgconn, char* buf, size_t* len) {
  return guard([&] {
    require(pgconn, "pgconn must not be NULL");
    return write_string(postgres::audit(static_cast<PGconn*>(pgconn)).to_json(), buf, len);
  });
}

}  // extern "C"
