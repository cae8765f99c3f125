"""SQLAlchemy (1.4) engines whose every pooled connection goes through verifull.

    engine = verifull.sqlalchemy.create_engine("postgresql+psycopg2://app:pw@db:5432/app", trust)
    engine = verifull.sqlalchemy.create_engine("mysql+pymysql://app:pw@db:3306/app", trust, pool_size=5)

Schemes: postgres://, postgresql://, postgresql+psycopg2:// (psycopg2 with libpq
verify-full from verifull.postgres.conninfo; libpq resolves the host on each new
connection), mysql://, mariadb://, mysql+mysqldb:// (verifull.mysql.connect: verified,
pinned, recovers from a rotation) and mysql+pymysql:// (verifull.pymysql.connect).
SQLAlchemy 1.4 has no psycopg (3) dialect: postgresql+psycopg:// is refused with that
reason.

The policy (a verifull.Policy, or pins=, engine=, ... as keywords) is enforced on every
connection or refused: psycopg2 connects by itself with libpq, which cannot check pins, a
second engine, the strict profile or verifull's name rules in-band, so for
postgresql+psycopg2 those are an InputError (as verifull.postgres.conninfo says), never a
probe followed by an unchecked connection a relay could send elsewhere.
`connect_args=` is carried into each connect through the same rules (for psycopg2, as
libpq parameters hardened by conninfo; for MySQL, as driver keywords checked by name).
Other keyword arguments go to sqlalchemy.create_engine. Making an engine does no network
I/O: the first connection does.
"""
from __future__ import annotations

from typing import Optional

import sqlalchemy

from . import InputError, Policy, Trust, _native_policy, _text, mysql, policy_of, postgres

# psycopg2.connect() keywords that are not libpq parameters and change nothing about
# where or how it connects.
_PSYCOPG2_OWN = frozenset({"cursor_factory"})


def _psycopg2_creator(url: str, trust: Trust, policy: Policy, connect_args: dict):
    import psycopg2
    from psycopg2.extensions import make_dsn
    own = {k: v for k, v in connect_args.items() if k in _PSYCOPG2_OWN}
    libpq = {k: v for k, v in connect_args.items() if k not in _PSYCOPG2_OWN}
    # connect_args are libpq parameters: merged into the URL's and hardened with them, so
    # one that would weaken verification (sslmode=, hostaddr=...) is refused, not applied.
    merged = make_dsn(postgres._url(url, "postgres"), **libpq) if libpq else url
    hardened = postgres.conninfo(merged, trust, policy)  # InputError now for what libpq cannot carry

    def creator():
        return psycopg2.connect(hardened, **own)
    return creator


def create_engine(url: str, trust: Trust, policy: "Optional[Policy]" = None, *, connect_args: Optional[dict] = None,
                  **engine_kwargs) -> "sqlalchemy.engine.Engine":
    if "creator" in engine_kwargs:
        raise InputError("creator cannot be passed: verifull makes every connection")
    chosen = policy_of(policy, engine_kwargs, "verifull.sqlalchemy.create_engine()",
                       lambda **kw: None)  # the rest is sqlalchemy.create_engine's to refuse
    connect_args = dict(connect_args or {})
    scheme = _text(url, "url").decode("utf-8", "surrogateescape").partition("://")[0].lower()
    base, _, driver = scheme.partition("+")
    if base in ("postgres", "postgresql") and driver in ("", "psycopg2"):
        creator = _psycopg2_creator(url, trust, chosen, connect_args)
        dialect = "postgresql+psycopg2://"
    elif base in ("postgres", "postgresql") and driver == "psycopg":
        raise InputError("SQLAlchemy 1.4 has no psycopg (3) dialect; use postgresql+psycopg2://, or "
                         "verifull.psycopg.connect() directly")
    elif base in ("mysql", "mariadb") and driver in ("", "mysqldb"):
        mysql.checked_url(url)  # bad input is an InputError now, not at the first checkout
        mysql.refuse_keywords(sorted(connect_args), "connect_args")
        from ._policy import refuse_unknown
        refuse_unknown(dict(connect_args), mysql.MYSQLDB_SETTINGS, "connect_args for mysql+mysqldb")

        def creator():
            return mysql.connect_verified(url, trust, chosen, connect_args)
        dialect = "mysql+mysqldb://"
    elif base in ("mysql", "mariadb") and driver == "pymysql":
        from . import pymysql as verified_pymysql
        _native_policy(chosen)  # refuses by name now what the native layer cannot carry
        # The URL and connect_args by name now (InputError for a bad URL or host, ssl, ...;
        # TypeError for an unknown keyword), as verifull.pymysql.connect checks them; no
        # network I/O.
        verified_pymysql.check_keywords(url, trust, chosen, connect_args)

        def creator():  # the whole policy (CRLs, client certificate, ... too), never a copy of some fields
            return verified_pymysql.connect(url, trust, policy=chosen, **connect_args)
        dialect = "mysql+pymysql://"
    else:
        raise InputError(f"{scheme}:// is not a scheme verifull.sqlalchemy supports (postgresql[+psycopg2], "
                         "mysql[+mysqldb|+pymysql])" if scheme.replace("+", "").isalnum() else
                         "not a URL verifull.sqlalchemy supports")
    return sqlalchemy.create_engine(dialect, creator=creator, **engine_kwargs)


from .sqlalchemy_async import create_async_engine  # noqa: E402,F401  (asyncio engines: asyncpg, aiomysql)
