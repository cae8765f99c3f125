"""Long-lived pure-Python connections (issue 21): the approval cache shared by asyncpg,
PyMySQL and aiomysql (warm connects make no probe; bounded; one probe per endpoint at a
time), rotation of the real servers' certificates under live pools and connects (one
re-approval; a refused certificate stays refused), a relay that switches certificates
after a warm connect (one re-probe, never a loop, no credential), SQLAlchemy 1.4 asyncio
engines, and the policy/keyword/URL-parameter contract of these helpers."""
import asyncio
import ssl
import threading
import time

import pytest

import verifull
from verifull import _approvals
import own_servers
from fakes import Fake, mysql_greeting, relay, server_tls, tls_impostor_fake


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(autouse=True)
def fresh_approvals():
    _approvals.SHARED.clear()
    _approvals.SHARED.probes = _approvals.SHARED.hits = 0
    yield
    _approvals.SHARED.clear()


# ---- the cache itself ------------------------------------------------------------------

def fake_approval(name):
    return _approvals.Approval(name, None, None, time.monotonic() + 60)


def test_cache_is_bounded_and_evicts_the_least_recently_used():
    cache = _approvals.ApprovalCache(max_entries=2)
    far = time.monotonic() + 60
    for key in ("a", "b"):
        cache.approve(("k", key), lambda key=key: fake_approval(key), far)
    assert cache.lookup(("k", "a")).leaf_sha256 == "a"  # a is now the most recently used
    cache.approve(("k", "c"), lambda: fake_approval("c"), far)
    assert len(cache) == 2
    assert cache.lookup(("k", "b")) is None  # evicted
    assert cache.lookup(("k", "a")) is not None and cache.lookup(("k", "c")) is not None
    assert cache.probes == 3


def test_cache_probes_once_for_concurrent_connects_and_again_only_for_a_stale_approval():
    cache = _approvals.ApprovalCache()
    calls = []

    def slow_probe():
        calls.append(1)
        time.sleep(0.2)
        return fake_approval(f"leaf{len(calls)}")
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.approve(("k",), slow_probe,
                                                                            time.monotonic() + 5)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert sum(1 for _, from_cache in results if not from_cache) == 1
    first = results[0][0]
    again, from_cache = cache.approve(("k",), slow_probe, time.monotonic() + 5, replacing=first)
    assert (again.leaf_sha256, from_cache, len(calls)) == ("leaf2", False, 2)


def test_a_refused_probe_leaves_no_approval():
    cache = _approvals.ApprovalCache()
    first, _ = cache.approve(("k",), lambda: fake_approval("old"), time.monotonic() + 5)

    def refused():
        raise verifull.VerificationError(verifull.Report(endpoint="x", ok=False, outcome="untrusted_issuer",
                                                         message="refused"))
    with pytest.raises(verifull.VerificationError):
        cache.approve(("k",), refused, time.monotonic() + 5, replacing=first)
    assert cache.lookup(("k",)) is None


def test_the_cache_key_holds_the_whole_policy_and_the_anchors(servers, trust):
    url = servers.mysql_url()
    plain = _approvals.Plan(url, trust, "mysql", verifull.Policy())
    pinned = _approvals.Plan(url, trust, "mysql", verifull.Policy(pins=["sha256/" + "A" * 43 + "="]))
    other_trust = _approvals.Plan(url, verifull.Trust.from_file(servers.file("other-ca.pem")), "mysql",
                                  verifull.Policy())
    assert len({plain.key, pinned.key, other_trust.key}) == 3
    assert plain.key == _approvals.Plan(url, verifull.Trust.from_file(servers.file("ca.pem")), "mysql",
                                        verifull.Policy()).key


# ---- warm connects make no probe (counted at a relay: one TCP connection each) ---------

def counting_relay(port):
    return Fake(lambda fake, conn, n: relay(fake, conn, port))


def pymysql_select_1(url, trust, **kw):
    conn = verifull.pymysql.connect(url, trust, **kw)
    cur = conn.cursor()
    cur.execute("SELECT 1")
    assert cur.fetchone()[0] == 1
    conn.close()


