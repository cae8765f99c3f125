"""aiomysql with verifull: as verifull.pymysql, for asyncio. A probe runs on a worker
thread, so the event loop is not blocked; a warm connect makes none (_approvals.py).

    conn = await verifull.aiomysql.connect(url, trust)
    conn = await verifull.aiomysql.connect(url, trust, policy=verifull.Policy(pins=[...]), autocommit=True)
    pool = await verifull.aiomysql.create_pool(url, trust, minsize=1, maxsize=10)   # or `async with`

Every connection of a pool is opened as connect() opens one (approved, usually from the
cache; pinned in-band; the plaintext guard; one re-approval after a rotation).
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from typing import Optional

import aiomysql
import aiomysql.connection
import aiomysql.pool
import aiomysql.utils

from . import NetworkError, Report, Trust, _approvals
from ._mysql_protocol import refuse_if_clear_text, refuse_without_tls
from ._policy import Policy, refuse_unknown, take
from .pymysql import connect_args, kept_args, password


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


async def _connect_planned(plan: "_approvals.Plan", base: dict) -> VerifiedConnection:
    """Opens a verified connection for `plan` with aiomysql keywords `base` (connect_args)."""
    async def open_with(approval, left):
        args = dict(base, ssl=approval.context)
        args.setdefault("connect_timeout", left)
        # aiomysql bounds only the TCP connect by connect_timeout; the greeting, TLS and
        # login must end by the deadline too.
        try:
            return await _approvals.within(open_verified(args), left)
        except asyncio.TimeoutError:
            raise NetworkError(Report(endpoint=f"{plan.endpoint['host']}:{plan.endpoint['port']}", ok=False,
                                      outcome="timeout", message="the server was verified, but the login did not "
                                      f"complete within the timeout of {plan.policy.timeout} s")) from None
    return await _approvals.connect_async(plan, open_with)


async def connect(url: str, trust: Trust, policy: Optional[Policy] = None, **aiomysql_kwargs) -> VerifiedConnection:
    """A verified aiomysql connection. Policy as `policy=verifull.Policy(...)` or keywords;
    other keywords go to aiomysql's Connection (an unknown one is a TypeError)."""
    policy = take(policy, aiomysql_kwargs)
    plan, base = _approvals.kept(_prepared, url, trust, policy, tuple(aiomysql_kwargs))
    base["password"] = password(plan.endpoint)  # MYSQL_PWD as it is now
    base.update(aiomysql_kwargs)
    return await _connect_planned(plan, base)


# connect()'s checks, Plan and aiomysql arguments from the URL, kept (_approvals.kept).
_prepared = _approvals.preparer("mysql", "verifull.aiomysql.connect", _accepted,
                                lambda endpoint, named: kept_args(connect_args(endpoint, None, named, _accepted(),
                                                                               "aiomysql")))


# ---- pools -----------------------------------------------------------------------------
# aiomysql's Pool opens each connection by calling the name `connect` of aiomysql.pool
# with the pool's keywords. That name is replaced once by a dispatcher: inside a
# VerifiedPool's filling (a context variable names the pool) it opens the connection
# through verifull, anywhere else it is aiomysql's own connect, unchanged. A VerifiedPool
# keeps no connect keywords of aiomysql's kind, only a marker no aiomysql connect
# accepts: should the dispatcher ever not run, the pool's connect is a TypeError, never a
# plain connection (tests/python/test_async_pools.py checks the name still exists).
_filling: "contextvars.ContextVar[Optional[VerifiedPool]]" = contextvars.ContextVar("verifull_aiomysql_pool",
                                                                                    default=None)
_POOL_MARKER = "verifull_pool_connection"


def _install_pool_dispatcher() -> None:
    plain = aiomysql.pool.connect
    if getattr(plain, "_verifull_dispatcher", False):
        return

    def connect_for_pool(*args, **kwargs):
        pool = _filling.get()
        if pool is None or not kwargs.pop(_POOL_MARKER, False):
            return plain(*args, **kwargs)
        return pool._verifull_open(echo=kwargs.get("echo", False))
    connect_for_pool._verifull_dispatcher = True
    aiomysql.pool.connect = connect_for_pool


class VerifiedPool(aiomysql.pool.Pool):
    """An aiomysql Pool whose every new connection is a verifull.aiomysql connection (a
    new Plan each: its own deadline, the shared approvals, one re-approval after a
    rotation). Made by verifull.aiomysql.create_pool."""

    _verifull_plan: "_approvals.Plan"
    _verifull_base: dict

    async def _fill_free_pool(self, override_min):
        token = _filling.set(self)
        try:
            return await super()._fill_free_pool(override_min)
        finally:
            _filling.reset(token)

    async def _verifull_open(self, echo: bool) -> VerifiedConnection:
        return await _connect_planned(self._verifull_plan.restarted(), dict(self._verifull_base, echo=echo))


@functools.lru_cache(maxsize=None)
def _pool_settings() -> frozenset:
    """create_pool's own keywords (minsize, maxsize, echo, pool_recycle), not loop."""
    return frozenset(inspect.signature(aiomysql.create_pool).parameters) - {"kwargs", "loop"}


def create_pool(url: str, trust: Trust, policy: Optional[Policy] = None, **pool_kwargs):
    """aiomysql's create_pool with every connection verified: `await create_pool(...)` or
    `async with create_pool(...) as pool`. Keywords: the policy's, create_pool's (minsize,
    maxsize, echo, pool_recycle) and aiomysql connect's; anything else is a TypeError,
    ssl/host/port an InputError. Nothing is probed here: each new connection is approved
    when it is made (the first ones when the pool fills to minsize)."""
    policy = take(policy, pool_kwargs)
    settings = {k: pool_kwargs.pop(k) for k in list(pool_kwargs) if k in _pool_settings()}
    refuse_unknown(pool_kwargs, _accepted(), "verifull.aiomysql.create_pool")
    plan = _approvals.Plan(url, trust, "mysql", policy)
    base = connect_args(plan.endpoint, None, pool_kwargs, _accepted(), "aiomysql")
    base.pop("echo", None)  # the pool's echo setting, passed to each connection
    _install_pool_dispatcher()

    async def make() -> VerifiedPool:
        loop = asyncio.get_running_loop()
        pool = VerifiedPool(minsize=settings.get("minsize", 1), maxsize=settings.get("maxsize", 10),
                            echo=settings.get("echo", False), pool_recycle=settings.get("pool_recycle", -1),
                            loop=loop, **{_POOL_MARKER: True})
        pool._verifull_plan, pool._verifull_base = plan, base
        if pool.minsize > 0:
            try:
                async with pool._cond:
                    await pool._fill_free_pool(False)
            except BaseException:
                pool.close()
                await pool.wait_closed()
                raise
        return pool
    return aiomysql.utils._PoolContextManager(make())
