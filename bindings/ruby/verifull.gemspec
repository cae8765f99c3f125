# frozen_string_literal: true

# `gem build verifull.gemspec` in bindings/ruby; Debian users get the ruby-verifull package.
Gem::Specification.new do |spec|
  spec.name = "verifull"
  spec.version = "0.1.0"
  spec.summary = "Verified TLS for PostgreSQL and MySQL client connections (pg, mysql2, ActiveRecord)"
  spec.description = "Database connections that open only after the server's certificate was verified " \
                     "(chain to the given anchors and host name) before any credential is sent. " \
                     "ruby-ffi over libverifull's C ABI; needs libverifull.so.1 installed."
  spec.authors = ["verifull developers"]
  spec.email = "verifull@example.invalid"
  spec.homepage = "https://example.invalid/verifull"
  spec.required_ruby_version = ">= 2.7"
  spec.files = Dir["lib/**/*.rb"]
  spec.require_paths = ["lib"]
  spec.add_dependency "ffi", ">= 1.13"
end