def aiomysql_select_1(url, trust, **kw):
    async def main():
        conn = await verifull.aiomysql.connect(url, trust, **kw)
        async with conn.cursor() as cur:
            await cur.execute("SELECT 1")
            assert (await cur.fetchone())[0] == 1
        conn.close()
    run(main())


def asyncpg_select_1(url, trust, **kw):
    async def main():
        conn = await verifull.asyncpg.connect(url, trust, **kw)
        assert await conn.fetchval("SELECT 1") == 1
        await conn.close()
    run(main())


MYSQL_CONNECTS = [pymysql_select_1, aiomysql_select_1]


@pytest.mark.parametrize("select_1", MYSQL_CONNECTS + [asyncpg_select_1])
def test_a_warm_connect_makes_no_probe(servers, trust, select_1):
    port = servers.port("PG" if select_1 is asyncpg_select_1 else "MYSQL_IP")
    with counting_relay(port) as fake:
        url = (servers.pg_url if select_1 is asyncpg_select_1 else servers.mysql_url)(port=fake.port)
        select_1(url, trust, timeout=5)
        assert fake.connections == 2  # cold: the probe, then the connection
        select_1(url, trust, timeout=5)
        select_1(url, trust, timeout=5)
        assert fake.connections == 4  # warm: the connection only


@pytest.mark.parametrize("select_1", MYSQL_CONNECTS)
def test_a_relay_that_switches_certificates_after_a_warm_connect_gets_one_reprobe_and_no_credential(
        servers, trust, select_1):
    """Probes and the first connect reach the real server; later connects a sibling
    certificate (same CA, same names, another key) that the pin refuses. The warm
    connect that meets it re-probes once (the real server again), retries once, and is
    refused: 1 probe + 1 connect + (1 connect + 1 re-probe + 1 retry) = 5, never more."""
    port = servers.port("MYSQL_IP")
    pin = verifull.check(servers.mysql_url(), trust).chain[0].spki_sha256

    def handler(fake, conn, n):
        if n in (1, 2, 4):
            relay(fake, conn, port)
            return
        conn.sendall(mysql_greeting(tls=True))
        if len(fake.recv_exact(conn, 36)) == 36:
            try:
                fake.drain(server_tls(conn, servers.file("server-ip2.pem"), servers.file("server-ip2.key")))
            except OSError:
                pass
    with Fake(handler) as fake:
        url = servers.mysql_url(port=fake.port)
        select_1(url, trust, timeout=5, pins=[pin])
        with pytest.raises(Exception) as e:
            select_1(url, trust, timeout=5, pins=[pin])
        assert fake.connections == 5
    assert _approvals.certificate_refusal(e.value) is not None or isinstance(e.value, verifull.VerificationError)
    assert servers.user.encode() not in fake.received


# ---- rotation of the real servers' certificates under live pools -----------------------

def forget_approvals():
    """After a test put a rotated server's own certificate back: no approval of another."""
    _approvals.SHARED.clear()
    verifull.mysql.clear_cache()


async def refused_twice(use_the_pool, key, outcome):
    """A pool's new connection is refused with `outcome`, and stays refused (no approval
    is left behind)."""
    for _ in range(2):
        with pytest.raises(verifull.VerificationError) as e:
            await use_the_pool()
        assert e.value.outcome == outcome
        assert _approvals.SHARED.lookup(key) is None


def test_asyncpg_pool_opens_new_connections_after_a_rotation_and_refuses_an_impostor(servers, trust):
    url = own_servers.pg_url(servers)

    async def fetch_one(pool):
        async with pool.acquire() as conn:
            return await conn.fetchval("SELECT 1")

    async def main():
        pool = await verifull.asyncpg.create_pool(url, trust, min_size=1, max_size=2, timeout=5)
        try:
            assert await fetch_one(pool) == 1
            key = _approvals.Plan(url, trust, "postgres", verifull.Policy(timeout=5)).key
            probes = _approvals.SHARED.probes
            own_servers.install(servers, "pg", "server2")  # same CA and name, another key
            await pool.expire_connections()  # the next acquire opens a new connection
            assert await fetch_one(pool) == 1
            assert _approvals.SHARED.probes == probes + 1  # one re-approval
            assert _approvals.SHARED.lookup(key).leaf_sha256 == own_servers.leaf_sha256(servers, "server2")
            assert await fetch_one(pool) == 1
            own_servers.install(servers, "pg", "impostor")  # another CA: refused, and stays refused
            await pool.expire_connections()
            await refused_twice(lambda: fetch_one(pool), key, "untrusted_issuer")
        finally:
            pool.terminate()
    try:
        run(main())
    finally:
        own_servers.install(servers, "pg", "server")


