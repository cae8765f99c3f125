'use strict';
// mysql2 with verifull's check in its own TLS handshake. mysql2 3.x sends the SSLRequest,
// upgrades to TLS (Node verifies the chain against the anchors) and sends the login from
// its "secure" callback; verifull runs its verdict on that session (chain, name, pins,
// profile, engines, TLS strength) between the two, so a refused server never gets the
// login. mysql2 itself refuses a greeting without CLIENT_SSL when `ssl` is set, before
// sending anything; a request for mysql_clear_password or dialog is refused by the auth
// plugins verifull installs, before the password is sent.
const tls = require('tls');
const core = require('./core');
const native = require('./native');
const { SETTINGS, settingsFor, secureContextFor, checkSession, tlsRefusal } = require('./inband');

// Set by verifull from the URL and the policy: a value from mysqlOptions would be dropped
// or would weaken the check, so it is refused by name.
const OWNED = ['ssl', 'host', 'port', 'uri', 'socketPath', 'stream', 'connectTimeout', 'authSwitchHandler'];
// Plugins that would have mysql2 send the password as it is: the core's list
// (vf_mysql_clear_text_auth_plugins, the rule behind Connector/C's restricted-auth).
let clearTextPlugins;
function clearTextPluginNames() {
  if (clearTextPlugins === undefined) {
    clearTextPlugins = native.stringOut(native.fn.mysql_clear_text_auth_plugins).split(',').filter(Boolean);
  }
  return clearTextPlugins;
}

function refuseClearText(name, host) {
  return () => () => {
    throw core.refusal('protocol_violation', `the server asked for ${name}, which would send the password as it is; `
      + 'refused, the password was not sent', host);
  };
}

function prepare(url, trust, policy = {}, mysqlOptions = {}) {
  const p = core.normalisePolicy(policy);
  if (p.host !== null) throw new core.InputError('policy.host must not be set: the URL names the host');
  if (mysqlOptions === null || typeof mysqlOptions !== 'object') throw new core.InputError('mysqlOptions must be an object');
  for (const key of OWNED) {
    if (key in mysqlOptions) throw new core.InputError(`mysqlOptions.${key} is set by verifull (from the URL and the policy); remove it`);
  }
  const userPlugins = mysqlOptions.authPlugins || {};
  for (const name of clearTextPluginNames()) {
    if (name in userPlugins) throw new core.InputError(`mysqlOptions.authPlugins.${name} would send the password as it is; verifull refuses it`);
  }
  const u = core.parseUrl(url);
  if (u.protocol !== 'mysql') throw new core.InputError('verifull.mysql2 needs a mysql:// or mariadb:// URL');
  const params = Object.keys(u.params || {});
  if (params.length) {
    throw new core.InputError(`URL parameter ${params[0]} is not applied by verifull.mysql2; pass mysql2 settings in mysqlOptions`);
  }
  const settings = settingsFor(trust, p, u.host);
  const authPlugins = { ...userPlugins };
  for (const name of clearTextPluginNames()) authPlugins[name] = refuseClearText(name, u.host);
  const config = {
    ...mysqlOptions,
    host: u.host,
    port: u.port,
    ...(u.user ? { user: u.user } : {}),
    ...(u.password ? { password: u.password } : {}),
    ...(u.database ? { database: u.database } : {}),
    connectTimeout: Math.round(p.timeout * 1000),
    authPlugins,
    ssl: {
      ...settings.tls,
      // Node's own name check is off here: verifull's (the same rules as every other
      // verifull connection) runs in-band instead; the chain check stays on.
      verifyIdentity: false,
      // A function, so copies of the config (knex clones it) share the settings.
      [SETTINGS]: () => settings,
    },
  };
  return { settings, config };
}

// mysql2 builds its TLS socket inside Connection#startTLS and calls back before sending
// the login. The wrapper sees the socket tls.connect returns during that call and checks
// the session in the callback. Only connections whose ssl carries verifull's settings are
// affected; the wrapper is installed once on the class that defines startTLS. During the
// call it also hands mysql2 the Trust's shared TLS context (inband.secureContextFor)
// instead of a new one per connect, and keeps the certificate object Node makes for
// checkServerIdentity, so the check does not ask Node to build it a second time.
let installedOn = null;

