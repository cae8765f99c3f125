# frozen_string_literal: true

require "ffi"
require "json"

module Verifull
  # The C ABI (include/verifull.h) through ruby-ffi: loading, signatures, the size-needed
  # string protocol and the policy struct. Only this file touches FFI; the constants are
  # checked against the header by tests/ruby/test_core.rb, so they cannot drift silently.
  module Native
    extend FFI::Library

    ABI_VERSION = 1

    OK = 0
    ERROR_INPUT = -1
    ERROR_NULL_POINTER = -2
    ERROR_INVALID_HANDLE = -3
    ERROR_BUFFER_TOO_SMALL = -4
    ERROR_NETWORK = -5
    ERROR_BAD_VERSION = -6
    ERROR_OUT_OF_RANGE = -7
    ERROR_INTERNAL = -99

    ENGINES = { nil => 0, "openssl" => 1, "botan" => 2, "both" => 3 }.freeze
    PROFILES = { nil => 0, "standard" => 0, "strict" => 1 }.freeze
    POLICY_OPTIONS_VERSION = 4

    CERT_FIELDS = { subject: 0, issuer: 1, sans: 2, not_before: 3, not_after: 4, sha256: 5, spki_sha256: 6 }.freeze

    # Where libverifull may be, in the order the Python package looks (bindings/python/
    # verifull/_native.py): $VERIFULL_LIBRARY, the installed SONAME, a build folder of
    # this checkout.
    def self.candidates
      found = []
      found << ENV["VERIFULL_LIBRARY"] if ENV["VERIFULL_LIBRARY"] && !ENV["VERIFULL_LIBRARY"].empty?
      found << "libverifull.so.#{ABI_VERSION}"
      repo = File.expand_path("../../../..", __dir__)
      found.concat(Dir.glob(File.join(repo, "build*", "src", "libverifull.so")).sort)
      found
    end

    def self.load_library
      errors = []
      candidates.each do |path|
        begin
          ffi_lib path
        rescue LoadError => e
          errors << "#{path}: #{e.message.lines.first&.strip}"
          next
        end
        attach_function :vf_abi_version, [], :int
        version = vf_abi_version
        if version != ABI_VERSION
          raise LoadError, "#{path} has C ABI version #{version}; this gem needs #{ABI_VERSION}"
        end
        return path
      end
      raise LoadError, "libverifull not found; install it or set VERIFULL_LIBRARY. Tried: #{errors.join('; ')}"
    end

    LIBRARY_PATH = load_library

    # vf_policy_options, version 4 (the revocation fields are not exposed by this gem yet:
    # FFI zero-fills them, so no CRL is asked for).
    class PolicyOptions < FFI::Struct
      layout :version, :uint,
             :host, :pointer,
             :pins, :pointer,
             :pin_count, :size_t,
             :engine, :int,
             :has_verification_time, :int,
             :verification_time, :int64,
             :max_intermediates, :int,
             :timeout_ms, :uint,
             :refuse_admin_credentials, :int,
             :profile, :int,
             :allow_cn_fallback, :int,
             :crls, :pointer,
             :crl_count, :size_t,
             :crl_pem, :pointer,
             :crl_pem_len, :size_t,
             :require_crl, :int,
             # version 4: client certificates and clear-text passwords (not offered by the gem yet: NULL/0)
             :client_cert, :pointer,
             :client_key, :pointer,
             :client_key_passphrase, :pointer,
             :allow_cleartext_password, :int
    end

    attach_function :vf_version_string, [], :string
    attach_function :vf_last_error_message, [], :string
    attach_function :vf_outcome_name, [:int], :string
    attach_function :vf_outcome_exit_code, [:int], :int
    attach_function :vf_error_description, [:int], :string
    attach_function :vf_last_error_outcome, [], :int
    attach_function :vf_trust_from_file, %i[pointer string], :int
    attach_function :vf_trust_from_pem, %i[pointer pointer size_t], :int
    attach_function :vf_trust_from_env, %i[pointer string], :int
    attach_function :vf_trust_destroy, [:pointer], :int
    attach_function :vf_trust_anchor_count, %i[pointer pointer], :int
    attach_function :vf_trust_anchor_field, %i[pointer size_t int pointer pointer], :int
    attach_function :vf_trust_anchors_file, %i[pointer pointer pointer], :int
    attach_function :vf_verify_pem, %i[pointer pointer size_t pointer size_t pointer pointer], :int
    # Calls that touch the network or the resolver release Ruby's global VM lock, so other
    # threads (a web server's, a connection pool's) run while they wait.
    attach_function :vf_check, %i[pointer string pointer pointer], :int, blocking: true
    attach_function :vf_report_destroy, [:pointer], :int
    attach_function :vf_report_json, %i[pointer pointer pointer], :int
    attach_function :vf_pg_conninfo, %i[string pointer pointer pointer pointer], :int, blocking: true
    attach_function :vf_mysql_approve, %i[pointer string pointer pointer pointer pointer], :int, blocking: true
    attach_function :vf_mysql_option_file, %i[string pointer string pointer pointer], :int
    attach_function :vf_mysql_option_file_missing_socket, [], :string
    attach_function :vf_mysql_cache_clear, [], :int
    attach_function :vf_parse_url, %i[string pointer pointer], :int
    attach_function :vf_mysql_url_parameters, %i[string pointer pointer], :int

    # A failed call: #code is the VF_ERROR_* value; #outcome, after ERROR_NETWORK, the
    # outcome name the library gave it (vf_last_error_outcome: "timeout", ...), else nil.
    class CallError < StandardError
      attr_reader :code, :outcome

      def initialize(code, message, outcome = nil)
        super(message)
        @code = code
        @outcome = outcome
      end
    end

    # The failure `rc` of the call just made on this thread, in the library's words (its
    # last error, else the fixed description of the code).
    def self.last_error(rc)
      message = (vf_last_error_message || "").dup.force_encoding(Encoding::UTF_8).scrub
      message = vf_error_description(rc).dup if message.empty?
      outcome = vf_last_error_outcome
      CallError.new(rc, message, outcome >= 0 ? vf_outcome_name(outcome).dup : nil)
    end

    # The CLI's exit code for an outcome that means "could not reach it" (vf_outcome_exit_code).
    EXIT_UNREACHABLE = 3

    # The names of the outcomes that mean the endpoint could not be reached, as the library
    # classifies them (vf_outcome_exit_code), instead of a list kept here.
    def self.unreachable_outcomes
      names = []
      value = 0
      while (code = vf_outcome_exit_code(value)) >= 0
        names << vf_outcome_name(value).dup.freeze if code == EXIT_UNREACHABLE
        value += 1
      end
      names
    end

    def self.call(function, *args)
      rc = send(function, *args)
      raise last_error(rc) unless rc == OK

      rc
    end

    # Calls function(*args, buf, &len) with the ABI's size-needed protocol.
    def self.string_out(function, *args)
      size = FFI::MemoryPointer.new(:size_t)
      size.write(:size_t, 256)
      loop do
        buf = FFI::MemoryPointer.new(:char, size.read(:size_t))
        rc = send(function, *args, buf, size)
        next if rc == ERROR_BUFFER_TOO_SMALL
        raise last_error(rc) unless rc == OK

        return buf.read_string.force_encoding(Encoding::UTF_8).scrub
      end
    end

    # A report handle as a Hash (its JSON), destroying the handle.
    def self.report_json(handle)
      JSON.parse(string_out(:vf_report_json, handle))
    ensure
      vf_report_destroy(handle)
    end

    # `value` as the ABI's NUL-terminated UTF-8 String; ArgumentError otherwise.
    def self.text(value, name)
      value = value.to_path if value.respond_to?(:to_path)
      value = value.to_s if value.is_a?(Symbol)
      raise ArgumentError, "#{name} must be a String, not #{value.class}" unless value.is_a?(String)
      raise ArgumentError, "#{name} contains a NUL character" if value.include?("\0")

      value
    end

    # A PolicyOptions and the memory its pointers use (keep both alive across the call).
    def self.policy(pins: [], engine: nil, profile: nil, allow_cn_fallback: false, timeout: 10)
      engine = engine.to_s if engine.is_a?(Symbol)
      profile = profile.to_s if profile.is_a?(Symbol)
      unless ENGINES.key?(engine)
        raise ArgumentError, "unknown engine #{engine.inspect} (expected \"openssl\", \"botan\" or \"both\")"
      end
      unless PROFILES.key?(profile)
        raise ArgumentError, "unknown profile #{profile.inspect} (expected \"standard\" or \"strict\")"
      end
      unless [true, false].include?(allow_cn_fallback)
        raise ArgumentError, "allow_cn_fallback must be true or false"
      end
      unless timeout.is_a?(Numeric) && timeout.real? && timeout.positive? && timeout <= 3600
        raise ArgumentError, "timeout must be a number of seconds between 0 and 3600"
      end

      pins = [pins] if pins.is_a?(String)
      raise ArgumentError, "pins must be an Array of \"sha256/BASE64\" strings" unless pins.is_a?(Array)

      keep = pins.map { |pin| FFI::MemoryPointer.from_string(text(pin, "pin")) }
      pin_array = FFI::MemoryPointer.new(:pointer, [1, keep.size].max)
      pin_array.write_array_of_pointer(keep) unless keep.empty?
      options = PolicyOptions.new
      options[:version] = POLICY_OPTIONS_VERSION
      options[:host] = FFI::Pointer::NULL
      options[:pins] = keep.empty? ? FFI::Pointer::NULL : pin_array
      options[:pin_count] = keep.size
      options[:engine] = ENGINES.fetch(engine)
      options[:has_verification_time] = 0
      options[:verification_time] = 0
      options[:max_intermediates] = -1
      options[:timeout_ms] = (timeout * 1000).to_i.clamp(1, 3_600_000)
      options[:refuse_admin_credentials] = 0
      options[:profile] = PROFILES.fetch(profile)
      options[:allow_cn_fallback] = allow_cn_fallback ? 1 : 0
      [options, [pin_array, keep]]
    end
  end
end