def test_asyncpg_pool_hook_exists():
    """VerifiedPool re-approves once in asyncpg's Pool._get_new_connection: if asyncpg
    renames it, the override would silently stop running (a rotation would then fail
    the first new connection), so this fails instead."""
    import asyncpg
    assert callable(getattr(asyncpg.Pool, "_get_new_connection", None))
    assert verifull.asyncpg.VerifiedPool._get_new_connection is not asyncpg.Pool._get_new_connection


@pytest.mark.parametrize("select_1", MYSQL_CONNECTS)
def test_mysql_connects_recover_from_a_rotation_and_refuse_an_impostor(servers, trust, select_1):
    url = own_servers.mysql_url(servers)
    select_1(url, trust, timeout=5)
    key = _approvals.Plan(url, trust, "mysql", verifull.Policy(timeout=5)).key
    probes = _approvals.SHARED.probes
    try:
        own_servers.install(servers, "mysql", "server-ip2")
        select_1(url, trust, timeout=5)
        assert _approvals.SHARED.probes == probes + 1
        assert _approvals.SHARED.lookup(key).leaf_sha256 == own_servers.leaf_sha256(servers, "server-ip2")
        own_servers.install(servers, "mysql", "impostor")
        for _ in range(2):
            with pytest.raises(verifull.VerificationError) as e:
                select_1(url, trust, timeout=5)
            assert e.value.outcome == "untrusted_issuer"
            assert _approvals.SHARED.lookup(key) is None
    finally:
        own_servers.install(servers, "mysql", "server-ip")
        forget_approvals()


# ---- SQLAlchemy 1.4 asyncio engines ---------------------------------------------------

def engine_url(servers, kind, **kw):
    base = servers.pg_url(**kw) if kind == "pg" else servers.mysql_url(**kw)
    return base.replace("postgres://", "postgresql+asyncpg://").replace("mysql://", "mysql+aiomysql://")


@pytest.mark.parametrize("kind", ["pg", "mysql"])
def test_async_engine_verifies_every_pooled_connection(servers, trust, kind):
    import sqlalchemy
    tls_query = ("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" if kind == "pg" else
                 "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_version'")

    async def main():
        engine = verifull.sqlalchemy.create_async_engine(engine_url(servers, kind), trust, timeout=5, pool_size=2)
        try:
            async with engine.connect() as a, engine.connect() as b:  # two pooled connections at once
                tls = [(await c.execute(sqlalchemy.text(tls_query))).scalar() for c in (a, b)]
        finally:
            await engine.dispose()
        return tls
    tls = run(main())
    assert all(t is True or str(t).startswith("TLSv1.") for t in tls), tls
    assert _approvals.SHARED.probes == 1  # both connections approved by one probe


def test_async_engine_construction_does_no_network_io(trust):
    """An unresolvable host is fine when the engine is made; the first connect reports it."""
    async def first_connect(engine):
        try:
            async with engine.connect():
                pass
        finally:
            await engine.dispose()
    for url in ("postgresql+asyncpg://u:pw@no-such-host.invalid:5432/db",
                "mysql+aiomysql://u:pw@no-such-host.invalid/db"):
        probes = _approvals.SHARED.probes
        engine = verifull.sqlalchemy.create_async_engine(url, trust, timeout=3)
        assert _approvals.SHARED.probes == probes
        with pytest.raises(verifull.NetworkError):
            run(first_connect(engine))


