"""mysqlclient (MySQLdb 1.4.6, no ssl_mode) with verifull.mysql.connect_kwargs(): every
option it relies on is shown to take effect, and hostile servers get no credential."""
import pathlib

import MySQLdb
import pytest

import verifull
import own_servers
from fakes import Fake, mysql_clear_password_fake, mysql_greeting, relay, server_tls, strip_client_ssl


def ssl_version(conn):
    cur = conn.cursor()
    cur.execute("SHOW STATUS LIKE 'Ssl_version'")
    return cur.fetchone()[1]


def test_connects_verified_and_pinned(servers, trust):
    kwargs = verifull.mysql.connect_kwargs(servers.mysql_url(), trust)
    assert "ssl" not in kwargs
    conn = MySQLdb.connect(**kwargs)
    assert ssl_version(conn).startswith("TLSv1.")
    conn.close()


def test_refusals_raise_before_mysqldb_connects(servers, trust):
    with pytest.raises(verifull.VerificationError) as e:  # cert names localhost, not 127.0.0.1
        verifull.mysql.connect_kwargs(servers.mysql_url(port=servers.port("MYSQL")), trust)
    assert e.value.outcome == "name_mismatch"
    with pytest.raises(verifull.VerificationError) as e:
        verifull.mysql.connect_kwargs(servers.mysql_url(port=servers.port("MYSQL_PLAIN")), trust)
    assert e.value.outcome == "tls_unavailable"
    other = verifull.Trust.from_file(servers.file("other-ca.pem"))
    with pytest.raises(verifull.VerificationError) as e:
        verifull.mysql.connect_kwargs(servers.mysql_url(), other)
    assert e.value.outcome == "untrusted_issuer"


def test_bad_input(servers, trust):
    with pytest.raises(verifull.InputError):
        verifull.mysql.connect_kwargs(servers.pg_url(), trust)
    # The core's reasons (src/mysql/url_parameters.cpp), the same a C++ or CLI connect gives.
    for param, why in [("ssl_mode=DISABLED", "ssl_mode would change how verifull secures the connection"),
                       ("unix_socket=/tmp/x", "unix_socket would change where the connection goes"),
                       ("read_default_file=/tmp/x", "read_default_file would let an option file replace the CA"),
                       ("client_flag=0", "client_flag would change the connection's capability flags")]:
        with pytest.raises(verifull.InputError, match=why):
            verifull.mysql.connect_kwargs(servers.mysql_url() + "?" + param, trust)
    with pytest.raises(verifull.InputError, match="frobnicate is not a setting verifull knows"):
        verifull.mysql.connect_kwargs(servers.mysql_url() + "?frobnicate=1", trust)


def test_localhost_connects_by_tcp_and_tls(servers, trust):
    """mysqlclient reaches 'localhost' by Unix socket unless told TCP: the option file says
    protocol=1, so the verified server is reached by TCP, with TLS, and never the socket
    (unix_socket names one that does not exist, so a socket connect would fail)."""
    kwargs = verifull.mysql.connect_kwargs(servers.mysql_url(host="localhost", port=servers.port("MYSQL")), trust)
    assert "protocol=1\n" in pathlib.Path(kwargs["read_default_file"]).read_text()
    conn = MySQLdb.connect(**kwargs)
    try:
        assert "TCP/IP" in conn.get_host_info()
        assert ssl_version(conn).startswith("TLSv1.")
    finally:
        conn.close()
    conn = verifull.mysql.connect(servers.mysql_url(host="localhost", port=servers.port("MYSQL")), trust)
    assert "TCP/IP" in conn.get_host_info()
    conn.close()


def test_parameters_the_core_honours_are_honoured_and_typed_by_the_core(servers, trust):
    """The core's table, not a Python copy: '-' read as '_' and any case (the copy refused
    ?read-timeout= as unknown), a CRL in the URL checked by the probe (the copy refused
    ?ssl-crl=), and the core's value rules (the copy took connect_timeout=0)."""
    kwargs = verifull.mysql.connect_kwargs(servers.mysql_url() + "?read-timeout=7&Autocommit=ON&use_unicode=0", trust)
    assert kwargs["read_timeout"] == 7 and kwargs["autocommit"] is True and kwargs["use_unicode"] is False
    assert "read-timeout" not in kwargs and "Autocommit" not in kwargs
    with pytest.raises(verifull.InputError, match="connect_timeout must be a whole number of seconds from 1"):
        verifull.mysql.connect_kwargs(servers.mysql_url() + "?connect_timeout=0", trust)
    localhost = servers.mysql_url(host="localhost", port=servers.port("MYSQL"))
    with pytest.raises(verifull.VerificationError) as e:
        verifull.mysql.connect_kwargs(localhost + "?ssl-crl=" + servers.file("crl-revoked.pem"), trust)
    assert e.value.outcome == "revoked"
    kwargs = verifull.mysql.connect_kwargs(localhost + "?ssl-crl=" + servers.file("crl-empty.pem"), trust)
    assert not any(key.startswith("ssl") for key in kwargs)  # the core took it; MySQLdb gets the option file
    MySQLdb.connect(**kwargs).close()


