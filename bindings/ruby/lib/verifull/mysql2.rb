# frozen_string_literal: true

module Verifull
  # Verified MySQL / MariaDB connections for the mysql2 gem (Debian's 0.5.3 on Connector/C).
  #
  #   client = Verifull::Mysql2.connect("mysql://app:pw@db.example.com:3306/app", trust)
  #
  # mysql2 given a CA alone logs in to a server that strips TLS, to a certificate for
  # another host, and answers a clear-password switch. Here verifull first probes the
  # endpoint and verifies its certificate (no credential is sent), then hands mysql2 a
  # Connector/C option file made by the library (vf_mysql_option_file): group [verifull]
  # holds host, port, the CA, ssl-verify-server-cert, TLS 1.2+ with strong suites, ssl-fp
  # (exactly the approved certificate) and restricted-auth (never mysql_clear_password).
  # Connector/C itself enforces all of it before the login. The client options name no
  # host or port, and the socket is one that does not exist, so an option file that
  # could not be read makes the connection fail instead of going plaintext.
  module Mysql2
    OPTION_GROUP = "verifull"
    MISSING_SOCKET = Native.vf_mysql_option_file_missing_socket.dup.freeze

    # mysql2 client options that change neither where it connects nor how it proves the
    # server or sends the password: passed through as given.
    PASSED_OPTIONS = %i[as cast cast_booleans symbolize_keys database_timezone application_timezone cache_rows
                        encoding read_timeout write_timeout init_command local_infile automatic_close
                        connect_attrs].freeze

    # URL parameters (?charset=utf8mb4), by the library's canonical name, and the mysql2
    # option each becomes. The library reads, checks and types them
    # (vf_mysql_url_parameters); one it refuses is refused with its reason.
    URL_PARAMS = { "charset" => :encoding, "init_command" => :init_command, "read_timeout" => :read_timeout,
                   "write_timeout" => :write_timeout, "local_infile" => :local_infile }.freeze

    module_function

    # [Report, SHA-1 fingerprint] of the endpoint's verified certificate; raises on
    # refusal. Approvals are cached per endpoint and policy (clear_cache forgets them).
    def approve(url, trust, pins: [], engine: nil, profile: nil, allow_cn_fallback: false, timeout: 10)
      options, keep = Verifull.policy(pins: pins, engine: engine, profile: profile,
                                      allow_cn_fallback: allow_cn_fallback, timeout: timeout)
      out = FFI::MemoryPointer.new(:pointer)
      fingerprint = Verifull.native_string(:vf_mysql_approve, out, Verifull.plain_url(url, "mysql"),
                                           Verifull.trust_handle(trust), options)
      keep.size # the pin memory stays alive until here
      [Report.new(Native.report_json(out.read_pointer)).raise_unless_ok!, fingerprint]
    end

    # Forgets every approved certificate (process-wide), so the next connect probes again.
    def clear_cache
      Verifull.native(:vf_mysql_cache_clear)
    end

    # The kept, content-addressed option file for an approved certificate.
    def option_file(url, trust, fingerprint)
      Verifull.native_string(:vf_mysql_option_file, Verifull.plain_url(url, "mysql"), Verifull.trust_handle(trust),
                             Verifull.text(fingerprint, "fingerprint"))
    end

    # Options for Mysql2::Client.new(**options): the endpoint is verified now and every
    # client made with them is pinned to that certificate. The password comes from the URL,
    # else MYSQL_PWD. Add no host, port, socket or ssl option: they would replace the
    # verified settings (connect refuses them).
    def client_options(url, trust, **policy)
      endpoint = Verifull.parse_url(Verifull.plain_url(url, "mysql"))
      extra = url_params(url)
      timeout = policy.fetch(:timeout, 10)
      _report, fingerprint = approve(url, trust, **policy)
      options = {
        username: endpoint["user"],
        password: endpoint["password"].to_s.empty? ? ENV.fetch("MYSQL_PWD", "") : endpoint["password"],
        default_file: option_file(url, trust, fingerprint),
        default_group: OPTION_GROUP,
        socket: MISSING_SOCKET,
        connect_timeout: [1, timeout.ceil].max
      }
      options[:database] = endpoint["database"] unless endpoint["database"].to_s.empty?
      options.merge(extra)
    end

    # A Mysql2::Client verified as client_options describes. When the server's certificate
    # changed since it was approved (a rotation), the endpoint is probed and verified again,
    # once, and the connect retried; never more. The whole call ends within timeout: plus
    # Connector/C's one-second granularity: its connect_timeout covers only the TCP connect,
    # so the login's reads and writes get the time left as well (a server that stalls after
    # TLS cannot hold the call), and mysql2's own query timeout is given back afterwards.
    def connect(url, trust, **policy_and_mysql2_options)
      require "mysql2"
      policy, client = Verifull.split_policy(policy_and_mysql2_options)
      client = client.transform_keys(&:to_sym)
      refuse_unpassed(client)
      deadline = monotonic + policy.fetch(:timeout, 10)
      2.times do |attempt|
        options = client_options(url, trust, **policy.merge(timeout: [deadline - monotonic, 1.0].max)).merge(client)
        login = [1, (deadline - monotonic).ceil].max
        caller_read_timeout = options.key?(:read_timeout) # from the options or the URL
        options[:connect_timeout] = login
        options[:read_timeout] = login unless caller_read_timeout
        options[:write_timeout] = login unless options.key?(:write_timeout)
        begin
          connection = ::Mysql2::Client.new(options)
        rescue ::Mysql2::Error => e
          raise if attempt == 1 || !rotated?(e) || monotonic >= deadline

          clear_cache # verify the server's new certificate, once
          next
        end
        # mysql2 waits for a query's answer up to @read_timeout; nil is its default (no limit).
        connection.instance_variable_set(:@read_timeout, nil) unless caller_read_timeout
        return connection
      end
    end

    # True when Connector/C refused the certificate it was pinned to: probably rotated.
    def rotated?(error)
      error.message.match?(/fingerprint verification|certificate verify failed/i)
    end

    def refuse_unpassed(client)
      client.each_key do |key|
        next if PASSED_OPTIONS.include?(key.to_sym)

        raise InputError, "the mysql2 option #{key} is not passed by Verifull::Mysql2.connect: it could replace " \
                          "the verified destination, TLS or login settings (user, password and database belong " \
                          "in the URL; passed options: #{PASSED_OPTIONS.join(', ')})"
      end
    end

    # The URL's parameters as mysql2 options, typed by the library (a flag as true or
    # false: mysql2 takes any Ruby value as a flag, so "false" would switch it on). The
    # policy's (CRLs, the client certificate) are not options: the library takes them from
    # the URL for the probe and the option file.
    def url_params(url)
      parameters = JSON.parse(Verifull.native_string(:vf_mysql_url_parameters, Verifull.plain_url(url, "mysql")))
      parameters.each_with_object({}) do |parameter, out|
        next if parameter["role"] == "policy"

        option = URL_PARAMS[parameter["name"]]
        unless option
          raise InputError, "the URL parameter #{parameter['given']} is not passed to mysql2 by verifull " \
                            "(passed: #{URL_PARAMS.keys.join(', ')})"
        end
        out[option] = parameter["value"]
      end
    end

    def monotonic
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end
    private_class_method :refuse_unpassed, :url_params, :monotonic
  end
end
