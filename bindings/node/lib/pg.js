'use strict';
// node-postgres (`pg`) with verifull's check in its own TLS handshake: Node verifies the
// chain against the anchors, then checkServerIdentity runs verifull's verdict (chain,
// name, pins, profile, engines, TLS strength) on that session; pg has queued its startup
// packet but Node sends it only once checkServerIdentity has returned without an error.
const core = require('./core');
const { settingsFor, secureContextFor, checkSession, tlsRefusal } = require('./inband');

// Set by verifull from the URL and the policy: a value from pgOptions would be dropped or
// would weaken the check, so it is refused by name.
const OWNED = ['ssl', 'host', 'port', 'connectionString', 'stream', 'Client', 'connectionTimeoutMillis'];

// The URL and policy checked and split into pg settings; `settings` for the in-band check.
function prepare(url, trust, policy = {}, pgOptions = {}) {
  const p = core.normalisePolicy(policy);
  if (p.host !== null) throw new core.InputError('policy.host must not be set: the URL names the host');
  if (pgOptions === null || typeof pgOptions !== 'object') throw new core.InputError('pgOptions must be an object');
  for (const key of OWNED) {
    if (key in pgOptions) throw new core.InputError(`pgOptions.${key} is set by verifull (from the URL and the policy); remove it`);
  }
  const u = core.parseUrl(url);
  if (u.protocol !== 'postgres') throw new core.InputError('verifull.pg needs a postgres:// or postgresql:// URL');
  const params = Object.keys(u.params || {});
  if (params.length) {
    throw new core.InputError(`URL parameter ${params[0]} is not applied by verifull.pg; pass pg settings in pgOptions`);
  }
  const settings = settingsFor(trust, p, u.host);
  settings.port = u.port;
  const config = {
    ...pgOptions,
    ...(u.user ? { user: u.user } : {}),
    ...(u.password ? { password: u.password } : {}),
    ...(u.database ? { database: u.database } : {}),
  };
  return { settings, config };
}

// What pg reports when the server answered "N" to the SSLRequest (pg then sends nothing).
const PG_NO_TLS = 'The server does not support SSL connections';

function verifullError(error, settings) {
  if (error instanceof core.VerifullError) return error;
  const chain = tlsRefusal(error, settings);
  if (chain !== error) return chain;
  if (error && error.message === PG_NO_TLS) {
    return core.refusal('tls_unavailable', 'the server answered "no TLS" to the SSLRequest (no TLS on the server, '
      + 'or something on the path strips it); refused, nothing else was sent', settings.policy.host);
  }
  if (error && /timeout/i.test(error.message) && !error.code) {
    return core.refusal('timeout', `no connection within the ${settings.policy.timeout} s timeout`, settings.policy.host);
  }
  return error;
}

// A pg.Client subclass bound to one endpoint and policy: whatever config it is given (by
// pg.Pool, knex, Sequelize), host, port, TLS and the connect timeout are verifull's, and
// the TLS options check this very client's session.
function verifiedClientClass(pg, settings) {
  return class VerifiedClient extends pg.Client {
    constructor(config = {}) {
      let client = null;
      super({
        ...config,
        password: config.password,  // pg.Pool keeps it non-enumerable
        host: settings.policy.host,
        port: settings.port,
        connectionString: undefined,
        stream: undefined,
        connectionTimeoutMillis: Math.round(settings.policy.timeout * 1000),
        ssl: {
          ...settings.tls,
          secureContext: secureContextFor(settings),  // the Trust's, made from settings.tls once
          // Called in the handshake, before Node releases pg's queued startup packet.
          checkServerIdentity: (host, cert) => {
            const socket = client && client.connection && client.connection.stream;
            // The certificate Node shows here must be this socket's: else refuse.
            const own = socket && typeof socket.getPeerX509Certificate === 'function' && socket.getPeerX509Certificate();
            if (!own || !cert || !cert.raw || !own.raw.equals(cert.raw)) return checkSession(null, settings);
            return checkSession(socket, settings, cert);
          },
        },
      });
      client = this;
    }

    connect(callback) {
      if (typeof callback === 'function') {
        return super.connect((err) => callback(err ? verifullError(err, settings) : err));
      }
      return super.connect().catch((err) => {
        throw verifullError(err, settings);
      });
    }
  };
}

function driver() {
  try {
    return require('pg');
  } catch {
    throw new core.InputError('verifull.pg needs the pg package: npm install pg');
  }
}

/** The pg module with Client replaced by the verified, bound one: for libraries that take
 * a driver module (Sequelize's dialectModule, knex's driver). */
function driverModule(url, trust, policy = {}, pgOptions = {}) {
  const pg = driver();
  const { settings, config } = prepare(url, trust, policy, pgOptions);
  const VerifiedClient = verifiedClientClass(pg, settings);
  const mod = Object.create(pg);
  mod.Client = VerifiedClient;
  mod.Pool = class extends pg.Pool {
    constructor(options = {}) {
      super({ ...options, Client: VerifiedClient });
    }
  };
  return { module: mod, config, settings };
}

/** A connected pg.Client, verified in-band. */
async function connect(url, trust, policy = {}, pgOptions = {}) {
  const client = Client(url, trust, policy, pgOptions);
  await client.connect();
  return client;
}

/** An unconnected pg.Client that verifies each connect in-band. */
function Client(url, trust, policy = {}, pgOptions = {}) {
  const { module: mod, config } = driverModule(url, trust, policy, pgOptions);
  return new mod.Client(config);
}

/** A pg.Pool whose every client verifies in-band (use with or without `new`). */
function Pool(url, trust, policy = {}, poolOptions = {}) {
  const { module: mod, config } = driverModule(url, trust, policy, poolOptions);
  return new mod.Pool(config);
}

module.exports = { connect, Client, Pool, driverModule };