def test_driver_keywords_that_would_replace_verified_settings_are_refused_with_the_cores_reason(servers, trust):
    for key, why in [("ssl", "would change how verifull secures"), ("ssl_mode", "would change how verifull secures"),
                     ("unix_socket", "would change where the connection goes"), ("host", "where the connection goes"),
                     ("read_default_group", "option file"), ("client_flag", "capability flags"),
                     ("passwd", "put it in the URL")]:
        with pytest.raises(verifull.InputError, match=f"{key} .*{why}"):
            verifull.mysql.connect(servers.mysql_url(), trust, **{key: "x"})
        assert verifull.mysql.keyword_refusal(key) or key == "passwd"
    assert verifull.mysql.keyword_refusal("charset") is None


def test_url_parameters_are_carried_over(servers, trust):
    kwargs = verifull.mysql.connect_kwargs(servers.mysql_url() + "?charset=utf8mb4&autocommit=true", trust)
    assert kwargs["charset"] == "utf8mb4" and kwargs["autocommit"] is True
    conn = MySQLdb.connect(**kwargs)
    assert conn.character_set_name() == "utf8mb4"
    conn.close()


def greeting_stripper(port):
    """First connection (verifull's probe) relayed untouched; later ones get the real
    server's greeting with CLIENT_SSL cleared."""
    def handler(fake, conn, n):
        relay(fake, conn, port, rewrite_greeting=None if n == 1 else strip_client_ssl)
    return Fake(handler)


def test_stripped_client_ssl_is_refused_without_a_login(servers, trust):
    port = servers.port("MYSQL_IP")
    with greeting_stripper(port) as fake:
        kwargs = verifull.mysql.connect_kwargs(servers.mysql_url(port=fake.port), trust)
        with pytest.raises(MySQLdb.OperationalError):
            MySQLdb.connect(**kwargs)
    assert servers.user.encode() not in fake.received


def test_control_plain_mysqldb_logs_in_to_a_stripped_greeting(servers):
    """Why ssl-enforce matters: mysqlclient with only a CA sends the login in plaintext."""
    with greeting_stripper(servers.port("MYSQL_IP")) as fake:
        fake.connections = 1  # no probe: the first connection is the client's
        try:
            MySQLdb.connect(host="127.0.0.1", port=fake.port, user=servers.user, passwd=servers.password,
                            ssl={"ca": servers.file("ca.pem")}, connect_timeout=5)
        except MySQLdb.OperationalError:
            pass  # the server itself refuses (require_secure_transport); the login already left
    assert servers.user.encode() in fake.received


def test_a_certificate_swapped_after_the_probe_is_refused_by_the_pin(servers, trust):
    """Same CA, same names, another key: only ssl-fp tells them apart."""
    port = servers.port("MYSQL_IP")

    def handler(fake, conn, n):
        if n == 1:
            relay(fake, conn, port)
            return
        conn.sendall(mysql_greeting(tls=True))
        if len(fake.recv_exact(conn, 36)) == 36:
            try:
                tls = server_tls(conn, servers.file("server-ip2.pem"), servers.file("server-ip2.key"))
            except OSError:
                return
            fake.drain(tls)
    with Fake(handler) as fake:
        kwargs = verifull.mysql.connect_kwargs(servers.mysql_url(port=fake.port), trust)
        with pytest.raises(MySQLdb.OperationalError, match="(?i)fingerprint|SSL"):
            MySQLdb.connect(**kwargs)
    assert servers.user.encode() not in fake.received


def test_mysql_clear_password_is_refused_without_the_password(servers, trust):
    with mysql_clear_password_fake(servers.file("server-ip.pem"), servers.file("server-ip.key")) as fake:
        kwargs = verifull.mysql.connect_kwargs(servers.mysql_url(port=fake.port), trust)
        with pytest.raises(MySQLdb.OperationalError):
            MySQLdb.connect(**kwargs)
    assert servers.user.encode() in fake.received  # it got as far as authentication
    assert servers.password.encode() not in fake.received


