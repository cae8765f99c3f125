#include "fake_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace fakes {

Conn::~Conn() {
  if (ssl_) SSL_free(static_cast<SSL*>(ssl_));
  if (ssl_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
  ::close(fd_);
}

std::string Conn::read(std::size_t n, int timeout_ms) {
  SSL* ssl = static_cast<SSL*>(ssl_);
  if (!(ssl && SSL_pending(ssl) > 0)) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return "";
  }
  std::string buf(n, '\0');
  const long got = ssl ? SSL_read(ssl, buf.data(), static_cast<int>(n)) : ::recv(fd_, buf.data(), n, 0);
  if (got <= 0) return "";
  buf.resize(static_cast<std::size_t>(got));
  record_(buf);
  return buf;
}

std::string Conn::read_exact(std::size_t n, int timeout_ms) {
  std::string out;
  while (out.size() < n) {
    const auto part = read(n - out.size(), timeout_ms);
    if (part.empty()) break;
    out += part;
  }
  return out;
}

namespace {

// A connected TCP socket to 127.0.0.1:port (the real server a relay forwards to), or -1.
int dial_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

void Conn::drain(int timeout_ms) {
  while (!read(4096, timeout_ms).empty()) {
  }
}

void Conn::write(const std::string& bytes) {
  if (ssl_) {
    SSL_write(static_cast<SSL*>(ssl_), bytes.data(), static_cast<int>(bytes.size()));
  } else {
    (void)!::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
}

bool Conn::start_tls(const testpki::Cert& cert, const char* tls12_only_ciphers) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  ssl_ctx_ = ctx;
  if (tls12_only_ciphers) {
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx, tls12_only_ciphers);
  }
  SSL_CTX_use_certificate(ctx, cert.cert.get());
  SSL_CTX_use_PrivateKey(ctx, cert.key.get());
  SSL* ssl = SSL_new(ctx);
  ssl_ = ssl;
  SSL_set_fd(ssl, fd_);
  return SSL_accept(ssl) == 1;
}

void Conn::forward_to(std::uint16_t port, int trickle_ms) {
  const int up = dial_loopback(port);
  if (up < 0) return;
  char buf[16384];
  for (;;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {up, POLLIN, 0}};
    if (::poll(p, 2, 5000) <= 0) break;
    if (p[0].revents) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      record_(std::string(buf, static_cast<std::size_t>(n)));
      if (::send(up, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    if (p[1].revents) {
      const ssize_t n = ::recv(up, buf, sizeof buf, 0);
      if (n <= 0) break;
      if (trickle_ms <= 0) {
        if (::send(fd_, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
        continue;
      }
      bool sent = true;
      for (ssize_t i = 0; i < n && sent; ++i) {
        sent = ::send(fd_, buf + i, 1, MSG_NOSIGNAL) == 1;
        std::this_thread::sleep_for(std::chrono::milliseconds(trickle_ms));
      }
      if (!sent) break;
    }
  }
  ::close(up);
}

namespace {

// One direction of a relay_tls connection: the plaintext opening, then TLS records.
struct RelayStream {
  bool mysql;
  bool from_server;
  std::string buffer;       // received, not yet forwarded
  bool opening_done = false;
  int records = 0;          // TLS records forwarded
  int application_records = 0;

  // Bytes of the plaintext opening still at the front of `buffer`, or 0 when unknown yet.
  std::size_t opening_length() const {
    if (!mysql) return from_server ? 1 : 8;  // 'S' / SSLRequest
    if (buffer.size() < 4) return 0;          // a MySQL packet: 3-byte length, sequence
    return 4 + (static_cast<unsigned char>(buffer[0]) | (static_cast<unsigned char>(buffer[1]) << 8) |
                (static_cast<unsigned char>(buffer[2]) << 16));
  }
  // The next whole unit to forward (the opening, or one TLS record), "" when incomplete.
  std::string next_unit(bool& is_record) {
    is_record = opening_done;
    std::size_t length = 0;
    if (!opening_done) {
      length = opening_length();
      if (length == 0 || buffer.size() < length) return "";
      opening_done = true;
    } else {
      if (buffer.size() < 5) return "";
      length = 5 + ((static_cast<unsigned char>(buffer[3]) << 8) | static_cast<unsigned char>(buffer[4]));
      if (buffer.size() < length) return "";
    }
    std::string unit = buffer.substr(0, length);
    buffer.erase(0, length);
    return unit;
  }
};

bool send_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t sent = ::send(fd, data, n, MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data += sent;
    n -= static_cast<std::size_t>(sent);
  }
  return true;
}

}  // namespace

void Conn::relay_tls(std::uint16_t port, const TlsRelayPlan& plan) {
  const int up = dial_loopback(port);
  if (up < 0) return;
  RelayStream from_client{plan.mysql, false}, from_server{plan.mysql, true};
  bool stalled = false;
  char buf[16384];
  for (bool open = true; open;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {up, POLLIN, 0}};
    if (::poll(p, 2, 10000) <= 0) break;
    if (p[0].revents) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      record_(std::string(buf, static_cast<std::size_t>(n)));
      from_client.buffer.append(buf, static_cast<std::size_t>(n));
      bool is_record = false;
      for (std::string unit; !(unit = from_client.next_unit(is_record)).empty();) {
        if (is_record && unit[0] == 0x17) {
          ++from_client.application_records;
          if (plan.client_records) ++*plan.client_records;
          if (plan.stall_after_client_records >= 0 &&
              from_client.application_records > plan.stall_after_client_records)
            stalled = true;
        }
        if (!send_all(up, unit.data(), unit.size())) open = false;
      }
    }
    if (p[1].revents && open) {
      const ssize_t n = ::recv(up, buf, sizeof buf, 0);
      if (n <= 0) break;
      if (stalled) continue;  // held back for good
      from_server.buffer.append(buf, static_cast<std::size_t>(n));
      bool is_record = false;
      for (std::string unit; open && !(unit = from_server.next_unit(is_record)).empty();) {
        const bool drip = is_record && plan.drip_from_server_record >= 0 &&
                          from_server.records >= plan.drip_from_server_record;
        if (is_record) ++from_server.records;
        if (!drip) {
          open = send_all(fd_, unit.data(), unit.size());
          continue;
        }
        open = send_all(fd_, unit.data(), 5);
        for (std::size_t i = 5; open && i < unit.size(); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(plan.drip_ms));
          open = send_all(fd_, unit.data() + i, 1);
        }
      }
    }
  }
  ::close(up);
}

