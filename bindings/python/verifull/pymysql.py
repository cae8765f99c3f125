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

import collections
import functools
import inspect
import os
import socket
import threading
import time
import traceback
from typing import Optional

import pymysql
import pymysql.connections

from . import InputError, Trust, _approvals
from . import mysql as _mysql
from ._mysql_protocol import refuse_if_clear_text, refuse_without_tls
from ._policy import Policy, take


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
    args = dict(host=endpoint["host"], port=endpoint["port"], user=endpoint["user"], password=password(endpoint),
                ssl=ctx)
    if endpoint["database"]:
        args["db"] = endpoint["database"]
    args.update(url_parameters(endpoint, accepted, driver))
    args.update(kwargs)
    return args


def password(endpoint: dict) -> str:
    """The URL's password, else MYSQL_PWD (read at each connect), as Connector/C does."""
    return endpoint["password"] or os.environ.get("MYSQL_PWD", "")


@functools.lru_cache(maxsize=None)
def _accepted() -> frozenset:
    """The keywords PyMySQL's Connection takes (read once: inspect is slow per connect)."""
    return frozenset(inspect.signature(pymysql.connections.Connection.__init__).parameters) - {"self"}


def connect(url: str, trust: Trust, policy: Optional[Policy] = None, **pymysql_kwargs) -> VerifiedConnection:
    """A verified PyMySQL connection. Policy as `policy=verifull.Policy(...)` or keywords
    (pins=, engine=, profile=, allow_cn_fallback=, timeout=); other keywords go to
    PyMySQL's Connection (an unknown one is a TypeError)."""
    policy = take(policy, pymysql_kwargs)
    plan, base = _approvals.kept(_prepared, url, trust, policy, tuple(pymysql_kwargs))
    base["password"] = password(plan.endpoint)  # MYSQL_PWD as it is now
    base.update(pymysql_kwargs)
    call = _call(plan, pymysql_kwargs, base["password"])

    def open_with(approval, left):
        deadline = time.monotonic() + left
        # The caller's connect_timeout (else the time left) stays the connection's own, for
        # PyMySQL's later reconnects; verifull's dial below ends by the deadline anyway.
        args = dict(base, ssl=approval.context, connect_timeout=base.get("connect_timeout", left), defer_connect=True)
        if base.get("defer_connect"):  # the caller connects it later (ssl pins it all the same)
            return VerifiedConnection(**args)
        # PyMySQL's constructor refuses a bad value. A call it has not accepted before is
        # built before the dial, so a bad value never opens a connection (a server counts
        # each dropped one against the client's host: max_connect_errors). A call it
        # accepted is dialled first: the server prepares its greeting while PyMySQL and
        # verifull set up (docs/design.md, "Python warm connects").
        conn = None if ACCEPTED_CALLS.seen(call) else VerifiedConnection(**args)
        sock = dial(args, deadline)
        try:
            if conn is None:
                conn = VerifiedConnection(**args)
            ACCEPTED_CALLS.add(call)
            # PyMySQL bounds only the TCP connect by connect_timeout; its greeting, TLS and
            # login reads wait for read_timeout (default: forever). During the login every
            # read and write is bounded by the time left; then the caller's own apply.
            left = max(deadline - time.monotonic(), 0.001)
            for name, attribute in LOGIN_TIMEOUTS.items():
                setattr(conn, attribute, min(base[name], left) if base.get(name) else left)
            conn.host_info = f"socket {args['host']}:{args['port']}"  # as PyMySQL names a socket it dialled
            conn.connect(sock)
        except BaseException:
            sock.close()  # PyMySQL closes it when connect() fails, not before
            raise
        for name, attribute in LOGIN_TIMEOUTS.items():
            setattr(conn, attribute, base.get(name))
        return conn
    return _approvals.connect(plan, open_with)


