# frozen_string_literal: true

# verifull: database connections that open only after the server proved who it is.
#
#   trust  = Verifull::Trust.from_file("provider-ca.pem")
#   report = Verifull.check("postgres://db.example.com:5432", trust)  # never sends a credential
#   pg     = Verifull::PG.connect(url, trust)                          # a PG::Connection
#   my     = Verifull::Mysql2.connect(url, trust)                      # a Mysql2::Client, pinned
#   ActiveRecord::Base.establish_connection(Verifull::ActiveRecord.config(url, trust))
#
# Refusals raise Verifull::VerificationError (with #outcome and #report), bad input
# Verifull::InputError, unreachable endpoints Verifull::NetworkError. The gem is a thin
# layer over the C ABI of libverifull: every rule lives in the library, which refuses by
# name what it cannot enforce; the gem adds none of its own.
require_relative "verifull/native"

module Verifull
  # Base class of verifull's exceptions.
  class Error < StandardError; end

  # Bad input: a malformed CA file, a private key passed as a CA, a bad URL or pin, a
  # setting verifull cannot enforce on this route.
  class InputError < Error; end

  # The endpoint or its certificate failed a check. #outcome is the stable code
  # ("name_mismatch", "untrusted_issuer", "tls_unavailable", ...); #report has the facts.
  class VerificationError < Error
    attr_reader :report

    def initialize(report)
      @report = report
      super("#{report.endpoint}: #{report.outcome}: #{report.message}")
    end

    def outcome
      report.outcome
    end
  end

  # The endpoint could not be reached (timeout, refused, unresolved, handshake).
  class NetworkError < VerificationError; end

  VERSION = Native.vf_version_string.dup.freeze

  # Outcomes that mean "could not reach it" rather than "it failed a check" (CLI exit 3),
  # as the library classifies them.
  NETWORK_OUTCOMES = Native.unreachable_outcomes.freeze

  # The policy keywords every entry point takes, as in the Python package.
  POLICY_KEYWORDS = %i[pins engine profile allow_cn_fallback timeout].freeze

  Certificate = Struct.new(:subject, :issuer, :sans, :not_before, :not_after, :sha256, :spki_sha256,
                           keyword_init: true)

  # What a check found: #ok?, #outcome, #message, #chain (Certificates, leaf first).
  class Report
    attr_reader :endpoint, :outcome, :message, :tls_version, :cipher, :anchor, :chain, :engines, :warnings

    def initialize(data)
      @ok = data.fetch("ok")
      @endpoint = data.fetch("endpoint")
      @outcome = data.fetch("outcome")
      @message = data.fetch("message")
      @tls_version = data["tls_version"]
      @cipher = data["cipher"]
      @anchor = data["anchor"]
      @engines = data["engines"] || []
      @warnings = data["warnings"] || []
      @chain = (data["chain"] || []).map do |c|
        Certificate.new(**Certificate.members.to_h { |m| [m, c[m.to_s]] })
      end.freeze
      freeze
    end

    def ok?
      @ok == true
    end

    # self when ok; raises VerificationError (NetworkError for unreachable) otherwise.
    def raise_unless_ok!
      return self if ok?

      raise (NETWORK_OUTCOMES.include?(outcome) ? NetworkError : VerificationError), self
    end

    def to_s
      "#{endpoint}: #{outcome}: #{message}"
    end
  end

  # Trust anchors: the CA certificates a server must chain to. Loading is strict.
  class Trust
    attr_reader :handle # :nodoc: the vf_trust_t, for this gem's own calls

    def self.load(function, *args)
      out = FFI::MemoryPointer.new(:pointer)
      Verifull.native(function, out, *args)
      new(out.read_pointer)
    end
    private_class_method :load

    def self.from_file(path)
      load(:vf_trust_from_file, Verifull.text(path, "path"))
    end

    def self.from_pem(pem)
      raise InputError, "pem must be a String, not #{pem.class}" unless pem.is_a?(String)

      data = FFI::MemoryPointer.from_string(pem)
      load(:vf_trust_from_pem, data, pem.bytesize)
    end

    def self.from_env(variable)
      load(:vf_trust_from_env, Verifull.text(variable, "variable"))
    end

    def initialize(handle)
      @handle = FFI::AutoPointer.new(handle, Native.method(:vf_trust_destroy))
    end

    # [{subject:, not_before:, not_after:, sha256:, spki_sha256:}] for each anchor.
    def anchors
      count = FFI::MemoryPointer.new(:size_t)
      Verifull.native(:vf_trust_anchor_count, handle, count)
      fields = Native::CERT_FIELDS.slice(:subject, :not_before, :not_after, :sha256, :spki_sha256)
      Array.new(count.read(:size_t)) do |i|
        fields.transform_values { |code| Native.string_out(:vf_trust_anchor_field, handle, i, code) }
      end
    end

    # A path to the anchors as one PEM file: content-addressed in a private folder and
    # kept, so it stays valid after this Trust is gone and in child processes.
    def anchors_file
      Verifull.native_string(:vf_trust_anchors_file, handle)
    end
  end

  SCHEMES = { "postgres" => "postgres", "postgresql" => "postgres", "mysql" => "mysql", "mariadb" => "mysql",
              "mysql2" => "mysql" }.freeze

  class << self
    # Probes a postgres:// or mysql:// endpoint and verifies what it presents. Never sends
    # a credential. Returns the Report whatever the verdict; InputError for bad input.
    def check(url, trust, pins: [], engine: nil, profile: nil, allow_cn_fallback: false, timeout: 10)
      options, keep = policy(pins: pins, engine: engine, profile: profile, allow_cn_fallback: allow_cn_fallback,
                             timeout: timeout)
      out = FFI::MemoryPointer.new(:pointer)
      native(:vf_check, out, plain_url(url), trust_handle(trust), options)
      keep.size # the pin memory stays alive until here
      Report.new(Native.report_json(out.read_pointer))
    end

    # Verifies a chain offline (PEM, leaf first) for `host`, as a connection would.
    def verify_pem(chain_pem, trust, host:, untrusted_pem: "", pins: [], engine: nil, profile: nil,
                   allow_cn_fallback: false)
      options, keep = policy(pins: pins, engine: engine, profile: profile, allow_cn_fallback: allow_cn_fallback)
      host_text = FFI::MemoryPointer.from_string(text(host, "host"))
      options[:host] = host_text
      chain = text(chain_pem, "chain_pem")
      extra = text(untrusted_pem, "untrusted_pem")
      out = FFI::MemoryPointer.new(:pointer)
      native(:vf_verify_pem, out, FFI::MemoryPointer.from_string(chain), chain.bytesize,
             extra.empty? ? nil : FFI::MemoryPointer.from_string(extra), extra.bytesize, trust_handle(trust), options)
      keep.size # the pin memory stays alive until here
      Report.new(Native.report_json(out.read_pointer))
    end

    # The parts of a URL (protocol, host, port, user, password, database, params) as the
    # library parses them. Never repeats the password in an error.
    def parse_url(url)
      JSON.parse(native_string(:vf_parse_url, plain_url(url)))
    end

    # The URL with a plain scheme (postgresql+x://, mysql2:// -> postgres://, mysql://),
    # checked to be of `kind` ("postgres" or "mysql") when given.
    def plain_url(url, kind = nil)
      raw = text(url, "url")
      scheme, sep, rest = raw.partition("://")
      base = scheme.split("+", 2).first.to_s.downcase
      if sep.empty? || !SCHEMES.key?(base)
        # Name the scheme only when it looks like one: the text may hold a password.
        shown = !sep.empty? && scheme.match?(/\A[A-Za-z0-9+.-]{1,32}\z/) ? "#{scheme}://" : "this URL's scheme"
        raise InputError, "#{shown} is not a database URL verifull knows " \
                          "(postgres://, postgresql://, mysql://, mariadb://, optionally with +driver)"
      end
      raise InputError, "#{scheme}:// is not a #{kind} URL" if kind && SCHEMES[base] != kind

      "#{SCHEMES[base] == 'postgres' ? base : 'mysql'}://#{rest}"
    end

    # Splits keyword options into (policy, the rest) for the driver helpers.
    def split_policy(options)
      policy = options.slice(*POLICY_KEYWORDS)
      [policy, options.reject { |key, _| POLICY_KEYWORDS.include?(key) }]
    end

    # ---- the gem's plumbing over Native (not a public API) ----

    def policy(**keywords) # :nodoc:
      Native.policy(**keywords)
    rescue ArgumentError => e
      raise InputError, e.message
    end

    def text(value, name) # :nodoc:
      Native.text(value, name)
    rescue ArgumentError => e
      raise InputError, e.message
    end

    def trust_handle(trust) # :nodoc:
      return trust.handle if trust.is_a?(Trust)

      raise InputError, "trust must be a Verifull::Trust (from_file, from_pem or from_env), not #{trust.class}"
    end

    def native(function, *args) # :nodoc:
      Native.call(function, *args)
    rescue Native::CallError => e
      raise translate(e)
    end

    def native_string(function, *args) # :nodoc:
      Native.string_out(function, *args)
    rescue Native::CallError => e
      raise translate(e)
    end

    def translate(error) # :nodoc:
      case error.code
      when Native::ERROR_INPUT then InputError.new(error.message)
      when Native::ERROR_NETWORK
        outcome = error.outcome || "network_error" # the library names it (vf_last_error_outcome)
        NetworkError.new(Report.new("endpoint" => "", "ok" => false, "outcome" => outcome,
                                    "message" => error.message))
      else Error.new(error.message)
      end
    end
  end

  autoload :PG, File.expand_path("verifull/pg", __dir__)
  autoload :Mysql2, File.expand_path("verifull/mysql2", __dir__)
  autoload :ActiveRecord, File.expand_path("verifull/active_record", __dir__)
end