// mysql2's connectTimeout ends once the greeting arrives; a server that then goes quiet
// would hold the connect forever. This deadline covers the whole connect: when it
// passes before the login finished, the socket is destroyed with a timeout refusal,
// which mysql2 reports through its own error path (connect callback, 'error' event).
const DEADLINE = Symbol('verifull.deadline');

function armDeadline(connection, settings) {
  if (connection[DEADLINE]) return;
  const ms = Math.round(settings.policy.timeout * 1000);
  connection[DEADLINE] = setTimeout(() => {
    if (connection.stream && !connection.stream.destroyed) {
      connection.stream.destroy(core.refusal('timeout', `no connection within the ${settings.policy.timeout} s timeout`,
        settings.policy.host));
    }
  }, ms);
  const done = () => clearTimeout(connection[DEADLINE]);
  connection.once('connect', done);
  connection.once('error', done);
  connection.once('end', done);
}

function install(mysql2) {
  let proto = mysql2.Connection && mysql2.Connection.prototype;
  while (proto && !Object.hasOwn(proto, 'startTLS')) proto = Object.getPrototypeOf(proto);
  if (!proto) throw new core.InputError('this mysql2 version has no Connection#startTLS; verifull.mysql2 needs mysql2 3.x');
  if (proto.startTLS[SETTINGS]) return;
  const original = proto.startTLS;
  const verifiedStartTLS = function startTLS(onSecure) {
    const settingsOf = this.config && this.config.ssl && this.config.ssl[SETTINGS];
    if (typeof settingsOf !== 'function') return original.call(this, onSecure);
    const settings = settingsOf();
    armDeadline(this, settings);  // pooled connections: from here; createConnection's from its start
    const connectTls = tls.connect;
    const createSecureContext = tls.createSecureContext;
    let secureSocket = null;
    let shownCert = null;
    const sharedContext = secureContextFor(settings);  // made (once per Trust) before the override below
    // mysql2 asks for a context with exactly the ssl options verifull set (ssl is
    // verifull's: a user's ssl option is refused); anything else gets its own.
    tls.createSecureContext = function shared(options, ...rest) {
      const ours = options && options.ca === settings.tls.ca && options.ciphers === settings.tls.ciphers
        && options.minVersion === settings.tls.minVersion && !options.cert && !options.key && !options.pfx
        && !options.maxVersion;
      return ours ? sharedContext : createSecureContext.call(this, options, ...rest);
    };
    tls.connect = function capture(options, ...rest) {
      const checkIdentity = options.checkServerIdentity || tls.checkServerIdentity;
      secureSocket = connectTls.call(this, {
        ...options,
        // Node calls this for this socket only, with the peer certificate of its session.
        checkServerIdentity(host, cert) {
          shownCert = cert;
          return checkIdentity(host, cert);
        },
      }, ...rest);
      return secureSocket;
    };
    try {
      return original.call(this, (err) => {
        if (err) return onSecure(tlsRefusal(err, settings));
        const refused = checkSession(secureSocket, settings, shownCert);
        if (refused) {
          if (secureSocket) secureSocket.destroy();
          return onSecure(refused);
        }
        return onSecure();
      });
    } finally {
      tls.connect = connectTls;
      tls.createSecureContext = createSecureContext;
    }
  };
  verifiedStartTLS[SETTINGS] = true;
  proto.startTLS = verifiedStartTLS;
  installedOn = proto;
}

function driver(name) {
  let mysql2;
  try {
    mysql2 = require(name);
  } catch {
    throw new core.InputError('verifull.mysql2 needs the mysql2 package: npm install mysql2');
  }
  install(name === 'mysql2' ? mysql2 : require('mysql2'));
  return mysql2;
}

// What mysql2 reports when the greeting lacks CLIENT_SSL (it then sends nothing).
function verifullError(error, settings) {
  if (!error || error instanceof core.VerifullError) return error;
  if (error.code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return core.refusal('tls_unavailable', "the server's greeting does not offer TLS (no CLIENT_SSL): no TLS on the "
      + 'server, or something on the path strips it; refused before anything was sent', settings.policy.host);
  }
  if (error.code === 'ETIMEDOUT') {
    return core.refusal('timeout', `no connection within the ${settings.policy.timeout} s timeout`, settings.policy.host);
  }
  return error;
}

