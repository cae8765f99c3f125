#!/usr/bin/ruby
# frozen_string_literal: true

# Verified connections from Ruby with the gems you already use (pg, mysql2, ActiveRecord).
#
#   ruby_connect.rb CA.pem postgres://user:pw@db.example.com:5432/app mysql://user:pw@db.example.com:3306/app
#
# Exit status 0 when both connected verified, 1 when verifull or the driver refused.
require "verifull"

def main(ca_file, postgres_url, mysql_url)
  trust = Verifull::Trust.from_file(ca_file)

  # pg: libpq with sslmode=verify-full against these anchors only, its destination pinned
  # so that no environment variable can redirect or weaken it.
  pg = Verifull::PG.connect(postgres_url, trust)
  puts "PostgreSQL: connected as #{pg.exec('SELECT current_user').getvalue(0, 0)}"
  pg.close

  # mysql2: verifull verifies the server first (no credential sent), then pins mysql2 to
  # that exact certificate; TLS, the name and no clear-text password are enforced by
  # Connector/C before the login.
  my = Verifull::Mysql2.connect(mysql_url, trust)
  puts "MySQL: connected as #{my.query('SELECT CURRENT_USER() AS u').first['u']}"
  my.close

  # ActiveRecord (Rails): the same for every connection of each pool, one line per database.
  require "active_record"
  primary = Class.new(ActiveRecord::Base) { self.abstract_class = true }
  reports = Class.new(ActiveRecord::Base) { self.abstract_class = true }
  Object.const_set(:PrimaryRecord, primary)
  Object.const_set(:ReportsRecord, reports)
  primary.establish_connection(Verifull::ActiveRecord.config(postgres_url, trust))
  reports.establish_connection(Verifull::ActiveRecord.config(mysql_url, trust))
  [primary, reports].each do |base|
    model = Class.new(base) { self.table_name = "information_schema.tables" }
    puts "ActiveRecord #{base.connection.adapter_name}: #{model.count} tables visible"
  end
end

abort File.read(__FILE__).lines.grep(/^#   /).join if ARGV.size != 3
begin
  main(*ARGV)
rescue Verifull::VerificationError => e
  warn "refused (#{e.outcome}): #{e.message}"
  exit 1
rescue PG::ConnectionBad, Mysql2::Error => e
  warn "refused by the driver: #{e.message}"
  exit 1
end
