"""psycopg 3 connections that verifull opened and checked in-band.

    conn = verifull.psycopg.connect(url, trust)                 # a psycopg.Connection
    conn = await verifull.psycopg.connect_async(url, trust)     # a psycopg.AsyncConnection

verifull's own libpq connect runs (sslmode=verify-full against the anchors, and at
CONNECTION_MADE, before the startup packet, verifull's verdict: pins, engines, profile,
SAN-only names unless allow_cn_fallback, key floor, strong TLS); the finished PGconn is
then handed to psycopg. So a psycopg 3 connection gets exactly what `verifull connect`
gives, on every connect (a pool calls connect() for each new connection:
psycopg_pool.ConnectionPool(connection_class=..., kwargs=...) with
`verifull.psycopg.connection_factory(url, trust)` as the connection factory).
"""
from __future__ import annotations

import asyncio
import ctypes
from typing import Optional, Sequence

import psycopg
from psycopg import pq

from . import InputError, Report, Trust, VerificationError, _native, _policy_options as _policy, _raise_for, _text, _trust, _url


def _pgconn(url: str, trust: Trust, pins, engine, timeout, profile, allow_cn_fallback) -> "pq.PGconn":
    if pq.__impl__ != "python":
        raise InputError(f"verifull.psycopg needs psycopg's pure-Python libpq binding (this one is {pq.__impl__!r}); "
                         "set PSYCOPG_IMPL=python")
    from psycopg.pq import _pq_ctypes
    opts, keep = _policy(None, pins, engine, timeout, None, profile, allow_cn_fallback)
    target = _url(url, "postgres") if "://" in str(url) else url
    handle = ctypes.c_void_p()
    try:
        _native.call(_native.lib.vf_pg_connect, ctypes.byref(handle), _text(target, "url"), _trust(trust)._handle,
                     ctypes.byref(opts))
    except _native.NativeError as e:
        _raise_for(e)
    try:
        report_handle = ctypes.c_void_p()
        _native.call(_native.lib.vf_pg_report, handle, ctypes.byref(report_handle))
        report = Report._from_json(_native.report_json(report_handle))
        report.raise_for_outcome()
        raw = ctypes.c_void_p()
        _native.call(_native.lib.vf_pg_release, handle, ctypes.byref(raw))  # ours now: psycopg will PQfinish it
    finally:
        _native.lib.vf_pg_destroy(handle)
    return pq.PGconn(ctypes.cast(raw, _pq_ctypes.PGconn_ptr))


def connect(url: str, trust: Trust, pins: Sequence[str] = (), engine: Optional[str] = None, timeout: float = 10,
            profile: Optional[str] = None, allow_cn_fallback: bool = False, autocommit: bool = False,
            row_factory=None) -> "psycopg.Connection":
    """A psycopg.Connection to a postgres:// URL or "key=value" string, opened and
    checked by verifull. VerificationError (or NetworkError) on refusal; the password
    comes from the URL or PGPASSWORD."""
    conn = psycopg.Connection(_pgconn(url, trust, pins, engine, timeout, profile, allow_cn_fallback))
    conn._autocommit = bool(autocommit)
    if row_factory is not None:
        conn.row_factory = row_factory
    return conn


async def connect_async(url: str, trust: Trust, pins: Sequence[str] = (), engine: Optional[str] = None,
                        timeout: float = 10, profile: Optional[str] = None, allow_cn_fallback: bool = False,
                        autocommit: bool = False, row_factory=None) -> "psycopg.AsyncConnection":
    """The same as a psycopg.AsyncConnection; the connect runs in a worker thread, so the
    event loop is never blocked."""
    pgconn = await asyncio.to_thread(_pgconn, url, trust, pins, engine, timeout, profile, allow_cn_fallback)
    conn = psycopg.AsyncConnection(pgconn)
    conn._autocommit = bool(autocommit)
    if row_factory is not None:
        conn.row_factory = row_factory
    return conn


def connection_factory(url: str, trust: Trust, **policy):
    """A psycopg.Connection subclass whose connect() ignores the conninfo it is given and
    connects through verifull, for psycopg_pool.ConnectionPool(connection_class=...)."""
    class VerifiedConnection(psycopg.Connection):
        @classmethod
        def connect(cls, conninfo: str = "", **kwargs):
            conn = cls(_pgconn(url, trust, policy.get("pins", ()), policy.get("engine"), policy.get("timeout", 10),
                               policy.get("profile"), policy.get("allow_cn_fallback", False)))
            conn._autocommit = bool(kwargs.get("autocommit", False))
            return conn
    return VerifiedConnection


__all__ = ["connect", "connect_async", "connection_factory", "VerificationError"]
