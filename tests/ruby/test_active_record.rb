# frozen_string_literal: true

require_relative "helper"
require "active_record"
require "erb"
require "yaml"

# Verifull::ActiveRecord.config with Debian's ActiveRecord 6.1: a model query on each
# database, every pooled connection verified, database.yml through ERB, and refusals.
class TestActiveRecord < Minitest::Test
  class PgRecord < ActiveRecord::Base
    self.abstract_class = true
  end

  class MyRecord < ActiveRecord::Base
    self.abstract_class = true
  end

  class PgWidget < PgRecord
    self.table_name = "verifull_ruby_widgets"
  end

  class MyWidget < MyRecord
    self.table_name = "verifull_ruby_widgets"
  end

  def setup
    Verifull::Mysql2.clear_cache
    @trust = Servers.trust
  end

  def teardown
    [PgRecord, MyRecord].each { |base| base.remove_connection if base.connected? }
  end

  def create_widgets(model)
    model.connection.execute("DROP TABLE IF EXISTS verifull_ruby_widgets")
    model.connection.execute("CREATE TABLE verifull_ruby_widgets (id INTEGER PRIMARY KEY, name VARCHAR(40))")
    model.reset_column_information
    model.create!(id: 1, name: "sprocket")
    model.create!(id: 2, name: "gear")
  end

  # Holds `count` pooled connections at once (so each is a connection of its own, opened
  # by the pool) and returns what the block says on each.
  def on_every_pooled_connection(base, count)
    base.connection_pool.release_connection # the test thread's own, back to the pool
    held = Queue.new
    go = Queue.new
    threads = Array.new(count) do
      Thread.new do
        base.connection_pool.with_connection do |c|
          held << c.object_id
          go.pop
          yield c
        end
      end
    end
    ids = Array.new(count) { held.pop }
    count.times { go << true }
    assert_equal count, ids.uniq.size
    threads.map(&:value)
  end

  def test_postgresql_model_query_on_verified_connections
    config = Verifull::ActiveRecord.config(Servers.pg_url, @trust).merge("pool" => 3)
    assert_equal "postgresql", config["adapter"]
    assert_equal "verify-full", config["sslmode"]
    PgRecord.establish_connection(config)
    create_widgets(PgWidget)
    assert_equal %w[gear sprocket], PgWidget.order(:name).pluck(:name)
    ssl = on_every_pooled_connection(PgRecord, 3) do |c|
      c.select_value("SELECT ssl::text || ' ' || current_setting('ssl') FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    end
    assert_equal ["true on"] * 3, ssl
  end

  def test_mysql2_model_query_on_verified_pinned_connections
    config = Verifull::ActiveRecord.config(Servers.mysql_url, @trust).merge("pool" => 3)
    assert_equal "mysql2", config["adapter"]
    assert_equal Verifull::Mysql2::MISSING_SOCKET, config["socket"]
    refute config.key?("host")
    MyRecord.establish_connection(config)
    create_widgets(MyWidget)
    assert_equal %w[gear sprocket], MyWidget.order(:name).pluck(:name)
    ciphers = on_every_pooled_connection(MyRecord, 3) do |c|
      c.select_rows("SHOW SESSION STATUS LIKE 'Ssl_cipher'").first.last
    end
    assert ciphers.all? { |cipher| !cipher.empty? }, ciphers.inspect
  end

  def test_database_yml_through_erb
    ENV["VERIFULL_RUBY_TEST_PG_URL"] = Servers.pg_url
    ENV["VERIFULL_RUBY_TEST_MYSQL_URL"] = Servers.mysql_url
    ENV["VERIFULL_RUBY_TEST_CA"] = File.read(Servers.file("ca.pem"))
    yml = <<~YAML
      <% trust = Verifull::Trust.from_env("VERIFULL_RUBY_TEST_CA") %>
      primary: <%= Verifull::ActiveRecord.config(ENV["VERIFULL_RUBY_TEST_PG_URL"], trust).to_json %>
      reports: <%= Verifull::ActiveRecord.config(ENV["VERIFULL_RUBY_TEST_MYSQL_URL"], trust).to_json %>
    YAML
    configs = YAML.safe_load(ERB.new(yml).result)
    PgRecord.establish_connection(configs["primary"])
    MyRecord.establish_connection(configs["reports"])
    assert_equal 1, PgRecord.connection.select_value("SELECT 1")
    assert_equal 1, MyRecord.connection.select_value("SELECT 1")
  ensure
    %w[PG_URL MYSQL_URL CA].each { |k| ENV.delete("VERIFULL_RUBY_TEST_#{k}") }
  end

  def test_a_postgresql_name_mismatch_never_connects
    PgRecord.establish_connection(Verifull::ActiveRecord.config(Servers.pg_url(host: "127.0.0.1"), @trust))
    error = assert_raises(ActiveRecord::ConnectionNotEstablished) { PgRecord.connection }
    assert_match(/does not match host name/, error.message)
  end

  def test_a_mysql_impostor_is_refused_when_the_config_is_made
    handler = ->(fake, conn, _n) { Wire.mysql_tls_then_drain(fake, conn, "impostor.pem", "impostor.key") }
    Fake.open(handler) do |fake|
      error = assert_raises(Verifull::VerificationError) do
        Verifull::ActiveRecord.config(Servers.mysql_url(port: fake.port), @trust, timeout: 5)
      end
      assert_equal "untrusted_issuer", error.outcome
      refute_includes fake.received, Servers.user.b
      refute_includes fake.received, Servers.password.b
    end
  end

  def test_a_pooled_mysql_connection_to_a_swapped_certificate_is_refused_without_a_login
    # The config approved the real certificate; a later pooled connection meets another
    # key (same CA and names): Connector/C refuses it by fingerprint before the login.
    port = Servers.port("MYSQL_IP")
    handler = lambda do |fake, conn, n|
      next Wire.relay(fake, conn, port) if n <= 2 # the probe, then the first pooled connection

      Wire.mysql_tls_then_drain(fake, conn, "server-ip2.pem", "server-ip2.key")
    end
    Fake.open(handler) do |fake|
      MyRecord.establish_connection(Verifull::ActiveRecord.config(Servers.mysql_url(port: fake.port), @trust)
                                                            .merge("pool" => 2))
      assert_equal 1, MyRecord.connection.select_value("SELECT 1")
      login_bytes = fake.received.bytesize
      error = assert_raises(ActiveRecord::ConnectionNotEstablished) do
        Thread.new do
          Thread.current.report_on_exception = false # raised again by #value, below
          MyRecord.connection_pool.with_connection { |c| c.select_value("SELECT 1") }
        end.value
      end
      assert_match(/fingerprint|ssl|tls/i, error.message)
      later = fake.received.byteslice(login_bytes..)
      refute_includes later, Servers.user.b
      refute_includes later, Servers.password.b
    end
  end

  def test_policy_keywords_reach_the_core
    assert_raises(ArgumentError) { Verifull::ActiveRecord.config(Servers.pg_url, @trust, pinz: []) }
    wrong = "sha256/#{['00' * 32].pack('H*').then { |b| [b].pack('m0') }}"
    error = assert_raises(Verifull::VerificationError) do
      Verifull::ActiveRecord.config(Servers.mysql_url, @trust, pins: [wrong])
    end
    assert_equal "pin_mismatch", error.outcome
  end
end
