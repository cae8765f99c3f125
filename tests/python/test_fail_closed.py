"""What a helper returns stays correct however the caller holds it: the Trust freed at
once (the natural one-liners), a file descriptor number reused, the value handed to a
child process, the driver file removed. Each case connects for real, or is refused with
no credential at the fake."""
import gc
import multiprocessing
import os

import MySQLdb
import psycopg2
import pytest

import children
import verifull
from fakes import Fake, relay, strip_client_ssl


def tls_version(conn):
    cur = conn.cursor()
    cur.execute("SHOW STATUS LIKE 'Ssl_version'")
    return cur.fetchone()[1]


def stripper(port):
    """verifull's probe goes to the real server; later connections get CLIENT_SSL stripped."""
    return Fake(lambda fake, conn, n: relay(fake, conn, port, rewrite_greeting=None if n == 1 else strip_client_ssl))


def test_mysqldb_one_liner_with_an_inline_trust_is_verified(servers):
    kwargs = verifull.mysql.connect_kwargs(servers.mysql_url(), verifull.Trust.from_file(servers.file("ca.pem")))
    gc.collect()  # the Trust is gone
    conn = MySQLdb.connect(**kwargs)
    assert tls_version(conn).startswith("TLSv1.")
    conn.close()


def test_mysqldb_one_liner_refuses_a_stripped_greeting_without_a_login(servers):
    with stripper(servers.port("MYSQL_IP")) as fake:
        kwargs = verifull.mysql.connect_kwargs(servers.mysql_url(port=fake.port),
                                               verifull.Trust.from_file(servers.file("ca.pem")))
        gc.collect()
        with pytest.raises(MySQLdb.OperationalError, match="SSL"):
            MySQLdb.connect(**kwargs)
    assert servers.user.encode() not in fake.received


def test_an_unreadable_option_file_means_no_connection_not_plaintext(servers, trust):
    kwargs = verifull.mysql.connect_kwargs(servers.mysql_url(), trust)
    os.rename(kwargs["read_default_file"], kwargs["read_default_file"] + ".away")
    try:
        with pytest.raises(MySQLdb.OperationalError, match="verifull-option-file-missing"):
            MySQLdb.connect(**kwargs)
    finally:
        os.rename(kwargs["read_default_file"] + ".away", kwargs["read_default_file"])
    # Asking again makes the file anew if it went missing.
    os.unlink(kwargs["read_default_file"])
    again = verifull.mysql.connect_kwargs(servers.mysql_url(), trust)
    assert again["read_default_file"] == kwargs["read_default_file"]
    MySQLdb.connect(**again).close()


def test_psycopg2_one_liner_survives_the_trust_and_a_reused_descriptor(servers):
    s = verifull.postgres.conninfo(servers.pg_url(), verifull.Trust.from_file(servers.file("ca.pem")))
    gc.collect()
    other = verifull.Trust.from_file(servers.file("other-ca.pem"))  # used to take the freed fd number
    assert other.anchors_file not in s
    conn = psycopg2.connect(s)
    cur = conn.cursor()
    cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    assert cur.fetchone()[0] is True
    conn.close()


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_children_connect_verified_with_what_the_parent_made(servers, trust, method):
    ctx = multiprocessing.get_context(method)
    kwargs = verifull.mysql.connect_kwargs(servers.mysql_url(), trust)
    s = verifull.postgres.conninfo(servers.pg_url(), trust)
    with ctx.Pool(1) as pool:
        assert pool.apply(children.mysqldb_tls_version, (kwargs,)).startswith("TLSv1.")
        assert pool.apply(children.psycopg2_ssl, (s,)) == "ssl"


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_children_are_refused_by_a_stripping_relay_without_a_login(servers, trust, method):
    ctx = multiprocessing.get_context(method)
    with stripper(servers.port("MYSQL_IP")) as fake:
        kwargs = verifull.mysql.connect_kwargs(servers.mysql_url(port=fake.port), trust)
        with ctx.Pool(1) as pool:
            assert pool.apply(children.mysqldb_tls_version, (kwargs,)).startswith("refused")
    assert servers.user.encode() not in fake.received
