# frozen_string_literal: true

module Verifull
  # ActiveRecord (6.1) configurations that connect as verifull does, for both adapters.
  #
  #   ActiveRecord::Base.establish_connection(Verifull::ActiveRecord.config(ENV["DATABASE_URL"], trust))
  #
  #   # config/database.yml (JSON is YAML, so the hash fits on one line)
  #   production: <%= Verifull::ActiveRecord.config(ENV["DATABASE_URL"], Verifull::Trust.from_env("DB_CA")).to_json %>
  #
  # postgresql: the adapter gets the hardened libpq parameters of Verifull::PG.conninfo
  # (verify-full against the anchors, pinned destination, TLS 1.2+), so libpq verifies every
  # pooled connection; pins, a second engine and the strict profile are refused there by
  # the library, by name, because libpq would not keep them.
  #
  # mysql2: the endpoint is verified when config is called, and every pooled connection is
  # pinned to that certificate by Connector/C through the option file (CA, name,
  # fingerprint, TLS, restricted-auth). After the server's certificate is rotated, new
  # pooled connections are refused (a fingerprint error, never a login to the new
  # certificate unverified) until config is called again: re-establish the connection or
  # restart the app after a rotation. Verifull::Mysql2.connect recovers by itself; a pool
  # made from a static hash cannot.
  module ActiveRecord
    module_function

    # The Hash for establish_connection (string keys, like a parsed database.yml).
    def config(url, trust, pins: [], engine: nil, profile: nil, allow_cn_fallback: false, timeout: 10)
      policy = { pins: pins, engine: engine, profile: profile, allow_cn_fallback: allow_cn_fallback, timeout: timeout }
      plain = Verifull.plain_url(url)
      plain.start_with?("mysql://") ? mysql2_config(plain, trust, **policy) : postgresql_config(plain, trust, **policy)
    end

    def postgresql_config(url, trust, **policy)
      params = Verifull::PG.params(url, trust, **policy)
      { "adapter" => "postgresql", "database" => params["dbname"], "username" => params["user"] }
        .compact.merge(params)
    end

    def mysql2_config(url, trust, **policy)
      options = Verifull::Mysql2.client_options(url, trust, **policy)
      { "adapter" => "mysql2" }.merge(options.transform_keys(&:to_s))
    end
    private_class_method :postgresql_config, :mysql2_config
  end
end
