"""Hardened libpq connection strings, for psycopg2 (and any other libpq user).

    conn = psycopg2.connect(verifull.postgres.conninfo(url, trust))

What the string enforces, on every connect made with it (libpq reads it each time):
sslmode=verify-full against the trust's anchors (chain and host name, by libpq's rules,
which include its subject-CN fallback), TLS 1.2 or newer, gssencmode=disable, and a pinned
destination (port and hostaddr are explicit, so PGHOSTADDR, PGPORT and PGSERVICE cannot
redirect it). The anchors file it names is content-addressed and kept: the string stays
correct after the Trust is gone and in child processes.

What it cannot enforce, because libpq connects without verifull: pins, the second
engine, the strict profile, verifull's own name rules (SAN-only unless allowed), the key
floor and the TLS 1.2 cipher check. The library refuses pins, engine, profile and CN
fallback for a connection string (InputError, the same rule for C, C++ and Python)
rather than check them once and lose them on every reconnect; psycopg 3
users get all of them with verifull.psycopg.connect(), which hands psycopg a connection
verifull checked in-band.
"""
from __future__ import annotations

from typing import Optional, Sequence

from . import AuditReport, InputError, Trust, _audit, _native, _policy_options as _policy, _raise_for, _text, _trust, _url


def conninfo(url: str, trust: Trust, pins: Sequence[str] = (), engine: Optional[str] = None,
             timeout: float = 10, profile: Optional[str] = None, allow_cn_fallback: bool = False) -> str:
    """The hardened conninfo for a postgres:// URL (postgresql+psycopg2:// too) or a
    "key=value" string. InputError (from the library) for anything it cannot keep (see the
    module docs)."""
    opts, keep = _policy(None, pins, engine, timeout, None, profile, allow_cn_fallback)
    target = _url(url, "postgres") if "://" in str(url) else url
    try:
        return _native.string_out(_native.lib.vf_pg_conninfo, _text(target, "url"), _trust(trust)._handle, opts)
    except _native.NativeError as e:
        _raise_for(e)


def audit(conn) -> AuditReport:
    """What the credential of an open psycopg2 or psycopg (3) connection may do."""
    if hasattr(conn, "pgconn_ptr"):  # psycopg2 >= 2.8
        pointer = conn.pgconn_ptr
    elif hasattr(conn, "pgconn"):  # psycopg 3
        pointer = conn.pgconn.pgconn_ptr
    else:
        raise InputError("audit() needs a psycopg2 or psycopg connection")
    if not pointer:
        raise InputError("the connection is closed")
    return _audit(_native.lib.vf_pg_audit, pointer)