def _call(plan: "_approvals.Plan", pymysql_kwargs: dict, password_now: str) -> Optional[tuple]:
    """What PyMySQL's constructor sees of a call (the URL, the keywords' values, the
    password: by its hash, so that MYSQL_PWD is not kept), as a key of ACCEPTED_CALLS;
    None when a value is unhashable (such a call is always built before its dial)."""
    call = (plan.plain, tuple(pymysql_kwargs.items()), hash(password_now))
    try:
        hash(call)
    except TypeError:
        return None
    return call


class AcceptedCalls:
    """The last calls PyMySQL's constructor accepted (at most `size`; thread-safe)."""

    def __init__(self, size: int = 256):
        self.size = size
        self._calls: "collections.OrderedDict[tuple, None]" = collections.OrderedDict()
        self._lock = threading.Lock()

    def seen(self, call: Optional[tuple]) -> bool:
        if call is None:
            return False
        with self._lock:
            if call not in self._calls:
                return False
            self._calls.move_to_end(call)
            return True

    def add(self, call: Optional[tuple]) -> None:
        if call is None:
            return
        with self._lock:
            self._calls[call] = None
            self._calls.move_to_end(call)
            while len(self._calls) > self.size:
                self._calls.popitem(last=False)


ACCEPTED_CALLS = AcceptedCalls()


def dial(args: dict, deadline: float) -> socket.socket:
    """The TCP connection PyMySQL's connect() would open for `args` (host and port, bind_address,
    TCP_NODELAY and keep-alive, blocking once connected), each address tried in turn within
    what is left of connect_timeout and the deadline. The name is resolved with the system's
    getaddrinfo, as PyMySQL does (not bounded by the deadline: docs/design.md, section 7). A
    failure is PyMySQL's own OperationalError 2003."""
    host, port = args["host"], args["port"]
    given = args["connect_timeout"]  # checked by PyMySQL's constructor; None: no limit of its own
    end = deadline if given is None else min(deadline, time.monotonic() + given)
    failure: OSError = socket.timeout("timed out")
    try:
        addresses = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except OSError as e:
        addresses, failure = [], e
    for family, kind, protocol, _, address in addresses:
        left = end - time.monotonic()
        if left <= 0:
            failure = socket.timeout("timed out")
            break
        sock = socket.socket(family, kind, protocol)
        try:
            sock.settimeout(left)
            if args.get("bind_address"):
                sock.bind((args["bind_address"], 0))
            sock.connect(address)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            sock.settimeout(None)
            return sock
        except OSError as e:
            sock.close()
            failure = e
        except BaseException:
            sock.close()
            raise
    error = pymysql.err.OperationalError(2003, f"Can't connect to MySQL server on {host!r} ({failure})")
    error.original_exception = failure
    error.traceback = "".join(traceback.format_exception(failure))  # as PyMySQL's own 2003 carries them
    raise error from failure


# connect()'s checks, Plan and PyMySQL arguments from the URL, kept (_approvals.kept).
_prepared = _approvals.preparer("mysql", "verifull.pymysql.connect", _accepted,
                                lambda endpoint, named: kept_args(connect_args(endpoint, None, named)))


def kept_args(args: dict) -> dict:
    """Driver arguments to keep between calls: without the password, which each connect
    sets (MYSQL_PWD as it is then; a kept copy would hold an old one in memory)."""
    args.pop("password", None)
    return args


def check_keywords(url: str, trust: Trust, policy: Policy, pymysql_kwargs: dict) -> None:
    """What connect() checks of a call before any network I/O (the URL, and the keywords by
    name), for a caller that connects later (verifull.sqlalchemy's engines)."""
    _approvals.kept(_prepared, url, trust, policy, tuple(pymysql_kwargs))


# The keyword and the Connection attribute PyMySQL reads before each socket read or write
# (tests/python/test_async_pools.py fails if PyMySQL renames the attributes).
LOGIN_TIMEOUTS = {"read_timeout": "_read_timeout", "write_timeout": "_write_timeout"}
