"""asyncio forms of verifull's blocking calls: they run in a worker thread, so a probe that
waits for a silent endpoint never stalls the event loop.

    report = await verifull.aio.check(url, trust)
    kwargs = await verifull.aio.connect_kwargs(url, trust, policy=verifull.Policy(pins=[...]))
    conninfo = await verifull.aio.conninfo(url, trust)

Policy as `policy=verifull.Policy(...)` or the keywords (pins=, engine=, timeout=,
profile=, allow_cn_fallback=); an unknown keyword is a TypeError, raised before any
thread is used.
"""
from __future__ import annotations

import asyncio
from typing import Optional

from . import check as _check
from . import mysql as _mysql
from . import postgres as _postgres
from ._policy import Policy, refuse_unknown, take

# The settings the blocking calls take as keywords (the issue-22 ones cannot be set yet:
# verifull.Policy refuses them by name when it is made).
_POLICY_KEYWORDS = ("pins", "engine", "timeout", "profile", "allow_cn_fallback")


def _blocking_keywords(policy: Optional[Policy], kwargs: dict, where: str) -> dict:
    policy = take(policy, kwargs)
    refuse_unknown(kwargs, (), where)  # nothing but the policy is taken
    return {name: getattr(policy, name) for name in _POLICY_KEYWORDS}


async def check(url, trust, policy: Optional[Policy] = None, **kwargs):
    return await asyncio.to_thread(_check, url, trust, **_blocking_keywords(policy, kwargs, "verifull.aio.check"))


async def connect_kwargs(url, trust, policy: Optional[Policy] = None, **kwargs) -> dict:
    return await asyncio.to_thread(_mysql.connect_kwargs, url, trust,
                                   **_blocking_keywords(policy, kwargs, "verifull.aio.connect_kwargs"))


async def conninfo(url, trust, policy: Optional[Policy] = None, **kwargs) -> str:
    return await asyncio.to_thread(_postgres.conninfo, url, trust,
                                   **_blocking_keywords(policy, kwargs, "verifull.aio.conninfo"))
