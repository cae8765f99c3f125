// Node rows of tools/bench: a warm connect + SELECT 1 through verifull's helpers against
// the same driver with Node's own full verification (ssl: { ca, rejectUnauthorized:
// true }, Node's name check), interleaved, as medians and a ratio with the 1.05x target.
// Usage (inside tools/with-servers): node tests/bench/node_bench.mjs [CONNECTS]
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(repo, 'bindings', 'node', 'package.json'));
const verifull = require('./lib/index.js');
const pg = require('pg');
const mysql2 = require('mysql2/promise');

const env = process.env;
const connects = Number(process.argv[2] || 200);
const ca = fs.readFileSync(`${env.VERIFULL_PKI_DIR}/ca.pem`);
const trust = verifull.Trust.fromFile(`${env.VERIFULL_PKI_DIR}/ca.pem`);
const creds = `${env.VERIFULL_DB_USER}:${env.VERIFULL_DB_PASSWORD}`;
const pgUrl = `postgres://${creds}@localhost:${env.VERIFULL_PG_PORT}/${env.VERIFULL_DB_NAME}`;
const myUrl = `mysql://${creds}@localhost:${env.VERIFULL_MYSQL_PORT}/${env.VERIFULL_DB_NAME}`;
const plain = { host: 'localhost', user: env.VERIFULL_DB_USER, password: env.VERIFULL_DB_PASSWORD, database: env.VERIFULL_DB_NAME };

const cases = {
  pg: {
    label: 'pg: verifull.pg.connect vs pg, ssl {ca, rejectUnauthorized}',
    async verifull() {
      const c = await verifull.pg.connect(pgUrl, trust);
      await c.query('SELECT 1');
      await c.end();
    },
    async raw() {
      const c = new pg.Client({ ...plain, port: Number(env.VERIFULL_PG_PORT), ssl: { ca, rejectUnauthorized: true } });
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
    },
  },
  mysql2: {
    label: 'mysql2: verifull.mysql2 vs mysql2, ssl {ca, verifyIdentity}',
    async verifull() {
      const c = await verifull.mysql2.promise.createConnection(myUrl, trust);
      await c.query('SELECT 1');
      await c.end();
    },
    async raw() {
      const c = await mysql2.createConnection({ ...plain, port: Number(env.VERIFULL_MYSQL_PORT),
        ssl: { ca, rejectUnauthorized: true, verifyIdentity: true } });
      await c.query('SELECT 1');
      await c.end();
    },
  },
};

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const quantile = (xs, q) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const median = (xs) => quantile(xs, 0.5);

async function time(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

// Each case: 10 warm-up rounds (code paths, the core's caches, the Trust's TLS context),
// then CONNECTS connects each way, interleaved one by one (the order alternating), in 5
// blocks. The ratio is of the medians over all blocks; the blocks' own ratios show how
// much the machine moved the result (other work on a shared machine slows one block).
const blocks = 5;
console.log(`\n7. Node.js: warm connect + SELECT 1 (${connects} each, interleaved, ${blocks} blocks; node ${process.version})`);
let failed = false;
for (const c of Object.values(cases)) {
  for (let i = 0; i < 10; i++) {
    await c.verifull();
    await c.raw();
  }
  const ours = [];
  const theirs = [];
  const blockRatios = [];
  const perBlock = Math.max(1, Math.round(connects / blocks));
  for (let b = 0; b < blocks; b++) {
    const blockOurs = [];
    const blockTheirs = [];
    for (let i = 0; i < perBlock; i++) {
      if (i % 2) {
        blockOurs.push(await time(c.verifull));
        blockTheirs.push(await time(c.raw));
      } else {
        blockTheirs.push(await time(c.raw));
        blockOurs.push(await time(c.verifull));
      }
    }
    blockRatios.push(median(blockOurs) / median(blockTheirs));
    ours.push(...blockOurs);
    theirs.push(...blockTheirs);
  }
  const ratio = median(ours) / median(theirs);
  const met = ratio <= 1.05;
  failed ||= !met;
  const spread = (xs) => `median ${median(xs).toFixed(2)} ms (p25 ${quantile(xs, 0.25).toFixed(2)}, p75 ${quantile(xs, 0.75).toFixed(2)}, p95 ${quantile(xs, 0.95).toFixed(2)})`;
  console.log(`${c.label}`);
  console.log(`   verifull ${spread(ours)} | raw ${spread(theirs)}`);
  console.log(`   ratio ${ratio.toFixed(3)}  target <= 1.05 ${met ? 'met' : 'MISSED'}; block ratios ${sorted(blockRatios).map((r) => r.toFixed(3)).join(' ')}`);
}
process.exitCode = failed ? 1 : 0;
