// Hostile endpoints for what a real server will not do: refuse TLS, inject bytes,
// strip CLIENT_SSL, present an impostor's certificate. Every fake records every byte
// it receives (after TLS: the decrypted bytes), so a test can assert that no
// credential reached it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "test_pki.hpp"

namespace fakes {

// One accepted connection, with recording reads and writes.
class Conn {
 public:
  Conn(int fd, std::function<void(const std::string&)> record) : fd_(fd), record_(std::move(record)) {}
  // Reads up to n bytes (waiting at most timeout_ms); "" on close or timeout.
  std::string read(std::size_t n, int timeout_ms = 3000);
  std::string read_exact(std::size_t n, int timeout_ms = 3000);
  // Reads and records until the peer closes or goes quiet for timeout_ms.
  void drain(int timeout_ms = 1000);
  void write(const std::string& bytes);
  // Server-side TLS on this connection; afterwards read/write/drain go through TLS.
  // `tls12_only_ciphers`: offer only TLS 1.2 with these suites (a weak server).
  bool start_tls(const testpki::Cert& cert, const char* tls12_only_ciphers = nullptr);
  // Relays this connection to 127.0.0.1:port until either side closes (a transparent
  // man in the middle); what the client sends is recorded, encrypted or not.
  // `trickle_ms` > 0: the server's bytes reach the client one at a time, that far
  // apart (a peer that stretches a handshake past any per-read timeout).
  void forward_to(std::uint16_t port, int trickle_ms = 0);
  // Relays this connection to 127.0.0.1:port like forward_to, but reads the TLS
  // records in each direction (after the protocol's plaintext opening: MySQL's greeting
  // and SSLRequest packets, PostgreSQL's SSLRequest and 'S') so a test can misbehave
  // inside TLS without breaking it. See TlsRelayPlan.
  void relay_tls(std::uint16_t port, const struct TlsRelayPlan& plan);
  int fd() const { return fd_; }
  ~Conn();

 private:
  int fd_;
  std::function<void(const std::string&)> record_;
  void* ssl_ctx_ = nullptr;
  void* ssl_ = nullptr;
};

struct TlsRelayPlan {
  bool mysql = true;  // false: PostgreSQL
  // From the server's TLS record with this index on (0: its first, the ServerHello),
  // each record's 5-byte header is sent at once and then its body one byte every
  // drip_ms: a peer that stays inside one TLS record for as long as it likes, which a
  // per-read timeout never catches. -1: no dripping.
  int drip_from_server_record = -1;
  int drip_ms = 500;
  // Once the client has sent more TLS application-data records than this, nothing more
  // of the server's reaches it (a server that stalls after login, say). -1: never.
  int stall_after_client_records = -1;
  // When set, counts the client's application-data records (to calibrate the above).
  std::atomic<int>* client_records = nullptr;
};

class FakeServer {
 public:
  using Handler = std::function<void(Conn&)>;
  // Listens on 127.0.0.1 on a free port; each connection is handed to `handler`.
  explicit FakeServer(Handler handler);
  // Listens on `address` (a loopback IPv4 address such as 127.0.0.2) and `port`.
  FakeServer(Handler handler, const std::string& address, std::uint16_t port);
  // A listener that accepts nothing and answers nothing (for timeouts).
  static FakeServer silent();
  ~FakeServer();
  std::uint16_t port() const { return port_; }
  std::string received() const;
  int connections() const { return connections_; }

 private:
  FakeServer() = default;
  void serve();
  Handler handler_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::string received_;
  std::thread thread_;
};

// ---- protocol pieces -------------------------------------------------------------

// PostgreSQL: reads the 8-byte SSLRequest, answers `answer` (+ `extra` bytes at once).
bool pg_expect_ssl_request(Conn& c);
// MySQL: a protocol-10 greeting; `tls` sets CLIENT_SSL.
std::string mysql_greeting(bool tls, const std::string& auth_plugin = "mysql_native_password");
// MySQL: greeting with CLIENT_SSL, the client's SSLRequest, then TLS with `cert`.
bool mysql_accept_tls(Conn& c, const testpki::Cert& cert, const char* tls12_only_ciphers = nullptr);
// Reads one MySQL packet (header and payload); "" on close.
std::string mysql_read_packet(Conn& c);
// A MySQL packet: 3-byte length, sequence number, payload.
std::string mysql_packet(std::uint8_t seq, const std::string& payload);

}  // namespace fakes
