"""PyMySQL with verifull: verified by a probe, pinned in-band to the approved certificate,
and never a plaintext login (a greeting without CLIENT_SSL, or a request for
mysql_clear_password, is refused before anything is sent).

    conn = verifull.pymysql.connect(url, trust)
"""
from __future__ import annotations

import os
from typing import Optional, Sequence

import pymysql
import pymysql.connections

from . import InputError, Trust
from ._approve import approved_context
from ._mysql_protocol import refuse_if_clear_text, refuse_without_tls


class VerifiedConnection(pymysql.connections.Connection):
    """A pymysql Connection that refuses plaintext and clear-text passwords."""

    def _request_authentication(self):
        refuse_without_tls(self)
        return super()._request_authentication()

    def _process_auth(self, plugin_name, auth_packet):
        refuse_if_clear_text(plugin_name, self.ctx)
        return super()._process_auth(plugin_name, auth_packet)


def connect_args(endpoint: dict, ctx, kwargs: dict) -> dict:
    for key in ("ssl", "host", "port", "unix_socket", "read_default_file", "ssl_disabled"):
        if key in kwargs:
            raise InputError(f"{key} cannot be passed: verifull sets where and how to connect")
    args = dict(host=endpoint["host"], port=endpoint["port"], user=endpoint["user"],
                password=endpoint["password"] or os.environ.get("MYSQL_PWD", ""), ssl=ctx)
    if endpoint["database"]:
        args["db"] = endpoint["database"]
    args.update(kwargs)
    return args


def connect(url: str, trust: Trust, pins: Sequence[str] = (), engine: Optional[str] = None, timeout: float = 10,
            profile: Optional[str] = None, allow_cn_fallback: bool = False, **pymysql_kwargs) -> VerifiedConnection:
    endpoint, ctx = approved_context(url, trust, "mysql", pins, engine, timeout, profile, allow_cn_fallback)
    args = connect_args(endpoint, ctx, pymysql_kwargs)
    args.setdefault("connect_timeout", max(1, int(timeout)))
    return VerifiedConnection(**args)
