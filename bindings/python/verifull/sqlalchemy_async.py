"""SQLAlchemy (1.4) asyncio engines whose every pooled connection goes through verifull.

    engine = verifull.sqlalchemy.create_async_engine("postgresql+asyncpg://app:pw@db:5432/app", trust)
    engine = verifull.sqlalchemy.create_async_engine("mysql+aiomysql://app:pw@db:3306/app", trust,
                                                     policy=verifull.Policy(pins=[...]), pool_size=5)
    async with engine.connect() as conn:
        await conn.execute(sqlalchemy.text("SELECT 1"))

Each new connection of the engine's pool is made by verifull.asyncpg.connect or
verifull.aiomysql.connect (SQLAlchemy's `creator`, which 1.4 runs where the driver's
coroutines can be awaited): approved from the shared cache or by a probe on a worker
thread, pinned in-band, re-approved once after a certificate rotation. Making the engine
does no network I/O. `connect_args` go to those helpers (an unknown name is a TypeError,
where and how to connect an InputError); other keyword arguments go to
sqlalchemy.ext.asyncio.create_async_engine.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.util import await_only

from . import InputError, Trust, _approvals, _text, _url
from ._policy import Policy, refuse_unknown, take


def create_async_engine(url: str, trust: Trust, policy: Optional[Policy] = None, **engine_kwargs) -> AsyncEngine:
    policy = take(policy, engine_kwargs)
    if "creator" in engine_kwargs:
        raise InputError("creator cannot be passed: verifull makes every connection")
    connect_args = dict(engine_kwargs.pop("connect_args", None) or {})
    scheme = _text(url, "url").decode("utf-8", "surrogateescape").partition("://")[0].lower()
    base, _, driver = scheme.partition("+")
    if base in ("postgres", "postgresql") and driver == "asyncpg":
        import asyncpg
        from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection as adapt
        from . import asyncpg as helper
        adapter_args = {"prepared_statement_cache_size": connect_args.pop("prepared_statement_cache_size", 100)}
        refuse_unknown(connect_args, asyncpg.connect, "create_async_engine's connect_args")
        helper._connect_args(_approvals.Plan(url, trust, "postgres", policy).endpoint, connect_args)
        dialect_url = "postgresql+asyncpg://"
    elif base in ("mysql", "mariadb") and driver == "aiomysql":
        import aiomysql.connection
        from sqlalchemy.dialects.mysql.aiomysql import AsyncAdapt_aiomysql_connection as adapt
        from . import aiomysql as helper
        adapter_args = {}
        refuse_unknown(connect_args, aiomysql.connection.Connection.__init__, "create_async_engine's connect_args")
        _url(url, "mysql")
        helper.connect_args(_approvals.Plan(url, trust, "mysql", policy).endpoint, None, connect_args,
                            helper._accepted(), "aiomysql")  # bad input is an InputError now
        dialect_url = "mysql+aiomysql://"
    else:
        raise InputError(f"{scheme}:// is not a scheme verifull.sqlalchemy.create_async_engine supports "
                         "(postgresql+asyncpg, mysql+aiomysql)" if scheme.replace("+", "").isalnum() else
                         "not a URL verifull.sqlalchemy.create_async_engine supports")

    def creator():
        # SQLAlchemy 1.4 calls this inside its greenlet, where await_only runs a coroutine on
        # the engine's event loop; what it returns must be the dialect's adapted connection.
        conn = await_only(helper.connect(url, trust, policy=policy, **dict(dialect_defaults, **connect_args)))
        return adapt(engine.sync_engine.dialect.dbapi, conn, **adapter_args)

    engine = _create_async_engine(dialect_url, creator=creator, **engine_kwargs)
    # What the dialect itself asks of every connection (MySQL: CLIENT_FOUND_ROWS, so an
    # UPDATE's rowcount is rows matched), as it would give its own driver call.
    dialect_defaults = engine.sync_engine.dialect.create_connect_args(make_url(dialect_url))[1]
    return engine


__all__ = ["create_async_engine"]
