"""asyncio forms of verifull's blocking calls: they run in a worker thread, so a probe that
waits for a silent endpoint never stalls the event loop.

    report = await verifull.aio.check(url, trust)
    kwargs = await verifull.aio.connect_kwargs(url, trust)
    conninfo = await verifull.aio.conninfo(url, trust)
"""
from __future__ import annotations

import asyncio

from . import check as _check
from . import mysql as _mysql
from . import postgres as _postgres


async def check(url, trust, **kwargs):
    return await asyncio.to_thread(_check, url, trust, **kwargs)


async def connect_kwargs(url, trust, **kwargs) -> dict:
    return await asyncio.to_thread(_mysql.connect_kwargs, url, trust, **kwargs)


async def conninfo(url, trust, **kwargs) -> str:
    return await asyncio.to_thread(_postgres.conninfo, url, trust, **kwargs)