@pytest.mark.parametrize("kind", ["pg", "mysql"])
def test_async_engine_refuses_an_impostor_without_sending_credentials(servers, trust, kind):
    async def main(port):
        engine = verifull.sqlalchemy.create_async_engine(engine_url(servers, kind, port=port), trust, timeout=5)
        try:
            async with engine.connect():
                pass
        finally:
            await engine.dispose()
    protocol = "postgres" if kind == "pg" else "mysql"
    with tls_impostor_fake(protocol, servers.file("impostor.pem"), servers.file("impostor.key")) as fake:
        with pytest.raises(verifull.VerificationError) as e:
            run(main(fake.port))
    assert e.value.outcome == "untrusted_issuer"
    assert servers.user.encode() not in fake.received and servers.password.encode() not in fake.received


def test_async_engine_recovers_from_a_rotation(servers, trust):
    import sqlalchemy

    async def select_1(engine):
        async with engine.connect() as c:
            return (await c.execute(sqlalchemy.text("SELECT 1"))).scalar()

    async def main():
        engine = verifull.sqlalchemy.create_async_engine(
            engine_url(servers, "mysql", port=servers.port(own_servers.MYSQL_PORT)), trust, timeout=5)
        try:
            assert await select_1(engine) == 1
            own_servers.install(servers, "mysql", "server-ip2")
            await engine.dispose()  # the pool's next connection is a new one
            assert await select_1(engine) == 1
        finally:
            await engine.dispose()
    try:
        run(main())
    finally:
        own_servers.install(servers, "mysql", "server-ip")
        forget_approvals()
    assert _approvals.SHARED.probes == 2


def test_async_engine_refuses_what_it_cannot_carry(servers, trust):
    url = engine_url(servers, "pg")
    with pytest.raises(TypeError, match="enigne"):
        verifull.sqlalchemy.create_async_engine(url, trust, enigne="botan")
    with pytest.raises(TypeError, match="no_such_option"):
        verifull.sqlalchemy.create_async_engine(url, trust, connect_args={"no_such_option": 1})
    with pytest.raises(verifull.InputError, match="ssl"):
        verifull.sqlalchemy.create_async_engine(url, trust, connect_args={"ssl": False})
    with pytest.raises(verifull.InputError, match="creator"):
        verifull.sqlalchemy.create_async_engine(url, trust, creator=lambda: None)
    with pytest.raises(verifull.InputError, match="supports"):
        verifull.sqlalchemy.create_async_engine(url.replace("+asyncpg", "+psycopg2"), trust)


# ---- the helpers' policy, keyword and URL parameter contract ----------------------------

def test_helpers_take_a_policy_object_and_refuse_unknown_or_doubled_keywords(servers, trust):
    pg, my = servers.pg_url(), servers.mysql_url()
    with pytest.raises(TypeError, match="enigne"):
        verifull.pymysql.connect(my, trust, enigne="botan")
    with pytest.raises(TypeError, match="enigne"):
        run(verifull.aiomysql.connect(my, trust, enigne="botan"))
    with pytest.raises(TypeError, match="enigne"):
        run(verifull.asyncpg.connect(pg, trust, enigne="botan"))
    with pytest.raises(TypeError, match="enigne"):
        run(verifull.asyncpg.create_pool(pg, trust, enigne="botan"))
    with pytest.raises(TypeError, match="both"):
        verifull.pymysql.connect(my, trust, policy=verifull.Policy(timeout=5), timeout=5)
    wrong_pin = verifull.Policy(pins=["sha256/" + "A" * 43 + "="], timeout=5)
    with pytest.raises(verifull.VerificationError) as e:
        verifull.pymysql.connect(my, trust, policy=wrong_pin)
    assert e.value.outcome == "pin_mismatch"
    with pytest.raises(verifull.VerificationError) as e:
        run(verifull.asyncpg.connect(pg, trust, policy=wrong_pin))
    assert e.value.outcome == "pin_mismatch"
    assert _approvals.SHARED.lookup(_approvals.Plan(my, trust, "mysql", wrong_pin).key) is None


