"""Verified connections for mysqlclient (MySQLdb), including Debian's 1.4.6, which has no
ssl_mode: with only a CA in ssl={...} it checks the chain but not the host name, and it
logs in in plaintext to a greeting without CLIENT_SSL.

    conn = verifull.mysql.connect(url, trust)                       # recovers from a rotation
    conn = MySQLdb.connect(**verifull.mysql.connect_kwargs(url, trust))

verifull probes the endpoint and verifies its certificate (no credential is sent), then
gives MySQLdb a Connector/C option file whose group [verifull] holds the host, port, TCP (also
for localhost, which Connector/C would otherwise reach by Unix socket), the CA, ssl-verify-server-cert, TLS 1.2+ with strong suites, ssl-fp (exactly
the approved certificate) and restricted-auth (never mysql_clear_password). The file is
content-addressed and kept, so the kwargs stay correct after the Trust is gone, when kept
for later, in a pool and in child processes. And they never depend on the file alone:
the kwargs hold no host or port, and unix_socket names a socket that does not exist, so
if the file ever cannot be read (Connector/C skips a missing option file silently) there
is nowhere to connect but that socket, and the connection fails instead of going
plaintext.
"""
from __future__ import annotations

import ctypes
import dataclasses
import functools
import json
import os
import time
from typing import Optional

from . import (AuditReport, InputError, Policy, Report, Trust, _audit, _native, _native_policy, _raise_for, _text,
               _trust, _url, policy_of)

OPTION_GROUP = "verifull"
MISSING_SOCKET = _native.lib.vf_mysql_option_file_missing_socket().decode()


def parse_url(url: str) -> dict:
    """protocol, host, port, user, password, database, params of a URL (verifull's parser)."""
    try:
        return json.loads(_native.string_out(_native.lib.vf_parse_url, _text(_url(url), "url")))
    except _native.NativeError as e:
        _raise_for(e)


def approve(url: str, trust: Trust, policy: "Optional[Policy]" = None, **settings) -> tuple:
    """(Report, SHA-1 fingerprint) of the endpoint's verified certificate; raises on refusal.
    Approvals are cached per endpoint and policy (clear_cache() forgets them)."""
    chosen = policy_of(policy, settings, "verifull.mysql.approve()")
    opts, keep = _native_policy(chosen)
    handle = ctypes.c_void_p()
    try:
        fingerprint = _native.string_out(_native.lib.vf_mysql_approve, ctypes.byref(handle),
                                         _text(_url(url, "mysql"), "url"), _trust(trust)._handle, opts)
    except _native.NativeError as e:
        _raise_for(e)
    report = Report._from_json(_native.report_json(handle)).raise_for_outcome()
    return report, fingerprint


def clear_cache() -> None:
    """Forgets every approved certificate, so the next connect probes again."""
    _native.call(_native.lib.vf_mysql_cache_clear)


def option_file(url: str, trust: Trust, fingerprint: str, policy: "Optional[Policy]" = None) -> str:
    """The kept, content-addressed option file for an approved certificate, with the
    policy's connection settings (its client certificate and the clear-text opt-in; a key
    passphrase is refused, as the file stays on disk)."""
    opts, keep = _native_policy(policy if policy is not None else Policy())
    try:
        return _native.string_out(_native.lib.vf_mysql_option_file_with_policy, _text(_url(url, "mysql"), "url"),
                                  _trust(trust)._handle, _text(fingerprint, "fingerprint"), ctypes.byref(opts))
    except _native.NativeError as e:
        _raise_for(e)


def url_parameters(url: str) -> list:
    """The URL's parameters as the core reads them (vf_mysql_url_parameters): dicts with
    given (as written), name (canonical), role ("driver", "policy": CRLs and the client
    certificate, or "python_driver": use_unicode, binary_prefix) and value (bool, int or
    str). A refused parameter or a bad value is an InputError in the core's words."""
    plain = _url(url)
    found = _url_parameters_of(plain)
    if any(p["role"] == "policy" for p in found):
        # They name files (CRLs, a client certificate) the core checks are readable: on
        # every call, not from a cache.
        found = _url_parameters_of.__wrapped__(plain)
    return [dict(p) for p in found]  # the caller's own copies


@functools.lru_cache(maxsize=64)
def _url_parameters_of(plain_url: str) -> tuple:
    """The core's reading of a URL's parameters, kept for the last 64 URLs (a warm
    connect's largest own cost was reading the parameters it read last time; a refusal
    is raised, never kept). Like the helpers' kept calls (_approvals.kept), it holds the
    URLs, passwords included, in memory."""
    try:
        return tuple(json.loads(_native.string_out(_native.lib.vf_mysql_url_parameters, _text(plain_url, "url"))))
    except _native.NativeError as e:
        _raise_for(e)


def driver_settings(parameters: list) -> dict:
    """The driver's keywords among url_parameters(): canonical name to typed value. The
    policy's (CRLs, client certificate) are left out: verifull itself takes them from the
    URL."""
    return {p["name"]: p["value"] for p in parameters if p["role"] != "policy"}


def keyword_refusal(keyword: str) -> Optional[str]:
    """Why a driver keyword would replace what verifull sets (the core's reason, as a
    phrase: "would change where the connection goes ..."), or None."""
    return _native.string_out(_native.lib.vf_mysql_keyword_refusal, _text(keyword, "keyword")) or None


