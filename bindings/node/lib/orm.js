'use strict';
// knex and Sequelize: they take a driver module or a dialect client class; verifull hands
// them the drivers' modules whose Client / createConnection are bound to one endpoint and
// policy and verify in-band (pg.js, mysql2.js). Host, port and TLS come from the URL and
// cannot be replaced by the ORM's own settings.
const core = require('./core');

function helperFor(url) {
  const { protocol } = core.parseUrl(url);
  return protocol === 'postgres' ? require('./pg') : require('./mysql2');
}

/** A knex configuration: `require('knex')(verifull.knex(url, trust, policy, knexOptions))`. */
function knex(url, trust, policy = {}, knexOptions = {}) {
  const postgres = core.parseUrl(url).protocol === 'postgres';
  const { module: driver, config } = helperFor(url).driverModule(url, trust, policy);
  let Dialect;
  try {
    Dialect = require(postgres ? 'knex/lib/dialects/postgres' : 'knex/lib/dialects/mysql2');
  } catch {
    throw new core.InputError('verifull.knex needs the knex package: npm install knex');
  }
  class VerifiedDialect extends Dialect {
    _driver() {
      return driver;
    }
  }
  return { ...knexOptions, client: VerifiedDialect, connection: { ...config } };
}

/** Sequelize options: `new Sequelize(verifull.sequelize(url, trust, policy, sequelizeOptions))`. */
function sequelize(url, trust, policy = {}, sequelizeOptions = {}) {
  const u = core.parseUrl(url);
  const postgres = u.protocol === 'postgres';
  for (const key of ['dialectModule', 'dialectOptions', 'host', 'port', 'ssl']) {
    if (key in sequelizeOptions) throw new core.InputError(`sequelizeOptions.${key} is set by verifull (from the URL and the policy); remove it`);
  }
  const { module: driver } = helperFor(url).driverModule(url, trust, policy);
  return {
    ...sequelizeOptions,
    dialect: postgres ? 'postgres' : 'mysql',
    dialectModule: driver,
    host: u.host,
    port: u.port,
    ...(u.user ? { username: u.user } : {}),
    ...(u.password ? { password: u.password } : {}),
    ...(u.database ? { database: u.database } : {}),
  };
}

module.exports = { knex, sequelize };
