"""Hardened libpq connection strings for psycopg2 and psycopg (3).

    conn = psycopg2.connect(verifull.postgres.conninfo(url, trust))
    conn = psycopg.connect(verifull.postgres.conninfo(url, trust))

The string sets sslmode=verify-full, sslrootcert (the trust's anchors, a memfd that never
touches the disk), gssencmode=disable, ssl_min_protocol_version=TLSv1.2 and sslsni=1
explicitly, so PGSSLMODE and friends cannot weaken it. libpq then refuses, before the
startup packet, any server whose certificate does not chain to the anchors or does not
name the host. Keep `trust` alive while connecting: the string names its anchors file.
"""
from __future__ import annotations

from typing import Optional, Sequence

from . import AuditReport, InputError, Trust, _audit, _native, _policy, _raise_for, check


def conninfo(url: str, trust: Trust, pins: Sequence[str] = (), engine: Optional[str] = None,
             timeout: float = 10, profile: Optional[str] = None, allow_cn_fallback: bool = False) -> str:
    """The hardened conninfo for a postgres:// URL or "key=value" string.

    libpq does not run verifull's own checks in psycopg's connect, so when pins, an
    engine or the strict profile are given, the endpoint is probed and verified with them
    first (no credential is sent) and VerificationError is raised on refusal; libpq's
    verify-full then holds the connection to the same anchors and name (by libpq's own
    rules, which include its subject CN fallback).
    """
    opts, keep = _policy(None, pins, engine, timeout, None, profile, allow_cn_fallback)
    try:
        hardened = _native.string_out(_native.lib.vf_pg_conninfo, url.encode(), trust._handle, opts)
    except _native.NativeError as e:
        _raise_for(e)
    if pins or engine or profile == "strict":
        if "://" not in url:
            raise InputError("pins, engine and profile need a postgres:// URL (to probe the endpoint first)")
        check(url, trust, pins=pins, engine=engine, timeout=timeout, profile=profile,
              allow_cn_fallback=allow_cn_fallback).raise_for_outcome()
    return hardened


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
