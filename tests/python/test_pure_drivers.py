"""asyncpg, PyMySQL and aiomysql through verifull: verified connections to the real
servers, and each hostile case refused with no credential at the fake: an impostor, the
wrong name, a certificate swapped after an honest probe (pinned in-band), TLS stripped
after an honest probe, and (MySQL) a request for mysql_clear_password."""
import asyncio

import pytest

import verifull
from fakes import SSL_REQUEST_PG, Fake, mysql_clear_password_fake, mysql_greeting, relay, server_tls, strip_client_ssl


def run(coro):
    return asyncio.run(coro)


# ---- PostgreSQL: asyncpg -------------------------------------------------------------

def pg_after_honest_probe(servers, then):
    port = servers.port("PG")
    return Fake(lambda fake, conn, n: relay(fake, conn, port) if n == 1 else then(fake, conn))


def pg_swapped_certificate(servers, name):
    def then(fake, conn):
        if fake.recv_exact(conn, 8) == SSL_REQUEST_PG:
            conn.sendall(b"S")
            try:
                fake.drain(server_tls(conn, servers.file(name + ".pem"), servers.file(name + ".key")))
            except OSError:
                pass
    return pg_after_honest_probe(servers, then)


def test_asyncpg_connects_verified_and_pools(servers, trust):
    async def main():
        conn = await verifull.asyncpg.connect(servers.pg_url(), trust)
        ssl = await conn.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        await conn.close()
        pool = await verifull.asyncpg.create_pool(servers.pg_url(), trust, min_size=2, max_size=2)
        async with pool.acquire() as c:
            pooled = await c.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        await pool.close()
        return ssl, pooled
    assert run(main()) == (True, True)


@pytest.mark.parametrize("url_args,outcome", [({"host": "127.0.0.1"}, "name_mismatch")])
def test_asyncpg_refuses_the_wrong_name(servers, trust, url_args, outcome):
    with pytest.raises(verifull.VerificationError) as e:
        run(verifull.asyncpg.connect(servers.pg_url(**url_args), trust))
    assert e.value.outcome == outcome


@pytest.mark.parametrize("cert", ["server2", "impostor"])
def test_asyncpg_after_an_honest_probe_reaches_only_the_approved_certificate(servers, trust, cert):
    with pg_swapped_certificate(servers, cert) as fake:
        with pytest.raises(Exception) as e:
            run(verifull.asyncpg.connect(servers.pg_url(port=fake.port), trust, timeout=5))
    assert "verifull" in str(e.value) or "certificate" in str(e.value).lower()
    assert servers.user.encode() not in fake.received


def test_asyncpg_refuses_a_no_after_an_honest_probe(servers, trust):
    def then(fake, conn):
        if fake.recv_exact(conn, 8) == SSL_REQUEST_PG:
            conn.sendall(b"N")
            fake.drain(conn)
    with pg_after_honest_probe(servers, then) as fake:
        with pytest.raises(Exception):
            run(verifull.asyncpg.connect(servers.pg_url(port=fake.port), trust, timeout=5))
    assert servers.user.encode() not in fake.received


# ---- MySQL: PyMySQL and aiomysql -----------------------------------------------------

def pymysql_connect(servers, trust, **kw):
    conn = verifull.pymysql.connect(servers.mysql_url(**kw), trust, timeout=5)
    cur = conn.cursor()
    cur.execute("SHOW STATUS LIKE 'Ssl_version'")
    version = cur.fetchone()[1]
    conn.close()
    return version


def aiomysql_connect(servers, trust, **kw):
    async def main():
        conn = await verifull.aiomysql.connect(servers.mysql_url(**kw), trust, timeout=5)
        async with conn.cursor() as cur:
            await cur.execute("SHOW STATUS LIKE 'Ssl_version'")
            version = (await cur.fetchone())[1]
        conn.close()
        return version
    return run(main())


DRIVERS = [pymysql_connect, aiomysql_connect]


@pytest.mark.parametrize("connect", DRIVERS)
def test_mysql_drivers_connect_verified(servers, trust, connect):
    assert connect(servers, trust).startswith("TLSv1.")


@pytest.mark.parametrize("connect", DRIVERS)
def test_mysql_drivers_refuse_the_wrong_name_by_probe(servers, trust, connect):
    with pytest.raises(verifull.VerificationError) as e:
        connect(servers, trust, port=servers.port("MYSQL"))  # names localhost only; dialled 127.0.0.1
    assert e.value.outcome == "name_mismatch"


def mysql_after_honest_probe(servers, then):
    port = servers.port("MYSQL_IP")
    return Fake(lambda fake, conn, n: relay(fake, conn, port) if n == 1 else then(fake, conn))


@pytest.mark.parametrize("connect", DRIVERS)
def test_mysql_drivers_refuse_stripped_tls_after_an_honest_probe(servers, trust, connect):
    port = servers.port("MYSQL_IP")
    with Fake(lambda fake, conn, n: relay(fake, conn, port, rewrite_greeting=None if n == 1 else strip_client_ssl)) \
            as fake:
        with pytest.raises(Exception, match="CLIENT_SSL"):
            connect(servers, trust, port=fake.port)
    assert servers.user.encode() not in fake.received


@pytest.mark.parametrize("connect", DRIVERS)
@pytest.mark.parametrize("cert", ["server-ip2", "impostor"])
def test_mysql_drivers_reach_only_the_approved_certificate(servers, trust, connect, cert):
    def then(fake, conn):
        conn.sendall(mysql_greeting(tls=True))
        if len(fake.recv_exact(conn, 36)) == 36:
            try:
                fake.drain(server_tls(conn, servers.file(cert + ".pem"), servers.file(cert + ".key")))
            except OSError:
                pass
    with mysql_after_honest_probe(servers, then) as fake:
        with pytest.raises(Exception):
            connect(servers, trust, port=fake.port)
    assert servers.user.encode() not in fake.received


@pytest.mark.parametrize("connect", DRIVERS)
def test_mysql_drivers_refuse_clear_password_without_sending_it(servers, trust, connect):
    with mysql_clear_password_fake(servers.file("server-ip.pem"), servers.file("server-ip.key")) as fake:
        with pytest.raises(Exception, match="mysql_clear_password"):
            connect(servers, trust, port=fake.port)
    assert servers.password.encode() not in fake.received
