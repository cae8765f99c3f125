# frozen_string_literal: true

# Shared by the Ruby tests: the servers tools/with-servers started, and hostile fakes
# that record every byte they receive (after TLS, the decrypted bytes), so each test can
# assert that no credential reached them. Fakes listen on 127.0.0.1 only.
require "minitest/autorun"
require "openssl"
require "socket"
require "verifull"

module Servers
  REQUIRED = %w[VERIFULL_PKI_DIR VERIFULL_PG_PORT VERIFULL_MYSQL_PORT VERIFULL_MYSQL_IP_PORT VERIFULL_DB_USER
                VERIFULL_DB_PASSWORD VERIFULL_DB_NAME].freeze

  module_function

  def check!
    missing = REQUIRED.reject { |k| ENV.key?(k) }
    return if missing.empty?

    abort "run through tools/with-servers, which starts the servers; missing #{missing.join(', ')}"
  end

  def port(name) = Integer(ENV.fetch("VERIFULL_#{name}_PORT"))
  def user = ENV.fetch("VERIFULL_DB_USER")
  def password = ENV.fetch("VERIFULL_DB_PASSWORD")
  def db = ENV.fetch("VERIFULL_DB_NAME")
  def file(name) = File.join(ENV.fetch("VERIFULL_PKI_DIR"), name)

  def pg_url(host: "localhost", port: nil)
    "postgres://#{user}:#{password}@#{host}:#{port || port('PG')}/#{db}"
  end

  # 127.0.0.1 and MYSQL_IP, the server whose certificate names that address.
  def mysql_url(host: "127.0.0.1", port: nil)
    "mysql://#{user}:#{password}@#{host}:#{port || port('MYSQL_IP')}/#{db}"
  end

  def trust = Verifull::Trust.from_file(file("ca.pem"))
end
Servers.check!

# Accepts on 127.0.0.1; each connection goes to the handler with (fake, socket, n), n
# counting from 1. #received holds every byte any client sent.
class Fake
  attr_reader :port, :connections

  def initialize(&handler)
    @handler = handler
    @received = +"".b
    @lock = Mutex.new
    @server = TCPServer.new("127.0.0.1", 0)
    @port = @server.addr[1]
    @connections = 0
    @thread = Thread.new { serve }
  end

  # Fake.open(handler) { |fake| ... } closes the fake afterwards.
  def self.open(handler)
    fake = new(&handler)
    yield fake
  ensure
    fake&.close
  end

  def received
    @lock.synchronize { @received.dup }
  end

  def record(data)
    @lock.synchronize { @received << data.b }
    data
  end

  # Up to n bytes, "" on timeout or close.
  def recv(io, n = 65_536, timeout = 3)
    return "".b unless wait_readable(io, timeout)

    record(io.readpartial(n))
  rescue IOError, SystemCallError, OpenSSL::SSL::SSLError
    "".b
  end

  def recv_exact(io, n, timeout = 3)
    out = +"".b
    while out.bytesize < n
      part = recv(io, n - out.bytesize, timeout)
      break if part.empty?

      out << part
    end
    out
  end

  def drain(io, timeout = 1)
    loop { break if recv(io, 65_536, timeout).empty? }
  end

  def close
    @stop = true
    @server.close
    @thread.join(5)
  end

  private

  def wait_readable(io, timeout)
    return true if io.respond_to?(:pending) && io.pending.positive?

    IO.select([io.respond_to?(:to_io) ? io.to_io : io], nil, nil, timeout)
  end

  def serve
    until @stop
      begin
        conn = @server.accept
      rescue IOError, SystemCallError
        break
      end
      @connections += 1
      begin
        @handler.call(self, conn, @connections)
      rescue IOError, SystemCallError, OpenSSL::SSL::SSLError
        nil
      ensure
        conn.close unless conn.closed?
      end
    end
  end
end

module Wire
  CLIENT_SSL = 0x0800
  PG_SSL_REQUEST = [8, 80_877_103].pack("NN").b

  module_function

  def server_tls(sock, cert, key)
    ctx = OpenSSL::SSL::SSLContext.new
    ctx.cert = OpenSSL::X509::Certificate.new(File.read(Servers.file(cert)))
    ctx.key = OpenSSL::PKey.read(File.read(Servers.file(key)))
    tls = OpenSSL::SSL::SSLSocket.new(sock, ctx)
    tls.sync_close = false
    tls.accept
    tls
  end

  def mysql_packet(seq, payload)
    [payload.bytesize].pack("V")[0, 3] + seq.chr + payload.b
  end

  def mysql_greeting(tls:, plugin: "mysql_native_password")
    caps = 0x1 | 0x4 | 0x200 | 0x2000 | 0x8000 | 0x80000
    caps |= CLIENT_SSL if tls
    payload = "\x0a".b + "10.11.99-FakeDB\0" + [7].pack("V") + "abcdefgh\0" + [caps & 0xFFFF].pack("v") +
              "\x2d".b + [2].pack("v") + [caps >> 16].pack("v") + "\x15".b + ("\0" * 10) + "ijklmnopqrst\0" +
              plugin + "\0"
    mysql_packet(0, payload)
  end

  def read_mysql_packet(fake, io)
    header = fake.recv_exact(io, 4)
    return "".b if header.bytesize < 4

    length = (header.bytes[0]) | (header.bytes[1] << 8) | (header.bytes[2] << 16)
    header + fake.recv_exact(io, length)
  end

  # Clears CLIENT_SSL in a real greeting: what a stripping man in the middle does.
  def strip_client_ssl(packet)
    data = packet.b.dup
    caps_at = data.index("\0", 5) + 1 + 4 + 8 + 1
    caps = data[caps_at, 2].unpack1("v") & ~CLIENT_SSL
    data[caps_at, 2] = [caps].pack("v")
    data
  end

  # Relays client <-> 127.0.0.1:port, recording what the client sends; rewrite may alter
  # the server's first packet.
  def relay(fake, client, port, rewrite: nil)
    upstream = TCPSocket.new("127.0.0.1", port)
    if rewrite
      header = upstream.read(4)
      length = header.unpack1("V") & 0xFFFFFF
      client.write(rewrite.call(header + upstream.read(length)))
    end
    loop do
      ready, = IO.select([client, upstream], nil, nil, 5)
      break unless ready

      if ready.include?(client)
        data = client.readpartial(65_536)
        upstream.write(fake.record(data))
      end
      client.write(upstream.readpartial(65_536)) if ready.include?(upstream)
    end
  rescue EOFError, IOError, SystemCallError
    nil
  ensure
    upstream&.close
  end

  # A MySQL endpoint that offers TLS with the given certificate, then reads what comes.
  def mysql_tls_then_drain(fake, conn, cert, key)
    conn.write(mysql_greeting(tls: true))
    return unless fake.recv_exact(conn, 36).bytesize == 36

    fake.drain(server_tls(conn, cert, key))
  end
end
