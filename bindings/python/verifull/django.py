"""Django (3.2) DATABASES entries that connect as verifull does.

    # settings.py
    import verifull, verifull.django
    TRUST = verifull.Trust.from_env("APTIBLE_CA")
    DATABASES = {
        "default": verifull.django.database("postgres://app:pw@db.example.com:5432/app", TRUST),
        "reports": verifull.django.database("mysql://app:pw@db.example.com:3306/app", TRUST),
    }

PostgreSQL: Django's psycopg2 backend gets verifull's hardened libpq parameters (the
same as verifull.postgres.conninfo: verify-full against the anchors, pinned destination,
TLS 1.2+). MySQL: Django's MySQLdb backend gets verifull.mysql.connect_kwargs(): the
endpoint is verified now, and every connection Django opens is pinned to that
certificate through the option file (after a certificate rotation, restart or call
database() again). The files named stay valid for the life of the process and beyond.
"""
from __future__ import annotations

from . import InputError, Trust, _url, mysql, postgres


def database(url: str, trust: Trust, **policy) -> dict:
    plain = _url(url)
    if plain.startswith("postgres://"):
        from psycopg2.extensions import parse_dsn
        params = parse_dsn(postgres.conninfo(plain, trust, **policy))
        entry = {"ENGINE": "django.db.backends.postgresql", "NAME": params.pop("dbname", ""),
                 "USER": params.pop("user", ""), "PASSWORD": params.pop("password", ""),
                 "HOST": params.pop("host"), "PORT": params.pop("port")}
        entry["OPTIONS"] = params  # sslmode, sslrootcert, gssencmode, hostaddr, ...
        return entry
    kwargs = mysql.connect_kwargs(plain, trust, **policy)
    for key in ("charset", "autocommit", "init_command", "sql_mode"):
        if key in kwargs:
            raise InputError(f"set {key} in Django's own settings, not in the URL")
    return {"ENGINE": "django.db.backends.mysql", "NAME": kwargs.pop("db", ""), "USER": kwargs.pop("user"),
            "PASSWORD": kwargs.pop("passwd"), "HOST": "", "PORT": "",  # from the option file only
            "OPTIONS": kwargs}
