"""Warm connects of the pure-Python helpers (issue 21, item 6). A helper keeps what it
checked and parsed for a call (the keyword names, the URL's parts) for the next call like
it: that must never freeze a value the caller gives per call, the environment, or a file
the URL names. verifull.pymysql dials before it sets up PyMySQL's connection object: that
must keep PyMySQL's own behaviour (its error for a refused dial, bind_address,
connect_timeout, defer_connect) and still send nothing before the greeting is checked."""
import asyncio
import socket
import time

import pymysql
import pytest

import verifull
from fakes import Fake, relay
from verifull import _approvals


@pytest.fixture(autouse=True)
def fresh_kept_calls():
    for helper in (verifull.pymysql, verifull.aiomysql, verifull.asyncpg):
        helper._prepared.cache_clear()
    yield


def mysql_value(driver, url, trust, query, **kw):
    """The first column of `query` on a verified connection of `driver`."""
    if driver == "pymysql":
        conn = verifull.pymysql.connect(url, trust, timeout=5, **kw)
        try:
            cur = conn.cursor()
            cur.execute(query)
            return cur.fetchone()[0]
        finally:
            conn.close()

    async def main():
        conn = await verifull.aiomysql.connect(url, trust, timeout=5, **kw)
        try:
            async with conn.cursor() as cur:
                await cur.execute(query)
                return (await cur.fetchone())[0]
        finally:
            conn.close()
    return asyncio.run(main())


@pytest.mark.parametrize("driver", ["pymysql", "aiomysql"])
def test_a_kept_call_takes_each_calls_own_keyword_values(servers, trust, driver):
    url = servers.mysql_url()
    seen = [mysql_value(driver, url, trust, "SELECT @verifull_kept", init_command=f"SET @verifull_kept = {n}")
            for n in (1, 2, 3)]
    assert seen == [1, 2, 3]
    assert verifull.pymysql._prepared.cache_info().hits + verifull.aiomysql._prepared.cache_info().hits == 2


@pytest.mark.parametrize("driver", ["pymysql", "aiomysql"])
def test_a_kept_call_reads_mysql_pwd_at_each_connect(servers, trust, driver, monkeypatch):
    url = f"mysql://{servers.user}@127.0.0.1:{servers.port('MYSQL_IP')}/{servers.db}"  # no password: MYSQL_PWD
    monkeypatch.setenv("MYSQL_PWD", servers.password)
    assert mysql_value(driver, url, trust, "SELECT 1") == 1
    monkeypatch.setenv("MYSQL_PWD", "not-the-password")
    with pytest.raises(pymysql.err.OperationalError) as denied:
        mysql_value(driver, url, trust, "SELECT 1")
    assert "Access denied" in f"{denied.value} {denied.value.__cause__}"  # aiomysql: in the cause
    monkeypatch.setenv("MYSQL_PWD", servers.password)
    assert mysql_value(driver, url, trust, "SELECT 1") == 1


def test_a_kept_asyncpg_call_reads_pgpassword_at_each_connect(servers, trust, monkeypatch):
    url = f"postgres://{servers.user}@localhost:{servers.port('PG')}/{servers.db}"

    async def select_1():
        conn = await verifull.asyncpg.connect(url, trust, timeout=5)
        try:
            return await conn.fetchval("SELECT 1")
        finally:
            await conn.close()
    monkeypatch.setenv("PGPASSWORD", servers.password)
    assert asyncio.run(select_1()) == 1
    monkeypatch.setenv("PGPASSWORD", "not-the-password")
    with pytest.raises(Exception, match="password authentication failed"):
        asyncio.run(select_1())


@pytest.mark.parametrize("driver", ["pymysql", "aiomysql"])
def test_a_kept_call_still_refuses_a_bad_keyword_every_time(servers, trust, driver):
    for _ in range(2):
        with pytest.raises(TypeError, match="enigne"):
            mysql_value(driver, servers.mysql_url(), trust, "SELECT 1", enigne="botan")
        with pytest.raises(verifull.InputError, match="ssl"):
            mysql_value(driver, servers.mysql_url(), trust, "SELECT 1", ssl=None)


