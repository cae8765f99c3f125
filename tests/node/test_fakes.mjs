// Hostile endpoints: each refusal is asserted together with "no credential byte reached
// the fake". Positive controls (the same fake with the right certificate) show the fakes
// do record the startup/login, so "nothing recorded" means nothing was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifull, requireFromPackage } from './helpers.mjs';
import * as fakes from './fakes.mjs';

const skip = !process.env.VERIFULL_PKI_DIR;
const PASSWORD = 'Fake-Secret-Pw-7731';
const USER = 'fakeuser';
const pgUrl = (port) => `postgres://${USER}:${PASSWORD}@localhost:${port}/db`;
const myUrl = (port) => `mysql://${USER}:${PASSWORD}@localhost:${port}/db`;
const trust = () => verifull.Trust.fromFile(`${process.env.VERIFULL_PKI_DIR}/ca.pem`);
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

function noCredential(fake) {
  for (const bytes of [fake.raw(), fake.decrypted()]) {
    assert.ok(!bytes.includes(PASSWORD), 'the password reached the fake');
    assert.ok(!bytes.includes(USER), 'the login reached the fake');
  }
  assert.equal(fake.decrypted().length, 0, 'application data reached the fake after TLS');
}

async function with_(fakePromise, body) {
  const fake = await fakePromise;
  try {
    await body(fake);
  } finally {
    await fake.close();
  }
}

const refusedWith = (outcome) => (e) => {
  assert.ok(e instanceof verifull.VerificationError, `${e.constructor.name}: ${e.message}`);
  assert.equal(e.outcome, outcome, e.message);
  assert.ok(!e.message.includes(PASSWORD));
  return true;
};

// pg never gets an answer from these fakes after the startup: end its connect attempt.
async function pgConnect(url, policy = {}) {
  const client = verifull.pg.Client(url, trust(), { timeout: 3, ...policy });
  try {
    await client.connect();
  } finally {
    client.end().catch(() => {});
  }
}

async function mysqlConnect(url, policy = {}) {
  const connection = await verifull.mysql2.promise.createConnection(url, trust(), { timeout: 3, ...policy });
  connection.destroy();
}

test('positive controls: the fakes record the startup and the login when the server is accepted', { skip }, async () => {
  await with_(fakes.postgres({ cert: 'server' }), async (fake) => {
    await assert.rejects(pgConnect(pgUrl(fake.port), { timeout: 1 }));  // the fake never answers the startup
    assert.ok(fake.decrypted().includes(USER), 'the pg startup packet reached the fake');
  });
  await with_(fakes.mysql({ cert: 'server' }), async (fake) => {
    await assert.rejects(mysqlConnect(myUrl(fake.port), { timeout: 1 }));
    assert.ok(fake.decrypted().includes(USER), 'the mysql2 login reached the fake');
  });
});

test('PostgreSQL answering N to the SSLRequest: tls_unavailable, nothing sent after the SSLRequest', { skip }, async () => {
  await with_(fakes.postgres({ answer: 'N' }), async (fake) => {
    await assert.rejects(pgConnect(pgUrl(fake.port)), refusedWith('tls_unavailable'));
    assert.deepEqual(fake.raw(), SSL_REQUEST);
    noCredential(fake);
  });
});

for (const [name, cert, policy, outcome] of [
  ['another CA', 'impostor', {}, 'untrusted_issuer'],
  ['another name', 'wrong-name', {}, 'name_mismatch'],
  ['the right CA with a pin mismatch', 'server', { pins: ['sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='] }, 'pin_mismatch'],
]) {
  test(`PostgreSQL impostor (${name}): ${outcome}, no startup sent`, { skip }, async () => {
    await with_(fakes.postgres({ cert }), async (fake) => {
      await assert.rejects(pgConnect(pgUrl(fake.port), policy), refusedWith(outcome));
      noCredential(fake);
    });
  });
  test(`MySQL impostor (${name}): ${outcome}, no login sent`, { skip }, async () => {
    await with_(fakes.mysql({ cert }), async (fake) => {
      await assert.rejects(mysqlConnect(myUrl(fake.port), policy), refusedWith(outcome));
      noCredential(fake);
    });
  });
}

