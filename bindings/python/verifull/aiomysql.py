"""aiomysql with verifull: as verifull.pymysql, for asyncio. A probe runs on a worker
thread, so the event loop is not blocked; a warm connect makes none (_approvals.py).

    conn = await verifull.aiomysql.connect(url, trust)
    conn = await verifull.aiomysql.connect(url, trust, policy=verifull.Policy(pins=[...]), autocommit=True)
"""
from __future__ import annotations

import asyncio
import functools
import inspect
from typing import Optional

import aiomysql
import aiomysql.connection

from . import NetworkError, Report, Trust, _approvals
from ._mysql_protocol import refuse_if_clear_text, refuse_without_tls
from ._policy import Policy, refuse_unknown, take
from .pymysql import connect_args


class VerifiedConnection(aiomysql.connection.Connection):
    """An aiomysql Connection that refuses plaintext and clear-text passwords."""

    async def _request_authentication(self):
        refuse_without_tls(self)
        return await super()._request_authentication()

    async def _process_auth(self, plugin_name, auth_packet):
        refuse_if_clear_text(plugin_name, self._ssl_context)
        return await super()._process_auth(plugin_name, auth_packet)


@functools.lru_cache(maxsize=None)
def _accepted() -> frozenset:
    """The keywords aiomysql's Connection takes (read once: inspect is slow per connect)."""
    return frozenset(inspect.signature(aiomysql.connection.Connection.__init__).parameters) - {"self"}


async def open_verified(args: dict) -> VerifiedConnection:
    """Opens a VerifiedConnection with aiomysql's keyword arguments `args`."""
    conn = VerifiedConnection(**args)
    try:
        await conn._connect()
    except Exception as e:
        conn.close()
        # aiomysql reports every failure as "Can't connect"; the refusal's own words say why.
        if e.__cause__ is not None and "verifull:" in str(e.__cause__):
            raise e.__cause__ from None
        raise
    except BaseException:  # cancelled (the deadline): nothing is left open
        conn.close()
        raise
    return conn


async def connect(url: str, trust: Trust, policy: Optional[Policy] = None, **aiomysql_kwargs) -> VerifiedConnection:
    """A verified aiomysql connection. Policy as `policy=verifull.Policy(...)` or keywords;
    other keywords go to aiomysql's Connection (an unknown one is a TypeError)."""
    policy = take(policy, aiomysql_kwargs)
    refuse_unknown(aiomysql_kwargs, _accepted(), "verifull.aiomysql.connect")
    plan = _approvals.Plan(url, trust, "mysql", policy)
    base = connect_args(plan.endpoint, None, aiomysql_kwargs, _accepted(), "aiomysql")

    async def open_with(approval, left):
        args = dict(base, ssl=approval.context)
        args.setdefault("connect_timeout", left)
        # aiomysql bounds only the TCP connect by connect_timeout; the greeting, TLS and
        # login must end by the deadline too.
        try:
            return await asyncio.wait_for(open_verified(args), left)
        except asyncio.TimeoutError:
            raise NetworkError(Report(endpoint=f"{plan.endpoint['host']}:{plan.endpoint['port']}", ok=False,
                                      outcome="timeout", message="the server was verified, but the login did not "
                                      f"complete within the timeout of {policy.timeout} s")) from None
    return await _approvals.connect_async(plan, open_with)