def test_a_url_that_names_a_crl_is_checked_at_each_connect(servers, trust, tmp_path):
    crl = tmp_path / "empty.pem"
    crl.write_bytes(open(servers.file("crl-empty.pem"), "rb").read())
    url = servers.mysql_url(host="localhost", port=servers.port("MYSQL")) + f"?ssl-crl={crl}"
    assert mysql_value("pymysql", url, trust, "SELECT 1") == 1
    crl.unlink()  # kept from the last call, the plan would not notice
    with pytest.raises(verifull.InputError, match="ssl-crl"):
        mysql_value("pymysql", url, trust, "SELECT 1")


def test_the_kept_parts_are_read_only_and_each_connect_has_its_own_deadline(trust):
    url = "mysql://app:pw@db.example.invalid:3306/app"
    first, base = _approvals.kept(verifull.pymysql._prepared, url, trust, verifull.Policy(timeout=5), ())
    base["host"] = "elsewhere.invalid"  # the caller's own copy ...
    time.sleep(0.01)
    second, again = _approvals.kept(verifull.pymysql._prepared, url, trust, verifull.Policy(timeout=5), ())
    assert again["host"] == "db.example.invalid"  # ... so the kept one is unchanged
    assert second.deadline > first.deadline
    with pytest.raises(TypeError):
        second.endpoint["host"] = "elsewhere.invalid"


# ---- PyMySQL: the dial comes first --------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_pymysql_dial_first_keeps_pymysqls_error_for_a_refused_dial(servers, trust):
    # Warm: approved through the real server, then nothing listens at the port any more.
    port = free_port()
    url = servers.mysql_url(port=port)
    with pytest.raises(verifull.NetworkError):  # the cold connect's probe finds nobody
        verifull.pymysql.connect(url, trust, timeout=2)
    plan = _approvals.Plan(servers.mysql_url(), trust, "mysql", verifull.Policy(timeout=2))
    approval, _ = plan.approve()
    warm = _approvals.Plan(url, trust, "mysql", verifull.Policy(timeout=2))
    _approvals.SHARED._store(warm.key, approval)
    start = time.monotonic()
    with pytest.raises(pymysql.err.OperationalError) as refused:
        verifull.pymysql.connect(url, trust, timeout=2)
    assert refused.value.args[0] == 2003 and "Can't connect to MySQL server on '127.0.0.1'" in refused.value.args[1]
    assert isinstance(refused.value.original_exception, ConnectionRefusedError)
    assert time.monotonic() - start < 2


def test_pymysql_dial_first_takes_bind_address(servers, trust):
    host = mysql_value("pymysql", servers.mysql_url(), trust,
                       "SELECT host FROM information_schema.processlist WHERE id = CONNECTION_ID()",
                       bind_address="127.0.0.7")
    assert host.startswith("127.0.0.7:")
    conn = verifull.pymysql.connect(servers.mysql_url(), trust, timeout=5)
    assert conn.get_host_info() == f"socket 127.0.0.1:{servers.port('MYSQL_IP')}"
    conn.close()


