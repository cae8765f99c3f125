// examples/node_connect.js against the real servers, as a user would run it after
// `npm install verifull`: connects to both (exit 0), refused when a name the certificate
// does not carry is dialled (exit 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repo, servers, url } from './helpers.mjs';

const skip = !servers && 'needs the test servers (tools/with-servers)';

function run(...args) {
  // `require('verifull')` resolves as from an app's node_modules.
  const modules = fs.mkdtempSync(path.join(os.tmpdir(), 'verifull-node-'));
  fs.symlinkSync(path.join(repo, 'bindings', 'node'), path.join(modules, 'verifull'));
  try {
    return spawnSync(process.execPath, [path.join(repo, 'examples', 'node_connect.js'), ...args],
      { env: { ...process.env, NODE_PATH: modules }, encoding: 'utf8', timeout: 60000 });
  } finally {
    fs.rmSync(modules, { recursive: true, force: true });
  }
}

test('the example connects verified to both servers', { skip }, () => {
  const env = process.env;
  const ca = `${env.VERIFULL_PKI_DIR}/ca.pem`;
  const ok = run(ca, url('pg', env.VERIFULL_PG_PORT), url('mysql', env.VERIFULL_MYSQL_PORT));
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /PostgreSQL: connected as/);
  assert.match(ok.stdout, /MySQL: connected as/);
  const wrongName = run(ca, url('pg', env.VERIFULL_PG_PORT), url('mysql', env.VERIFULL_MYSQL_PORT, '127.0.0.1'));
  assert.equal(wrongName.status, 1, wrongName.stderr);
  assert.match(wrongName.stderr, /refused \(name_mismatch\)/);
  assert.ok(!wrongName.stderr.includes(env.VERIFULL_DB_PASSWORD));
});