test('the strict profile and a second engine reach the in-band check', { skip }, async () => {
  await with_(fakes.postgres({ cert: 'wrong-name' }), async (fake) => {
    await assert.rejects(pgConnect(pgUrl(fake.port), { engine: 'both', profile: 'strict' }), refusedWith('name_mismatch'));
    noCredential(fake);
  });
});

test('MySQL greeting without CLIENT_SSL: tls_unavailable, nothing sent after the greeting', { skip }, async () => {
  await with_(fakes.mysql({ ssl: false }), async (fake) => {
    await assert.rejects(mysqlConnect(myUrl(fake.port)), refusedWith('tls_unavailable'));
    assert.equal(fake.raw().length, 0);
    noCredential(fake);
  });
});

for (const plugin of ['mysql_clear_password', 'dialog']) {
  test(`MySQL auth switch to ${plugin}: refused, the password is not sent`, { skip }, async () => {
    await with_(fakes.mysql({ cert: 'server', authSwitch: plugin }), async (fake) => {
      await assert.rejects(mysqlConnect(myUrl(fake.port)), (e) => {
        assert.match(e.message, new RegExp(`${plugin}.*password was not sent`));
        return true;
      });
      assert.ok(!fake.decrypted().includes(PASSWORD), 'the password reached the fake');
      assert.ok(!fake.raw().includes(PASSWORD));
    });
  });
}

test('weak TLS (TLS 1.2, static RSA): refused in the handshake, nothing sent', { skip }, async () => {
  const weak = { ciphers: 'AES128-GCM-SHA256', maxVersion: 'TLSv1.2' };
  await with_(fakes.postgres({ cert: 'server-rsa', tlsOptions: weak }), async (fake) => {
    await assert.rejects(pgConnect(pgUrl(fake.port)), refusedWith('handshake_failed'));
    noCredential(fake);
  });
  await with_(fakes.mysql({ cert: 'server-rsa', tlsOptions: weak }), async (fake) => {
    await assert.rejects(mysqlConnect(myUrl(fake.port)), refusedWith('handshake_failed'));
    noCredential(fake);
  });
});

test('the mysql2 default that leaks today (ssl with a CA, another name) is refused by verifull.mysql2', { skip }, async () => {
  const mysql2 = requireFromPackage('mysql2');
  await with_(fakes.mysql({ cert: 'wrong-name' }), async (fake) => {
    // Plain mysql2 3.x: the chain is checked, the name is not, the login goes out.
    const plain = mysql2.createConnection({ host: 'localhost', port: fake.port, user: USER, password: PASSWORD,
      database: 'db', ssl: { ca: fakes.pki('ca.pem') } });
    plain.on('error', () => {});
    for (const until = Date.now() + 5000; !fake.decrypted().includes(USER) && Date.now() < until;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    plain.destroy();
    assert.ok(fake.decrypted().includes(USER), 'plain mysql2 sent its login to a server named otherwise');
  });
  await with_(fakes.mysql({ cert: 'wrong-name' }), async (fake) => {
    await assert.rejects(mysqlConnect(myUrl(fake.port)), refusedWith('name_mismatch'));
    noCredential(fake);
  });
});

test('a silent endpoint: every helper ends by its deadline', { skip }, async () => {
  await with_(fakes.silent(), async (fake) => {
    for (const attempt of [() => pgConnect(pgUrl(fake.port), { timeout: 1 }), () => mysqlConnect(myUrl(fake.port), { timeout: 1 })]) {
      const started = Date.now();
      await assert.rejects(attempt());
      assert.ok(Date.now() - started < 1000 + 2000, `took ${Date.now() - started} ms`);
    }
  });
});
