# frozen_string_literal: true

require_relative "helper"
require "open3"
require "rbconfig"

# The core API: the ABI mirror, trust loading, Verifull.check and its Report, errors.
class TestCore < Minitest::Test
  HEADER = File.expand_path("../../include/verifull.h", __dir__)

  def setup
    @trust = Servers.trust
  end

  def header_constants
    File.read(HEADER).scan(/^#define VF_(\w+) \(?(-?\d+)\)?/).to_h { |name, value| [name, Integer(value)] }
  end

  def test_constants_match_the_header
    defined = header_constants
    native = Verifull::Native
    %w[OK ERROR_INPUT ERROR_NULL_POINTER ERROR_INVALID_HANDLE ERROR_BUFFER_TOO_SMALL ERROR_NETWORK
       ERROR_BAD_VERSION ERROR_OUT_OF_RANGE ERROR_INTERNAL POLICY_OPTIONS_VERSION].each do |name|
      assert_equal defined.fetch(name), native.const_get(name), name
    end
    %w[openssl botan both].each { |e| assert_equal defined.fetch("ENGINE_#{e.upcase}"), native::ENGINES[e] }
    assert_equal defined.fetch("ENGINE_DEFAULT"), native::ENGINES[nil]
    %w[standard strict].each { |p| assert_equal defined.fetch("PROFILE_#{p.upcase}"), native::PROFILES[p] }
    native::CERT_FIELDS.each { |field, code| assert_equal defined.fetch("CERT_#{field.upcase}"), code }
  end

  def test_errors_and_outcome_classes_come_from_the_library
    native = Verifull::Native
    assert_equal "bad input", native.vf_error_description(native::ERROR_INPUT)
    assert_equal "unknown error code", native.vf_error_description(12_345)
    codes = %w[OK ERROR_INPUT ERROR_NULL_POINTER ERROR_INVALID_HANDLE ERROR_BUFFER_TOO_SMALL ERROR_NETWORK
               ERROR_BAD_VERSION ERROR_OUT_OF_RANGE ERROR_INTERNAL].map { |name| native.const_get(name) }
    descriptions = codes.map { |code| native.vf_error_description(code) }
    assert_equal descriptions.size, descriptions.uniq.size
    refute_includes descriptions, "unknown error code"
    # The unreachable outcomes are the ones the CLI exits 3 for, as the library says.
    assert_equal %w[connection_refused handshake_failed name_not_resolved network_error timeout],
                 Verifull::NETWORK_OUTCOMES.sort
    # A failed call carries the library's message, and no outcome outside ERROR_NETWORK.
    error = assert_raises(native::CallError) { native.call(:vf_trust_anchor_count, nil, FFI::MemoryPointer.new(:size_t)) }
    assert_equal native::ERROR_INVALID_HANDLE, error.code
    assert_equal "not a valid trust handle", error.message
    assert_nil error.outcome
  end

  def test_policy_struct_fields_follow_the_header_order
    body = File.read(HEADER)[/typedef struct vf_policy_options \{(.*?)\} vf_policy_options;/m, 1]
    fields = body.scan(/^\s+[\w\s*]+?\**\s*(\w+);/).flatten
    assert_equal fields.map(&:to_sym), Verifull::Native::PolicyOptions.members
  end

  def test_the_library_comes_from_verifull_library
    assert_equal ENV.fetch("VERIFULL_LIBRARY"), Verifull::Native::LIBRARY_PATH
    assert_match(/\A\d+\.\d+\.\d+/, Verifull::VERSION)
  end

  def test_without_verifull_library_the_checkout_build_folder_is_found
    lib = File.expand_path("../../bindings/ruby/lib", __dir__)
    env = { "VERIFULL_LIBRARY" => nil, "LD_LIBRARY_PATH" => nil }
    out, status = Open3.capture2e(env, RbConfig.ruby, "-I", lib, "-e",
                                  'require "verifull"; puts Verifull::Native::LIBRARY_PATH')
    assert status.success?, out
    assert_match(%r{(/build[^/]*/src/libverifull\.so|libverifull\.so\.1)\n\z}, out)
  end

  def test_trust_from_file_pem_and_env
    assert_equal 1, @trust.anchors.size
    pem = File.read(Servers.file("ca.pem"))
    assert_equal @trust.anchors, Verifull::Trust.from_pem(pem).anchors
    ENV["VERIFULL_RUBY_TEST_CA"] = pem
    assert_equal @trust.anchors, Verifull::Trust.from_env("VERIFULL_RUBY_TEST_CA").anchors
    assert File.file?(@trust.anchors_file)
  ensure
    ENV.delete("VERIFULL_RUBY_TEST_CA")
  end

  def test_bad_trust_input_is_an_input_error
    assert_raises(Verifull::InputError) { Verifull::Trust.from_file(Servers.file("does-not-exist.pem")) }
    error = assert_raises(Verifull::InputError) { Verifull::Trust.from_pem(File.read(Servers.file("server.key"))) }
    assert_match(/private key/i, error.message)
    assert_raises(Verifull::InputError) { Verifull::Trust.from_env("VERIFULL_RUBY_TEST_UNSET") }
    assert_raises(Verifull::InputError) { Verifull::Trust.from_pem(42) }
    assert_raises(Verifull::InputError) { Verifull::Trust.from_file("a\0b") }
    assert_raises(Verifull::InputError) { Verifull.check(Servers.pg_url, "not a trust") }
  end

  def test_check_reports_ok_with_the_chain
    report = Verifull.check(Servers.pg_url, @trust)
    assert report.ok?, report.message
    assert_equal "ok", report.outcome
    assert_match(/localhost/, Array(report.chain.first.sans).join(","))
    assert_equal 64 + 31, report.chain.first.sha256.size
    assert_same report, report.raise_unless_ok!
    assert Verifull.check(Servers.mysql_url, @trust, engine: :both, profile: "strict").ok?
  end

  def test_check_reports_refusals_by_outcome
    report = Verifull.check(Servers.pg_url(host: "127.0.0.1"), @trust)
    refute report.ok?
    assert_equal "name_mismatch", report.outcome
    error = assert_raises(Verifull::VerificationError) { report.raise_unless_ok! }
    assert_equal "name_mismatch", error.outcome
    refute_kind_of Verifull::NetworkError, error

    wrong = "sha256/#{['00' * 32].pack('H*').then { |b| [b].pack('m0') }}"
    assert_equal "pin_mismatch", Verifull.check(Servers.pg_url, @trust, pins: [wrong]).outcome
    assert Verifull.check(Servers.pg_url, @trust, pins: [@trust.anchors.first[:spki_sha256]]).ok?
  end

  def test_an_unreachable_endpoint_is_a_network_error
    closed = TCPServer.new("127.0.0.1", 0).then { |s| s.addr[1].tap { s.close } }
    report = Verifull.check("postgres://127.0.0.1:#{closed}", @trust)
    assert_equal "connection_refused", report.outcome
    assert_raises(Verifull::NetworkError) { report.raise_unless_ok! }
  end

  def test_policy_keywords
    assert_raises(ArgumentError) { Verifull.check(Servers.pg_url, @trust, pin: []) }
    { engine: "gnutls", profile: "lax", allow_cn_fallback: "yes", timeout: 0, pins: 7 }.each do |key, value|
      error = assert_raises(Verifull::InputError, key.to_s) { Verifull.check(Servers.pg_url, @trust, key => value) }
      assert_includes error.message, key.to_s
    end
    assert_raises(Verifull::InputError) { Verifull.check(Servers.pg_url, @trust, pins: ["sha256/short"]) }
  end

  def test_no_password_in_any_message
    secret = "Sup3r-secret-pw"
    ["postgres://u:#{secret}@[::1", "mysql://u:#{secret}@127.0.0.1:notaport/db",
     "ftp://u:#{secret}@h/x", "u:#{secret}@h"].each do |url|
      error = assert_raises(Verifull::InputError, url) { Verifull.check(url, @trust) }
      refute_includes error.message, secret
    end
  end

  def test_verify_pem_offline
    leaf = File.read(Servers.file("server.pem"))
    assert Verifull.verify_pem(leaf, @trust, host: "localhost").ok?
    assert_equal "name_mismatch", Verifull.verify_pem(leaf, @trust, host: "127.0.0.1").outcome
    assert_equal "untrusted_issuer", Verifull.verify_pem(File.read(Servers.file("impostor.pem")), @trust, host: "localhost").outcome
    assert_raises(Verifull::InputError) { Verifull.verify_pem("not a certificate", @trust, host: "localhost") }
    assert_raises(ArgumentError) { Verifull.verify_pem(leaf, @trust) }
  end

  def test_parse_url_and_scheme_aliases
    parts = Verifull.parse_url("mysql2://app:pw@db.example.com:3307/shop?charset=utf8mb4")
    assert_equal ["mysql", "db.example.com", 3307, "app", "shop"], parts.values_at("protocol", "host", "port", "user", "database")
    assert_equal "postgresql://h/x", Verifull.plain_url("postgresql+pg://h/x")
    assert_raises(Verifull::InputError) { Verifull.plain_url("postgres://h/x", "mysql") }
  end
end
