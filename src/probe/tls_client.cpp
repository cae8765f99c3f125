#include "probe/tls_client.hpp"

#include "core/tls_strength.hpp"

#include <openssl/err.h>

#include "core/fork_safe.hpp"
#include "core/peer_name.hpp"
#include "probe/failure.hpp"
#include "verifull/policy.hpp"

namespace verifull::detail {
namespace {

using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OpenSslDeleter<SSL, SSL_free>>;

std::string openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::string handshake_hint(const std::string& errors) {
  if (errors.find("unsupported protocol") != std::string::npos ||
      errors.find("protocol version") != std::string::npos)
    return " — the server offers no TLS version verifull accepts (1.2 or newer)";
  if (errors.find("handshake failure") != std::string::npos || errors.find("no shared cipher") != std::string::npos)
    return " — the server and verifull share no cipher suite (or the server wants a client certificate)";
  if (errors.find("wrong version number") != std::string::npos || errors.find("packet length too long") != std::string::npos)
    return " — the server answered with something that is not TLS";
  return "";
}

}  // namespace

TlsCapture tls_handshake_and_capture(Socket& socket, const std::string& host, Clock::time_point deadline) {
  const SigpipeGuard no_sigpipe;
  const NoForkHere no_fork;  // OpenSSL's locks, between the waits for the peer (core/fork_safe.hpp)
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) throw ProbeFailure(Outcome::network_error, "cannot create a TLS context: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Verification happens in the core on the captured chain; the probe never sends a
  // credential, so nothing depends on OpenSSL's verdict here.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  SslPtr ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), socket.fd());
  if (!is_ip_literal(host)) SSL_set_tlsext_host_name(ssl.get(), host.c_str());
  for (;;) {
    const int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    const int err = SSL_get_error(ssl.get(), rc);
    if (err == SSL_ERROR_WANT_READ) {
      socket.wait(false, deadline, "doing the TLS handshake");
    } else if (err == SSL_ERROR_WANT_WRITE) {
      socket.wait(true, deadline, "doing the TLS handshake");
    } else if (err == SSL_ERROR_SSL) {
      const auto errors = openssl_errors();
      throw ProbeFailure(Outcome::handshake_failed,
                         "TLS handshake with " + socket.peer + " failed: " + errors + handshake_hint(errors));
    } else {
      throw ProbeFailure(Outcome::handshake_failed,
                         "the server " + socket.peer + " closed the connection during the TLS handshake");
    }
  }
  TlsCapture capture;
  capture.version = SSL_get_version(ssl.get());
  capture.cipher = SSL_get_cipher_name(ssl.get());
  capture.weak = weak_tls_reason(ssl.get());
  capture.chain.reset(sk_X509_new_null());
  STACK_OF(X509)* presented = SSL_get_peer_cert_chain(ssl.get());
  for (int i = 0; presented && i < sk_X509_num(presented); ++i)
    sk_X509_push(capture.chain.get(), share(sk_X509_value(presented, i)).release());
  if (sk_X509_num(capture.chain.get()) == 0)
    throw ProbeFailure(Outcome::handshake_failed, "the server " + socket.peer + " presented no certificate");
  // A polite close_notify; the connection is dropped either way.
  SSL_shutdown(ssl.get());
  return capture;
}

}  // namespace verifull::detail