def test_pymysql_refuses_a_bad_value_before_anything_is_dialled(servers, trust, monkeypatch):
    # PyMySQL's constructor refuses these without a connection. verifull dials first only
    # for a call the constructor accepted before, so a retrying app with a bad value never
    # opens connections the server would count against its host (max_connect_errors).
    port = servers.port("MYSQL_IP")
    monkeypatch.setenv("MYSQL_PWD", servers.password)
    with Fake(lambda fake, conn, n: relay(fake, conn, port)) as fake:
        url = servers.mysql_url(port=fake.port)
        no_password = f"mysql://{servers.user}@127.0.0.1:{fake.port}/{servers.db}"
        for warm in (url, no_password, url):  # probe and connects; each call accepted once
            verifull.pymysql.connect(warm, trust, timeout=5).close()
        assert verifull.pymysql.ACCEPTED_CALLS.seen(
            (_approvals.Plan(url, trust, "mysql", verifull.Policy()).plain, (), hash(servers.password)))
        before = fake.connections
        for bad in (dict(connect_timeout=0), dict(read_timeout=-1), dict(write_timeout=-1), dict(password="\u5bc6")):
            with pytest.raises(ValueError):
                verifull.pymysql.connect(url, trust, timeout=5, **bad)
        monkeypatch.setenv("MYSQL_PWD", "\u5bc6")  # the same call as an accepted one, but for the password
        with pytest.raises(ValueError):
            verifull.pymysql.connect(no_password, trust, timeout=5)
        time.sleep(0.2)
        assert fake.connections == before
    conn = verifull.pymysql.connect(servers.mysql_url(), trust, timeout=5, connect_timeout=60)
    assert conn.connect_timeout == 60  # the caller's, for PyMySQL's own reconnects; the dial kept the deadline
    conn.close()


def test_pymysql_defer_connect_connects_later_pinned(servers, trust):
    conn = verifull.pymysql.connect(servers.mysql_url(), trust, timeout=5, defer_connect=True)
    assert not conn.open
    conn.connect()
    try:
        cur = conn.cursor()
        cur.execute("SHOW STATUS LIKE 'Ssl_version'")
        assert cur.fetchone()[1].startswith("TLSv1.")
        assert conn.ctx is _approvals.SHARED.lookup(
            _approvals.Plan(servers.mysql_url(), trust, "mysql", verifull.Policy(timeout=5)).key).context
    finally:
        conn.close()


@pytest.mark.parametrize("url,trust_given,word", [
    (bytearray(b"mysql://u:p@db.example.invalid/x"), None, "url must be a str"),
    (["mysql://u:p@db.example.invalid/x"], None, "url must be a str"),
    ("mysql://u:p@db.example.invalid/x", ["not a trust"], "trust must be a verifull.Trust"),
])
def test_an_unhashable_call_is_refused_by_name_not_by_the_kept_calls(trust, url, trust_given, word):
    for _ in range(2):
        with pytest.raises(verifull.InputError, match=word):
            verifull.pymysql.connect(url, trust_given if trust_given is not None else trust, timeout=1)


def test_another_policy_or_trust_for_the_same_url_is_another_kept_call(servers, trust):
    url = servers.mysql_url()
    other_trust = verifull.Trust.from_file(servers.file("ca.pem"))
    plans = [_approvals.kept(verifull.pymysql._prepared, url, t, p, ())[0]
             for t, p in [(trust, verifull.Policy(timeout=5)), (trust, verifull.Policy(timeout=5, engine="both")),
                          (other_trust, verifull.Policy(timeout=5))]]
    assert [p.policy.engine for p in plans] == [None, "both", None]
    assert plans[2].trust is other_trust and plans[0].trust is trust
    assert verifull.pymysql._prepared.cache_info().currsize == 3


def test_a_kept_call_holds_no_password_from_the_environment(servers, trust, monkeypatch):
    url = f"mysql://{servers.user}@127.0.0.1:{servers.port('MYSQL_IP')}/{servers.db}"
    monkeypatch.setenv("MYSQL_PWD", "SECRET-FROM-ENV")
    _approvals.kept(verifull.pymysql._prepared, url, trust, verifull.Policy(timeout=5), ())
    _approvals.kept(verifull.aiomysql._prepared, url, trust, verifull.Policy(timeout=5), ())
    for helper in (verifull.pymysql, verifull.aiomysql):
        kept = helper._prepared(url, trust, verifull.Policy(timeout=5), ())[1]
        assert "SECRET-FROM-ENV" not in repr(kept)
