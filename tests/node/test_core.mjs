// The package over the C ABI: constants match the header, bad input is an InputError
// without the password, check() runs off the event loop and ends by its deadline,
// verifyChain gives the core's verdicts, ESM and CommonJS give the same objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { repo, verifull, requireFromPackage } from './helpers.mjs';
import * as fakes from './fakes.mjs';

const native = requireFromPackage('./lib/native.js');
const hasPki = Boolean(process.env.VERIFULL_PKI_DIR);

test('the constants and the policy struct match include/verifull.h', () => {
  const header = fs.readFileSync(path.join(repo, 'include', 'verifull.h'), 'utf8');
  const define = (name) => Number(header.match(new RegExp(`#define ${name} \\(?(-?\\d+)\\)?`))[1]);
  for (const [name, value] of Object.entries(native.ERROR)) assert.equal(value, define(`VF_ERROR_${name}`), name);
  for (const [name, value] of Object.entries(native.ENGINES)) assert.equal(value, define(`VF_ENGINE_${name.toUpperCase()}`));
  for (const [name, value] of Object.entries(native.PROFILES)) assert.equal(value, define(`VF_PROFILE_${name.toUpperCase()}`));
  assert.equal(native.POLICY_OPTIONS_VERSION, define('VF_POLICY_OPTIONS_VERSION'));
  const struct = header.match(/typedef struct vf_policy_options \{([\s\S]*?)\} vf_policy_options;/)[1];
  const fields = [...struct.matchAll(/^\s*[\w\s*]*?\b(\w+);/gm)].map((m) => m[1]);
  assert.deepEqual(Object.keys(native.koffi.introspect(native.PolicyOptions).members), fields);
});

test('errors and outcome classes come from the library: vf_error_description, vf_outcome_exit_code', () => {
  assert.equal(native.fn.error_description(native.ERROR.INPUT), 'bad input');
  assert.equal(native.fn.error_description(12345), 'unknown error code');
  const descriptions = Object.values(native.ERROR).map((code) => native.fn.error_description(code));
  assert.equal(new Set(descriptions).size, descriptions.length);
  assert.ok(!descriptions.includes('unknown error code'));
  // A NativeError without words of its own takes the code's description.
  assert.equal(new native.NativeError(native.ERROR.NETWORK, '').message, native.fn.error_description(native.ERROR.NETWORK));
  // The unreachable outcomes are the ones the CLI exits 3 for, as the library says.
  assert.deepEqual([...native.unreachableOutcomes()].sort(),
    ['connection_refused', 'handshake_failed', 'name_not_resolved', 'network_error', 'timeout']);
  assert.deepEqual([...requireFromPackage('./lib/core.js').NETWORK_OUTCOMES], native.unreachableOutcomes());
  // A failed call on this thread carries the library's message and no outcome.
  assert.throws(() => native.check(native.fn.trust_anchor_count(null, [0])),
    (e) => e instanceof native.NativeError && e.code === native.ERROR.INVALID_HANDLE &&
      e.message === 'not a valid trust handle' && e.outcome === null);
});

