# frozen_string_literal: true

require_relative "helper"
require "pg"

# Verifull::PG against the real PostgreSQL (TLS, certificate for localhost only) and
# hostile fakes; every hostile test asserts the refusal and that no credential (the user
# name of the startup packet, the password) reached the fake.
class TestPG < Minitest::Test
  def setup
    @trust = Servers.trust
  end

  def refute_credentials(fake)
    refute_includes fake.received, Servers.user.b, "the startup packet reached the fake"
    refute_includes fake.received, Servers.password.b, "the password reached the fake"
  end

  def test_connects_verified_and_queries
    conn = Verifull::PG.connect(Servers.pg_url, @trust)
    assert_equal Servers.user, conn.exec("SELECT current_user").getvalue(0, 0)
    assert_equal "t", conn.exec("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").getvalue(0, 0)
    assert_equal "verify-full", conn.conninfo_hash[:sslmode]
  ensure
    conn&.close
  end

  def test_pg_options_are_passed_to_libpq
    conn = Verifull::PG.connect(Servers.pg_url, @trust, application_name: "verifull ruby")
    assert_equal "verifull ruby", conn.exec("SHOW application_name").getvalue(0, 0)
  ensure
    conn&.close
  end

  def test_a_conninfo_string_works_too
    info = "host=localhost port=#{Servers.port('PG')} user=#{Servers.user} password=#{Servers.password} dbname=#{Servers.db}"
    conn = Verifull::PG.connect(info, @trust)
    assert_equal "1", conn.exec("SELECT 1").getvalue(0, 0)
  ensure
    conn&.close
  end

  def test_the_hardened_string_pins_the_destination
    info = Verifull::PG.conninfo(Servers.pg_url, @trust)
    params = PG::Connection.conninfo_parse(info).to_h { |o| [o[:keyword], o[:val]] }
    assert_equal "verify-full", params["sslmode"]
    assert_equal @trust.anchors_file, params["sslrootcert"]
    # An explicitly empty hostaddr: libpq reads no PGHOSTADDR for it and resolves the host
    # on each connect (a kept string follows a moved name; docs/design.md, section 11).
    assert_equal "", params["hostaddr"]
    assert_equal Servers.port("PG").to_s, params["port"]
  end

  def test_a_name_the_certificate_does_not_carry_is_refused_by_libpq
    error = assert_raises(PG::ConnectionBad) { Verifull::PG.connect(Servers.pg_url(host: "127.0.0.1"), @trust) }
    assert_match(/does not match host name/, error.message)
  end

  def test_settings_that_would_weaken_it_are_refused_by_name
    error = assert_raises(Verifull::InputError) { Verifull::PG.connect(Servers.pg_url, @trust, sslmode: "require") }
    assert_includes error.message, "sslmode"
    error = assert_raises(Verifull::InputError) { Verifull::PG.connect("#{Servers.pg_url}?sslmode=disable", @trust) }
    assert_includes error.message, "sslmode"
    refute_includes error.message, Servers.password
  end

  # ruby-pg cannot adopt a connection verifull checked in-band, so what libpq cannot keep
  # by itself must be refused by the library, by name, never dropped (issue 20's core).
  def test_pins_engine_and_profile_are_refused_not_dropped
    pin = @trust.anchors.first[:spki_sha256]
    [[{ pins: [pin] }, "pin"], [{ engine: "both" }, "engine"], [{ profile: "strict" }, "profile"]].each do |setting, word|
      error = assert_raises(Verifull::InputError, setting.inspect) { Verifull::PG.connect(Servers.pg_url, @trust, **setting) }
      assert_match(/#{word}/i, error.message)
    end
  end

  def test_unknown_policy_keyword_is_an_argument_error_for_check
    assert_raises(ArgumentError) { Verifull.check(Servers.pg_url, @trust, pinz: []) }
  end

  def pg_fake(answer, cert = nil)
    lambda do |fake, conn, _n|
      return unless fake.recv_exact(conn, 8) == Wire::PG_SSL_REQUEST

      conn.write(answer)
      io = cert ? Wire.server_tls(conn, "#{cert}.pem", "#{cert}.key") : conn
      fake.drain(io)
    end
  end

  def test_a_server_without_tls_gets_no_startup_packet
    Fake.open(pg_fake("N")) do |fake|
      error = assert_raises(PG::ConnectionBad) { Verifull::PG.connect(Servers.pg_url(port: fake.port), @trust) }
      assert_match(/SSL/i, error.message)
      refute_credentials(fake)
    end
  end

  def test_an_impostor_from_another_ca_gets_no_startup_packet
    Fake.open(pg_fake("S", "impostor")) do |fake|
      assert_raises(PG::ConnectionBad) { Verifull::PG.connect(Servers.pg_url(port: fake.port), @trust) }
      assert_equal 1, fake.connections
      refute_credentials(fake)
    end
  end

  def test_a_certificate_for_another_name_gets_no_startup_packet
    Fake.open(pg_fake("S", "wrong-name")) do |fake|
      error = assert_raises(PG::ConnectionBad) { Verifull::PG.connect(Servers.pg_url(port: fake.port), @trust) }
      assert_match(/does not match host name/, error.message)
      refute_credentials(fake)
    end
  end

  def test_a_silent_server_ends_by_the_deadline
    Fake.open(->(fake, conn, _n) { fake.drain(conn, 10) }) do |fake|
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      assert_raises(PG::ConnectionBad) { Verifull::PG.connect(Servers.pg_url(port: fake.port), @trust, timeout: 2) }
      assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 2 + 3
      refute_credentials(fake)
    end
  end

  # Why the helper: the pg gem given sslmode=require (the common setting) sends the startup
  # packet, with the user name, to an impostor.
  def test_control_plain_pg_with_sslmode_require_sends_the_login_to_an_impostor
    Fake.open(pg_fake("S", "impostor")) do |fake|
      assert_raises(PG::ConnectionBad) do
        PG::Connection.new(host: "127.0.0.1", port: fake.port, user: Servers.user, password: Servers.password,
                           dbname: Servers.db, sslmode: "require", connect_timeout: 3)
      end
      assert_includes fake.received, Servers.user.b
    end
  end
end
