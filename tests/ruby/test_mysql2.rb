# frozen_string_literal: true

require_relative "helper"
require "mysql2"

# Verifull::Mysql2 against the real MariaDB (TLS, certificate for localhost and
# 127.0.0.1) and hostile fakes. Every hostile test asserts the refusal and that no
# credential (the user name of a login packet, the password) reached the fake.
class TestMysql2 < Minitest::Test
  def setup
    Verifull::Mysql2.clear_cache
    @trust = Servers.trust
  end

  def refute_credentials(fake)
    refute_includes fake.received, Servers.user.b, "the login reached the fake"
    refute_includes fake.received, Servers.password.b, "the password reached the fake"
  end

  def test_connects_verified_and_queries
    client = Verifull::Mysql2.connect(Servers.mysql_url, @trust)
    assert_equal "#{Servers.user}@%", client.query("SELECT CURRENT_USER() AS u").first["u"]
    refute_empty client.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'").first["Value"]
  ensure
    client&.close
  end

  def test_url_charset_and_mysql2_query_options_are_passed
    client = Verifull::Mysql2.connect("#{Servers.mysql_url}?charset=utf8mb4", @trust, symbolize_keys: true)
    assert_equal "utf8mb4", client.query("SELECT @@character_set_client AS c").first[:c]
  ensure
    client&.close
  end

  def test_url_flags_and_numbers_are_parsed_not_passed_as_text
    client = Verifull::Mysql2.connect("#{Servers.mysql_url}?local_infile=false&read_timeout=30", @trust)
    assert_equal 30, client.read_timeout
    client.close
    assert_equal false, Verifull::Mysql2.client_options("#{Servers.mysql_url}?local_infile=off", @trust)[:local_infile]
    error = assert_raises(Verifull::InputError) { Verifull::Mysql2.connect("#{Servers.mysql_url}?local_infile=maybe", @trust) }
    assert_includes error.message, "local_infile"
    error = assert_raises(Verifull::InputError) { Verifull::Mysql2.connect("#{Servers.mysql_url}?read_timeout=soon", @trust) }
    assert_includes error.message, "read_timeout"
  end

  def test_url_parameters_are_the_librarys_table
    # Read by the library (vf_mysql_url_parameters): '-' as '_' and any case, which the
    # Ruby copy refused, and a CRL in the URL checked by the probe.
    options = Verifull::Mysql2.client_options("#{Servers.mysql_url}?read-timeout=30&Local_Infile=TRUE", @trust)
    assert_equal 30, options[:read_timeout]
    assert_equal true, options[:local_infile]
    localhost = Servers.mysql_url(host: "localhost", port: Servers.port("MYSQL"))
    error = assert_raises(Verifull::VerificationError) do
      Verifull::Mysql2.connect("#{localhost}?ssl-crl=#{Servers.file('crl-revoked.pem')}", @trust)
    end
    assert_equal "revoked", error.outcome
    error = assert_raises(Verifull::InputError) { Verifull::Mysql2.connect("#{Servers.mysql_url}?tls_version=TLSv1", @trust) }
    assert_includes error.message, "tls_version would change how verifull secures the connection"
    error = assert_raises(Verifull::InputError) { Verifull::Mysql2.connect("#{Servers.mysql_url}?compress=1", @trust) }
    assert_includes error.message, "compress is not passed to mysql2"
  end

  def test_settings_that_would_replace_the_verified_ones_are_refused_by_name
    %i[host port socket sslca sslverify ssl_mode flags default_file enable_cleartext_plugin default_auth].each do |key|
      error = assert_raises(Verifull::InputError) { Verifull::Mysql2.connect(Servers.mysql_url, @trust, key => "x") }
      assert_includes error.message, key.to_s
    end
    error = assert_raises(Verifull::InputError) { Verifull::Mysql2.connect("#{Servers.mysql_url}?ssl_mode=DISABLED", @trust) }
    assert_includes error.message, "ssl_mode"
  end

  def test_unknown_policy_keyword_is_an_argument_error_and_bad_values_input_errors
    assert_raises(ArgumentError) { Verifull::Mysql2.client_options(Servers.mysql_url, @trust, pin: "x") }
    error = assert_raises(Verifull::InputError) { Verifull::Mysql2.connect(Servers.mysql_url, @trust, engine: "gnutls") }
    assert_includes error.message, "engine"
  end

  def test_a_name_the_certificate_does_not_carry_is_refused
    # maria-tls's certificate names only localhost; 127.0.0.1 is not in it.
    error = assert_raises(Verifull::VerificationError) do
      Verifull::Mysql2.connect(Servers.mysql_url(port: Servers.port("MYSQL")), @trust)
    end
    assert_equal "name_mismatch", error.outcome
    refute_includes error.message, Servers.password
  end

  def test_localhost_connects_by_tcp_and_tls
    # The option file says protocol=1: without it Connector/C would take the (missing)
    # Unix socket for "localhost" and the connect would fail.
    client = Verifull::Mysql2.connect(Servers.mysql_url(host: "localhost", port: Servers.port("MYSQL")), @trust)
    version = client.query("SHOW SESSION STATUS LIKE 'Ssl_version'").first
    assert_match(/\ATLSv1\.[23]\z/, version.values.last)
    client.close
  end

  def test_pins_are_enforced
    leaf = Verifull.check(Servers.mysql_url, @trust).chain.first
    good = Verifull::Trust.from_file(Servers.file("ca.pem")).anchors.first[:spki_sha256]
    Verifull::Mysql2.connect(Servers.mysql_url, @trust, pins: [good]).close
    wrong = "sha256/#{['0' * 64].pack('H*').then { |b| [b].pack('m0') }}"
    error = assert_raises(Verifull::VerificationError) { Verifull::Mysql2.connect(Servers.mysql_url, @trust, pins: [wrong]) }
    assert_equal "pin_mismatch", error.outcome
    refute_nil leaf.sha256
  end

  def stripper(port)
    # The first connection (verifull's probe) is relayed untouched; later ones get the
    # real server's greeting with CLIENT_SSL cleared.
    lambda do |fake, conn, n|
      Wire.relay(fake, conn, port, rewrite: n == 1 ? nil : Wire.method(:strip_client_ssl))
    end
  end

  # The issue's "leaks today" one-liner: plain mysql2 with a CA and sslverify still logs
  # in when a man in the middle clears CLIENT_SSL in the greeting.
  def test_control_plain_mysql2_sends_the_login_to_a_stripped_greeting
    fake = Fake.new { |f, conn, _n| Wire.relay(f, conn, Servers.port("MYSQL_IP"), rewrite: Wire.method(:strip_client_ssl)) }
    begin
      Mysql2::Client.new(host: "127.0.0.1", port: fake.port, username: Servers.user, password: Servers.password,
                         sslca: Servers.file("ca.pem"), sslverify: true, connect_timeout: 5).close
    rescue Mysql2::Error
      nil # the real server refuses a plaintext login (require_secure_transport); the login already left
    end
    assert_includes fake.received, Servers.user.b
  ensure
    fake&.close
  end

  def test_the_same_one_liner_through_verifull_is_refused_without_a_login
    Fake.open(stripper(Servers.port("MYSQL_IP"))) do |fake|
      options = Verifull::Mysql2.client_options(Servers.mysql_url(port: fake.port), @trust)
      assert_raises(Mysql2::Error) { Mysql2::Client.new(options) }
      assert_raises(Mysql2::Error) { Verifull::Mysql2.connect(Servers.mysql_url(port: fake.port), @trust) }
      assert_operator fake.connections, :>=, 2 # the client did reach the stripping fake
      refute_credentials(fake)
    end
  end

  def test_a_greeting_without_tls_is_refused_at_the_probe
    handler = lambda do |fake, conn, _n|
      conn.write(Wire.mysql_greeting(tls: false))
      fake.drain(conn)
    end
    Fake.open(handler) do |fake|
      error = assert_raises(Verifull::VerificationError) do
        Verifull::Mysql2.connect(Servers.mysql_url(port: fake.port), @trust, timeout: 5)
      end
      assert_equal "tls_unavailable", error.outcome
      refute_credentials(fake)
    end
  end

  def test_an_impostor_certificate_from_another_ca_is_refused
    handler = ->(fake, conn, _n) { Wire.mysql_tls_then_drain(fake, conn, "impostor.pem", "impostor.key") }
    Fake.open(handler) do |fake|
      error = assert_raises(Verifull::VerificationError) do
        Verifull::Mysql2.connect(Servers.mysql_url(port: fake.port), @trust, timeout: 5)
      end
      assert_equal "untrusted_issuer", error.outcome
      refute_credentials(fake)
    end
  end

  def test_a_certificate_for_another_name_is_refused
    handler = ->(fake, conn, _n) { Wire.mysql_tls_then_drain(fake, conn, "wrong-name.pem", "wrong-name.key") }
    Fake.open(handler) do |fake|
      error = assert_raises(Verifull::VerificationError) do
        Verifull::Mysql2.connect(Servers.mysql_url(port: fake.port), @trust, timeout: 5)
      end
      assert_equal "name_mismatch", error.outcome
      refute_credentials(fake)
    end
  end

  def test_a_certificate_swapped_after_the_probe_is_refused_by_the_pin
    # Same CA, same names, another key: only the fingerprint tells them apart.
    port = Servers.port("MYSQL_IP")
    handler = lambda do |fake, conn, n|
      next Wire.relay(fake, conn, port) if n == 1

      Wire.mysql_tls_then_drain(fake, conn, "server-ip2.pem", "server-ip2.key")
    end
    Fake.open(handler) do |fake|
      options = Verifull::Mysql2.client_options(Servers.mysql_url(port: fake.port), @trust)
      error = assert_raises(Mysql2::Error) { Mysql2::Client.new(options) }
      assert_match(/fingerprint|ssl|tls/i, error.message)
      assert_equal 2, fake.connections
      refute_credentials(fake)
    end
  end

  def test_the_clear_password_switch_is_refused_without_the_password
    handler = lambda do |fake, conn, _n|
      conn.write(Wire.mysql_greeting(tls: true))
      next unless fake.recv_exact(conn, 36).bytesize == 36

      tls = Wire.server_tls(conn, "server-ip.pem", "server-ip.key")
      next if Wire.read_mysql_packet(fake, tls).empty? # the probe hangs up here

      tls.write(Wire.mysql_packet(3, "\xfemysql_clear_password\0".b))
      fake.drain(tls)
    end
    Fake.open(handler) do |fake|
      assert_raises(Mysql2::Error) { Verifull::Mysql2.connect(Servers.mysql_url(port: fake.port), @trust, timeout: 5) }
      assert_includes fake.received, Servers.user.b # it got as far as authentication
      refute_includes fake.received, Servers.password.b
    end
  end

  def test_a_rotated_certificate_is_approved_again_once_and_the_connect_retried
    # The first probe sees a same-CA certificate with another key (the "old" one); the
    # connect then meets the real server's and fails its pin; one re-probe approves the
    # real certificate and the retry logs in.
    port = Servers.port("MYSQL_IP")
    handler = lambda do |fake, conn, n|
      next Wire.mysql_tls_then_drain(fake, conn, "server-ip2.pem", "server-ip2.key") if n == 1

      Wire.relay(fake, conn, port)
    end
    Fake.open(handler) do |fake|
      client = Verifull::Mysql2.connect(Servers.mysql_url(port: fake.port), @trust)
      assert_equal 1, client.query("SELECT 1 AS one").first["one"]
      client.close
      assert_equal 4, fake.connections # probe, connect, one re-probe, the retry
    end
  end

  def test_a_rotation_that_keeps_failing_is_not_retried_in_a_loop
    port = Servers.port("MYSQL_IP")
    handler = lambda do |fake, conn, n|
      next Wire.relay(fake, conn, port) if n.odd? # probes: the real server

      Wire.mysql_tls_then_drain(fake, conn, "server-ip2.pem", "server-ip2.key")
    end
    Fake.open(handler) do |fake|
      assert_raises(Mysql2::Error) { Verifull::Mysql2.connect(Servers.mysql_url(port: fake.port), @trust) }
      assert_equal 4, fake.connections # never more than one re-probe
      refute_credentials(fake)
    end
  end

  def test_every_call_ends_by_its_deadline_when_the_peer_says_nothing
    handler = ->(fake, conn, _n) { fake.drain(conn, 8) }
    Fake.open(handler) do |fake|
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      error = assert_raises(Verifull::NetworkError) do
        Verifull::Mysql2.connect(Servers.mysql_url(port: fake.port), @trust, timeout: 2)
      end
      assert_equal "timeout", error.outcome
      assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 2 + 3
      refute_credentials(fake)
    end
  end

  def test_a_server_that_stalls_after_tls_cannot_hold_the_login_past_the_deadline
    handler = lambda do |fake, conn, _n|
      conn.write(Wire.mysql_greeting(tls: true))
      next unless fake.recv_exact(conn, 36).bytesize == 36

      tls = Wire.server_tls(conn, "server-ip.pem", "server-ip.key")
      fake.drain(tls, 15) # takes the login and never answers
    end
    Fake.open(handler) do |fake|
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      assert_raises(Mysql2::Error) { Verifull::Mysql2.connect(Servers.mysql_url(port: fake.port), @trust, timeout: 2) }
      assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 2 + 3
      refute_includes fake.received, Servers.password.b
    end
  end

  def test_the_login_deadline_does_not_limit_later_queries
    client = Verifull::Mysql2.connect(Servers.mysql_url, @trust, timeout: 1)
    assert_nil client.read_timeout
    assert_equal 0, client.query("SELECT SLEEP(2.5) AS s").first["s"]
  ensure
    client&.close
  end

  def test_no_password_in_any_message
    bad = "mysql://#{Servers.user}:#{Servers.password}@127.0.0.1:#{Servers.port('MYSQL_IP')}/#{Servers.db}?nope=1"
    error = assert_raises(Verifull::InputError) { Verifull::Mysql2.connect(bad, @trust) }
    refute_includes error.message, Servers.password
    error = assert_raises(Verifull::InputError) { Verifull::Mysql2.connect("mysql://u:#{Servers.password}@[::1", @trust) }
    refute_includes error.message, Servers.password
  end
end
