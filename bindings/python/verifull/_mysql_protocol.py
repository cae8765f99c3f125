"""What PyMySQL and aiomysql must refuse before they send anything, whatever their TLS
settings: a greeting without CLIENT_SSL (they would log in in plaintext) and a request
for mysql_clear_password or dialog (they would send the password as it is)."""
from __future__ import annotations

from pymysql import err
from pymysql.constants import CLIENT

from . import mysql as _mysql


def refuse_without_tls(conn) -> None:
    if not conn.server_capabilities & CLIENT.SSL:
        raise err.OperationalError(2026, "verifull: the server's greeting does not offer TLS (no CLIENT_SSL): the "
                                         "server has no TLS, or something on the path strips it; refused before "
                                         "anything was sent")
    # The greeting's plugin and the SSL context (PyMySQL and aiomysql name them differently).
    refuse_if_clear_text(getattr(conn, "_auth_plugin_name", None) or getattr(conn, "_server_auth_plugin", None),
                         getattr(conn, "ctx", None) or getattr(conn, "_ssl_context", None))


def refuse_if_clear_text(plugin, ssl_context=None) -> None:
    """Raises when `plugin` (bytes or str, or None) would have the password sent as it is,
    unless it is mysql_clear_password and `ssl_context` (the connection's) is one of
    verifull's with allow_cleartext_password: such a context completes a handshake only
    with the server verifull verified (RDS IAM tokens, PAM and LDAP accounts)."""
    if plugin is None:
        return
    name = plugin.decode("utf-8", "replace") if isinstance(plugin, bytes) else str(plugin)
    if not _mysql.auth_plugin_sends_password(name):  # the core's rule (restricted-auth)
        return
    if name == "mysql_clear_password" and getattr(ssl_context, "_verifull_allow_cleartext_password", False) is True:
        return
    raise err.OperationalError(2059, f"verifull: the server asked for {name}, which would send the password as it "
                                     "is; refused, the password was not sent (allow it on a verified connection "
                                     "with allow_cleartext_password=True)")
