"""psycopg2 and psycopg (3) with verifull.postgres.conninfo(): verified, and hostile
servers refused before the startup packet."""
import psycopg
import psycopg2
import pytest

import verifull
from fakes import SSL_REQUEST_PG, Fake, server_tls


def ssl_in_use(conn):
    cur = conn.cursor()
    cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    return cur.fetchone()[0]


def test_psycopg2_connects_verified(servers, trust):
    conn = psycopg2.connect(verifull.postgres.conninfo(servers.pg_url(), trust))
    assert ssl_in_use(conn) is True
    conn.close()


def test_psycopg3_connects_verified(servers, trust):
    with psycopg.connect(verifull.postgres.conninfo(servers.pg_url(), trust)) as conn:
        assert ssl_in_use(conn) is True


def test_conninfo_is_hardened(servers, trust):
    s = verifull.postgres.conninfo(servers.pg_url(), trust)
    for part in ["sslmode='verify-full'", "gssencmode='disable'", f"sslrootcert='{trust.anchors_file}'",
                 "ssl_min_protocol_version='TLSv1.2'", "hostaddr='"]:
        assert part in s


def test_wrong_name_and_other_ca_are_refused_even_with_weakening_environment(servers, trust, monkeypatch):
    monkeypatch.setenv("PGSSLMODE", "disable")
    monkeypatch.setenv("PGSSLROOTCERT", "/wrong/root.crt")
    monkeypatch.setenv("PGGSSENCMODE", "require")
    with pytest.raises(psycopg2.OperationalError, match="does not match host name"):
        psycopg2.connect(verifull.postgres.conninfo(servers.pg_url(host="127.0.0.1"), trust))
    other = verifull.Trust.from_file(servers.file("other-ca.pem"))
    with pytest.raises(psycopg2.OperationalError, match="certificate verify failed"):
        psycopg2.connect(verifull.postgres.conninfo(servers.pg_url(), other))
    with pytest.raises(psycopg2.OperationalError, match="SSL"):
        psycopg2.connect(verifull.postgres.conninfo(servers.pg_url(port=servers.port("PG_PLAIN")), trust))


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer", "require", "verify-ca"])
def test_weak_sslmode_is_input_error(servers, trust, mode):
    with pytest.raises(verifull.InputError, match="would weaken"):
        verifull.postgres.conninfo(servers.pg_url() + f"?sslmode={mode}", trust)


def test_conninfo_refuses_what_libpq_alone_cannot_keep(servers, trust):
    pin = verifull.check(servers.pg_url(), trust).chain[0].spki_sha256
    for kwargs in [{"pins": [pin]}, {"engine": "both"}, {"profile": "strict"}, {"allow_cn_fallback": True}]:
        with pytest.raises(verifull.InputError, match="verifull.psycopg.connect"):
            verifull.postgres.conninfo(servers.pg_url(), trust, **kwargs)


def pg_tls_fake(cert, key):
    def handler(fake, conn, n):
        if fake.recv_exact(conn, 8) != SSL_REQUEST_PG:
            return
        conn.sendall(b"S")
        try:
            tls = server_tls(conn, cert, key)
        except OSError:
            return
        fake.drain(tls)
    return Fake(handler)


@pytest.mark.parametrize("cert", ["impostor", "wrong-name"])
def test_impostors_get_no_startup_packet(servers, trust, cert):
    with pg_tls_fake(servers.file(cert + ".pem"), servers.file(cert + ".key")) as fake:
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(verifull.postgres.conninfo(servers.pg_url(port=fake.port), trust))
    assert fake.received == SSL_REQUEST_PG  # nothing after the TLS request, decrypted or not
    assert servers.user.encode() not in fake.received


def test_a_fake_answering_N_gets_no_plaintext_startup(servers, trust):
    def handler(fake, conn, n):
        if fake.recv_exact(conn, 8) == SSL_REQUEST_PG:
            conn.sendall(b"N")
            fake.drain(conn)
    with Fake(handler) as fake:
        with pytest.raises(psycopg2.OperationalError, match="SSL"):
            psycopg2.connect(verifull.postgres.conninfo(servers.pg_url(port=fake.port), trust))
    assert fake.received == SSL_REQUEST_PG
