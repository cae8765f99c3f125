#include "core/tls_strength.hpp"

#include <openssl/obj_mac.h>

#include <vector>

namespace verifull::detail {

namespace {

std::optional<std::string> weak_reason(int version, const char* version_name, const SSL_CIPHER* cipher) {
  if (version >= TLS1_3_VERSION) return std::nullopt;
  if (!cipher) return "no cipher suite was negotiated";
  const int kx = SSL_CIPHER_get_kx_nid(cipher);
  const bool forward_secret = kx == NID_kx_ecdhe || kx == NID_kx_dhe;
  const bool aead = SSL_CIPHER_is_aead(cipher) == 1;
  if (forward_secret && aead) return std::nullopt;
  std::string why = std::string("the server negotiated ") + version_name + " with " + SSL_CIPHER_get_name(cipher) + ", ";
  if (!forward_secret && !aead) why += "which has neither forward secrecy nor an AEAD cipher";
  else if (!forward_secret) why += "which has no forward secrecy (a stolen server key would decrypt recorded sessions)";
  else why += "which is not an AEAD cipher (CBC with a MAC)";
  return why + "; verifull requires TLS 1.3, or TLS 1.2 with ECDHE or DHE and AES-GCM or ChaCha20-Poly1305 — "
               "enable TLS 1.3 or such a cipher suite on the server";
}

// Every suite this OpenSSL knows, by OpenSSL name and IANA name, listed once from a
// context that enables them all (TLS 1.3's included).
const SSL_CIPHER* cipher_by_name(std::string_view name) {
  static const std::vector<const SSL_CIPHER*> all = [] {
    std::vector<const SSL_CIPHER*> out;
    SSL_CTX* ctx = SSL_CTX_new(TLS_method());
    if (!ctx) return out;
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, 0);
    if (SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL") == 1) {
      STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(ctx);
      for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i) out.push_back(sk_SSL_CIPHER_value(list, i));
    }
    SSL_CTX_free(ctx);  // SSL_CIPHERs are static tables inside libssl: they outlive the context
    return out;
  }();
  for (const SSL_CIPHER* c : all) {
    const char* standard = SSL_CIPHER_standard_name(c);
    if (name == SSL_CIPHER_get_name(c) || (standard && name == standard)) return c;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> weak_tls_reason(const SSL* ssl) {
  return weak_reason(SSL_version(ssl), SSL_get_version(ssl), SSL_get_current_cipher(ssl));
}

std::optional<std::string> weak_tls_reason(std::string_view protocol, std::string_view cipher) {
  const std::string shown_protocol(protocol), shown_cipher(cipher);
  int version = 0;
  if (protocol == "TLSv1.3") version = TLS1_3_VERSION;
  else if (protocol == "TLSv1.2") version = TLS1_2_VERSION;
  else if (protocol == "TLSv1.1") version = TLS1_1_VERSION;
  else if (protocol == "TLSv1") version = TLS1_VERSION;
  else return "the session's protocol \"" + shown_protocol + "\" is not one verifull knows; verifull requires TLS 1.3, "
              "or TLS 1.2 with ECDHE or DHE and AES-GCM or ChaCha20-Poly1305";
  if (version < TLS1_2_VERSION)
    return "the server negotiated " + shown_protocol + "; verifull requires TLS 1.3, or TLS 1.2 with ECDHE or DHE and "
           "AES-GCM or ChaCha20-Poly1305 — enable TLS 1.2 or 1.3 on the server";
  if (version >= TLS1_3_VERSION) return std::nullopt;
  const SSL_CIPHER* suite = cipher_by_name(cipher);
  if (!suite) return "the server negotiated " + shown_protocol + " with the cipher suite \"" + shown_cipher +
                     "\", which this OpenSSL does not know, so verifull cannot show it has forward secrecy and AEAD";
  return weak_reason(version, shown_protocol.c_str(), suite);
}

}  // namespace verifull::detail
