"""One table of MySQL URL parameters (src/mysql/url_parameters.cpp): the C++ connect (through
the CLI's check, which runs mysql::validate before any traffic), the C ABI
(vf_mysql_url_parameters) and every Python helper accept and refuse the same names, a
refused one with the core's reason. No server is dialled: the host does not resolve, and
every refusal comes before the network."""
import os
import pathlib
import re
import subprocess

import pytest

import verifull
import verifull.aiomysql
import verifull.django
import verifull.pymysql
import verifull.sqlalchemy
from verifull import _approvals

URL = "mysql://app:pw@db.does-not-exist.invalid:3306/app"
REFUSED = ["ssl_mode", "ssl-mode", "sslca", "tls_version", "unix_socket", "protocol", "host", "read_default_file",
           "default_auth", "enable_cleartext_plugin", "client_flag", "frobnicate"]
# What MySQLdb takes; PyMySQL and aiomysql take these too.
ACCEPTED = {"charset": "utf8mb4", "autocommit": "1", "read_timeout": "5", "init_command": "SET @a=1",
            "use_unicode": "1"}


def cli():
    path = os.environ.get("VERIFULL_CLI") or str(pathlib.Path(os.environ["VERIFULL_LIBRARY"]).parent / "verifull")
    if not os.path.exists(path):
        pytest.fail(f"no verifull CLI at {path}: set VERIFULL_CLI")
    return path


def core_reason(name: str) -> str:
    """The C ABI's refusal of ?name=1."""
    with pytest.raises(verifull.InputError) as e:
        verifull.mysql.url_parameters(f"{URL}?{name}=1")
    return str(e.value)


def helpers(trust):
    """Each Python entry point that takes a mysql:// URL, as a function of the URL."""
    return {
        "mysql.checked_url": verifull.mysql.checked_url,
        "mysql.connect_kwargs": lambda url: verifull.mysql.connect_kwargs(url, trust, timeout=2),
        "pymysql": lambda url: verifull.pymysql.connect_args(_approvals.Plan(url, trust, "mysql", verifull.Policy())
                                                             .endpoint, None, {}),
        "aiomysql": lambda url: verifull.aiomysql.connect_args(
            _approvals.Plan(url, trust, "mysql", verifull.Policy()).endpoint, None, {},
            verifull.aiomysql._accepted(), "aiomysql"),
        "django": lambda url: verifull.django.database(url, trust),
        "sqlalchemy": lambda url: verifull.sqlalchemy.create_engine(url, trust),
    }


@pytest.mark.parametrize("name", REFUSED)
def test_a_refused_parameter_is_refused_everywhere_with_the_cores_reason(servers, trust, name):
    reason = core_reason(name)
    assert reason.startswith(f"the URL parameter {name} ") and reason.endswith("; remove it")
    run = subprocess.run([cli(), "check", f"{URL}?{name}=1", "--ca", servers.file("ca.pem")],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2, run
    assert reason in run.stderr
    for helper, call in helpers(trust).items():
        with pytest.raises(verifull.InputError, match=re.escape(reason)) as refused:
            call(f"{URL}?{name}=1")
        assert refused.value is not None, helper


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_an_accepted_parameter_is_accepted_by_the_core_and_carried_typed(servers, trust, name):
    value = ACCEPTED[name]
    (parsed,) = verifull.mysql.url_parameters(f"{URL}?{name}={value}")
    assert parsed["name"] == name and parsed["role"] in ("driver", "python_driver")
    run = subprocess.run([cli(), "check", f"{URL}?{name}={value}", "--ca", servers.file("ca.pem"), "--timeout", "2"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode != 2, run  # past the parameters, then the name does not resolve
    assert verifull.mysql.checked_url(f"{URL}?{name}={value}")["params"] == {name: parsed["value"]}
    args = verifull.pymysql.connect_args(
        _approvals.Plan(f"{URL}?{name}={value}", trust, "mysql", verifull.Policy()).endpoint, None, {})
    assert args[name] == parsed["value"]
    assert name in verifull.mysql.MYSQLDB_SETTINGS


def test_values_are_typed_by_the_core():
    crl = __file__  # a readable file: the core checks no more before the probe reads it
    parsed = verifull.mysql.url_parameters(f"{URL}?Local-Infile=off&connect_timeout=9&sql_mode=ANSI&ssl-crl={crl}")
    assert [(p["given"], p["name"], p["role"], p["value"]) for p in parsed] == [
        ("Local-Infile", "local_infile", "driver", False), ("connect_timeout", "connect_timeout", "driver", 9),
        ("sql_mode", "sql_mode", "driver", "ANSI"), ("ssl-crl", "ssl_crl", "policy", crl)]
    for bad, why in [("autocommit=maybe", "must be 1 or 0"), ("read_timeout=-1", "whole number of seconds"),
                     ("sql_mode=x';DROP", "comma-separated list of modes"), ("ssl-crl=/nonexistent", "readable file")]:
        with pytest.raises(verifull.InputError, match=why):
            verifull.mysql.url_parameters(f"{URL}?{bad}")


def test_every_setting_the_core_gives_a_driver_is_one_mysqldb_takes():
    names = ["charset", "init_command", "sql_mode", "autocommit", "compress", "local_infile", "connect_timeout",
             "read_timeout", "write_timeout", "use_unicode", "binary_prefix"]
    values = {"charset": "utf8", "init_command": "x", "sql_mode": "ANSI", "connect_timeout": "1",
              "read_timeout": "1", "write_timeout": "1"}
    query = "&".join(f"{n}={values.get(n, '1')}" for n in names)
    parsed = verifull.mysql.url_parameters(f"{URL}?{query}")
    assert {p["name"] for p in parsed} == set(names)
    assert {p["name"] for p in parsed if p["role"] != "policy"} <= verifull.mysql.MYSQLDB_SETTINGS


def test_the_clear_text_plugins_are_the_cores():
    assert verifull.mysql.auth_plugin_sends_password("mysql_clear_password")
    assert verifull.mysql.auth_plugin_sends_password("dialog")
    for safe in ["mysql_native_password", "caching_sha2_password", "client_ed25519", "sha256_password", ""]:
        assert not verifull.mysql.auth_plugin_sends_password(safe)


def test_the_kept_reading_of_a_url_is_the_callers_own_copy_and_files_are_checked_each_time(tmp_path):
    # The parameters of the last URLs are kept (a warm connect reads them again): a caller
    # changing what it got changes nothing for the next caller ...
    url = f"{URL}?charset=utf8mb4&autocommit=1"
    first = verifull.mysql.url_parameters(url)
    first[0]["value"] = "latin1"
    first.append({"name": "ssl_mode", "role": "driver", "value": "DISABLED"})
    assert {p["name"]: p["value"] for p in verifull.mysql.url_parameters(url)} == {"charset": "utf8mb4",
                                                                                   "autocommit": True}
    # ... and a parameter naming a file (a CRL) is checked on every call, not from the cache.
    crl = tmp_path / "revoked.crl"
    crl.write_text("-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n")
    with_crl = f"{URL}?ssl-crl={crl}"
    assert [p["role"] for p in verifull.mysql.url_parameters(with_crl)] == ["policy"]
    crl.unlink()
    with pytest.raises(verifull.InputError, match="readable file"):
        verifull.mysql.url_parameters(with_crl)
