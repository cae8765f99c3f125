# frozen_string_literal: true

require "erb"
require "pg"

module Verifull
  # Verified PostgreSQL connections for the pg gem.
  #
  #   conn = Verifull::PG.connect("postgres://app:pw@db.example.com:5432/app", trust)
  #
  # ruby-pg cannot adopt a connection libverifull opened and checked in-band (PG::Connection
  # has no such constructor), so this is the hand-over route: libpq connects by itself with
  # the hardened parameters of vf_pg_conninfo: sslmode=verify-full against the trust's
  # anchors (chain and host name by libpq's rules), TLS 1.2 or newer, gssencmode=disable and
  # a pinned destination (hostaddr and port explicit, so PGHOSTADDR, PGPORT or PGSERVICE
  # cannot redirect it). What libpq cannot enforce on its own (pins, a second engine, the
  # strict profile, verifull's name rules) is refused by the library, by name, rather than
  # checked once and dropped; the gem passes every setting through and adds no rule.
  module PG
    module_function

    # The hardened libpq connection string for a postgres:// URL or "key=value" string.
    # pg_options (application_name:, connect_timeout:, ...) are added to it first, so the
    # library judges them with the rest.
    def conninfo(url, trust, pins: [], engine: nil, profile: nil, allow_cn_fallback: false, timeout: 10,
                 **pg_options)
      options, keep = Verifull.policy(pins: pins, engine: engine, profile: profile,
                                      allow_cn_fallback: allow_cn_fallback, timeout: timeout)
      target = Verifull.text(url, "url")
      target = Verifull.plain_url(target, "postgres") if target.include?("://")
      target = with_options(target, pg_options)
      info = Verifull.native_string(:vf_pg_conninfo, target, Verifull.trust_handle(trust), options)
      keep.size # the pin memory stays alive until here
      info
    end

    # A PG::Connection opened with #conninfo. PG::ConnectionBad when libpq refuses the
    # server (its message names the check); Verifull::InputError for what cannot be kept.
    def connect(url, trust, **policy_and_pg_options)
      ::PG::Connection.new(conninfo(url, trust, **policy_and_pg_options))
    end

    # The connection string's parameters as a Hash (what ActiveRecord's config takes).
    def params(url, trust, **policy_and_pg_options)
      ::PG::Connection.conninfo_parse(conninfo(url, trust, **policy_and_pg_options))
                      .each_with_object({}) { |opt, out| out[opt[:keyword]] = opt[:val] if opt[:val] }
    end

    def with_options(target, pg_options)
      return target if pg_options.empty?

      pairs = pg_options.map { |key, value| [Verifull.text(key.to_s, "option name"), value.to_s] }
      if target.include?("://")
        query = pairs.map { |key, value| "#{ERB::Util.url_encode(key)}=#{ERB::Util.url_encode(value)}" }.join("&")
        target.include?("?") ? "#{target}&#{query}" : "#{target}?#{query}"
      else
        quoted = pairs.map { |key, value| "#{key}='#{value.gsub(/[\\']/) { |c| "\\#{c}" }}'" }
        "#{target} #{quoted.join(' ')}"
      end
    end
    private_class_method :with_options
  end
end
