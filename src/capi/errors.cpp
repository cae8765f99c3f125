// The C ABI's library calls and its one error style (src/capi/handle.hpp): the thread's
// last error, its outcome, the descriptions of codes and outcomes.
#include <cstring>
#include <new>
#include <string>

#include "capi/handle.hpp"

namespace verifull::capi {
namespace {

thread_local std::string g_last_error;
// Set when even the message of a failure could not be stored (out of memory):
// vf_last_error_message then returns a fixed sentence instead of a stale one.
thread_local bool g_last_error_lost = false;
// The outcome of the last VF_ERROR_NETWORK on this thread (vf_last_error_outcome), -1
// after any other error.
thread_local int g_last_error_outcome = -1;

bool is_outcome(int outcome) { return outcome >= VF_OUTCOME_OK && outcome <= VF_OUTCOME_LAST; }

}  // namespace

int fail(int code, std::string_view message, int network_outcome) noexcept {
  g_last_error_outcome = code == VF_ERROR_NETWORK ? (network_outcome < 0 ? VF_OUTCOME_NETWORK_ERROR : network_outcome) : -1;
  try {
    g_last_error.assign(message);
    g_last_error_lost = false;
  } catch (...) {
    g_last_error_lost = true;
  }
  return code;
}

// Building the message may itself throw (out of memory): that too ends here, as
// VF_ERROR_INTERNAL, so nothing escapes a noexcept entry point (which would be
// std::terminate in the caller's process).
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

const char* last_error_message() noexcept {
  return g_last_error_lost ? "out of memory while recording the error" : g_last_error.c_str();
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

}  // namespace verifull::capi

using namespace verifull;

extern "C" {

int vf_abi_version(void) { return VERIFULL_ABI_VERSION; }
const char* vf_version_string(void) { return VERIFULL_VERSION_STRING; }
const char* vf_last_error_message(void) { return capi::last_error_message(); }
int vf_last_error_outcome(void) { return capi::g_last_error_outcome; }

const char* vf_error_description(int code) {
  switch (code) {
    case VF_OK: return "success";
    case VF_ERROR_INPUT: return "bad input";
    case VF_ERROR_NULL_POINTER: return "a required pointer argument was NULL";
    case VF_ERROR_INVALID_HANDLE: return "not a live handle of the expected type";
    case VF_ERROR_BUFFER_TOO_SMALL: return "the output buffer is too small";
    case VF_ERROR_NETWORK: return "the endpoint could not be reached";
    case VF_ERROR_BAD_VERSION: return "an options struct of an unknown version";
    case VF_ERROR_OUT_OF_RANGE: return "an index past the end";
    case VF_ERROR_INTERNAL: return "internal error in verifull";
    default: return "unknown error code";
  }
}

const char* vf_outcome_name(int outcome) {
  if (!capi::is_outcome(outcome)) return "unknown";
  return outcome_name(static_cast<Outcome>(outcome));
}

int vf_outcome_exit_code(int outcome) {
  if (!capi::is_outcome(outcome)) return -1;
  return outcome_exit_code(static_cast<Outcome>(outcome));
}

}  // extern "C"
