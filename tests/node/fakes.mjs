// Hostile endpoints for the Node tests, on 127.0.0.1 only. Each records every byte it
// receives (raw) and, once TLS is up, every decrypted byte, so a test can assert that no
// credential reached it.
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';

export function pki(name) {
  return fs.readFileSync(`${process.env.VERIFULL_PKI_DIR}/${name}`);
}

function contextFor(cert, extra = {}) {
  return tls.createSecureContext({ cert: pki(`${cert}.pem`), key: pki(`${cert}.key`), ...extra });
}

// A server; `onConnection(socket, record)` speaks the protocol. Returns {port, raw(),
// decrypted(), close()}.
async function serve(onConnection) {
  const raw = [];
  const decrypted = [];
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('data', (d) => raw.push(d));
    onConnection(socket, {
      startTls(context) {
        // From here Node's TLS reads the socket itself (and the bytes already buffered).
        socket.removeAllListeners('data');
        const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
        secure.on('error', () => {});
        secure.on('data', (d) => decrypted.push(d));
        return secure;
      },
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    raw: () => Buffer.concat(raw),
    decrypted: () => Buffer.concat(decrypted),
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(resolve);
    }),
  };
}

// Waits until `n` bytes arrived on `socket` (they are also recorded), then calls `then`;
// bytes past the n-th (a TLS ClientHello sent right behind the request) are put back.
function afterBytes(socket, n, then) {
  let seen = 0;
  const onData = (d) => {
    seen += d.length;
    if (seen >= n) {
      socket.removeListener('data', onData);
      socket.pause();
      const extra = d.subarray(d.length - (seen - n));
      if (extra.length) socket.unshift(extra);
      then();
    }
  };
  socket.on('data', onData);
}

/** PostgreSQL: answers the SSLRequest with `answer` ('S' then TLS with `cert`, or 'N'). */
export function postgres({ answer = 'S', cert = 'server', tlsOptions = {} } = {}) {
  return serve((socket, { startTls }) => {
    afterBytes(socket, 8, () => {
      socket.write(answer);
      if (answer === 'S') startTls(contextFor(cert, tlsOptions));
    });
  });
}

// A MariaDB-style protocol-10 greeting; CLIENT_SSL only when `ssl`.
function greeting(ssl) {
  const CLIENT_LONG_PASSWORD = 0x1, CLIENT_CONNECT_WITH_DB = 0x8, CLIENT_PROTOCOL_41 = 0x200, CLIENT_SSL = 0x800;
  const CLIENT_TRANSACTIONS = 0x2000, CLIENT_SECURE_CONNECTION = 0x8000, CLIENT_PLUGIN_AUTH = 0x80000;
  const caps = CLIENT_LONG_PASSWORD | CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS
    | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | (ssl ? CLIENT_SSL : 0);
  const scramble = Buffer.from('abcdefghijklmnopqrst');
  const payload = Buffer.concat([
    Buffer.from([10]), Buffer.from('5.5.5-10.11.6-MariaDB-fake\0'), Buffer.from([1, 0, 0, 0]),
    scramble.subarray(0, 8), Buffer.from([0]),
    Buffer.from([caps & 0xff, (caps >> 8) & 0xff]), Buffer.from([45]), Buffer.from([2, 0]),
    Buffer.from([(caps >> 16) & 0xff, (caps >> 24) & 0xff]), Buffer.from([21]), Buffer.alloc(10),
    scramble.subarray(8), Buffer.from([0]), Buffer.from('mysql_native_password\0'),
  ]);
  return packet(0, payload);
}

function packet(sequence, payload) {
  const header = Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, (payload.length >> 16) & 0xff, sequence]);
  return Buffer.concat([header, payload]);
}

/** MySQL: a greeting (with CLIENT_SSL unless `ssl` is false), then TLS with `cert` after
 * the SSLRequest; with `authSwitch`, answers the login with an AuthSwitchRequest for that
 * plugin. */
export function mysql({ ssl = true, cert = 'server', authSwitch = null, tlsOptions = {} } = {}) {
  return serve((socket, { startTls }) => {
    socket.write(greeting(ssl));
    if (!ssl) return;
    afterBytes(socket, 36, () => {  // the SSLRequest: a 4-byte header and 32 bytes
      const secure = startTls(contextFor(cert, tlsOptions));
      if (authSwitch) {
        secure.once('data', () => secure.write(packet(3, Buffer.concat([
          Buffer.from([0xfe]), Buffer.from(`${authSwitch}\0`), Buffer.from('salt\0')]))));
      }
    });
  });
}

/** Accepts and never answers (a filtered endpoint). */
export function silent() {
  return serve(() => {});
}
