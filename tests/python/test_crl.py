"""Revocation from Python (crls=, require_crl=, verifull.Policy) against the real servers:
the TLS servers present the test PKI's server certificates, which crl-revoked.pem lists."""
import ssl

import pymysql
import pytest

import verifull


def serial_hex(servers, name):
    """The certificate's serial as hex digits (verifull prints them colon-separated)."""
    return ssl._ssl._test_decode_cert(servers.file(name))["serialNumber"].upper()


def test_check_names_the_revoked_serial_and_the_crl(servers, trust):
    for engine in ("openssl", "botan", "both"):
        report = verifull.check(servers.pg_url(), trust, engine=engine, crls=[servers.file("crl-revoked.pem")])
        assert report.outcome == "revoked", report.message
        assert serial_hex(servers, "server.pem") in report.message.replace(":", "")
        assert "crl-revoked.pem" in report.message
        assert not report.ok


def test_empty_expired_forged_and_missing_crls(servers, trust):
    url = servers.mysql_url()
    assert verifull.check(url, trust, crls=[servers.file("crl-empty.pem")]).ok
    assert verifull.check(url, trust, crls=servers.file("crl-dir-empty")).ok  # one path, not a sequence
    expired = verifull.check(url, trust, crls=[servers.file("crl-expired.pem")])
    assert expired.outcome == "crl_expired" and "out of date" in expired.message
    assert verifull.check(url, trust, crls=[servers.file("crl-wrong-key.pem")]).outcome == "crl_bad_signature"
    assert verifull.check(url, trust, require_crl=True).outcome == "crl_missing"
    assert verifull.check(url, trust, crls=[servers.file("crl-empty.pem")], require_crl=True).ok
    assert verifull.check(url, trust, crls=[servers.file("crl-revoked.der")]).outcome == "revoked"


def test_verify_pem_and_policy_carry_the_crls(servers, trust):
    pem = open(servers.file("server.pem")).read()
    policy = verifull.Policy(crls=[servers.file("crl-dir")], require_crl=True)
    assert policy.crls == (servers.file("crl-dir"),)
    report = verifull.verify_pem(pem, trust, host="localhost", crls=policy.crls, require_crl=policy.require_crl)
    assert report.outcome == "revoked"
    opts, keep = policy.native("localhost")
    assert opts.crl_count == 1 and opts.require_crl == 1


def test_a_crl_that_cannot_be_read_is_an_input_error(servers, trust):
    with pytest.raises(verifull.InputError, match="no-such.crl"):
        verifull.check(servers.pg_url(), trust, crls=["/nonexistent/no-such.crl"])
    with pytest.raises(verifull.InputError, match="CERTIFICATE"):
        verifull.verify_pem(open(servers.file("server.pem")).read(), trust, host="localhost",
                            crls=[servers.file("server.pem")])
    with pytest.raises(verifull.InputError, match="require_crl"):
        verifull.Policy(require_crl="yes")


def test_ssl_context_checks_the_same_crls_in_band(servers, trust):
    """PyMySQL over verifull.ssl_context: OpenSSL's own handshake check refuses the revoked
    server (VERIFY_CRL_CHECK_CHAIN over the core's CRL file), before any credential."""
    def connect(**crl_settings):
        ctx = verifull.ssl_context(trust, "localhost", **crl_settings)
        return pymysql.connect(host="localhost", port=servers.port("MYSQL"), user=servers.user,
                               password=servers.password, database=servers.db, ssl=ctx, connect_timeout=5)

    ctx = verifull.ssl_context(trust, "localhost", crls=[servers.file("crl-revoked.pem")])
    assert ctx.verify_flags & ssl.VERIFY_CRL_CHECK_CHAIN
    with pytest.raises(pymysql.err.OperationalError, match="certificate revoked"):
        connect(crls=[servers.file("crl-revoked.pem")])
    with pytest.raises(pymysql.err.OperationalError, match="certificate revoked"):
        connect(crls=[servers.file("crl-dir")])
    conn = connect(crls=[servers.file("crl-empty.pem")])
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)
    finally:
        conn.close()
    # Without CRLs the context checks none (nothing was asked for).
    assert not verifull.ssl_context(trust, "localhost").verify_flags & ssl.VERIFY_CRL_CHECK_CHAIN


def test_a_url_crl_reaches_the_pymysql_helpers_probe(servers, trust):
    """?ssl-crl= is a CRL of the policy: the helper's probe refuses the revoked server
    before PyMySQL connects (the issue: the helper used to drop it)."""
    import verifull.pymysql
    url = servers.mysql_url(host="localhost", port=servers.port("MYSQL")) + "?ssl-crl=" + servers.file("crl-revoked.pem")
    with pytest.raises(verifull.VerificationError) as refused:
        verifull.pymysql.connect(url, trust, timeout=5)
    assert refused.value.report.outcome == "revoked"
    clean = servers.mysql_url(host="localhost", port=servers.port("MYSQL")) + "?ssl-crl=" + servers.file("crl-empty.pem")
    verifull.pymysql.connect(clean, trust, timeout=5).close()


def test_a_pymysql_sqlalchemy_engine_carries_the_whole_policy(servers, trust):
    """create_engine's mysql+pymysql creator used to pass on only some of the policy's
    fields: CRLs (and the client certificate) were dropped, so a revoked server was accepted."""
    import sqlalchemy
    import verifull.sqlalchemy
    url = servers.mysql_url(host="localhost", port=servers.port("MYSQL")).replace("mysql://", "mysql+pymysql://")
    revoked = verifull.sqlalchemy.create_engine(url, trust, crls=[servers.file("crl-revoked.pem")], timeout=5)
    with pytest.raises(verifull.VerificationError) as refused:
        revoked.connect()
    assert refused.value.report.outcome == "revoked"
    clean = verifull.sqlalchemy.create_engine(url, trust, crls=[servers.file("crl-empty.pem")], timeout=5)
    with clean.connect() as conn:
        assert conn.execute(sqlalchemy.text("SELECT 1")).scalar() == 1
    with pytest.raises(TypeError, match="crls"):  # a policy setting among the driver's is named, not dropped
        verifull.sqlalchemy.create_engine(url, trust, connect_args={"crls": []})