@pytest.mark.parametrize("select_charset", ["pymysql", "aiomysql"])
def test_mysql_url_parameters_are_carried_or_refused_by_name(servers, trust, select_charset):
    async def aio_charset(url):
        conn = await verifull.aiomysql.connect(url, trust, timeout=5)
        async with conn.cursor() as cur:
            await cur.execute("SELECT @@character_set_client")
            value = (await cur.fetchone())[0]
        conn.close()
        return value

    def charset(url):
        if select_charset == "aiomysql":
            return run(aio_charset(url))
        conn = verifull.pymysql.connect(url, trust, timeout=5)
        cur = conn.cursor()
        cur.execute("SELECT @@character_set_client")
        value = cur.fetchone()[0]
        conn.close()
        return value
    base = servers.mysql_url()
    assert charset(base + "?charset=latin1") == "latin1"
    assert charset(base + "?charset=utf8mb4") == "utf8mb4"
    for param, word in [("ssl-crl=/tmp/x.pem", "CRL"), ("sslmode=disable", "sslmode"), ("no_such=1", "no_such"),
                        ("unix_socket=/tmp/s", "unix_socket")]:
        with pytest.raises(verifull.InputError, match=word):
            charset(base + "?" + param)


def test_asyncpg_refuses_url_parameters_by_name(servers, trust):
    with pytest.raises(verifull.InputError, match="application_name"):
        run(verifull.asyncpg.connect(servers.pg_url() + "?application_name=x", trust))


def test_aio_takes_a_policy_object_and_refuses_unknown_keywords(servers, trust):
    url = servers.mysql_url()
    with pytest.raises(TypeError, match="enigne"):
        run(verifull.aio.check(url, trust, enigne="botan"))
    with pytest.raises(TypeError, match="enigne"):
        run(verifull.aio.connect_kwargs(url, trust, enigne="botan"))
    report = run(verifull.aio.check(url, trust, policy=verifull.Policy(pins=["sha256/" + "A" * 43 + "="])))
    assert report.outcome == "pin_mismatch"
    assert run(verifull.aio.check(url, trust, policy=verifull.Policy(engine="both", timeout=5))).ok


@pytest.mark.parametrize("select_1", MYSQL_CONNECTS + [asyncpg_select_1])
def test_a_warm_connect_to_a_stalling_peer_ends_by_its_deadline(servers, trust, select_1):
    """The probe and a first connect reach the real server; then the peer accepts and
    says nothing. The warm connect (no probe) must still end by its timeout."""
    port = servers.port("PG" if select_1 is asyncpg_select_1 else "MYSQL_IP")
    release = threading.Event()

    def handler(fake, conn, n):
        if n <= 2:
            relay(fake, conn, port)
        else:
            release.wait(15)
    with Fake(handler) as fake:
        url = (servers.pg_url if select_1 is asyncpg_select_1 else servers.mysql_url)(port=fake.port)
        select_1(url, trust, timeout=2)
        start = time.monotonic()
        try:
            with pytest.raises(Exception):
                select_1(url, trust, timeout=2)
            elapsed = time.monotonic() - start
        finally:
            release.set()
    assert elapsed < 2 + 2.5, elapsed
    assert servers.user.encode() not in fake.received


def test_pymysql_login_timeouts_are_the_callers_after_the_login(servers, trust):
    """verifull.pymysql bounds the login by the deadline through PyMySQL's per-read and
    per-write timeout attributes, then gives them back: this fails if PyMySQL renames them."""
    import pymysql.connections
    from verifull.pymysql import LOGIN_TIMEOUTS
    unconnected = pymysql.connections.Connection(defer_connect=True)
    assert all(hasattr(unconnected, attribute) for attribute in LOGIN_TIMEOUTS.values())
    conn = verifull.pymysql.connect(servers.mysql_url() + "?read_timeout=30", trust, timeout=5)
    assert (conn._read_timeout, conn._write_timeout) == (30, None)
    conn.close()