/** A mysql2 Connection (callback API), verified in-band; errors are verifull's. */
function createConnection(url, trust, policy = {}, mysqlOptions = {}) {
  const mysql2 = driver('mysql2');
  const { settings, config } = prepare(url, trust, policy, mysqlOptions);
  return connectionFor(mysql2, settings, config);
}

function connectionFor(mysql2, settings, config) {
  const connection = mysql2.createConnection(config);
  armDeadline(connection, settings);
  // Refusals keep their verifull class when they reach the app's handlers.
  const emit = connection.emit;
  connection.emit = function (event, error, ...rest) {
    return emit.call(this, event, event === 'error' ? verifullError(error, settings) : error, ...rest);
  };
  return connection;
}

/** A mysql2 Pool (callback API) whose every connection verifies in-band. */
function createPool(url, trust, policy = {}, mysqlOptions = {}) {
  const mysql2 = driver('mysql2');
  return mysql2.createPool(prepare(url, trust, policy, mysqlOptions).config);
}

/** mysql2/promise: a connected Connection, verified in-band. */
function connect(url, trust, policy = {}, mysqlOptions = {}) {
  const { PromiseConnection } = driver('mysql2/promise');
  const connection = createConnection(url, trust, policy, mysqlOptions);
  // As mysql2/promise's createConnection, but the refusal reaches the caller as it is
  // (mysql2/promise copies only message and code into a new Error).
  return new Promise((resolve, reject) => {
    connection.once('connect', () => resolve(new PromiseConnection(connection, Promise)));
    connection.once('error', reject);
  });
}

/** The mysql2 (or mysql2/promise) module with createConnection/createPool bound to one
 * endpoint and policy, for libraries that take a driver module (Sequelize's
 * dialectModule, knex's driver); whatever host, port or TLS they pass is replaced. */
function driverModule(url, trust, policy = {}, mysqlOptions = {}, name = 'mysql2') {
  const mysql2 = driver(name);
  const { settings, config } = prepare(url, trust, policy, mysqlOptions);
  const bind = (options = {}) => ({ ...options, ...config, authPlugins: config.authPlugins, ssl: config.ssl,
    user: options.user || config.user, password: options.password || config.password,
    database: options.database || config.database });
  const mod = Object.create(mysql2);
  mod.createConnection = (options) => connectionFor(require('mysql2'), settings, bind(options));
  mod.connect = mod.createConnection;
  mod.createPool = (options) => mysql2.createPool(bind(options));
  return { module: mod, config, settings };
}

// mysql2/promise's pool copies a failed query's message and code into a new Error, so a
// refusal by a pooled connection reached the app as a plain Error without its class and
// outcome. query and execute are made the same way here, but a refusal (verifullError)
// is passed on as it is; other errors exactly as mysql2/promise reports them.
function keepRefusals(promisePool, settings) {
  for (const method of ['query', 'execute']) {
    promisePool[method] = function keepingRefusals(sql, args) {
      if (typeof args === 'function') throw new Error('Callback function is not available with promise clients.');
      const localErr = new Error();  // as mysql2/promise: the stack of the caller
      return new this.Promise((resolve, reject) => {
        const done = (err, rows, fields) => {
          if (!err) return resolve([rows, fields]);
          const refusal = verifullError(err, settings);
          if (refusal instanceof core.VerifullError) return reject(refusal);
          for (const key of ['message', 'code', 'errno', 'sql', 'sqlState', 'sqlMessage']) localErr[key] = err[key];
          return reject(localErr);
        };
        if (args !== undefined) this.pool[method](sql, args, done);
        else this.pool[method](sql, done);
      });
    };
  }
  const getConnection = promisePool.getConnection;
  promisePool.getConnection = function gettingRefusals() {
    return getConnection.call(this).catch((err) => {
      throw verifullError(err, settings);
    });
  };
  return promisePool;
}

const promise = {
  /** A connected mysql2/promise Connection, verified in-band. */
  createConnection: connect,
  /** A mysql2/promise Pool whose every connection verifies in-band; refusals keep their class. */
  createPool(url, trust, policy = {}, mysqlOptions = {}) {
    const { settings, config } = prepare(url, trust, policy, mysqlOptions);
    return keepRefusals(driver('mysql2/promise').createPool(config), settings);
  },
};

module.exports = { createConnection, createPool, connect, promise, driverModule, installed: () => installedOn !== null };
