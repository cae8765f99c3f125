"""verifull.psycopg.connect(): psycopg 3 gets a connection verifull opened and checked at
CONNECTION_MADE, before the startup packet: pins, engines, profile and verifull's name
rules hold on every connection, which conninfo() cannot promise."""
import asyncio

import psycopg
import pytest

import verifull
from fakes import SSL_REQUEST_PG, Fake, relay, server_tls


def ssl_in_use(conn):
    return conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0]


def test_connects_and_is_an_ordinary_psycopg_connection(servers, trust):
    pin = verifull.check(servers.pg_url(), trust).chain[0].spki_sha256
    with verifull.psycopg.connect(servers.pg_url(), trust, pins=[pin], engine="both") as conn:
        assert isinstance(conn, psycopg.Connection)
        assert ssl_in_use(conn) is True
        assert conn.execute("SELECT 40 + 2").fetchone()[0] == 42


def test_wrong_pin_is_refused_in_band(servers, trust):
    with pytest.raises(verifull.VerificationError) as e:
        verifull.psycopg.connect(servers.pg_url(), trust, pins=["sha256/" + "A" * 43 + "="])
    assert e.value.outcome == "pin_mismatch"


def test_verifull_name_rules_not_libpq_ones(servers, trust):
    # The server certificate names only localhost: 127.0.0.1 is refused by verifull's rule.
    with pytest.raises(verifull.VerificationError) as e:
        verifull.psycopg.connect(servers.pg_url(host="127.0.0.1"), trust)
    assert e.value.outcome == "name_mismatch"


def test_a_pin_mismatch_through_a_relay_sends_no_startup_packet(servers, trust):
    port = servers.port("PG")
    with Fake(lambda fake, conn, n: relay(fake, conn, port)) as fake:
        with pytest.raises(verifull.VerificationError):
            verifull.psycopg.connect(servers.pg_url(port=fake.port), trust, pins=["sha256/" + "A" * 43 + "="])
    # Only the SSLRequest and the TLS handshake went through; the startup packet (user
    # name, in TLS records) never did: a few hundred bytes at most, no application data.
    assert fake.received.startswith(SSL_REQUEST_PG)
    assert len(fake.received) < 1500


def test_impostor_gets_nothing(servers, trust):
    def handler(fake, conn, n):
        if fake.recv_exact(conn, 8) == SSL_REQUEST_PG:
            conn.sendall(b"S")
            try:
                fake.drain(server_tls(conn, servers.file("impostor.pem"), servers.file("impostor.key")))
            except OSError:
                pass
    with Fake(handler) as fake:
        with pytest.raises(verifull.VerificationError):
            verifull.psycopg.connect(servers.pg_url(port=fake.port), trust)
    # SSLRequests only (libpq's, and verifull's diagnostic probe after libpq refused).
    assert fake.received and fake.received.replace(SSL_REQUEST_PG, b"") == b""


def test_async_variant(servers, trust):
    async def main():
        conn = await verifull.psycopg.connect_async(servers.pg_url(), trust)
        async with conn:
            cur = await conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            return (await cur.fetchone())[0]
    assert asyncio.run(main()) is True


def test_pool_connections_all_go_through_verifull(servers, trust):
    psycopg_pool = pytest.importorskip("psycopg_pool")
    factory = verifull.psycopg.connection_factory(servers.pg_url(), trust)
    with psycopg_pool.ConnectionPool("", connection_class=factory, min_size=2, max_size=2) as pool:
        with pool.connection() as conn:
            assert ssl_in_use(conn) is True
    bad = verifull.psycopg.connection_factory(servers.pg_url(), trust, pins=["sha256/" + "A" * 43 + "="])
    with pytest.raises(verifull.VerificationError):
        bad.connect("")
