"""psycopg 3 connections that verifull opened and checked in-band.

    conn = verifull.psycopg.connect(url, trust)                 # a psycopg.Connection
    conn = await verifull.psycopg.connect_async(url, trust)     # a psycopg.AsyncConnection

verifull's own libpq connect runs (sslmode=verify-full against the anchors, and at
CONNECTION_MADE, before the startup packet, verifull's verdict: pins, engines, profile,
SAN-only names unless allow_cn_fallback, key floor, strong TLS); the finished PGconn is
then handed to psycopg. So a psycopg 3 connection gets exactly what `verifull connect`
gives, on every connect. A pool calls connect() for each new connection:

    pool = psycopg_pool.ConnectionPool("", connection_class=verifull.psycopg.connection_factory(url, trust))
    pool = psycopg_pool.AsyncConnectionPool("", connection_class=verifull.psycopg.async_connection_factory(url, trust))

Each pooled connection is verified in full when opened, so after the server's
certificate is rotated to another one verifull accepts the next connection simply opens,
and one it refuses stays refused.
"""
from __future__ import annotations

import asyncio
import ctypes
import dataclasses
from typing import Optional

import psycopg
from psycopg import pq

from . import (InputError, Policy, Report, Trust, VerificationError, _native, _native_policy, _raise_for, _text, _trust,
               _url, policy_of)
from ._policy import refuse_unknown


def _pgconn(url: str, trust: Trust, policy: Policy) -> "pq.PGconn":
    if pq.__impl__ != "python":
        raise InputError(f"verifull.psycopg needs psycopg's pure-Python libpq binding (this one is {pq.__impl__!r}); "
                         "set PSYCOPG_IMPL=python")
    from psycopg.pq import _pq_ctypes
    opts, keep = _native_policy(policy)
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


# What verifull's connections take from the caller besides the policy: psycopg's own
# settings of a Connection object. Anything else (a conninfo keyword, a host) would be
# ignored by a connection verifull opens, so it is refused by name instead.
_CONNECTION_SETTINGS = ("autocommit", "row_factory", "prepare_threshold")


def _configured(conn, autocommit=False, row_factory=None, prepare_threshold=None):
    conn._autocommit = bool(autocommit)
    if row_factory is not None:
        conn.row_factory = row_factory
    if prepare_threshold is not None:
        conn.prepare_threshold = prepare_threshold
    return conn


def connect(url: str, trust: Trust, policy: "Optional[Policy]" = None, **settings) -> "psycopg.Connection":
    """A psycopg.Connection to a postgres:// URL or "key=value" string, opened and
    checked by verifull. policy: a verifull.Policy or its settings as keywords; also
    autocommit=, row_factory=, prepare_threshold=. VerificationError (or NetworkError) on
    refusal; the password comes from the URL or PGPASSWORD."""
    chosen = policy_of(policy, settings, "verifull.psycopg.connect()", _CONNECTION_SETTINGS)
    return _configured(psycopg.Connection(_pgconn(url, trust, chosen)), **settings)


async def connect_async(url: str, trust: Trust, policy: "Optional[Policy]" = None,
                        **settings) -> "psycopg.AsyncConnection":
    """The same as a psycopg.AsyncConnection; the connect runs in a worker thread, so the
    event loop is never blocked."""
    chosen = policy_of(policy, settings, "verifull.psycopg.connect_async()", _CONNECTION_SETTINGS)
    pgconn = await asyncio.to_thread(_pgconn, url, trust, chosen)
    return _configured(psycopg.AsyncConnection(pgconn), **settings)


def _pool_connect_policy(chosen: Policy, conninfo: str, kwargs: dict, where: str) -> Policy:
    """The policy for one pool connect: a pool's connect_timeout (seconds, from its own
    timeout) may shorten the policy's, never lengthen it. A conninfo or a keyword the
    verified connection would not use is refused by name."""
    if conninfo:
        raise InputError(f"{where}: the pool's conninfo is not used (verifull connects to the URL given to the "
                         "factory); pass conninfo=\"\" to the pool")
    timeout = kwargs.pop("connect_timeout", None)
    refuse_unknown(kwargs, _CONNECTION_SETTINGS, where)
    if timeout:
        chosen = dataclasses.replace(chosen, timeout=min(chosen.timeout, float(timeout)))
    return chosen


def connection_factory(url: str, trust: Trust, policy: "Optional[Policy]" = None, **settings):
    """A psycopg.Connection subclass whose connect() opens every connection through
    verifull (fully verified each time: a pool keeps working after the server's
    certificate is rotated to one verifull accepts), for
    psycopg_pool.ConnectionPool(conninfo="", connection_class=...). No network I/O here."""
    chosen = policy_of(policy, settings, "verifull.psycopg.connection_factory()")

    class VerifiedConnection(psycopg.Connection):
        @classmethod
        def connect(cls, conninfo: str = "", **kwargs):
            this = _pool_connect_policy(chosen, conninfo, kwargs, "verifull.psycopg connection_factory")
            return _configured(cls(_pgconn(url, trust, this)), **kwargs)
    return VerifiedConnection


def async_connection_factory(url: str, trust: Trust, policy: "Optional[Policy]" = None, **settings):
    """The same for psycopg_pool.AsyncConnectionPool: a psycopg.AsyncConnection subclass
    whose connect() runs verifull's connect in a worker thread."""
    chosen = policy_of(policy, settings, "verifull.psycopg.async_connection_factory()")

    class VerifiedAsyncConnection(psycopg.AsyncConnection):
        @classmethod
        async def connect(cls, conninfo: str = "", **kwargs):
            this = _pool_connect_policy(chosen, conninfo, kwargs, "verifull.psycopg async_connection_factory")
            pgconn = await asyncio.to_thread(_pgconn, url, trust, this)
            return _configured(cls(pgconn), **kwargs)
    return VerifiedAsyncConnection


__all__ = ["connect", "connect_async", "connection_factory", "async_connection_factory", "VerificationError"]
