"""SQLAlchemy engines, a Django DATABASES recipe and verifull.aio, against the real
servers and the fakes."""
import asyncio
import socket
import time

import pytest
import sqlalchemy

import verifull
from fakes import Fake, relay, strip_client_ssl, tls_impostor_fake


def scalar(engine, sql):
    with engine.connect() as conn:
        return conn.execute(sqlalchemy.text(sql)).scalar()


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg2"])
def test_sqlalchemy_postgres_every_pooled_connection_is_verified(servers, trust, scheme):
    url = servers.pg_url().replace("postgres://", scheme + "://")
    engine = verifull.sqlalchemy.create_engine(url, trust, pool_size=2)
    assert scalar(engine, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") is True
    engine.dispose()


def test_sqlalchemy_postgres_refuses_by_name_what_libpq_cannot_check_in_band(servers, trust):
    # Checked on a probe only, a relay could send the connection itself elsewhere
    # (test_lifetime.py has that relay); so pins, a second engine and the strict profile
    # are refused for psycopg2, as verifull.postgres.conninfo refuses them.
    pin = verifull.check(servers.pg_url(), trust).chain[0].spki_sha256
    for policy in [verifull.Policy(pins=[pin]), verifull.Policy(engine="botan"), verifull.Policy(profile="strict")]:
        with pytest.raises(verifull.InputError, match="cannot carry"):
            verifull.sqlalchemy.create_engine(servers.pg_url(), trust, policy)


@pytest.mark.parametrize("scheme", ["mysql", "mysql+mysqldb", "mysql+pymysql"])
def test_sqlalchemy_mysql_every_pooled_connection_is_verified(servers, trust, scheme):
    url = servers.mysql_url().replace("mysql://", scheme + "://")
    engine = verifull.sqlalchemy.create_engine(url, trust, pool_size=2)
    with engine.connect() as conn:
        row = conn.execute(sqlalchemy.text("SHOW STATUS LIKE 'Ssl_version'")).fetchone()
        assert row[1].startswith("TLSv1.")
    engine.dispose()


@pytest.mark.parametrize("scheme", ["mysql+mysqldb", "mysql+pymysql"])
def test_sqlalchemy_mysql_refuses_stripped_tls_without_a_login(servers, trust, scheme):
    port = servers.port("MYSQL_IP")
    with Fake(lambda fake, conn, n: relay(fake, conn, port, rewrite_greeting=None if n == 1 else strip_client_ssl)) \
            as fake:
        engine = verifull.sqlalchemy.create_engine(servers.mysql_url(port=fake.port).replace("mysql://", scheme + "://"),
                                                   trust)
        with pytest.raises(Exception):
            scalar(engine, "SELECT 1")
    assert servers.user.encode() not in fake.received


def test_sqlalchemy_bad_input(servers, trust):
    with pytest.raises(verifull.InputError, match="psycopg \\(3\\) dialect"):
        verifull.sqlalchemy.create_engine(servers.pg_url().replace("postgres://", "postgresql+psycopg://"), trust)
    with pytest.raises(verifull.InputError):
        verifull.sqlalchemy.create_engine("sqlite:///x.db", trust)
    with pytest.raises(verifull.InputError):
        verifull.sqlalchemy.create_engine(servers.pg_url(), trust, creator=lambda: None)


def test_django_databases_recipe_for_both_databases(servers, trust):
    import django
    from django.conf import settings
    if not settings.configured:
        settings.configure(DATABASES={
            "default": verifull.django.database(servers.pg_url(), trust),
            "reports": verifull.django.database(servers.mysql_url(), trust),
        }, INSTALLED_APPS=[], USE_TZ=True)
        django.setup()
    from django.db import connections
    with connections["default"].cursor() as cur:
        cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        assert cur.fetchone()[0] is True
    with connections["reports"].cursor() as cur:
        cur.execute("SHOW STATUS LIKE 'Ssl_version'")
        assert cur.fetchone()[1].startswith("TLSv1.")
    entry = verifull.django.database(servers.mysql_url(), trust)
    assert entry["HOST"] == "" and entry["ENGINE"] == "verifull.django_mysql"  # the URL decides, at connect time


def silent_listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)  # accepts (in the kernel) and never answers
    return s


def test_aio_calls_never_stall_the_event_loop(trust):
    async def main(url, trust):
        worst = 0.0
        done = False

        async def heartbeat():
            nonlocal worst
            last = time.monotonic()
            while not done:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                worst = max(worst, now - last)
                last = now
        beat = asyncio.create_task(heartbeat())
        report = await verifull.aio.check(url, trust, timeout=1.5)
        done = True
        await beat
        return report, worst

    listener = silent_listener()
    try:
        url = f"postgres://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        report, worst = asyncio.run(main(url, trust))
        assert report.outcome == "timeout"
        assert time.monotonic() - started >= 1.4  # the probe really waited ...
        assert worst < 0.5  # ... and the loop kept running meanwhile (a blocking call: ~1.5 s)
    finally:
        listener.close()


def test_aio_connect_kwargs_and_conninfo(servers, trust):
    async def main():
        return (await verifull.aio.connect_kwargs(servers.mysql_url(), trust),
                await verifull.aio.conninfo(servers.pg_url(), trust))
    kwargs, conninfo = asyncio.run(main())
    assert kwargs["unix_socket"] == verifull.mysql.MISSING_SOCKET
    assert "sslmode='verify-full'" in conninfo


def impostor_fake(servers, kind):
    """A fake that does TLS with the impostor's certificate (another CA)."""
    return tls_impostor_fake(kind, servers.file("impostor.pem"), servers.file("impostor.key"))


SCHEMES = [("postgresql", "postgres"), ("postgresql+psycopg2", "postgres"), ("mysql+mysqldb", "mysql"),
           ("mysql+pymysql", "mysql")]


@pytest.mark.parametrize("scheme,kind", SCHEMES)
def test_sqlalchemy_refuses_the_wrong_name_and_an_impostor_without_a_login(servers, trust, scheme, kind):
    # The servers' certificates name localhost; dialling 127.0.0.1 is the wrong name.
    wrong = (servers.pg_url(host="127.0.0.1") if kind == "postgres"
             else servers.mysql_url(port=servers.port("MYSQL"))).split("://", 1)[1]
    engine = verifull.sqlalchemy.create_engine(f"{scheme}://{wrong}", trust)
    with pytest.raises(Exception, match="(?i)name|match"):
        scalar(engine, "SELECT 1")
    with impostor_fake(servers, kind) as fake:
        url = (servers.pg_url(port=fake.port) if kind == "postgres" else servers.mysql_url(port=fake.port))
        engine = verifull.sqlalchemy.create_engine(f"{scheme}://" + url.split("://", 1)[1], trust)
        with pytest.raises(Exception):
            scalar(engine, "SELECT 1")
    assert servers.user.encode() not in fake.received
