"""asyncpg with verifull: the endpoint is verified by a probe, and the connection may then
reach exactly the approved certificate (checked in-band, before asyncpg sends its startup
message). A server answering "no TLS" is refused (asyncpg, given an SSLContext, never
falls back).

    conn = await verifull.asyncpg.connect(url, trust)
    pool = await verifull.asyncpg.create_pool(url, trust, min_size=1, max_size=10)

The probe runs in a worker thread: the event loop is not blocked. A pool's connections
are pinned to the certificate approved when the pool was made; after the server's
certificate rotates, make a new pool.
"""
from __future__ import annotations

import asyncio
import os
from typing import Optional, Sequence

import asyncpg

from . import InputError, Trust
from ._approve import approved_context


def _connect_args(endpoint: dict, ctx, kwargs: dict) -> dict:
    for key in ("ssl", "host", "port", "dsn", "direct_tls"):
        if key in kwargs:
            raise InputError(f"{key} cannot be passed: verifull sets where and how to connect")
    args = dict(host=endpoint["host"], port=endpoint["port"], user=endpoint["user"] or None,
                password=endpoint["password"] or os.environ.get("PGPASSWORD") or None,
                database=endpoint["database"] or None, ssl=ctx, direct_tls=False)
    args.update(kwargs)
    return args


async def _approve(url, trust, pins, engine, timeout, profile, allow_cn_fallback):
    return await asyncio.to_thread(approved_context, url, trust, "postgres", pins, engine, timeout, profile,
                                   allow_cn_fallback)


async def connect(url: str, trust: Trust, pins: Sequence[str] = (), engine: Optional[str] = None,
                  timeout: float = 10, profile: Optional[str] = None, allow_cn_fallback: bool = False,
                  **asyncpg_kwargs) -> "asyncpg.Connection":
    endpoint, ctx = await _approve(url, trust, pins, engine, timeout, profile, allow_cn_fallback)
    return await asyncpg.connect(timeout=timeout, **_connect_args(endpoint, ctx, asyncpg_kwargs))


async def create_pool(url: str, trust: Trust, pins: Sequence[str] = (), engine: Optional[str] = None,
                      timeout: float = 10, profile: Optional[str] = None, allow_cn_fallback: bool = False,
                      **pool_kwargs) -> "asyncpg.Pool":
    endpoint, ctx = await _approve(url, trust, pins, engine, timeout, profile, allow_cn_fallback)
    return await asyncpg.create_pool(timeout=timeout, **_connect_args(endpoint, ctx, pool_kwargs))
