"""PyMySQL with verifull: verified by a probe, pinned in-band to the approved certificate,
and never a plaintext login (a greeting without CLIENT_SSL, or a request for
mysql_clear_password, is refused before anything is sent).

    conn = verifull.pymysql.connect(url, trust)
    conn = verifull.pymysql.connect(url, trust, policy=verifull.Policy(pins=[...]), autocommit=True)

Approvals are shared (_approvals.py): a warm connect makes no probe, and after the
server's certificate rotates the first connect verifies the new one, once.
URL parameters (?charset=utf8mb4, ...) are those verifull.mysql takes, carried to PyMySQL
or refused by name.
"""
from __future__ import annotations

import functools
import inspect
import os
from typing import Optional

import pymysql
import pymysql.connections

from . import InputError, Trust, _approvals
from . import mysql as _mysql
from ._mysql_protocol import refuse_if_clear_text, refuse_without_tls
from ._policy import Policy, refuse_unknown, take


class VerifiedConnection(pymysql.connections.Connection):
    """A pymysql Connection that refuses plaintext and clear-text passwords."""

    def _request_authentication(self):
        refuse_without_tls(self)
        return super()._request_authentication()

    def _process_auth(self, plugin_name, auth_packet):
        refuse_if_clear_text(plugin_name, self.ctx)
        return super()._process_auth(plugin_name, auth_packet)


# What verifull sets itself: where and how to connect.
MANAGED = ("ssl", "host", "port", "unix_socket", "read_default_file", "read_default_group", "ssl_disabled", "ssl_ca",
           "ssl_cert", "ssl_key", "ssl_verify_cert", "ssl_verify_identity", "named_pipe")


def url_parameters(endpoint: dict, accepted, driver: str) -> dict:
    """The URL's parameters as driver keywords: the core's table (names, types, refusals:
    verifull.mysql.url_parameters), then each name the driver does not take refused by
    name. Its CRLs, ssl-crl and ssl-crlpath, were moved into the policy by
    _approvals.Plan; a client certificate in the URL is refused here (give it as the
    policy's client_cert and client_key), since PyMySQL's context is verifull's."""
    parameters = _mysql.url_parameters(endpoint["url"])
    for p in parameters:
        if p["role"] == "policy" and p["name"] not in _approvals.URL_CRL_PARAMETERS:
            raise InputError(f"the URL parameter {p['given']}: {driver} takes the client certificate from the policy "
                             "(client_cert, client_key, client_key_passphrase); remove it from the URL")
    params = _mysql.driver_settings(parameters)
    if params.get("compress"):
        raise InputError(f"the URL parameter compress: {driver} does not support compression; remove it")
    params.pop("compress", None)
    for key in params:
        if key not in accepted:
            raise InputError(f"the URL parameter {key} is not supported by {driver}; remove it")
    return params


def connect_args(endpoint: dict, ctx, kwargs: dict, accepted=None, driver: str = "PyMySQL") -> dict:
    for key in MANAGED:
        if key in kwargs:
            raise InputError(f"{key} cannot be passed: verifull sets where and how to connect")
    accepted = accepted or _accepted()
    args = dict(host=endpoint["host"], port=endpoint["port"], user=endpoint["user"],
                password=endpoint["password"] or os.environ.get("MYSQL_PWD", ""), ssl=ctx)
    if endpoint["database"]:
        args["db"] = endpoint["database"]
    args.update(url_parameters(endpoint, accepted, driver))
    args.update(kwargs)
    return args


@functools.lru_cache(maxsize=None)
def _accepted() -> frozenset:
    """The keywords PyMySQL's Connection takes (read once: inspect is slow per connect)."""
    return frozenset(inspect.signature(pymysql.connections.Connection.__init__).parameters) - {"self"}


def connect(url: str, trust: Trust, policy: Optional[Policy] = None, **pymysql_kwargs) -> VerifiedConnection:
    """A verified PyMySQL connection. Policy as `policy=verifull.Policy(...)` or keywords
    (pins=, engine=, profile=, allow_cn_fallback=, timeout=); other keywords go to
    PyMySQL's Connection (an unknown one is a TypeError)."""
    policy = take(policy, pymysql_kwargs)
    refuse_unknown(pymysql_kwargs, _accepted(), "verifull.pymysql.connect")
    plan = _approvals.Plan(url, trust, "mysql", policy)
    base = connect_args(plan.endpoint, None, pymysql_kwargs)

    def open_with(approval, left):
        args = dict(base, ssl=approval.context)
        args.setdefault("connect_timeout", left)
        # PyMySQL bounds only the TCP connect by connect_timeout; its greeting, TLS and
        # login reads wait for read_timeout (default: forever). During the login every
        # read and write is bounded by the time left; then the caller's own apply.
        during = {name: min(args[name], left) if args.get(name) else left for name in LOGIN_TIMEOUTS}
        conn = VerifiedConnection(**dict(args, **during))
        for name, attribute in LOGIN_TIMEOUTS.items():
            setattr(conn, attribute, args.get(name))
        return conn
    return _approvals.connect(plan, open_with)


# The keyword and the Connection attribute PyMySQL reads before each socket read or write
# (tests/python/test_async_pools.py fails if PyMySQL renames the attributes).
LOGIN_TIMEOUTS = {"read_timeout": "_read_timeout", "write_timeout": "_write_timeout"}
