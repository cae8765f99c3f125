"""asyncpg with verifull: the endpoint is verified by a probe, and the connection may then
reach exactly the approved certificate (checked in-band, before asyncpg sends its startup
message). A server answering "no TLS" is refused (asyncpg, given an SSLContext, never
falls back).

    conn = await verifull.asyncpg.connect(url, trust)
    pool = await verifull.asyncpg.create_pool(url, trust, min_size=1, max_size=10)
    conn = await verifull.asyncpg.connect(url, trust, policy=verifull.Policy(pins=[...]))

Approvals are shared (_approvals.py): a warm connect makes no probe. A probe runs on a
worker thread, so the event loop is not blocked. A pool approves before each new
connection (from the cache, so usually without a probe); after the server's certificate
rotates, the first new connection that meets the new certificate verifies it, once, and
opens; a certificate verifull refuses stays refused.
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import os
from typing import Optional

import asyncpg

from . import InputError, NetworkError, Report, Trust, _approvals, ssl_context
from ._policy import Policy, refuse_unknown, take

MANAGED = ("ssl", "host", "port", "dsn", "direct_tls", "password", "passfile")


def _connect_args(endpoint: dict, kwargs: dict) -> dict:
    for key in MANAGED:
        if key in kwargs:
            raise InputError(f"{key} cannot be passed: verifull sets where and how to connect (put the password "
                             "in the URL or PGPASSWORD)")
    if endpoint["params"]:
        # asyncpg takes its settings as keyword arguments; a URL parameter is not dropped.
        raise InputError(f"URL parameter(s) {', '.join(sorted(endpoint['params']))}: verifull.asyncpg does not "
                         "carry URL parameters; pass asyncpg's keyword arguments instead (server_settings=...)")
    args = dict(host=endpoint["host"], port=endpoint["port"], user=endpoint["user"] or None,
                database=endpoint["database"] or None, direct_tls=False)
    args.update(kwargs)
    return args


@functools.lru_cache(maxsize=None)
def _accepted() -> frozenset:
    """The keywords asyncpg.connect takes (read once: inspect is slow per connect)."""
    return frozenset(inspect.signature(asyncpg.connect).parameters)


def _password(endpoint: dict) -> Optional[str]:
    return endpoint["password"] or os.environ.get("PGPASSWORD") or None


async def connect(url: str, trust: Trust, policy: Optional[Policy] = None, **asyncpg_kwargs) -> "asyncpg.Connection":
    """A verified asyncpg connection. Policy as `policy=verifull.Policy(...)` or keywords
    (pins=, engine=, profile=, allow_cn_fallback=, timeout=); other keywords go to
    asyncpg.connect (an unknown one is a TypeError)."""
    policy = take(policy, asyncpg_kwargs)
    plan, args = _approvals.kept(_prepared, url, trust, policy, tuple(asyncpg_kwargs))
    args.update(asyncpg_kwargs)

    async def open_with(approval, left):
        return await asyncpg.connect(timeout=left, ssl=approval.context, password=_password(plan.endpoint), **args)
    return await _approvals.connect_async(plan, open_with)


# connect()'s checks, Plan and asyncpg arguments from the URL, kept (_approvals.kept).
_prepared = _approvals.preparer("postgres", "verifull.asyncpg.connect", _accepted, _connect_args)


class VerifiedPool(asyncpg.Pool):
    """An asyncpg Pool whose every new connection is approved first (asyncpg calls the
    password callable before it dials) and whose SSLContext accepts the certificate
    approved at that moment. A new connection that meets another certificate than a
    cached approval (a rotation) drops that approval and is made once more, which
    verifies the new certificate. One deadline (the policy's timeout) covers the whole of
    a new connection: approval, probe, connect and that one retry; create_pool's filling
    ends by one deadline as well. asyncpg's Pool makes each connection in
    _get_new_connection; tests/python/test_async_pools.py fails if it disappears."""

    _verifull_plan: "_approvals.Plan"
    _verifull_deadline: Optional[float] = None  # create_pool's own, while it fills the pool

    async def _get_new_connection(self):
        plan = self._verifull_plan.restarted()
        if self._verifull_deadline is not None:
            plan.deadline = min(plan.deadline, self._verifull_deadline)
        token = _connecting.set(plan)  # read by the password callable: approve under this deadline
        try:
            return await _approvals.within(self._new_connection_once_more_after_rotation(plan), plan.left())
        except asyncio.TimeoutError:
            raise _timeout_error(plan) from None
        finally:
            _connecting.reset(token)

    async def _new_connection_once_more_after_rotation(self, plan: "_approvals.Plan"):
        before = plan.cache.lookup(plan.key)
        try:
            return await super()._get_new_connection()
        except Exception as e:
            if before is None or not _approvals.certificate_refusal(e):
                raise
            plan.cache.forget(plan.key, before)  # the certificate changed: verify the new one, once
        return await super()._get_new_connection()


# The plan of the pool connection being made in this task (VerifiedPool._get_new_connection).
_connecting: "contextvars.ContextVar[Optional[_approvals.Plan]]" = contextvars.ContextVar("verifull_asyncpg_connecting",
                                                                                          default=None)


def _timeout_error(plan: "_approvals.Plan") -> NetworkError:
    endpoint = plan.endpoint
    return NetworkError(Report(endpoint=f"{endpoint['host']}:{endpoint['port']}", ok=False, outcome="timeout",
                               message=f"the connection was not made within the timeout of {plan.policy.timeout} s"))


def _pool_settings() -> set:
    return {name for name, p in inspect.signature(asyncpg.create_pool).parameters.items()
            if p.kind is p.KEYWORD_ONLY}


async def create_pool(url: str, trust: Trust, policy: Optional[Policy] = None, **pool_kwargs) -> VerifiedPool:
    """A pool of verified asyncpg connections. Keywords: the policy's, asyncpg.create_pool's
    (min_size, max_size, setup, init, ...) and asyncpg.connect's; anything else is a
    TypeError. Nothing is probed here: each new connection is approved when it is made."""
    policy = take(policy, pool_kwargs)
    settings_names = _pool_settings()
    refuse_unknown(pool_kwargs, settings_names | _accepted(),
                   "verifull.asyncpg.create_pool")
    template = _approvals.Plan(url, trust, "postgres", policy)
    endpoint = template.endpoint
    connect_kwargs = _connect_args(endpoint, {k: v for k, v in pool_kwargs.items() if k not in settings_names})
    settings = {name: p.default for name, p in inspect.signature(asyncpg.create_pool).parameters.items()
                if p.kind is p.KEYWORD_ONLY}
    settings.update({k: v for k, v in pool_kwargs.items() if k in settings_names})
    p = policy
    pinned_to_current = ssl_context(trust, endpoint["host"], policy=p, expected_leaf_sha256=template.current_leaf)

    async def approve_then_password():
        # From the cache, or a probe on a worker thread, by the new connection's deadline.
        await (_connecting.get() or template.restarted()).approve_async()
        return _password(endpoint)

    connect_kwargs.setdefault("timeout", policy.timeout)
    pool = VerifiedPool(**settings, ssl=pinned_to_current, password=approve_then_password, **connect_kwargs)
    pool._verifull_plan = template
    # Filling the pool (min_size connections, the first alone, then the rest at once) ends
    # by one deadline, not one per round.
    filling = template.restarted()
    pool._verifull_deadline = filling.deadline
    try:
        await _approvals.within(pool, filling.left())
    except BaseException as e:
        pool.terminate()
        if isinstance(e, asyncio.TimeoutError):
            raise _timeout_error(filling) from None
        raise
    finally:
        pool._verifull_deadline = None
    return pool
