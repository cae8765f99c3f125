"""Client certificates and the clear-text password opt-in in the Python package: the
native policy carries them (vf_policy_options version 4), the library checks the files
(vf_client_certificate_check), PyMySQL/aiomysql present them from verifull's SSLContext
and answer mysql_clear_password only when that context allows it (it completes a
handshake only with the server verifull verified)."""
import asyncio
import os
import shutil

import psycopg2
import pymysql
import pytest

import verifull
import verifull.aiomysql
import verifull.pymysql
from fakes import mysql_clear_password_fake


def cert_user(servers):
    return servers.env["VERIFULL_CERT_USER"], servers.env["VERIFULL_CERT_PASSWORD"]


def pg_cert_url(servers, params=""):
    user, password = cert_user(servers)
    return f"postgres://{user}:{password}@localhost:{servers.port('PG')}/{servers.db}{params}"


def passphrase(servers):
    with open(servers.file("client-enc.pass")) as f:
        return f.readline().rstrip("\n")


def test_policy_carries_the_client_certificate_to_the_c_abi(servers):
    policy = verifull.Policy(client_cert=servers.file("client.pem"), client_key=servers.file("client.key"),
                             client_key_passphrase="secret-pass", allow_cleartext_password=True)
    opts, _keep = policy.native()
    assert opts.version == 4
    assert opts.client_cert == servers.file("client.pem").encode()
    assert opts.client_key == servers.file("client.key").encode()
    assert opts.allow_cleartext_password == 1
    assert "secret-pass" not in repr(policy)
    with pytest.raises(verifull.InputError, match="allow_cleartext_password"):
        verifull.Policy(allow_cleartext_password="yes")


def test_psycopg_helpers_log_in_with_the_certificate_in_the_url(servers, trust):
    params = f"?sslcert={servers.file('client.pem')}&sslkey={servers.file('client.key')}"
    conn = verifull.psycopg.connect(pg_cert_url(servers, params), trust)
    assert conn.execute("SELECT current_user").fetchone()[0] == cert_user(servers)[0]
    conn.close()
    conn2 = psycopg2.connect(verifull.postgres.conninfo(pg_cert_url(servers, params), trust))
    conn2.close()
    with pytest.raises(verifull.VerificationError, match="requires a client certificate"):
        verifull.psycopg.connect(pg_cert_url(servers), trust)


def loose_copy(tmp_path, source, mode):
    path = tmp_path / "copy.key"
    shutil.copy(source, path)
    os.chmod(path, mode)
    return str(path)


def test_ssl_context_refuses_a_loose_key_a_foreign_key_and_a_wrong_passphrase(servers, trust, tmp_path):
    cert = servers.file("client.pem")
    for key, passphrase_given, words in [
            (loose_copy(tmp_path, servers.file("client.key"), 0o644), None, "mode 0644"),
            (servers.file("server.key"), None, "does not belong"),
            (servers.file("client-enc.key"), "wrong", "does not decrypt")]:
        with pytest.raises(verifull.InputError, match=words) as e:
            verifull.ssl_context(trust, "127.0.0.1", client_cert=cert if "enc" not in key else
                                 servers.file("client-enc.pem"), client_key=key,
                                 client_key_passphrase=passphrase_given)
        assert key in str(e.value)
        assert "BEGIN" not in str(e.value) and "wrong" not in str(e.value).replace("wrong", "", 0)


def pymysql_cert_connect(servers, trust, **cert):
    user, password = cert_user(servers)
    ctx = verifull.ssl_context(trust, "127.0.0.1", **cert)
    return verifull.pymysql.VerifiedConnection(host="127.0.0.1", port=servers.port("MYSQL_IP"), user=user,
                                               password=password, database=servers.db, ssl=ctx, connect_timeout=5)


def test_pymysql_logs_in_with_the_certificate_of_its_ssl_context(servers, trust):
    conn = pymysql_cert_connect(servers, trust, client_cert=servers.file("client.pem"),
                                client_key=servers.file("client.key"))
    conn.close()
    conn = pymysql_cert_connect(servers, trust, client_cert=servers.file("client-enc.pem"),
                                client_key=servers.file("client-enc.key"), client_key_passphrase=passphrase(servers))
    conn.close()
    with pytest.raises(pymysql.err.OperationalError, match="Access denied"):
        pymysql_cert_connect(servers, trust)


