"""Python helpers in long-lived apps (issue 21): lazy settings, names that move, pools
that outlive a certificate rotation, the policy enforced or refused on every path, and
the TLS object checked whatever order the caller drives it in."""
import asyncio
import contextlib
import os
import pathlib
import socket
import ssl
import subprocess
import sys
import textwrap
import time

import pytest

import verifull
import own_servers
from fakes import SSL_REQUEST_PG, Fake, relay, server_tls

UNRESOLVABLE_PG = "postgres://app:pw@db.does-not-exist.invalid:5432/app"
UNRESOLVABLE_MY = "mysql://app:pw@db.does-not-exist.invalid:3306/app"


def pin_of(servers, name):
    """The sha256/ SPKI pin of the test PKI's certificate `name`."""
    report = verifull.verify_pem(pathlib.Path(servers.file(name + ".pem")).read_text(),
                                 verifull.Trust.from_file(servers.file("ca.pem")), host="localhost")
    return report.chain[0].spki_sha256


# ---- item 3: no network I/O until the first connection ------------------------------

def counting_listener():
    """A Fake that counts connections and answers nothing."""
    return Fake(lambda fake, conn, n: None)


def test_settings_and_constructors_do_no_network_io(servers, trust):
    # An unresolvable host at import is fine: nothing is resolved until a connection opens.
    pg = verifull.django.database(UNRESOLVABLE_PG, trust)
    assert pg["HOST"] == "db.does-not-exist.invalid"
    my = verifull.django.database(UNRESOLVABLE_MY, trust)
    assert my["ENGINE"] == "verifull.django_mysql"
    verifull.postgres.conninfo(UNRESOLVABLE_PG, trust)
    for url in (UNRESOLVABLE_PG, UNRESOLVABLE_MY.replace("mysql://", "mysql+mysqldb://"),
                UNRESOLVABLE_MY.replace("mysql://", "mysql+pymysql://")):
        verifull.sqlalchemy.create_engine(url, trust)
    verifull.psycopg.connection_factory(UNRESOLVABLE_PG, trust)
    verifull.psycopg.async_connection_factory(UNRESOLVABLE_PG, trust)
    # ... and a reachable endpoint is not contacted either (the MySQL entry used to probe).
    with counting_listener() as fake:
        verifull.django.database(servers.mysql_url(port=fake.port), trust)
        verifull.django.database(servers.pg_url(port=fake.port), trust)
        verifull.sqlalchemy.create_engine(servers.mysql_url(port=fake.port), trust)
        verifull.sqlalchemy.create_engine(servers.pg_url(port=fake.port), trust)
        time.sleep(0.2)
    assert fake.connections == 0


def test_lazy_settings_still_refuse_bad_input_at_once(trust):
    with pytest.raises(verifull.InputError, match="sslmode"):
        verifull.django.database(UNRESOLVABLE_PG + "?sslmode=disable", trust)
    with pytest.raises(verifull.InputError, match="sslca would change how verifull secures the connection"):
        verifull.django.database(UNRESOLVABLE_MY + "?sslca=/x", trust)
    with pytest.raises(verifull.InputError, match="pins"):
        verifull.django.database(UNRESOLVABLE_PG, trust, pins=["sha256/" + "A" * 43 + "="])


# ---- item 2: a name that moves is followed -------------------------------------------

MOVED_CHILD = textwrap.dedent("""
    import json, os, pathlib, sys
    import verifull
    hosts, url, ca = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    trust = verifull.Trust.from_file(ca)
    # Made while the name points at 127.0.0.2 (nothing listens there) ...
    hosts.write_text("localhost 127.0.0.2\\n")
    conninfo = verifull.postgres.conninfo(url, trust)
    entry = verifull.django.database(url, trust)
    engine = verifull.sqlalchemy.create_engine(url.replace("postgres://", "postgresql+psycopg2://"), trust)
    # ... used after it moved to 127.0.0.3.
    hosts.write_text("localhost 127.0.0.3\\n")
    import psycopg2, sqlalchemy
    from django.conf import settings
    settings.configure(DATABASES={"default": entry}, INSTALLED_APPS=[], USE_TZ=True)
    import django
    django.setup()
    from django.db import connection
    out = {}
    for name, opener in [("conninfo", lambda: psycopg2.connect(conninfo)),
                         ("sqlalchemy", lambda: engine.raw_connection()),
                         ("django", lambda: (connection.ensure_connection(), connection.connection)[1])]:
        try:
            conn = opener()
            cur = conn.cursor()
            cur.execute("SELECT inet_client_addr()::text")
            out[name] = cur.fetchone()[0]
        except Exception as e:
            out[name] = "refused: " + str(e).splitlines()[0]
    print(json.dumps(out))
""")