def test_concurrent_cold_connects_probe_once_from_threads_and_from_the_event_loop(servers, trust):
    errors = []

    def worker():
        try:
            pymysql_select_1(servers.mysql_url(), trust, timeout=10)
        except Exception as e:  # reported below
            errors.append(e)
    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and _approvals.SHARED.probes == 1

    async def many():
        async def one():
            conn = await verifull.asyncpg.connect(servers.pg_url(), trust, timeout=10)
            assert await conn.fetchval("SELECT 1") == 1
            await conn.close()
        await asyncio.gather(*(one() for _ in range(6)))
    run(many())
    assert _approvals.SHARED.probes == 2  # one more, for the PostgreSQL endpoint


# ---- aiomysql's own pool: verifull.aiomysql.create_pool ------------------------------

async def aiomysql_pool_tls(pool):
    """The TLS version of a connection from the pool, and the connection's class."""
    async with pool.acquire() as conn:
        async with conn.cursor() as cur:
            await cur.execute("SHOW STATUS LIKE 'Ssl_version'")
            return (await cur.fetchone())[1], type(conn)


def test_aiomysql_pool_verifies_every_connection_and_probes_once(servers, trust):
    async def main():
        pool = await verifull.aiomysql.create_pool(servers.mysql_url(), trust, minsize=2, maxsize=3, timeout=5)
        try:
            assert pool.size == 2
            held = [await pool.acquire() for _ in range(3)]  # the third is opened on demand
            for conn in held:
                assert isinstance(conn, verifull.aiomysql.VerifiedConnection)
                assert conn._ssl_context._verifull_trust is trust  # verifull's pinned context
                pool.release(conn)
            version, _ = await aiomysql_pool_tls(pool)
            assert version.startswith("TLSv1.")
        finally:
            pool.close()
            await pool.wait_closed()
        async with verifull.aiomysql.create_pool(servers.mysql_url(), trust, minsize=0, maxsize=1, timeout=5) as pool:
            assert (await aiomysql_pool_tls(pool))[1] is verifull.aiomysql.VerifiedConnection
    run(main())
    assert _approvals.SHARED.probes == 1  # four connections, one probe


def test_aiomysql_pool_refuses_an_impostor_without_sending_credentials(servers, trust):
    """A same-CA certificate for another name: refused when the pool fills, before any
    credential is sent."""
    with tls_impostor_fake("mysql", servers.file("wrong-name.pem"), servers.file("wrong-name.key")) as fake:
        with pytest.raises(verifull.VerificationError) as e:
            run(verifull.aiomysql.create_pool(servers.mysql_url(port=fake.port), trust, minsize=1, timeout=5))
        assert fake.connections >= 1
    assert e.value.outcome == "name_mismatch"
    assert servers.user.encode() not in fake.received and servers.password.encode() not in fake.received


def test_aiomysql_pool_opens_new_connections_after_a_rotation_and_refuses_a_bad_one(servers, trust):
    url = servers.mysql_url(port=servers.port("MYSQL_IP_ROTATE"))
    key = _approvals.Plan(url, trust, "mysql", verifull.Policy(timeout=5)).key

    async def main():
        pool = await verifull.aiomysql.create_pool(url, trust, minsize=1, maxsize=2, timeout=5)
        try:
            assert (await aiomysql_pool_tls(pool))[0].startswith("TLSv1.")
            probes = _approvals.SHARED.probes
            own_servers.install(servers, "mysql", "server-ip2")  # same CA and names, another key
            await pool.clear()  # the next acquire opens a new connection
            assert (await aiomysql_pool_tls(pool))[0].startswith("TLSv1.")
            assert _approvals.SHARED.probes == probes + 1  # one re-approval
            assert _approvals.SHARED.lookup(key).leaf_sha256 == own_servers.leaf_sha256(servers, "server-ip2")
            await pool.clear()
            assert (await aiomysql_pool_tls(pool))[0].startswith("TLSv1.")
            assert _approvals.SHARED.probes == probes + 1  # the new approval is reused
            own_servers.install(servers, "mysql", "wrong-name")  # same CA, another name: refused
            await pool.clear()
            await refused_twice(lambda: aiomysql_pool_tls(pool), key, "name_mismatch")
        finally:
            pool.terminate()
            await pool.wait_closed()
    try:
        run(main())
    finally:
        own_servers.install(servers, "mysql", "server-ip")


