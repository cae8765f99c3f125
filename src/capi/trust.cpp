// The C ABI's trust handles (vf_trust_t): loading anchors and reading them back.
#include <string>
#include <string_view>

#include "capi/handle.hpp"
#include "core/trust_data.hpp"

using namespace verifull;
using namespace verifull::capi;

namespace {

int make_trust(vf_trust_t* out, Trust (*load)(const char*), const char* arg) {
  TrustHandle::clear(out);
  require(arg, "the input string must not be NULL");
  return TrustHandle::give(out, load(arg));
}

}  // namespace

extern "C" {

int vf_trust_from_file(vf_trust_t* trust, const char* path) {
  return guard([&] { return make_trust(trust, [](const char* p) { return Trust::from_file(p); }, path); });
}

int vf_trust_from_env(vf_trust_t* trust, const char* variable) {
  return guard([&] { return make_trust(trust, [](const char* v) { return Trust::from_env(v); }, variable); });
}

int vf_trust_from_pem(vf_trust_t* trust, const char* pem, size_t pem_len) {
  return guard([&] {
    TrustHandle::clear(trust);
    if (!pem && pem_len) return fail(VF_ERROR_NULL_POINTER, "pem is NULL");
    return TrustHandle::give(trust, Trust::from_pem(std::string_view(pem ? pem : "", pem_len), "PEM text"));
  });
}

int vf_trust_destroy(vf_trust_t trust) {
  return guard([&] { return TrustHandle::destroy(trust); });
}

int vf_trust_anchor_count(vf_trust_t trust, size_t* count) {
  return guard([&] {
    const Trust& t = TrustHandle::checked(trust);
    // Counting needs no descriptions: the anchors, not anchors().
    return write_value(count, detail::trust_data(t).anchors.size(), "count must not be NULL");
  });
}

int vf_trust_anchor_field(vf_trust_t trust, size_t index, int field, char* buf, size_t* len) {
  return guard([&] {
    const Trust& t = TrustHandle::checked(trust);
    if (index >= t.anchors().size()) return fail(VF_ERROR_OUT_OF_RANGE, "anchor index out of range");
    const AnchorInfo& a = t.anchors()[index];
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
  return guard([&] { return write_string(TrustHandle::checked(trust).anchors_file(), buf, len); });
}

int vf_trust_anchors_pem(vf_trust_t trust, char* buf, size_t* len) {
  return guard([&] { return write_string(TrustHandle::checked(trust).pem(), buf, len); });
}

}  // extern "C"
