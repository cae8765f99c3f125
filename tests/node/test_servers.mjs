// Against the real test servers (tools/with-servers): every helper connects verified and
// runs a query; refusals by anchor, pin and missing TLS; knex and Sequelize recipes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifull, requireFromPackage, servers, url, trust, password } from './helpers.mjs';

const skip = !servers && 'needs the test servers (tools/with-servers)';
const env = process.env;
const pgUrl = () => url('pg', env.VERIFULL_PG_PORT);
const myUrl = () => url('mysql', env.VERIFULL_MYSQL_PORT);

test('check() verifies both servers without a credential', { skip }, async () => {
  for (const u of [pgUrl(), myUrl()]) {
    const report = await verifull.check(u, trust());
    assert.equal(report.outcome, 'ok', report.message);
    assert.ok(report.chain.length >= 1);
  }
  const plain = await verifull.check(url('pg', env.VERIFULL_PG_PLAIN_PORT), trust());
  assert.equal(plain.outcome, 'tls_unavailable');
});

test('verifull.pg: connect, Client and Pool run queries, verified in-band', { skip }, async () => {
  const client = await verifull.pg.connect(pgUrl(), trust());
  assert.deepEqual((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
  assert.equal(client.connection.stream.verifullReport.outcome, 'ok');
  assert.equal((await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0].ssl, true);
  await client.end();
  const pool = verifull.pg.Pool(pgUrl(), trust(), { engine: 'both' }, { max: 2 });
  const results = await Promise.all([1, 2, 3].map((n) => pool.query('SELECT $1::int AS n', [n])));
  assert.deepEqual(results.map((r) => r.rows[0].n), [1, 2, 3]);
  await pool.end();
});

test('verifull.mysql2: callback, promise and pool APIs run queries over verified TLS', { skip }, async () => {
  const connection = await verifull.mysql2.promise.createConnection(myUrl(), trust());
  const [rows] = await connection.query("SHOW SESSION STATUS LIKE 'Ssl_version'");
  assert.match(rows[0].Value, /^TLSv1\.[23]$/);
  await connection.end();
  const callbackApi = verifull.mysql2.createConnection(myUrl(), trust());
  const one = await new Promise((resolve, reject) => callbackApi.query('SELECT 1 AS one', (e, r) => (e ? reject(e) : resolve(r))));
  assert.deepEqual(one, [{ one: 1 }]);
  callbackApi.end();
  const pool = verifull.mysql2.promise.createPool(myUrl(), trust(), {}, { connectionLimit: 2 });
  const all = await Promise.all([1, 2, 3].map((n) => pool.query('SELECT ? AS n', [n])));
  assert.deepEqual(all.map(([r]) => r[0].n), [1, 2, 3]);
  await pool.end();
});

test('real servers are refused with another CA or a pin mismatch, before any credential', { skip }, async () => {
  const other = trust('other-ca.pem');
  const pin = { pins: ['sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='] };
  const refused = (outcome) => (e) => e instanceof verifull.VerificationError && e.outcome === outcome && !e.message.includes(password);
  await assert.rejects(verifull.pg.connect(pgUrl(), other), refused('untrusted_issuer'));
  await assert.rejects(verifull.pg.connect(pgUrl(), trust(), pin), refused('pin_mismatch'));
  await assert.rejects(verifull.mysql2.promise.createConnection(myUrl(), other), refused('untrusted_issuer'));
  await assert.rejects(verifull.mysql2.promise.createConnection(myUrl(), trust(), pin), refused('pin_mismatch'));
});

test('a pin on the anchor is kept in-band (the anchor Node appends to the chain is the core\'s)', { skip }, async () => {
  const anchorPin = { pins: [trust().anchors[0].spki_sha256] };
  const pg = await verifull.pg.connect(pgUrl(), trust(), anchorPin);
  assert.equal(pg.connection.stream.verifullReport.outcome, 'ok');
  await pg.end();
  const my = await verifull.mysql2.promise.createConnection(myUrl(), trust(), anchorPin);
  await my.end();
});

test('mysql2/promise pool: a refusal keeps its class and outcome (query, execute, getConnection)', { skip }, async () => {
  const refused = (e) => e instanceof verifull.VerificationError && e.outcome === 'untrusted_issuer' && !e.message.includes(password);
  const pool = verifull.mysql2.promise.createPool(myUrl(), trust('other-ca.pem'), {}, { connectionLimit: 1 });
  await assert.rejects(pool.query('SELECT 1'), refused);
  await assert.rejects(pool.execute('SELECT ?', [1]), refused);
  await assert.rejects(pool.getConnection(), refused);
  await pool.end();
});

test('connections with one Trust share its TLS context; Node builds the peer certificate once per mysql2 connect', { skip }, async () => {
  const tls = requireFromPackage('tls');
  const shared = trust();  // a Trust no other test used: its context is made here
  const createSecureContext = tls.createSecureContext;
  const getPeerCertificate = tls.TLSSocket.prototype.getPeerCertificate;
  let contexts = 0;
  let peerCertificates = 0;
  tls.createSecureContext = function counting(...args) {
    contexts += 1;
    return createSecureContext.apply(this, args);
  };
  tls.TLSSocket.prototype.getPeerCertificate = function counting(...args) {
    peerCertificates += 1;
    return getPeerCertificate.apply(this, args);
  };
  try {
    for (let i = 0; i < 3; i++) {
      const c = await verifull.mysql2.promise.createConnection(myUrl(), shared);
      await c.end();
    }
    assert.equal(peerCertificates, 3, 'one certificate object per mysql2 connect (Node\'s, for checkServerIdentity)');
    for (let i = 0; i < 3; i++) {
      const c = await verifull.pg.connect(pgUrl(), shared);
      assert.equal(c.connection.stream.verifullReport.outcome, 'ok');
      await c.end();
    }
  } finally {
    tls.createSecureContext = createSecureContext;
    tls.TLSSocket.prototype.getPeerCertificate = getPeerCertificate;
  }
  assert.equal(contexts, 1, 'one TLS context for six connections with one Trust');
  // Another Trust gets its own context: the server is refused by Node's chain check with it.
  await assert.rejects(verifull.mysql2.promise.createConnection(myUrl(), trust('other-ca.pem')),
    (e) => e instanceof verifull.VerificationError && e.outcome === 'untrusted_issuer');
});

test('servers without TLS are refused: tls_unavailable', { skip }, async () => {
  const refused = (e) => e instanceof verifull.VerificationError && e.outcome === 'tls_unavailable';
  await assert.rejects(verifull.pg.connect(url('pg', env.VERIFULL_PG_PLAIN_PORT), trust()), refused);
  await assert.rejects(verifull.mysql2.promise.createConnection(url('mysql', env.VERIFULL_MYSQL_PLAIN_PORT), trust()), refused);
});

test('knex recipe on both servers', { skip }, async () => {
  const Knex = requireFromPackage('knex');
  for (const [u, sql] of [[pgUrl(), 'SELECT 41 + 1 AS answer'], [myUrl(), 'SELECT 41 + 1 AS answer']]) {
    const knex = Knex(verifull.knex(u, trust(), {}, { pool: { min: 0, max: 2 } }));
    const result = await knex.raw(sql);
    const rows = result.rows || result[0];
    assert.equal(Number(rows[0].answer), 42);
    await knex.destroy();
    const refused = Knex(verifull.knex(u, trust('other-ca.pem'), {}, { pool: { min: 0, max: 1 }, acquireConnectionTimeout: 5000 }));
    await assert.rejects(refused.raw(sql), (e) => /untrusted_issuer/.test(e.message));
    await refused.destroy();
  }
});

test('Sequelize recipe on both servers', { skip }, async () => {
  const { Sequelize } = requireFromPackage('sequelize');
  for (const u of [pgUrl(), myUrl()]) {
    const sequelize = new Sequelize(verifull.sequelize(u, trust(), {}, { logging: false }));
    await sequelize.authenticate();
    const [rows] = await sequelize.query('SELECT 41 + 1 AS answer');
    assert.equal(Number(rows[0].answer), 42);
    await sequelize.close();
    const refused = new Sequelize(verifull.sequelize(u, trust('other-ca.pem'), {}, { logging: false }));
    await assert.rejects(refused.authenticate(), (e) => /untrusted_issuer/.test(e.message) || /untrusted_issuer/.test(String(e.original && e.original.outcome)));
    await refused.close();
  }
});
