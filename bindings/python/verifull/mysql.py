"""Verified connections for mysqlclient (MySQLdb), including Debian's 1.4.6, which has no
ssl_mode: with only a CA in ssl={...} it checks the chain but not the host name, and it
logs in in plaintext to a greeting without CLIENT_SSL.

    conn = MySQLdb.connect(**verifull.mysql.connect_kwargs(url, trust))

connect_kwargs probes the endpoint and verifies its certificate with verifull (no
credential is sent), then hands MySQLdb a private option file (a memfd) that makes
Connector/C verify the chain and the host name (ssl-ca, ssl-verify-server-cert), use TLS
1.2+, accept only the exact certificate verifull approved (ssl-fp), and never use
mysql_clear_password (restricted-auth). ssl-verify-server-cert and ssl-fp are also what
make Connector/C 3.3 refuse a greeting without CLIENT_SSL: the option file's ssl-enforce
is silently ignored by 3.3 (tests/python/test_mysqldb.py shows both).
"""
from __future__ import annotations

import ctypes
import json
import os
from typing import Optional, Sequence

from . import AuditReport, InputError, Report, Trust, _audit, _native, _policy, _raise_for

ALLOWED_AUTH = "mysql_native_password,client_ed25519,caching_sha2_password,sha256_password"
OPTION_GROUP = "verifull"


def parse_url(url: str) -> dict:
    """protocol, host, port, user, password, database, params of a URL (verifull's parser)."""
    try:
        return json.loads(_native.string_out(_native.lib.vf_parse_url, url.encode()))
    except _native.NativeError as e:
        _raise_for(e)


def approve(url: str, trust: Trust, pins: Sequence[str] = (), engine: Optional[str] = None,
            timeout: float = 10, profile: Optional[str] = None, allow_cn_fallback: bool = False) -> tuple:
    """(Report, SHA-1 fingerprint) of the endpoint's verified certificate; raises on refusal."""
    opts, keep = _policy(None, pins, engine, timeout, None, profile, allow_cn_fallback)
    handle = ctypes.c_void_p()
    try:
        fingerprint = _native.string_out(_native.lib.vf_mysql_approve, ctypes.byref(handle), url.encode(),
                                         trust._handle, opts)
    except _native.NativeError as e:
        _raise_for(e)
    report = Report._from_json(_native.report_json(handle)).raise_for_outcome()
    return report, fingerprint


def _option_file(trust: Trust, fingerprint: str) -> str:
    """A private Connector/C option file for this trust and certificate (a memfd)."""
    if fingerprint not in trust._option_files:
        content = "\n".join([
            f"[{OPTION_GROUP}]",
            f"ssl-ca={trust.anchors_file}",
            "ssl-verify-server-cert=1",
            "tls-version=TLSv1.2,TLSv1.3",
            f"ssl-fp={fingerprint}",
            f"restricted-auth={ALLOWED_AUTH}",
            "",
        ])
        fd = os.memfd_create("verifull-mysql-options", os.MFD_CLOEXEC)
        os.write(fd, content.encode())
        trust._option_files[fingerprint] = fd
    return f"/proc/self/fd/{trust._option_files[fingerprint]}"


def connect_kwargs(url: str, trust: Trust, pins: Sequence[str] = (), engine: Optional[str] = None,
                   timeout: float = 10, profile: Optional[str] = None, allow_cn_fallback: bool = False) -> dict:
    """Keyword arguments for MySQLdb.connect(**kwargs) to a mysql:// or mariadb:// URL.

    The password comes from the URL or MYSQL_PWD. Keep `trust` alive while connecting.
    Do not add ssl= to the arguments: it would replace the verified settings.
    """
    endpoint = parse_url(url)
    if endpoint["protocol"] != "mysql":
        raise InputError(f"{url.split('://')[0]}:// is not a MySQL URL (expected mysql:// or mariadb://)")
    if endpoint["host"] == "localhost":
        raise InputError("mysqlclient reaches 'localhost' through a Unix socket, where there is no TLS to verify; "
                         "use the server's name or IP address (127.0.0.1)")
    report, fingerprint = approve(url, trust, pins, engine, timeout, profile, allow_cn_fallback)
    kwargs = {
        "host": endpoint["host"],
        "port": endpoint["port"],
        "user": endpoint["user"],
        "passwd": endpoint["password"] or os.environ.get("MYSQL_PWD", ""),
        "connect_timeout": max(1, int(timeout)),
        "read_default_file": _option_file(trust, fingerprint),
        "read_default_group": OPTION_GROUP,
    }
    if endpoint["database"]:
        kwargs["db"] = endpoint["database"]
    return kwargs


def audit(conn) -> AuditReport:
    """What the credential of an open MySQLdb connection may do (SHOW GRANTS, parsed)."""
    native = getattr(conn, "_get_native_connection", None)
    if native is None:
        raise InputError("audit() needs a MySQLdb (mysqlclient >= 1.4) connection")
    capsule = native()
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return _audit(_native.lib.vf_mysql_audit, get_pointer(capsule, get_name(capsule)))