def option_file(tmp_path, lines):
    path = tmp_path / "my.cnf"
    path.write_text("[t]\n" + "\n".join(lines) + "\n")
    return str(path)


def connect_with(servers, path, port):
    return MySQLdb.connect(host="127.0.0.1", port=port, user=servers.user, passwd=servers.password,
                           read_default_file=path, read_default_group="t", connect_timeout=5)


def test_each_option_file_setting_takes_effect(servers, tmp_path):
    """Connector/C can ignore options silently; check each one connect_kwargs relies on."""
    ca = f"ssl-ca={servers.file('ca.pem')}"
    # ssl-verify-server-cert: the main server's certificate names only localhost.
    with pytest.raises(MySQLdb.OperationalError):
        connect_with(servers, option_file(tmp_path, [ca, "ssl-verify-server-cert=1"]), servers.port("MYSQL"))
    # ... and without it Connector/C 3.3 accepts the wrong name (the default this fixes).
    connect_with(servers, option_file(tmp_path, [ca]), servers.port("MYSQL")).close()
    # ssl-fp: a wrong fingerprint is refused, the right one accepted.
    with pytest.raises(MySQLdb.OperationalError):
        connect_with(servers, option_file(tmp_path, [ca, "ssl-fp=" + "00" * 20]), servers.port("MYSQL_IP"))
    # tls-version: a client limited to TLS 1.1 cannot reach a TLS 1.2+ server.
    with pytest.raises(MySQLdb.OperationalError):
        connect_with(servers, option_file(tmp_path, [ca, "tls-version=TLSv1.1"]), servers.port("MYSQL_IP"))
    # A server without TLS: ssl-verify-server-cert and ssl-fp each make Connector/C refuse
    # it instead of logging in in plaintext ...
    plain = servers.port("MYSQL_PLAIN")
    for setting in ["ssl-verify-server-cert=1", "ssl-fp=" + "00" * 20]:
        with pytest.raises(MySQLdb.OperationalError, match="SSL is required"):
            connect_with(servers, option_file(tmp_path, [ca, setting]), plain)
    # ... while ssl-enforce in an option file is silently ignored by Connector/C 3.3, which
    # is why connect_kwargs does not rely on it.
    conn = connect_with(servers, option_file(tmp_path, [ca, "ssl-enforce=1"]), plain)
    assert ssl_version(conn) == ""
    conn.close()
    # restricted-auth: covered end to end by test_mysql_clear_password_is_refused_without_the_password.


def test_connect_recovers_from_a_certificate_rotation_with_one_reprobe(servers, trust):
    rotating = own_servers.mysql_url(servers)
    conn = verifull.mysql.connect(rotating, trust)  # approval cached for server-ip
    conn.close()
    kwargs_before = verifull.mysql.connect_kwargs(rotating, trust)
    own_servers.install(servers, "mysql", "server-ip2")  # same CA, same names, another key
    try:
        # A kept kwargs dict now meets another certificate: the pin refuses it ...
        with pytest.raises(MySQLdb.OperationalError, match="(?i)fingerprint"):
            MySQLdb.connect(**kwargs_before)
        # ... and connect(), whose cached approval is just as stale, verifies the new
        # certificate once and gets through.
        conn = verifull.mysql.connect(rotating, trust, charset="utf8mb4")
        assert ssl_version(conn).startswith("TLSv1.")
        conn.close()
    finally:
        own_servers.install(servers, "mysql", "server-ip")
        verifull.mysql.clear_cache()


def test_connect_does_not_loop_when_the_new_certificate_fails_too(servers, trust):
    """A pin that no longer matches after the re-probe is a refusal, not a retry loop."""
    port = servers.port("MYSQL_IP")
    attempts = []

    def handler(fake, conn, n):
        attempts.append(n)
        if n % 2 == 1:
            relay(fake, conn, port)  # probes: the real server
            return
        conn.sendall(mysql_greeting(tls=True))  # connects: a same-CA certificate with another key
        if len(fake.recv_exact(conn, 36)) == 36:
            try:
                fake.drain(server_tls(conn, servers.file("server-ip2.pem"), servers.file("server-ip2.key")))
            except OSError:
                pass
    verifull.mysql.clear_cache()
    with Fake(handler) as fake:
        with pytest.raises(MySQLdb.OperationalError):
            verifull.mysql.connect(servers.mysql_url(port=fake.port), trust)
    assert len(attempts) == 4  # probe, connect, one re-probe, one retry: never more
    assert servers.user.encode() not in fake.received