FakeServer::FakeServer(Handler handler) : FakeServer(std::move(handler), "127.0.0.1", 0) {}

FakeServer::FakeServer(Handler handler, const std::string& address, std::uint16_t port) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) throw std::runtime_error("fake server: bad address");
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(listen_fd_, 16) != 0)
    throw std::runtime_error("fake server: cannot listen");
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  if (handler_) thread_ = std::thread([this] { serve(); });
}

FakeServer FakeServer::silent() { return FakeServer(Handler{}); }

void FakeServer::serve() {
  // A client that hangs up mid-write must not kill the test process.
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    Conn conn(fd, [this](const std::string& bytes) {
      std::lock_guard<std::mutex> lock(mutex_);
      received_ += bytes;
    });
    handler_(conn);
  }
}

FakeServer::~FakeServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string FakeServer::received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

bool pg_expect_ssl_request(Conn& c) {
  return c.read_exact(8) == std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
}

bool mysql_accept_tls(Conn& c, const testpki::Cert& cert, const char* tls12_only_ciphers) {
  c.write(mysql_greeting(true));
  return c.read_exact(36).size() == 36 && c.start_tls(cert, tls12_only_ciphers);
}

std::string mysql_read_packet(Conn& c) {
  const auto header = c.read_exact(4);
  if (header.size() != 4) return "";
  const std::size_t len = static_cast<unsigned char>(header[0]) | (static_cast<unsigned char>(header[1]) << 8) |
                          (static_cast<unsigned char>(header[2]) << 16);
  return header + c.read_exact(len);
}

std::string mysql_packet(std::uint8_t seq, const std::string& payload) {
  std::string p;
  p += static_cast<char>(payload.size() & 0xff);
  p += static_cast<char>((payload.size() >> 8) & 0xff);
  p += static_cast<char>((payload.size() >> 16) & 0xff);
  p += static_cast<char>(seq);
  return p + payload;
}

std::string mysql_greeting(bool tls, const std::string& auth_plugin) {
  std::uint32_t caps = 0x00000001 | 0x00000004 | 0x00000200 | 0x00002000 | 0x00008000 | 0x00080000;
  if (tls) caps |= 0x00000800;
  std::string g;
  g += '\x0a';
  g += std::string("10.11.99-FakeDB") + '\0';
  g += std::string("\x01\x00\x00\x00", 4);      // connection id
  g += "abcdefgh";                               // auth data part 1
  g += '\0';                                     // filler
  g += static_cast<char>(caps & 0xff);
  g += static_cast<char>((caps >> 8) & 0xff);
  g += '\x2d';                                   // charset
  g += std::string("\x02\x00", 2);              // status
  g += static_cast<char>((caps >> 16) & 0xff);
  g += static_cast<char>((caps >> 24) & 0xff);
  g += '\x15';                                   // auth data length 21
  g += std::string(10, '\0');                    // reserved
  g += std::string("ijklmnopqrst") + '\0';       // auth data part 2 (13 bytes)
  g += auth_plugin + '\0';
  return mysql_packet(0, g);
}

}  // namespace fakes