test('bad input is an InputError that names the problem and never the password', async () => {
  assert.throws(() => verifull.Trust.fromFile('/nonexistent/ca.pem'), verifull.InputError);
  assert.throws(() => verifull.Trust.fromPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
    (e) => e instanceof verifull.InputError && /private key/i.test(e.message) && !e.message.includes('AAAA'));
  assert.throws(() => verifull.Trust.fromPem(42), verifull.InputError);
  assert.throws(() => verifull.Trust.fromEnv('VERIFULL_NODE_TEST_UNSET_VARIABLE'), verifull.InputError);
  if (!hasPki) return;
  const trust = verifull.Trust.fromFile(`${process.env.VERIFULL_PKI_DIR}/ca.pem`);
  for (const bad of ['postgres://app:Sup3rSecretPw@localhost:notaport/db', 'postgres://app:Sup3rSecretPw@/db']) {
    await assert.rejects(verifull.check(bad, trust), (e) => e instanceof verifull.InputError && !e.message.includes('Sup3rSecretPw'));
    assert.throws(() => verifull.pg.Client(bad, trust), (e) => e instanceof verifull.InputError && !e.message.includes('Sup3rSecretPw'));
    assert.throws(() => verifull.mysql2.createConnection(bad.replace('postgres', 'mysql'), trust),
      (e) => e instanceof verifull.InputError && !e.message.includes('Sup3rSecretPw'));
  }
  await assert.rejects(verifull.check('postgres://localhost:5432', trust, { engine: 'rot13' }), /unknown engine/);
  await assert.rejects(verifull.check('postgres://localhost:5432', trust, { pinz: [] }), /unknown policy setting "pinz"/);
  await assert.rejects(verifull.check('postgres://localhost:5432', 'ca.pem'), verifull.InputError);
  assert.throws(() => verifull.pg.Client('postgres://a:b@localhost:5432/x', trust, {}, { ssl: false }), /pgOptions.ssl is set by verifull/);
  assert.throws(() => verifull.pg.Client('postgres://a:b@localhost:5432/x?sslmode=disable', trust), /sslmode/);
  assert.throws(() => verifull.mysql2.createConnection('mysql://a:b@localhost:3306/x', trust, {}, { ssl: {} }), /mysqlOptions.ssl/);
  assert.throws(() => verifull.mysql2.createConnection('mysql://a:b@localhost:3306/x', trust, {},
    { authPlugins: { mysql_clear_password: () => () => Buffer.from('pw') } }), /send the password as it is/);
  // The names are the core's (vf_mysql_clear_text_auth_plugins): each one refused here.
  const names = native.stringOut(native.fn.mysql_clear_text_auth_plugins).split(',');
  assert.deepEqual(names, ['mysql_clear_password', 'dialog']);
  for (const name of names) {
    assert.throws(() => verifull.mysql2.createConnection('mysql://a:b@localhost:3306/x', trust, {},
      { authPlugins: { [name]: () => () => Buffer.from('pw') } }), new RegExp(`authPlugins.${name} would send the password`));
  }
  assert.throws(() => verifull.mysql2.createConnection('postgres://a:b@localhost:5432/x', trust), /mysql:\/\//);
});

test('verifyChain gives the core verdicts on DER certificates', { skip: !hasPki }, () => {
  const trust = verifull.Trust.fromFile(`${process.env.VERIFULL_PKI_DIR}/ca.pem`);
  const der = (name) => new X509Certificate(fakes.pki(name)).raw;
  assert.equal(verifull.verifyChain([der('server.pem')], trust, { host: 'localhost' }).outcome, 'ok');
  assert.equal(verifull.verifyChain([der('wrong-name.pem')], trust, { host: 'localhost' }).outcome, 'name_mismatch');
  assert.equal(verifull.verifyChain([der('impostor.pem')], trust, { host: 'localhost' }).outcome, 'untrusted_issuer');
  const pinned = verifull.verifyChain([der('server.pem')], trust,
    { host: 'localhost', pins: ['sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='] });
  assert.equal(pinned.outcome, 'pin_mismatch');
  assert.throws(() => pinned.raiseForOutcome(), (e) => e instanceof verifull.VerificationError && e.outcome === 'pin_mismatch');
  assert.throws(() => verifull.verifyChain([Buffer.from('not a certificate')], trust, { host: 'localhost' }), verifull.InputError);
  assert.throws(() => verifull.verifyChain([der('server.pem')], trust, {}), /host is required/);
  // The in-band check's verdict (lib/inband.js) takes the same input check as verifyChain.
  const core = requireFromPackage('./lib/core.js');
  assert.equal(core.verifyChainVerdict([der('server.pem')], trust, { host: 'localhost' }).outcome, 'ok');
  for (const bad of [[], 'not an array', [42]])
    assert.throws(() => core.verifyChainVerdict(bad, trust, { host: 'localhost' }), verifull.InputError);
  assert.match(trust.anchorsPem, /BEGIN CERTIFICATE/);
  assert.equal(trust.anchors.length, 1);
});

test('the TLS-strength rule comes from the core', () => {
  assert.equal(verifull.weakTlsReason('TLSv1.3', 'TLS_AES_128_GCM_SHA256'), null);
  assert.equal(verifull.weakTlsReason('TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384'), null);
  assert.match(verifull.weakTlsReason('TLSv1.2', 'AES256-GCM-SHA384'), /forward secrecy/);
  assert.match(verifull.weakTlsReason('TLSv1.2', 'ECDHE-RSA-AES256-SHA384'), /AEAD/);
});

test('check() runs off the event loop and ends by its deadline', { skip: !hasPki }, async () => {
  const trust = verifull.Trust.fromFile(`${process.env.VERIFULL_PKI_DIR}/ca.pem`);
  const fake = await fakes.silent();
  try {
    let ticks = 0;
    const timer = setInterval(() => { ticks += 1; }, 10);
    const started = Date.now();
    const report = await verifull.check(`postgres://127.0.0.1:${fake.port}/x`, trust, { timeout: 1 });
    clearInterval(timer);
    const elapsed = Date.now() - started;
    assert.equal(report.outcome, 'timeout');
    assert.ok(elapsed < 1000 + 2000, `ended after ${elapsed} ms`);
    assert.ok(ticks >= 20, `the event loop ran ${ticks} times during the probe`);
    // The probe's SSLRequest, and nothing else: a probe never sends a credential.
    assert.deepEqual(fake.raw(), Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
  } finally {
    await fake.close();
  }
});

test('ESM and CommonJS give the same objects', async () => {
  const esm = await import(path.join(repo, 'bindings', 'node', 'lib', 'index.mjs'));
  assert.equal(esm.Trust, verifull.Trust);
  assert.equal(esm.check, verifull.check);
  assert.equal(esm.default, verifull);
  assert.equal(typeof esm.pg.connect, 'function');
});