def test_aiomysql_pool_refuses_what_it_cannot_carry_and_does_no_io_without_minsize(servers, trust):
    my = servers.mysql_url()
    with pytest.raises(TypeError, match="enigne"):
        verifull.aiomysql.create_pool(my, trust, enigne="botan")
    for managed in ("ssl", "host", "port"):
        with pytest.raises(verifull.InputError, match=managed):
            verifull.aiomysql.create_pool(my, trust, **{managed: None})

    async def lazy():  # minsize=0 on an unresolvable name: made, nothing dialled
        pool = await verifull.aiomysql.create_pool("mysql://u:p@no-such-host.invalid:3306/db", trust, minsize=0)
        assert pool.size == 0
        pool.close()
        await pool.wait_closed()
    run(lazy())


def test_aiomysql_pool_hook_exists_and_fails_closed():
    """aiomysql's Pool opens connections through the name aiomysql.pool.connect, which
    verifull replaces by a dispatcher: if aiomysql renames either, this fails. A pool's
    marker keyword outside a VerifiedPool's filling reaches aiomysql's own connect, which
    refuses it (never a plain connection)."""
    import aiomysql.pool
    assert callable(getattr(aiomysql.pool.Pool, "_fill_free_pool", None))
    verifull.aiomysql._install_pool_dispatcher()
    assert aiomysql.pool.connect._verifull_dispatcher is True
    with pytest.raises(TypeError):
        aiomysql.pool.connect(host="127.0.0.1", port=9, **{verifull.aiomysql._POOL_MARKER: True})


# ---- one deadline for the whole of asyncpg's create_pool -------------------------------

def test_asyncpg_create_pool_ends_by_one_deadline_when_the_probe_was_slow_and_the_connect_stalls(servers, trust):
    """The probe is answered (by the real server) only 3.5 s into a 4 s timeout; the
    connection after it reaches a peer that accepts and never answers. The probe and the
    connect share one deadline: the call ends at about 4 s, not 4 s after the probe."""
    port = servers.port("PG")
    release = threading.Event()

    def handler(fake, conn, n):
        if n == 1:
            time.sleep(3.5)
            relay(fake, conn, port)  # the probe, late
        else:
            release.wait(20)  # accepts and never answers
    with Fake(handler) as fake:
        start = time.monotonic()
        try:
            with pytest.raises((verifull.NetworkError, asyncio.TimeoutError, OSError)):
                run(verifull.asyncpg.create_pool(servers.pg_url(port=fake.port), trust,
                                                 min_size=1, max_size=1, timeout=4))
            elapsed = time.monotonic() - start
        finally:
            release.set()
        assert fake.connections >= 2  # the probe was answered and the connect was made
    assert elapsed < 4 + 2.5, elapsed
    assert servers.user.encode() not in fake.received and servers.password.encode() not in fake.received


def test_a_plan_is_the_callers_own_whatever_the_last_plan_did_with_its_parts(trust, tmp_path):
    # A plan's parts are shared by the plans restarted from it (a kept call's): no plan can
    # change them, and a URL's CRL still becomes the policy's each time.
    url = "mysql://app:pw@db.example.invalid:3306/app?charset=utf8mb4"
    first = _approvals.Plan(url, trust, "mysql", verifull.Policy(timeout=5))
    with pytest.raises(TypeError):
        first.endpoint["host"] = "elsewhere.invalid"
    with pytest.raises(TypeError):
        first.endpoint["params"]["ssl_mode"] = "DISABLED"
    with pytest.raises(TypeError):
        first.restarted().endpoint["port"] = 1
    second = _approvals.Plan(url, trust, "mysql", verifull.Policy(timeout=5))
    assert second.endpoint["host"] == "db.example.invalid"
    assert second.endpoint["params"] == {"charset": "utf8mb4"}
    assert second.key == first.key
    crl = tmp_path / "ca.crl"
    crl.write_text("")
    for _ in range(2):
        with_crl = _approvals.Plan(f"{url}&ssl-crl={crl}", trust, "mysql", verifull.Policy(timeout=5))
        assert with_crl.policy.crls == (str(crl),) and "ssl-crl" not in with_crl.endpoint["params"]
