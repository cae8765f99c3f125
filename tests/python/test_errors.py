"""Every bad input is an InputError that names the problem, and no message ever holds the
password, whatever form the URL has."""
import time

import pytest

import verifull

SECRET = "S3cret-Pw"
URLS = [
    f"postgresql+psycopg2://app:{SECRET}@127.0.0.1:1/x",
    f"postgresql+psycopg://app:{SECRET}@127.0.0.1:1/x?sslmode=disable",
    f"mysql+mysqldb://app:{SECRET}@127.0.0.1:0/x",
    f"mysql+pymysql://app:{SECRET}@localhost/x",
    f"redis://app:{SECRET}@127.0.0.1/x",
    f"postgres://app:{SECRET}@/var/run/postgresql/x",
    f"user=app password={SECRET} host",
    f"host=127.0.0.1 password='{SECRET} x' sslmode=require",
    f"app:{SECRET}@127.0.0.1/x",
]


@pytest.mark.parametrize("url", URLS)
def test_no_message_holds_the_password(servers, trust, url):
    calls = [
        lambda: verifull.check(url, trust, timeout=2),
        lambda: verifull.postgres.conninfo(url, trust),
        lambda: verifull.mysql.connect_kwargs(url, trust, timeout=2),
        lambda: verifull.psycopg.connect(url, trust, timeout=2),
    ]
    for call in calls:
        try:
            result = call()
        except verifull.VerifullError as e:
            assert SECRET not in str(e), str(e)
            if isinstance(e, verifull.VerificationError):
                assert SECRET not in repr(e.report)
        else:
            if isinstance(result, verifull.Report):
                assert SECRET not in repr(result)


@pytest.mark.parametrize("bad", [None, 42, b"postgres://\x00x", "postgres://h\x00/x", ["postgres://h"]])
def test_wrong_types_and_nul_bytes_are_input_errors(trust, bad):
    with pytest.raises(verifull.InputError):
        verifull.check(bad, trust)
    with pytest.raises(verifull.InputError):
        verifull.postgres.conninfo(bad, trust)


def test_other_bad_arguments_are_input_errors(servers, trust):
    url = servers.pg_url()
    for kwargs in [{"timeout": 0}, {"timeout": "10"}, {"engine": "gnutls"}, {"engine": 1}, {"profile": "lenient"},
                   {"pins": [42]}, {"pins": ["sha256/short"]}, {"allow_cn_fallback": "yes"}]:
        with pytest.raises(verifull.InputError):
            verifull.check(url, trust, **kwargs)
    with pytest.raises(verifull.InputError, match="verifull.Trust"):
        verifull.check(url, "not a trust")
    for bad in [None, 3.5, "ca\x00.pem"]:
        with pytest.raises(verifull.InputError):
            verifull.Trust.from_file(bad)
    with pytest.raises(verifull.InputError):
        verifull.Trust.from_pem(None)
    with pytest.raises(verifull.InputError):
        verifull.ssl_context(trust, "")


def test_a_tiny_timeout_is_honoured_not_read_as_the_default(trust):
    # A listener that accepts and never answers: only the timeout ends the check.
    import socket
    import time
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        start = time.monotonic()
        report = verifull.check(f"postgres://127.0.0.1:{port}/x", trust, timeout=0.0001)
        assert time.monotonic() - start < 2  # the default would be 10 s
        assert report.outcome == "timeout"


@pytest.mark.parametrize("timeout", [0, -1, 0.0, float("nan"), float("inf"), -float("inf"), True, "3", None, 3601])
def test_an_invalid_timeout_is_an_input_error(trust, timeout):
    with pytest.raises(verifull.InputError, match="timeout"):
        verifull.check("postgres://127.0.0.1:1/x", trust, timeout=timeout)


def test_a_network_error_names_what_happened_not_always_name_not_resolved():
    # The mapping of VF_ERROR_NETWORK: the outcome the library gave it
    # (vf_last_error_outcome), not name_not_resolved whatever happened. (conninfo, which
    # used to trigger it by resolving the host, resolves nothing any more.)
    from verifull import _native
    with pytest.raises(verifull.NetworkError) as raised:
        verifull._raise_for(_native.NativeError(_native.ERROR_NETWORK, "resolver did not answer", "timeout"))
    assert raised.value.outcome == "timeout", raised.value
    assert raised.value.report.outcome == "timeout"


def test_conninfo_waits_for_no_resolver(trust, monkeypatch):
    # A DNS server that never answers (loopback, the test-only hook of
    # src/probe/resolve.cpp): a string for later connects does not resolve anything.
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        monkeypatch.setenv("VERIFULL_TEST_DNS_SERVER", f"127.0.0.1:{silent.getsockname()[1]}")
        started = time.monotonic()
        info = verifull.postgres.conninfo("postgres://app@db.silent.verifull.test:5432/app", trust, timeout=5)
    assert time.monotonic() - started < 5
    assert "host='db.silent.verifull.test'" in info and "hostaddr=''" in info


def test_a_failure_without_a_message_still_says_what_the_code_means(monkeypatch):
    # When the library set no message for a failed call, the error carries
    # vf_error_description's words for the code instead of an empty string.
    from verifull import _native
    real = _native.lib

    class Library:
        def __getattr__(self, name):
            return getattr(real, name)

        @staticmethod
        def vf_last_error_message():
            return b""

    monkeypatch.setattr(_native, "lib", Library())
    error = _native._last_error(_native.ERROR_BUFFER_TOO_SMALL)
    assert str(error), "an empty message"
    assert str(error) == real.vf_error_description(_native.ERROR_BUFFER_TOO_SMALL).decode()
