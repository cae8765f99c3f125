"""No input crashes verifull or slips through converted: every class of bad host, port and
scheme is an InputError that names the problem (and never the password) while the good
endpoints still verify; a verification time too large for the C ABI is refused, not
wrapped; line separators in messages are escaped."""
import pytest

import verifull

SECRET = "bad-input-password-marker"


def bad_urls(port):
    creds = f"app:{SECRET}@"
    long_name = ("b" * 45 + ".") * 6 + "example.com"
    return [
        (f"postgres://{creds}-bad.example.com:{port}", "starts or ends with a hyphen"),
        (f"postgres://bad-.example.com:{port}", "starts or ends with a hyphen"),
        (f"mysql://{creds}db.-bad.example.com:{port}", "starts or ends with a hyphen"),
        (f"postgres://10.0.0:{port}", "looks like an IP address"),
        (f"mysql://192.000.002.001:{port}", "looks like an IP address"),
        (f"postgres://{creds}:{port}", "no host"),
        (f"postgres://{'a' * 64}.example.com:{port}", "longer than 63"),
        (f"postgres://{long_name}:{port}", "1 to 253"),
        (f"postgres://{creds}bad%01host:{port}", "is not allowed"),
        (f"postgres://bad%00host:{port}", "%00"),
        (f"postgres://bad\x00host:{port}", "NUL"),
        (f"postgres://bad\x07host:{port}", "is not allowed"),
        (f"mysql://bad\u2028host:{port}", "is not allowed"),
        ("postgres://localhost:0", "port must be a number"),
        ("postgres://localhost:65536", "port must be a number"),
        (f"mysql://{creds}localhost:abc", "port must be a number"),
        ("postgres://localhost:", "port must be a number"),
        (f"http://{creds}localhost:{port}", "database URL"),
        (f"localhost:{port}", "database URL"),
    ]


def test_check_reports_each_bad_endpoint_and_still_verifies_the_good_ones(servers, trust):
    good = [f"postgres://localhost:{servers.port('PG')}", f"mysql://localhost:{servers.port('MYSQL')}"]
    endpoints = [(good[0], None)] + bad_urls(servers.port("PG")) + [(good[1], None)]
    for url, reason in endpoints:
        if reason is None:
            assert verifull.check(url, trust, timeout=5).ok, url
            continue
        with pytest.raises(verifull.InputError) as caught:
            verifull.check(url, trust, timeout=5)
        message = str(caught.value)
        assert reason in message, (url, message)
        assert SECRET not in message
        assert "\u2028" not in message and "\x07" not in message
        assert len(message) < 400, message


def test_a_verification_time_beyond_int64_is_an_input_error_not_wrapped(servers, trust):
    leaf = open(servers.file("server.pem")).read()
    assert verifull.verify_pem(leaf, trust, host="localhost").ok
    # 2**70 kept to its low 64 bits is 64: a time in 1970, before the certificate.
    for at in [2**70, -2**70, 2**64 + 1_700_000_000, 2**63]:
        with pytest.raises(verifull.InputError, match="int64_t"):
            verifull.verify_pem(leaf, trust, host="localhost", at=at)
    # Within int64_t, the core decides the range, and says so.
    for at in [2**62, -1]:
        with pytest.raises(verifull.InputError, match="out of range"):
            verifull.verify_pem(leaf, trust, host="localhost", at=at)


def test_line_separators_in_a_message_are_escaped(servers, trust):
    for separator, escaped in [("\u2028", "\\E2\\80\\A8"), ("\u2029", "\\E2\\80\\A9")]:
        with pytest.raises(verifull.InputError) as caught:
            verifull.check(f"postgres://db{separator}example.com:{servers.port('PG')}", trust)
        assert separator not in str(caught.value)
        assert escaped in str(caught.value)


def test_every_helper_refuses_the_bad_endpoints_by_the_same_rule(servers, trust):
    """The libpq and Connector/C helpers apply the core's host rule before any resolver sees
    the name: "10.0.0" is not dialled as 10.0.0.0, "-bad.example.com" is not "unresolvable"."""
    for url, reason in bad_urls(servers.port("PG")):
        pg, my = url.replace("mysql://", "postgres://"), url.replace("postgres://", "mysql://")
        for helper, target in [(verifull.postgres.conninfo, pg), (verifull.mysql.connect_kwargs, my)]:
            if helper is verifull.postgres.conninfo and target.endswith(":"):
                continue  # libpq reads "host:" as its default port, 5432, and so does conninfo
            with pytest.raises(verifull.InputError) as caught:
                helper(target, trust)
            message = str(caught.value)
            if "port" not in reason and "database URL" not in reason:
                assert reason in message, (helper.__name__, url, message)
            assert SECRET not in message
            assert "\u2028" not in message and len(message) < 400, message
