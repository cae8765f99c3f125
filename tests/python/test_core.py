"""Trust, check() and offline verification from Python, and bad input."""
import os
import re
import pathlib

import pytest

import verifull
from verifull import _native


def test_trust_loads_and_describes_anchors(servers, trust):
    anchors = trust.anchors
    assert len(anchors) == 1
    assert anchors[0]["subject"] == "CN=verifull demo CA"
    assert anchors[0]["spki_sha256"].startswith("sha256/")
    pem = pathlib.Path(servers.file("ca.pem")).read_text()
    assert verifull.Trust.from_pem(pem).anchors[0]["sha256"] == anchors[0]["sha256"]
    os.environ["VERIFULL_PY_CA"] = pem
    assert verifull.Trust.from_env("VERIFULL_PY_CA").anchors[0]["sha256"] == anchors[0]["sha256"]


@pytest.mark.parametrize("bad", ["", "not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n"])
def test_bad_pem_is_input_error(bad):
    with pytest.raises(verifull.InputError):
        verifull.Trust.from_pem(bad)


def test_private_key_is_refused_and_not_echoed(servers):
    key = pathlib.Path(servers.file("server.key")).read_text()
    with pytest.raises(verifull.InputError) as e:
        verifull.Trust.from_pem(key)
    assert "private key" in str(e.value)
    assert key.splitlines()[1][:30] not in str(e.value)


def test_missing_file_and_unset_variable_are_input_errors():
    with pytest.raises(verifull.InputError, match="nope.pem"):
        verifull.Trust.from_file("/nonexistent/nope.pem")
    os.environ.pop("VERIFULL_PY_UNSET", None)
    with pytest.raises(verifull.InputError, match="not set"):
        verifull.Trust.from_env("VERIFULL_PY_UNSET")


def test_check_real_servers(servers, trust):
    r = verifull.check(f"postgres://localhost:{servers.port('PG')}", trust)
    assert r.ok and r.outcome == "ok" and r.tls_version.startswith("TLSv1.")
    assert r.chain[0].sans == ["DNS:localhost"]
    assert verifull.check(f"postgres://127.0.0.1:{servers.port('PG')}", trust).outcome == "name_mismatch"
    assert verifull.check(f"mysql://localhost:{servers.port('MYSQL_PLAIN')}", trust).outcome == "tls_unavailable"
    refused = verifull.check(f"postgres://localhost:{servers.port('PG_PLAIN')}", trust)
    with pytest.raises(verifull.VerificationError) as e:
        refused.raise_for_outcome()
    assert e.value.outcome == "tls_unavailable"
    with pytest.raises(verifull.NetworkError) as e:
        verifull.check("postgres://localhost:1", trust, timeout=2).raise_for_outcome()
    assert e.value.outcome == "connection_refused"


def test_check_engines_and_pins(servers, trust):
    url = f"mysql://localhost:{servers.port('MYSQL')}"
    for engine in ("openssl", "botan", "both"):
        assert verifull.check(url, trust, engine=engine).ok
    pin = verifull.check(url, trust).chain[0].spki_sha256
    assert verifull.check(url, trust, pins=[pin]).ok
    assert verifull.check(url, trust, pins=["sha256/" + "A" * 43 + "="]).outcome == "pin_mismatch"


@pytest.mark.parametrize("kwargs", [{"pins": ["md5/nope"]}, {"engine": "gnutls"}, {"timeout": 0}])
def test_bad_policy_is_input_error(servers, trust, kwargs):
    with pytest.raises(verifull.InputError):
        verifull.check(f"postgres://localhost:{servers.port('PG')}", trust, **kwargs)


@pytest.mark.parametrize("url", ["http://example.com", "postgres://", "mysql://host:99999/x", "postgres://[::1/x"])
def test_bad_url_is_input_error(trust, url):
    with pytest.raises(verifull.InputError):
        verifull.check(url, trust)


def test_verify_pem_offline(servers, trust):
    leaf = pathlib.Path(servers.file("server.pem")).read_text()
    assert verifull.verify_pem(leaf, trust, host="localhost").ok
    assert verifull.verify_pem(leaf, trust, host="127.0.0.1").outcome == "name_mismatch"
    impostor = pathlib.Path(servers.file("impostor.pem")).read_text()
    assert verifull.verify_pem(impostor, trust, host="localhost").outcome == "untrusted_issuer"


def test_profile_and_cn_fallback_keywords(servers, trust):
    leaf = pathlib.Path(servers.file("server.pem")).read_text()
    # The test PKI's certificates are RFC 5280 clean: both profiles accept them.
    for profile in (None, "standard", "strict"):
        report = verifull.verify_pem(leaf, trust, host="localhost", profile=profile)
        assert report.ok, report.message
        assert report.warnings == []
    assert verifull.verify_pem(leaf, trust, host="localhost", allow_cn_fallback=True).ok
    with pytest.raises(verifull.InputError, match="unknown profile 'lenient'"):
        verifull.verify_pem(leaf, trust, host="localhost", profile="lenient")
    with pytest.raises(verifull.InputError, match="allow_cn_fallback"):
        verifull.verify_pem(leaf, trust, host="localhost", allow_cn_fallback="yes")
    with pytest.raises(verifull.InputError, match="unknown profile"):
        verifull.check("postgres://localhost:1", trust, profile="lenient")


def test_constants_match_the_header():
    """The ctypes side must not drift from include/verifull.h."""
    header = (pathlib.Path(__file__).parents[2] / "include" / "verifull.h").read_text()
    defines = dict(re.findall(r"#define (VF_[A-Z_0-9]+) \(?(-?\d+)\)?", header))
    for name in ["OK", "ERROR_INPUT", "ERROR_NULL_POINTER", "ERROR_INVALID_HANDLE", "ERROR_BUFFER_TOO_SMALL",
                 "ERROR_NETWORK", "ERROR_BAD_VERSION", "ERROR_OUT_OF_RANGE", "ERROR_INTERNAL", "ENGINE_DEFAULT",
                 "ENGINE_OPENSSL", "ENGINE_BOTAN", "ENGINE_BOTH", "PROFILE_STANDARD", "PROFILE_STRICT",
                 "POLICY_OPTIONS_VERSION"]:
        assert int(defines["VF_" + name]) == getattr(_native, name), name
    fields = re.search(r"typedef struct vf_policy_options \{(.*?)\} vf_policy_options;", header, re.S).group(1)
    fields = re.sub(r"/\*.*?\*/", "", fields, flags=re.S)
    header_fields = re.findall(r"\b(\w+);", fields)
    assert header_fields == [f for f, _ in _native._PolicyOptions._fields_]
    assert _native.lib.vf_abi_version() == _native.ABI_VERSION
