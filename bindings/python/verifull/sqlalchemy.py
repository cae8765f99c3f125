"""SQLAlchemy (1.4) engines whose every pooled connection goes through verifull.

    engine = verifull.sqlalchemy.create_engine("postgresql+psycopg2://app:pw@db:5432/app", trust)
    engine = verifull.sqlalchemy.create_engine("mysql+pymysql://app:pw@db:3306/app", trust, pool_size=5)

Schemes: postgres://, postgresql://, postgresql+psycopg2:// (psycopg2 with libpq
verify-full from verifull.postgres.conninfo; with pins, engine or the strict profile each
new connection is first probed and verified with them), mysql://, mariadb://,
mysql+mysqldb:// (verifull.mysql.connect: verified, pinned, recovers from a rotation) and
mysql+pymysql:// (verifull.pymysql.connect). SQLAlchemy 1.4 has no psycopg (3) dialect:
postgresql+psycopg:// is refused with that reason. Other keyword arguments go to
sqlalchemy.create_engine.
"""
from __future__ import annotations

from typing import Optional, Sequence

import sqlalchemy

from . import InputError, Trust, _text, check, mysql, postgres


def create_engine(url: str, trust: Trust, pins: Sequence[str] = (), engine: Optional[str] = None,
                  timeout: float = 10, profile: Optional[str] = None, allow_cn_fallback: bool = False,
                  **engine_kwargs) -> "sqlalchemy.engine.Engine":
    if "creator" in engine_kwargs:
        raise InputError("creator cannot be passed: verifull makes every connection")
    scheme = _text(url, "url").decode("utf-8", "surrogateescape").partition("://")[0].lower()
    base, _, driver = scheme.partition("+")
    policy = dict(pins=pins, engine=engine, timeout=timeout, profile=profile, allow_cn_fallback=allow_cn_fallback)
    if base in ("postgres", "postgresql") and driver in ("", "psycopg2"):
        import psycopg2
        hardened = postgres.conninfo(url, trust, timeout=timeout)  # checks the URL now
        # What a libpq string cannot carry is the library's rule: conninfo() refuses it.
        try:
            postgres.conninfo(url, trust, **policy)
            strict = False
        except InputError:
            strict = True

        def creator():
            if strict:  # what libpq cannot check itself: probe and verify first, every time
                check(url, trust, **policy).raise_for_outcome()
            return psycopg2.connect(hardened)
        dialect = "postgresql+psycopg2://"
    elif base in ("postgres", "postgresql") and driver == "psycopg":
        raise InputError("SQLAlchemy 1.4 has no psycopg (3) dialect; use postgresql+psycopg2://, or "
                         "verifull.psycopg.connect() directly")
    elif base in ("mysql", "mariadb") and driver in ("", "mysqldb"):
        mysql.parse_url(url)  # bad input is an InputError now, not at the first checkout

        def creator():
            return mysql.connect(url, trust, **policy)
        dialect = "mysql+mysqldb://"
    elif base in ("mysql", "mariadb") and driver == "pymysql":
        from . import pymysql as verified_pymysql
        mysql.parse_url(url)

        def creator():
            return verified_pymysql.connect(url, trust, **policy)
        dialect = "mysql+pymysql://"
    else:
        raise InputError(f"{scheme}:// is not a scheme verifull.sqlalchemy supports (postgresql[+psycopg2], "
                         "mysql[+mysqldb|+pymysql])" if scheme.replace("+", "").isalnum() else
                         "not a URL verifull.sqlalchemy supports")
    return sqlalchemy.create_engine(dialect, creator=creator, **engine_kwargs)


from .sqlalchemy_async import create_async_engine  # noqa: E402,F401  (asyncio engines: asyncpg, aiomysql)