def clear_text_login(servers, trust, port, cert_name, allow, driver):
    ctx = verifull.ssl_context(trust, "127.0.0.1", allow_cleartext_password=allow)
    args = dict(host="127.0.0.1", port=port, user=servers.user, password=servers.password, ssl=ctx, connect_timeout=3)
    if driver == "pymysql":
        verifull.pymysql.VerifiedConnection(**args)
    else:
        async def main():
            conn = verifull.aiomysql.VerifiedConnection(**args)
            try:
                await conn._connect()
            finally:
                conn.close()
        asyncio.run(main())


@pytest.mark.parametrize("driver", ["pymysql", "aiomysql"])
def test_mysql_clear_password_reaches_a_verified_server_only_with_the_option(servers, trust, driver):
    for cert, allow, expected in [("server-ip", False, False), ("server-ip", True, True),
                                  ("impostor", False, False), ("impostor", True, False)]:
        with mysql_clear_password_fake(servers.file(cert + ".pem"), servers.file(cert + ".key")) as fake:
            with pytest.raises(Exception) as e:
                clear_text_login(servers, trust, fake.port, cert, allow, driver)
            if cert == "server-ip" and not allow:
                assert "allow_cleartext_password" in str(e.value) or "allow_cleartext_password" in str(
                    e.value.__cause__)
        assert (servers.password.encode() + b"\0" in fake.received) == expected, (cert, allow)
        if cert == "impostor":
            assert servers.user.encode() not in fake.received


def test_mysqldb_logs_in_with_the_certificate_in_verifull_option_file(servers, trust):
    """The option-file route (vf_mysql_option_file_with_policy) MySQLdb's helper goes
    through: ssl-cert and ssl-key from the policy reach Connector/C inside MySQLdb."""
    import ctypes
    import MySQLdb
    from verifull import _native
    user, password = cert_user(servers)
    url = f"mysql://{user}@127.0.0.1:{servers.port('MYSQL_IP')}/{servers.db}"
    _report, fingerprint = verifull.mysql.approve(url, trust)
    opts, _keep = verifull.Policy(client_cert=servers.file("client.pem"), client_key=servers.file("client.key")).native()
    path = _native.string_out(_native.lib.vf_mysql_option_file_with_policy, url.encode(), trust._handle,
                              fingerprint.encode(), ctypes.byref(opts))
    args = dict(read_default_file=path, read_default_group="verifull", unix_socket=verifull.mysql.MISSING_SOCKET,
                user=user, passwd=password, db=servers.db, connect_timeout=5)
    conn = MySQLdb.connect(**args)
    conn.close()
    # Without the certificate the same user is refused (REQUIRE SUBJECT).
    plain = _native.string_out(_native.lib.vf_mysql_option_file, url.encode(), trust._handle, fingerprint.encode())
    with pytest.raises(MySQLdb.OperationalError, match="Access denied"):
        MySQLdb.connect(**dict(args, read_default_file=plain))
    # A passphrase would stay on disk in the kept file: refused by name.
    enc, _keep2 = verifull.Policy(client_cert=servers.file("client-enc.pem"), client_key=servers.file("client-enc.key"),
                                  client_key_passphrase=passphrase(servers)).native()
    with pytest.raises(_native.NativeError, match="passphrase") as e:
        _native.string_out(_native.lib.vf_mysql_option_file_with_policy, url.encode(), trust._handle,
                           fingerprint.encode(), ctypes.byref(enc))
    assert passphrase(servers) not in str(e.value)


def test_mysqldb_helper_carries_the_policy_certificate(servers, trust):
    """verifull.mysql.connect with a Policy's client certificate logs in as a REQUIRE
    SUBJECT user: the helper's option file carries it (it was dropped before), and a key
    passphrase, which the kept file would hold on disk, is refused by name."""
    user, password = cert_user(servers)
    url = f"mysql://{user}:{password}@127.0.0.1:{servers.port('MYSQL_IP')}/{servers.db}"
    policy = verifull.Policy(client_cert=servers.file("client.pem"), client_key=servers.file("client.key"))
    conn = verifull.mysql.connect(url, trust, policy)
    cur = conn.cursor()
    cur.execute("SELECT CURRENT_USER()")
    assert cur.fetchone()[0].startswith(user + "@")
    conn.close()
    enc = verifull.Policy(client_cert=servers.file("client-enc.pem"), client_key=servers.file("client-enc.key"),
                          client_key_passphrase=passphrase(servers))
    with pytest.raises(verifull.InputError, match="passphrase") as e:
        verifull.mysql.connect(url, trust, enc)
    assert passphrase(servers) not in str(e.value)
