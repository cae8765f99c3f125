"""aiomysql with verifull: as verifull.pymysql, for asyncio. The probe runs in a worker
thread, so the event loop is not blocked.

    conn = await verifull.aiomysql.connect(url, trust)
"""
from __future__ import annotations

import asyncio
from typing import Optional, Sequence

import aiomysql
import aiomysql.connection

from . import Trust
from ._approve import approved_context
from ._mysql_protocol import refuse_if_clear_text, refuse_without_tls
from .pymysql import connect_args


class VerifiedConnection(aiomysql.connection.Connection):
    """An aiomysql Connection that refuses plaintext and clear-text passwords."""

    async def _request_authentication(self):
        refuse_without_tls(self)
        return await super()._request_authentication()

    async def _process_auth(self, plugin_name, auth_packet):
        refuse_if_clear_text(plugin_name, self._ssl_context)
        return await super()._process_auth(plugin_name, auth_packet)


async def connect(url: str, trust: Trust, pins: Sequence[str] = (), engine: Optional[str] = None,
                  timeout: float = 10, profile: Optional[str] = None, allow_cn_fallback: bool = False,
                  **aiomysql_kwargs) -> VerifiedConnection:
    endpoint, ctx = await asyncio.to_thread(approved_context, url, trust, "mysql", pins, engine, timeout, profile,
                                            allow_cn_fallback)
    args = connect_args(endpoint, ctx, aiomysql_kwargs)
    args.setdefault("connect_timeout", timeout)
    conn = VerifiedConnection(**args)
    try:
        await conn._connect()
    except Exception as e:
        conn.close()
        # aiomysql reports every failure as "Can't connect"; the refusal's own words say why.
        if e.__cause__ is not None and "verifull:" in str(e.__cause__):
            raise e.__cause__ from None
        raise
    return conn
