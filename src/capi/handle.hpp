// What every C ABI entry point shares (docs/design.md, section 4): one error style (a
// VF_ code returned, and the thread's last error set by fail()), guard() so no exception
// crosses the boundary, the caller-buffer string protocol, and one handle template (a
// magic cookie in front of the value, a checked cast, creation and destruction) for the four
// handle families: trust, report, pg, mysql.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "verifull.h"
#include "verifull/verifull.hpp"

namespace verifull::capi {

// A failure with its own C code, thrown from helpers shared by several entry points (a
// bad options version, a missing argument, a dead handle) and turned into that code by
// guard().
struct CallError : std::runtime_error {
  int code;
  CallError(int c, const std::string& message) : std::runtime_error(message), code(c) {}
};

// Records `message` as the calling thread's last error (and, for VF_ERROR_NETWORK, the
// outcome vf_last_error_outcome reports) and returns `code`: the one way an entry point
// fails.
int fail(int code, std::string_view message, int network_outcome = -1) noexcept;
// The C code and message of the exception being handled, recorded as fail() does.
int fail_with_current_exception() noexcept;
// The last error of this thread, as vf_last_error_message returns it.
const char* last_error_message() noexcept;

// Every entry point runs its body through here: no exception crosses the C ABI.
template <typename F>
int guard(F&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return fail_with_current_exception();
  }
}

// Throws CallError(VF_ERROR_NULL_POINTER, message) when `pointer` is NULL.
inline void require(const void* pointer, const char* message) {
  if (!pointer) throw CallError(VF_ERROR_NULL_POINTER, message);
}

// Stores `value` in *out: the one way a number goes out (VF_ERROR_NULL_POINTER with
// `message` when out is NULL).
template <typename Out, typename Value>
int write_value(Out* out, Value value, const char* message) {
  require(out, message);
  *out = static_cast<Out>(value);
  return VF_OK;
}

// The caller-buffer protocol of every string out: *len receives the size needed (with
// the NUL); VF_ERROR_BUFFER_TOO_SMALL, writing nothing, when buf is NULL or smaller.
int write_string(const std::string& value, char* buf, std::size_t* len);

// One C handle: a magic cookie in front of the value it carries. `Kind` (the C struct
// deriving from it) gives the cookie and the name used in messages. The cookie is cleared
// on destruction, so a stale pointer (until its memory is reused) and a pointer to another
// family's handle are refused instead of used.
template <typename Kind, typename Value>
struct Handle {
  std::uint32_t magic = Kind::magic_cookie;
  Value value;

  template <typename... Args>
  explicit Handle(Args&&... args) : value(std::forward<Args>(args)...) {}
  ~Handle() { magic = 0; }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  // The value of a live handle of this family; CallError(VF_ERROR_INVALID_HANDLE) for
  // NULL, a destroyed handle or another family's.
  static Value& checked(Kind* handle) {
    if (!handle || handle->magic != Kind::magic_cookie)
      throw CallError(VF_ERROR_INVALID_HANDLE, std::string("not a valid ") + Kind::name + " handle");
    return handle->value;
  }
  // The first step of a call that creates a handle: *out = NULL before anything can fail
  // (a failed call leaves NULL there); VF_ERROR_NULL_POINTER when out itself is NULL.
  static void clear(Kind** out, const char* message = "the output handle pointer must not be NULL") {
    require(out, message);
    *out = nullptr;
  }
  // The last step: *out = a new handle holding Value(args...).
  template <typename... Args>
  static int give(Kind** out, Args&&... args) {
    *out = new Kind(std::forward<Args>(args)...);
    return VF_OK;
  }
  // vf_*_destroy: NULL is a no-op, anything but a live handle of this family is refused.
  static int destroy(Kind* handle) {
    if (!handle) return VF_OK;
    checked(handle);
    delete handle;
    return VF_OK;
  }
};

// The connection of a pg or mysql handle: the pending non-blocking connect, if any, and
// the result.
struct PgConnection {
  std::optional<postgres::AsyncConnect> pending;
  postgres::Connected result;
};

// vf_policy_options as a Policy (src/capi/policy.cpp): the one place its version is
// checked. `host_required`: false where the names come from a URL or connection string.
Policy to_policy(const vf_policy_options* options, bool host_required = true);
inline Policy to_policy_without_host(const vf_policy_options* options) { return to_policy(options, false); }

}  // namespace verifull::capi

struct vf_trust_struct : verifull::capi::Handle<vf_trust_struct, verifull::Trust> {
  static constexpr std::uint32_t magic_cookie = 0x76665452;  // "vfTR"
  static constexpr const char* name = "trust";
  using Handle::Handle;
};

struct vf_report_struct : verifull::capi::Handle<vf_report_struct, verifull::Report> {
  static constexpr std::uint32_t magic_cookie = 0x76665250;  // "vfRP"
  static constexpr const char* name = "report";
  using Handle::Handle;
};

struct vf_pg_struct : verifull::capi::Handle<vf_pg_struct, verifull::capi::PgConnection> {
  static constexpr std::uint32_t magic_cookie = 0x76665047;  // "vfPG"
  static constexpr const char* name = "pg";
  using Handle::Handle;
};

struct vf_mysql_struct : verifull::capi::Handle<vf_mysql_struct, verifull::mysql::Connected> {
  static constexpr std::uint32_t magic_cookie = 0x76664d59;  // "vfMY"
  static constexpr const char* name = "mysql";
  using Handle::Handle;
};

namespace verifull::capi {
using TrustHandle = vf_trust_struct;
using ReportHandle = vf_report_struct;
using PgHandle = vf_pg_struct;
using MysqlHandle = vf_mysql_struct;
}  // namespace verifull::capi
