#include "core/tls_strength.hpp"

#include <openssl/obj_mac.h>

namespace verifull::detail {

std::optional<std::string> weak_tls_reason(const SSL* ssl) {
  if (SSL_version(ssl) >= TLS1_3_VERSION) return std::nullopt;
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (!cipher) return "no cipher suite was negotiated";
  const int kx = SSL_CIPHER_get_kx_nid(cipher);
  const bool forward_secret = kx == NID_kx_ecdhe || kx == NID_kx_dhe;
  const bool aead = SSL_CIPHER_is_aead(cipher) == 1;
  if (forward_secret && aead) return std::nullopt;
  std::string why = std::string("the server negotiated ") + SSL_get_version(ssl) + " with " + SSL_CIPHER_get_name(cipher) + ", ";
  if (!forward_secret && !aead) why += "which has neither forward secrecy nor an AEAD cipher";
  else if (!forward_secret) why += "which has no forward secrecy (a stolen server key would decrypt recorded sessions)";
  else why += "which is not an AEAD cipher (CBC with a MAC)";
  return why + "; verifull requires TLS 1.3, or TLS 1.2 with ECDHE or DHE and AES-GCM or ChaCha20-Poly1305 — "
               "enable TLS 1.3 or such a cipher suite on the server";
}

}  // namespace verifull::detail