def refuse_keywords(keywords, where: str) -> None:
    """InputError naming the first keyword that would replace verifull's settings (the
    core's rule) or the credential and database, which come from the URL."""
    for key in keywords:
        if key in CREDENTIAL_KEYWORDS:
            raise InputError(f"{where}: {key} cannot be passed there; put it in the URL or remove it")
        reason = keyword_refusal(key)
        if reason:
            raise InputError(f"{where}: {key} {reason}; remove it")


# The login and database MySQLdb would take as keywords; verifull takes them from the URL.
CREDENTIAL_KEYWORDS = frozenset({"passwd", "password", "user", "db"})


@functools.lru_cache(maxsize=32)
def auth_plugin_sends_password(name: str) -> bool:
    """The core's rule: the authentication plugin `name` has the client send the password
    as it is (mysql_clear_password, dialog). A function of the name only, so the answers
    are kept (every PyMySQL and aiomysql login asks)."""
    yes = ctypes.c_int(0)
    _native.call(_native.lib.vf_mysql_auth_plugin_sends_password, name.encode("utf-8", "replace").replace(b"\0", b" "),
                 ctypes.byref(yes))
    return yes.value == 1


def checked_url(url: str) -> dict:
    """The URL's parts (parse_url) once it is known to be one connect_kwargs() can use,
    with its parameters checked by the core and typed (driver_settings): everything but
    the network. InputError otherwise."""
    endpoint = parse_url(url)
    if endpoint["protocol"] != "mysql":
        raise InputError("not a MySQL URL (expected mysql:// or mariadb://)")
    endpoint["params"] = driver_settings(url_parameters(url))
    return endpoint


def connect_kwargs(url: str, trust: Trust, policy: "Optional[Policy]" = None, **settings) -> dict:
    """Keyword arguments for MySQLdb.connect(**kwargs) to a mysql://, mariadb:// or
    mysql+mysqldb:// URL (parameters such as ?charset=utf8mb4 are carried over). The
    password comes from the URL or MYSQL_PWD. Do not add host, port or ssl: the verified
    settings are in the option file, and those would replace them. policy: a
    verifull.Policy or its settings as keywords."""
    chosen = policy_of(policy, settings, "verifull.mysql.connect_kwargs()")
    endpoint = checked_url(url)
    report, fingerprint = approve(url, trust, chosen)
    kwargs = {
        "user": endpoint["user"],
        "passwd": endpoint["password"] or os.environ.get("MYSQL_PWD", ""),
        "connect_timeout": max(1, int(chosen.timeout)),
        "read_default_file": option_file(url, trust, fingerprint, chosen),
        "read_default_group": OPTION_GROUP,
        "unix_socket": MISSING_SOCKET,
    }
    if endpoint["database"]:
        kwargs["db"] = endpoint["database"]
    kwargs.update(endpoint["params"])
    return kwargs


def _rotated(error) -> bool:
    """True when Connector/C refused the certificate it got (the core's rule,
    vf_mysql_presented_another_certificate): the server's was probably rotated."""
    code, message = error.args[:2] if len(error.args) >= 2 else (0, str(error))
    return isinstance(code, int) and _native.mysql_presented_another_certificate(code, str(message))


# What MySQLdb.connect() takes besides where and how to connect (mysqlclient 1.4's
# Connection and _mysql.connect keywords); the rest is set by verifull or refused.
# tests/python/test_mysqldb.py checks that it holds every driver setting the core honours.
MYSQLDB_SETTINGS = frozenset({"charset", "use_unicode", "autocommit", "sql_mode", "init_command", "read_timeout",
                              "write_timeout", "connect_timeout", "compress", "local_infile", "binary_prefix", "conv",
                              "cursorclass"})


def connect(url: str, trust: Trust, policy: "Optional[Policy]" = None, **settings):
    """A MySQLdb connection, verified as connect_kwargs() describes. When the server's
    certificate changed since it was approved (a rotation), the endpoint is probed and
    verified again, once, and the connect retried; never more. policy: a verifull.Policy
    or its settings as keywords; other keywords go to MySQLdb.connect() (charset=, ...),
    and one it does not take, or one that would replace the verified settings, is refused
    by name."""
    refuse_keywords(sorted(settings), "verifull.mysql.connect()")
    chosen = policy_of(policy, settings, "verifull.mysql.connect()", MYSQLDB_SETTINGS)
    return connect_verified(url, trust, chosen, settings)


def connect_verified(url: str, trust: Trust, policy: Policy, mysqldb_kwargs: dict, replace: Optional[dict] = None):
    """connect()'s work, for callers that checked their keywords (the Django backend).
    `replace` overrides what the URL gave (user, passwd, db, client_flag) for a framework
    that manages those itself."""
    import MySQLdb
    deadline = time.monotonic() + policy.timeout
    for attempt in range(2):
        left = max(1.0, deadline - time.monotonic())
        kwargs = connect_kwargs(url, trust, dataclasses.replace(policy, timeout=min(policy.timeout, left)))
        kwargs.update(mysqldb_kwargs)
        kwargs.update(replace or {})
        try:
            return MySQLdb.connect(**kwargs)
        except MySQLdb.OperationalError as e:
            if attempt == 1 or not _rotated(e):
                raise
            clear_cache()  # verify the server's new certificate, once


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
