"""Django (3.2) DATABASES entries that connect as verifull does.

    # settings.py
    import verifull, verifull.django
    TRUST = verifull.Trust.from_env("APTIBLE_CA")
    DATABASES = {
        "default": verifull.django.database("postgres://app:pw@db.example.com:5432/app", TRUST),
        "reports": verifull.django.database("mysql://app:pw@db.example.com:3306/app", TRUST),
    }

database() does no network I/O: settings import in a build step without the database
(collectstatic) works, and an unresolvable host is only an error when Django connects.

PostgreSQL: Django's psycopg2 backend gets verifull's hardened libpq parameters (the
same as verifull.postgres.conninfo: verify-full against the anchors, TLS 1.2+, a
destination PGHOSTADDR, PGPORT and service files cannot change, the host resolved by
libpq on each connect). libpq's verify-full accepts a rotated certificate that chains to
the anchors and names the host. MySQL: the backend verifull.django_mysql makes each new
connection with verifull.mysql (probed and verified, pinned to the approved certificate;
after a certificate rotation one re-approval, a refused certificate stays refused).
The policy (a verifull.Policy, or pins=, engine=, ... as keywords) is enforced on every
connection or refused by name (PostgreSQL refuses what libpq cannot check in-band, as
conninfo() does).
"""
from __future__ import annotations

from typing import Optional

from . import InputError, Policy, Trust, _native_policy, _trust, _url, mysql, policy_of, postgres


def database(url: str, trust: Trust, policy: "Optional[Policy]" = None, **settings) -> dict:
    chosen = policy_of(policy, settings, "verifull.django.database()")
    plain = _url(url)
    if plain.startswith("postgres://"):
        from psycopg2.extensions import parse_dsn
        params = parse_dsn(postgres.conninfo(plain, trust, chosen))
        entry = {"ENGINE": "django.db.backends.postgresql", "NAME": params.pop("dbname", ""),
                 "USER": params.pop("user", ""), "PASSWORD": params.pop("password", ""),
                 "HOST": params.pop("host"), "PORT": params.pop("port")}
        entry["OPTIONS"] = params  # sslmode, sslrootcert, gssencmode, hostaddr='', ...
        return entry
    endpoint = mysql.checked_url(plain)
    for key in ("charset", "autocommit", "init_command", "sql_mode"):
        if key in endpoint["params"]:
            raise InputError(f"set {key} in Django's own settings, not in the URL")
    _native_policy(chosen)  # a setting the native layer cannot carry is refused now, not at the first connect
    return {"ENGINE": "verifull.django_mysql", "NAME": endpoint["database"] or "", "USER": endpoint["user"],
            "PASSWORD": endpoint["password"], "HOST": "", "PORT": "",  # the URL decides; see django_mysql
            "OPTIONS": {"verifull": {"url": plain, "trust": _trust(trust), "policy": chosen}}}