def moving_hosts_preload():
    given = os.environ.get("VERIFULL_TEST_MOVING_HOSTS_PRELOAD")
    if given:
        return given
    built = pathlib.Path(os.environ["VERIFULL_LIBRARY"]).resolve().parents[1] / "tests" / "libmoving_hosts.so"
    if not built.exists():
        pytest.fail("tests/support/moving_hosts.c is not built (ninja -C build)")
    return str(built)


def test_hand_overs_resolve_the_host_when_connecting_not_when_made(servers, tmp_path):
    """conninfo, Django's PostgreSQL entry and the SQLAlchemy psycopg2 engine, made while
    the name pointed elsewhere, connect to where it points now (a relay on 127.0.0.3 to
    the real server), and the name is still verified (localhost). The suite's own server:
    test_postgres.cpp puts its fakes on 127.0.0.3 at pg-tls's port."""
    port = servers.port(own_servers.PG_PORT)
    hosts = tmp_path / "hosts"
    hosts.write_text("")
    with Fake(lambda fake, conn, n: relay(fake, conn, port), address="127.0.0.3", port=port) as moved:
        env = dict(os.environ, LD_PRELOAD=moving_hosts_preload(), VERIFULL_TEST_MOVING_HOSTS=str(hosts))
        done = subprocess.run([sys.executable, "-c", MOVED_CHILD, str(hosts), own_servers.pg_url(servers),
                               servers.file("ca.pem")],
                              env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    import json
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # The relay dials the server from 127.0.0.1: each connection went through it.
    assert seen == {"conninfo": "127.0.0.1/32", "sqlalchemy": "127.0.0.1/32", "django": "127.0.0.1/32"}, seen
    assert moved.connections == 3


def test_the_environment_still_cannot_redirect_a_conninfo(servers, trust, monkeypatch):
    import psycopg2
    port = servers.port(own_servers.PG_PORT)  # the suite's own server, as above
    with Fake(lambda fake, conn, n: fake.drain(conn), address="127.0.0.3", port=port) as elsewhere:
        monkeypatch.setenv("PGHOSTADDR", "127.0.0.3")
        monkeypatch.setenv("PGPORT", "1")
        conn = psycopg2.connect(verifull.postgres.conninfo(own_servers.pg_url(servers), trust))
        conn.close()
    assert elsewhere.connections == 0
    assert "hostaddr=''" in verifull.postgres.conninfo(servers.pg_url(), trust)


# ---- psycopg pools, sync and async ---------------------------------------------------

SSL_SQL = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


def test_psycopg_pools_sync_and_async_verify_every_connection(servers, trust):
    import psycopg_pool
    factory = verifull.psycopg.connection_factory(servers.pg_url(), trust, verifull.Policy(profile="strict"))
    with psycopg_pool.ConnectionPool("", connection_class=factory, min_size=1, max_size=2,
                                     kwargs={"autocommit": True}) as pool:
        with pool.connection() as conn:
            assert conn.execute(SSL_SQL).fetchone()[0] is True
            assert conn.autocommit is True

    async def main():
        factory = verifull.psycopg.async_connection_factory(servers.pg_url(), trust)
        async with psycopg_pool.AsyncConnectionPool("", connection_class=factory, min_size=1, max_size=2) as pool:
            async with pool.connection() as conn:
                cur = await conn.execute(SSL_SQL)
                return (await cur.fetchone())[0]
    assert asyncio.run(main()) is True


def test_psycopg_pool_factories_refuse_what_they_would_ignore(servers, trust):
    with pytest.raises(TypeError, match="enigne"):
        verifull.psycopg.connection_factory(servers.pg_url(), trust, enigne="botan")
    factory = verifull.psycopg.connection_factory(servers.pg_url(), trust)
    with pytest.raises(verifull.InputError, match="conninfo is not used"):
        factory.connect("host=elsewhere")
    with pytest.raises(TypeError, match="sslmode"):
        factory.connect("", sslmode="disable")


def test_psycopg_async_pool_refuses_an_impostor_without_a_login(servers, trust):
    import psycopg_pool

    def handler(fake, conn, n):
        if fake.recv_exact(conn, 8) == SSL_REQUEST_PG:
            conn.sendall(b"S")
            with contextlib.suppress(OSError):
                fake.drain(server_tls(conn, servers.file("impostor.pem"), servers.file("impostor.key")))

    async def main(port):
        factory = verifull.psycopg.async_connection_factory(servers.pg_url(port=port), trust, timeout=3)
        async with psycopg_pool.AsyncConnectionPool("", connection_class=factory, min_size=0, max_size=1,
                                                    open=False) as pool:
            async with pool.connection(timeout=4):
                pass
    with Fake(handler) as fake:
        with pytest.raises(Exception):
            asyncio.run(main(fake.port))
    assert servers.user.encode() not in fake.received


# ---- item 5: the SQLAlchemy psycopg2 engine and the policy ---------------------------

def pg_cleartext_password_fake(servers, cert):
    """After an honest first connection (a relay to the real server, which a probe would
    take), presents `cert` (same CA, same name, another key) and asks for the password in
    clear: what a relay that swaps the probe and the connection would get."""
    port = servers.port("PG")

    def handler(fake, conn, n):
        if n == 1:
            relay(fake, conn, port)
            return
        if fake.recv_exact(conn, 8) != SSL_REQUEST_PG:
            return
        conn.sendall(b"S")
        try:
            tls = server_tls(conn, servers.file(cert + ".pem"), servers.file(cert + ".key"))
        except OSError:
            return
        header = fake.recv_exact(tls, 4)
        if len(header) == 4:
            fake.recv_exact(tls, int.from_bytes(header, "big") - 4)  # the startup packet
            tls.sendall(b"R" + (8).to_bytes(4, "big") + (3).to_bytes(4, "big"))  # AuthenticationCleartextPassword
            fake.drain(tls)
    return Fake(handler)


@pytest.mark.parametrize("policy", [{"pins": "server"}, {"profile": "strict"}, {"engine": "botan"}])
def test_sqlalchemy_psycopg2_never_sends_the_password_to_a_relayed_sibling(servers, trust, policy):
    if "pins" in policy:
        policy = {"pins": [pin_of(servers, "server")]}
    with pg_cleartext_password_fake(servers, "server2") as fake:
        url = servers.pg_url(port=fake.port).replace("postgres://", "postgresql+psycopg2://")
        with pytest.raises(Exception) as refused:
            engine = verifull.sqlalchemy.create_engine(url, trust, **policy)
            for _ in range(2):
                engine.connect().close()
    assert servers.password.encode() not in fake.received
    # Refused by name, as conninfo() does: libpq cannot check it in-band.
    assert isinstance(refused.value, verifull.InputError), refused.value
    assert "cannot carry" in str(refused.value)


def test_every_helper_takes_a_policy_and_refuses_unknown_keywords(servers, trust):
    policy = verifull.Policy(timeout=5)
    assert verifull.check(servers.pg_url(), trust, policy).ok
    assert verifull.check(servers.pg_url(), trust, policy=policy).ok
    verifull.postgres.conninfo(servers.pg_url(), trust, policy)
    verifull.mysql.connect(servers.mysql_url(), trust, policy).close()
    verifull.mysql.connect_kwargs(servers.mysql_url(), trust, policy=policy)
    verifull.ssl_context(trust, "localhost", policy=policy)
    verifull.django.database(servers.mysql_url(), trust, policy)
    verifull.sqlalchemy.create_engine(servers.pg_url(), trust, policy)
    verifull.psycopg.connect(servers.pg_url(), trust, policy).close()
    misspelt = [
        lambda: verifull.check(servers.pg_url(), trust, enigne="botan"),
        lambda: verifull.verify_pem("", trust, "localhost", enigne="botan"),
        lambda: verifull.ssl_context(trust, "localhost", enigne="botan"),
        lambda: verifull.postgres.conninfo(servers.pg_url(), trust, enigne="botan"),
        lambda: verifull.mysql.connect_kwargs(servers.mysql_url(), trust, enigne="botan"),
        lambda: verifull.mysql.connect(servers.mysql_url(), trust, enigne="botan"),
        lambda: verifull.psycopg.connect(servers.pg_url(), trust, enigne="botan"),
        lambda: verifull.django.database(servers.pg_url(), trust, enigne="botan"),
        lambda: verifull.sqlalchemy.create_engine(servers.pg_url(), trust, enigne="botan"),
    ]
    for call in misspelt:
        with pytest.raises(TypeError, match="enigne"):
            call()
    with pytest.raises(TypeError, match="both"):
        verifull.check(servers.pg_url(), trust, policy, timeout=3)


def test_sqlalchemy_connect_args_are_carried_or_refused_by_name(servers, trust):
    import sqlalchemy
    engine = verifull.sqlalchemy.create_engine(servers.pg_url(), trust, connect_args={"application_name": "vf-lifetime"})
    with engine.connect() as conn:
        assert conn.execute(sqlalchemy.text("SELECT current_setting('application_name')")).scalar() == "vf-lifetime"
    with pytest.raises(verifull.InputError, match="sslmode"):
        verifull.sqlalchemy.create_engine(servers.pg_url(), trust, connect_args={"sslmode": "disable"})
    engine = verifull.sqlalchemy.create_engine(servers.mysql_url(), trust, connect_args={"init_command": "SET @vf = 7"})
    with engine.connect() as conn:
        assert conn.execute(sqlalchemy.text("SELECT @vf")).scalar() == 7
    with pytest.raises(verifull.InputError, match="ssl"):
        verifull.sqlalchemy.create_engine(servers.mysql_url(), trust, connect_args={"ssl": {}})
    with pytest.raises(TypeError, match="charst"):
        verifull.sqlalchemy.create_engine(servers.mysql_url(), trust, connect_args={"charst": "utf8mb4"})


# ---- item 5: ssl_context, whatever order the TLS object is driven in ------------------

def sibling_tls_fake(servers):
    """A TLS server with server2's certificate (same CA, same name as the real server's,
    another key): only a pin tells them apart."""
    def handler(fake, conn, n):
        with contextlib.suppress(OSError):
            fake.drain(server_tls(conn, servers.file("server2.pem"), servers.file("server2.key")))
    return Fake(handler)


def test_ssl_context_checks_before_a_write_on_a_socket_wrapped_without_handshake(servers, trust):
    ctx = verifull.ssl_context(trust, "localhost", pins=[pin_of(servers, "server")])
    with sibling_tls_fake(servers) as fake:
        raw = socket.create_connection(("127.0.0.1", fake.port), timeout=5)
        tls = ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
        with pytest.raises(verifull.PeerRefused) as refused:
            tls.sendall(b"PASSWORD-SECRET")
        assert not tls._verifull_checked  # a refused socket stays guarded: the next write is refused too
        with pytest.raises(verifull.PeerRefused):
            tls.send(b"PASSWORD-SECRET")
        tls.close()
        time.sleep(0.2)
    assert refused.value.outcome == "pin_mismatch"
    assert b"PASSWORD-SECRET" not in fake.received


def sslobject_over(ctx, port):
    """(socket, SSLObject, incoming BIO, outgoing BIO): an SSLObject of ctx over a TCP
    connection to port, as asyncio drives one."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    return raw, ctx.wrap_bio(incoming, outgoing, server_hostname="localhost"), incoming, outgoing


def write_as_an_event_loop_would(tls, raw, incoming, outgoing, data):
    """write(data) before any handshake; on SSLWantReadError move the bytes and retry."""
    for _ in range(50):
        try:
            tls.write(data)
            break
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            incoming.write(raw.recv(65536))
    raw.sendall(outgoing.read())


def test_ssl_context_checks_before_an_sslobject_write_made_before_the_handshake(servers, trust):
    ctx = verifull.ssl_context(trust, "localhost", pins=[pin_of(servers, "server")])
    with sibling_tls_fake(servers) as fake:
        raw, tls, incoming, outgoing = sslobject_over(ctx, fake.port)
        with pytest.raises(verifull.PeerRefused) as refused:
            write_as_an_event_loop_would(tls, raw, incoming, outgoing, b"PASSWORD-SECRET")
        raw.close()
        time.sleep(0.2)
    assert refused.value.outcome == "pin_mismatch"
    assert b"PASSWORD-SECRET" not in fake.received


def test_ssl_context_still_talks_to_the_pinned_server(servers, trust):
    ctx = verifull.ssl_context(trust, "localhost", pins=[pin_of(servers, "server")])

    def echo(fake, conn, n):
        with contextlib.suppress(OSError):
            tls = server_tls(conn, servers.file("server.pem"), servers.file("server.key"))
            tls.sendall(fake.recv(tls))
    with Fake(echo) as fake:
        raw = socket.create_connection(("127.0.0.1", fake.port), timeout=5)
        tls = ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
        tls.sendall(b"hello")
        assert tls.recv(5) == b"hello"
        # Checked once: the socket's data methods are the ssl module's own from then on.
        assert tls._verifull_checked and type(tls).recv is ssl.SSLSocket.recv
        tls.close()
    assert ctx.options & ssl.OP_NO_RENEGOTIATION  # no later handshake can bring another certificate

    # The same for an SSLObject (asyncio's), driven as an event loop drives it.
    with Fake(echo) as fake:
        raw, tls, incoming, outgoing = sslobject_over(ctx, fake.port)
        assert not tls._verifull_checked
        write_as_an_event_loop_would(tls, raw, incoming, outgoing, b"hello")
        assert tls._verifull_checked and type(tls).read is ssl.SSLObject.read
        echoed = b""
        while len(echoed) < 5:
            try:
                echoed += tls.read(5)
            except ssl.SSLWantReadError:
                incoming.write(raw.recv(65536))
        assert echoed == b"hello"
        raw.close()


# ---- item 7: the guarded driver methods exist ----------------------------------------

def test_every_method_verifull_guards_exists_on_the_driver_classes():
    from verifull import _tls
    for name in _tls.SOCKET_DATA_METHODS + ("do_handshake",):
        assert callable(getattr(ssl.SSLSocket, name, None)), f"ssl.SSLSocket.{name} is gone: its guard would not run"
    for name in _tls.OBJECT_DATA_METHODS + ("do_handshake",):
        assert callable(getattr(ssl.SSLObject, name, None)), f"ssl.SSLObject.{name} is gone: its guard would not run"
    import pymysql.connections
    import verifull.pymysql
    overridden = [n for n in vars(verifull.pymysql.VerifiedConnection) if callable(vars(verifull.pymysql.VerifiedConnection)[n])
                  and not n.startswith("__")]
    assert overridden
    for name in overridden:
        assert callable(getattr(pymysql.connections.Connection, name, None)), \
            f"pymysql's Connection.{name} is gone: verifull's guard in it would never run"
    import aiomysql.connection
    import verifull.aiomysql
    cls = next(c for c in vars(verifull.aiomysql).values()
               if isinstance(c, type) and issubclass(c, aiomysql.connection.Connection) and c is not aiomysql.connection.Connection)
    for name in [n for n in vars(cls) if callable(vars(cls)[n]) and not n.startswith("__")]:
        assert callable(getattr(aiomysql.connection.Connection, name, None)), \
            f"aiomysql's Connection.{name} is gone: verifull's guard in it would never run"
    # The TLS rules come from the core: the cipher list is the core's, byte for byte.
    from verifull import _native
    assert verifull.NETWORK_OUTCOMES == _native.unreachable_outcomes()
    assert "pin_mismatch" not in verifull.NETWORK_OUTCOMES and "timeout" in verifull.NETWORK_OUTCOMES


# ---- item 1: a certificate rotation under live pools ---------------------------------

def test_postgres_pools_and_engines_open_after_a_rotation_and_refuse_a_bad_one(servers, trust):
    import django
    import psycopg_pool
    import sqlalchemy
    from django.conf import settings
    if not settings.configured:
        settings.configure(DATABASES={}, INSTALLED_APPS=[], USE_TZ=True)
        django.setup()
    from django.db.utils import ConnectionHandler

    import django.db.utils
    import psycopg
    import psycopg2
    # How each stack reports a refused connection (a pool: no connection within its timeout).
    REFUSALS = (verifull.VerificationError, psycopg.OperationalError, psycopg2.OperationalError,
                psycopg_pool.PoolTimeout, sqlalchemy.exc.OperationalError, django.db.utils.OperationalError)
    url = own_servers.pg_url(servers)
    pool = psycopg_pool.ConnectionPool("", connection_class=verifull.psycopg.connection_factory(url, trust),
                                       min_size=1, max_size=1)
    engine = verifull.sqlalchemy.create_engine(url, trust, poolclass=sqlalchemy.pool.NullPool)
    django_db = ConnectionHandler({"default": verifull.django.database(url, trust)})

    def open_each():
        """A new connection through each; their outcomes ("ok" or the refusal)."""
        out = {}

        def pooled():
            # The pool's one connection may predate the rotation: closed, the pool
            # discards it and opens a new one, which the second request waits for.
            with pool.connection(timeout=3) as held:
                held.close()
            with pool.connection(timeout=3) as c:
                return c.execute(SSL_SQL).fetchone()[0]

        async def async_pooled():
            factory = verifull.psycopg.async_connection_factory(url, trust)
            async with psycopg_pool.AsyncConnectionPool("", connection_class=factory, min_size=1, max_size=1,
                                                        open=False) as apool:
                async with apool.connection(timeout=5) as c:
                    return (await (await c.execute(SSL_SQL)).fetchone())[0]

        def from_django():
            conn = django_db["default"]
            conn.close()
            with conn.cursor() as cur:
                cur.execute(SSL_SQL)
                return cur.fetchone()[0]
        for name, opener in [("pool", pooled), ("async_pool", lambda: asyncio.run(async_pooled())),
                             ("sqlalchemy", lambda: engine.connect().execute(sqlalchemy.text(SSL_SQL)).scalar()),
                             ("django", from_django)]:
            try:
                out[name] = "ok" if opener() is True else "no tls"
            except REFUSALS:
                out[name] = "refused"
        return out

    pool.open(wait=False)
    everything = {"pool": "ok", "async_pool": "ok", "sqlalchemy": "ok", "django": "ok"}
    try:
        assert open_each() == everything
        with own_servers.rotating(servers, "pg") as rotate:
            rotate("server2")  # same CA, same name, another key: accepted
            assert open_each() == everything
            rotate("wrong-name")  # same CA, another name: refused, and stays refused
            assert open_each() == {name: "refused" for name in everything}
            assert open_each() == {name: "refused" for name in everything}
    finally:
        pool.close()
        django_db["default"].close()


def test_mysql_engines_open_after_a_rotation_with_one_reapproval_and_refuse_a_bad_one(servers, trust, monkeypatch):
    import MySQLdb
    import sqlalchemy
    import django
    from django.conf import settings
    if not settings.configured:
        settings.configure(DATABASES={}, INSTALLED_APPS=[], USE_TZ=True)
        django.setup()
    import django.db.utils
    from django.db.utils import ConnectionHandler

    reapprovals = []
    real_clear = verifull.mysql.clear_cache
    monkeypatch.setattr(verifull.mysql, "clear_cache", lambda: (reapprovals.append(1), real_clear()))
    engine = verifull.sqlalchemy.create_engine(own_servers.mysql_url(servers).replace("mysql://", "mysql+mysqldb://"), trust,
                                               poolclass=sqlalchemy.pool.NullPool)
    django_db = ConnectionHandler({"default": verifull.django.database(own_servers.mysql_url(servers), trust)})
    TLS_SQL = "SHOW STATUS LIKE 'Ssl_version'"

    def from_django():
        conn = django_db["default"]
        conn.close()
        with conn.cursor() as cur:
            cur.execute(TLS_SQL)
            return cur.fetchone()[1]

    def open_each():
        out = {}
        for name, opener in [("sqlalchemy", lambda: engine.connect().execute(sqlalchemy.text(TLS_SQL)).fetchone()[1]),
                             ("django", from_django),
                             ("connect", lambda: verifull.mysql.connect(own_servers.mysql_url(servers), trust).get_server_info())]:
            before = len(reapprovals)
            try:
                opener()
                out[name] = "ok"
            except (MySQLdb.OperationalError, verifull.VerificationError, sqlalchemy.exc.OperationalError,
                    django.db.utils.OperationalError):
                out[name] = "refused"
            assert len(reapprovals) - before <= 1, "more than one re-approval for one connection"
        return out

    everything = {"sqlalchemy": "ok", "django": "ok", "connect": "ok"}
    try:
        assert open_each() == everything
        own_servers.install(servers, "mysql", "server-ip2")  # same CA, same names, another key
        assert open_each() == everything
        assert len(reapprovals) == 1  # the first connection after the rotation re-approved; the rest reused it
        own_servers.install(servers, "mysql", "wrong-name")  # refused, and stays refused
        assert open_each() == {name: "refused" for name in everything}
        assert open_each() == {name: "refused" for name in everything}
    finally:
        own_servers.install(servers, "mysql", "server-ip")
        real_clear()
        django_db["default"].close()
