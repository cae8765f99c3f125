"""Hostile endpoints for the Python tests: each records every byte it receives (after
TLS, the decrypted bytes), so a test can assert that no credential reached it."""
from __future__ import annotations

import select
import socket
import ssl
import struct
import threading

CLIENT_SSL = 0x0800
SSL_REQUEST_PG = b"\x00\x00\x00\x08\x04\xd2\x16\x2f"


class Fake:
    """Listens on 127.0.0.1 (or another loopback `address`, on `port`; a free one when 0);
    each accepted connection is passed to handler(fake, conn, n)."""

    def __init__(self, handler, address="127.0.0.1", port=0):
        self.handler = handler
        self.received = b""
        self.connections = 0
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind((address, port))
        self._sock.listen(8)
        self.port = self._sock.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def record(self, data: bytes) -> bytes:
        with self._lock:
            self.received += data
        return data

    def recv(self, conn, n=65536, timeout=3.0) -> bytes:
        conn.settimeout(timeout)
        try:
            return self.record(conn.recv(n))
        except (socket.timeout, OSError, ssl.SSLError):
            return b""

    def recv_exact(self, conn, n, timeout=3.0) -> bytes:
        out = b""
        while len(out) < n:
            part = self.recv(conn, n - len(out), timeout)
            if not part:
                break
            out += part
        return out

    def drain(self, conn, timeout=1.0):
        while self.recv(conn, timeout=timeout):
            pass

    def _serve(self):
        while not self._stop:
            ready, _, _ = select.select([self._sock], [], [], 0.05)
            if not ready:
                continue
            conn, _ = self._sock.accept()
            self.connections += 1
            try:
                self.handler(self, conn, self.connections)
            except OSError:
                pass
            finally:
                conn.close()

    def close(self):
        self._stop = True
        self._thread.join()
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def server_tls(conn, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx.wrap_socket(conn, server_side=True)


# ---- MySQL ---------------------------------------------------------------------------

def mysql_packet(seq: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def mysql_greeting(tls: bool, plugin: bytes = b"mysql_native_password") -> bytes:
    caps = 0x00000001 | 0x00000004 | 0x00000200 | 0x00002000 | 0x00008000 | 0x00080000
    if tls:
        caps |= CLIENT_SSL
    payload = (b"\x0a" + b"10.11.99-FakeDB\x00" + struct.pack("<I", 7) + b"abcdefgh\x00" +
               struct.pack("<H", caps & 0xFFFF) + b"\x2d" + struct.pack("<H", 2) + struct.pack("<H", caps >> 16) +
               b"\x15" + b"\x00" * 10 + b"ijklmnopqrst\x00" + plugin + b"\x00")
    return mysql_packet(0, payload)


def read_mysql_packet(fake, conn) -> bytes:
    header = fake.recv_exact(conn, 4)
    if len(header) < 4:
        return b""
    length = int.from_bytes(header[:3], "little")
    return header + fake.recv_exact(conn, length)


def relay(fake, client, port, rewrite_greeting=None):
    """Relays client <-> 127.0.0.1:port; rewrite_greeting may alter the server's first packet."""
    upstream = socket.create_connection(("127.0.0.1", port))
    try:
        if rewrite_greeting:
            header = upstream.recv(4)
            body = b""
            length = int.from_bytes(header[:3], "little")
            while len(body) < length:
                body += upstream.recv(length - len(body))
            client.sendall(rewrite_greeting(header + body))
        while True:
            ready, _, _ = select.select([client, upstream], [], [], 5)
            if not ready:
                return
            if client in ready:
                data = client.recv(65536)
                if not data:
                    return
                upstream.sendall(fake.record(data))
            if upstream in ready:
                data = upstream.recv(65536)
                if not data:
                    return
                client.sendall(data)
    finally:
        upstream.close()


def strip_client_ssl(packet: bytes) -> bytes:
    """Clears CLIENT_SSL in a real greeting: what a BACKRONYM man in the middle does."""
    data = bytearray(packet)
    end_of_version = data.index(0, 5)
    caps_at = end_of_version + 1 + 4 + 8 + 1
    caps = int.from_bytes(data[caps_at:caps_at + 2], "little") & ~CLIENT_SSL
    data[caps_at:caps_at + 2] = caps.to_bytes(2, "little")
    return bytes(data)


def mysql_clear_password_fake(cert, key):
    """A TLS MySQL server (with a trusted certificate) that answers the HandshakeResponse
    with an AuthSwitchRequest for mysql_clear_password: the client must not send it."""
    def handler(fake, conn, n):
        conn.sendall(mysql_greeting(tls=True))
        if len(fake.recv_exact(conn, 36)) != 36:
            return
        try:
            tls = server_tls(conn, cert, key)
        except OSError:
            return
        if read_mysql_packet(fake, tls):  # the HandshakeResponse (the probe hangs up first)
            tls.sendall(mysql_packet(3, b"\xfemysql_clear_password\x00"))
            fake.drain(tls)
    return Fake(handler)


def tls_impostor_fake(protocol: str, cert: str, key: str) -> Fake:
    """A fake that answers a PostgreSQL SSLRequest or sends a MySQL greeting offering TLS
    (protocol "postgres" or "mysql"), then does TLS with `cert` (another CA's: an
    impostor) and records whatever the client sends after it."""
    def handler(fake, conn, n):
        if protocol == "postgres":
            if fake.recv_exact(conn, 8) != SSL_REQUEST_PG:
                return
            conn.sendall(b"S")
        else:
            conn.sendall(mysql_greeting(tls=True))
            if len(fake.recv_exact(conn, 36)) != 36:
                return
        try:
            fake.drain(server_tls(conn, cert, key))
        except OSError:
            pass
    return Fake(handler)
