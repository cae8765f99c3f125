"""verifull: database connections that open only after the server proved who it is.

    trust = verifull.Trust.from_file("aptible-ca.pem")
    report = verifull.check("postgres://db.example.com:5432", trust)     # never sends credentials
    conn = verifull.psycopg.connect(url, trust)                          # psycopg 3, checked in-band
    conn = psycopg2.connect(verifull.postgres.conninfo(url, trust))       # libpq verify-full, hardened
    conn = verifull.mysql.connect(url, trust)                            # MySQLdb, verified and pinned
    conn = MySQLdb.connect(**verifull.mysql.connect_kwargs(url, trust))   # the same, as kwargs
    conn = await verifull.asyncpg.connect(url, trust)                    # also pymysql, aiomysql,
                                                                         # sqlalchemy, django, aio
Refusals raise VerificationError (with .outcome and .report), bad input InputError,
unreachable endpoints NetworkError. What a helper returns (a string, kwargs, an
SSLContext) stays correct however long it is kept, after the Trust is gone, and in child
processes: the files drivers read are content-addressed and kept.
"""
from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass, field
from typing import Optional, Sequence

from . import _native

__all__ = ["Trust", "Policy", "Report", "Certificate", "AuditReport", "check", "verify_pem", "ssl_context", "PeerRefused",
           "suggest_readonly_sql",
           "VerifullError", "InputError", "VerificationError", "NetworkError", "postgres", "mysql", "__version__"]

__version__ = _native.lib.vf_version_string().decode()

# Outcomes that mean "could not reach it" rather than "it failed a check" (CLI exit 3).
NETWORK_OUTCOMES = frozenset({"handshake_failed", "name_not_resolved", "connection_refused", "timeout", "network_error"})


class VerifullError(Exception):
    """Base class of verifull's exceptions."""


class InputError(VerifullError, ValueError):
    """Bad input: a malformed CA file, a private key passed as a CA, a bad URL or pin."""


class VerificationError(VerifullError):
    """The endpoint or its certificate failed a check. .outcome is the stable code
    (name_mismatch, untrusted_issuer, tls_unavailable, ...); .report has the facts."""

    def __init__(self, report: "Report"):
        super().__init__(f"{report.endpoint}: {report.outcome}: {report.message}")
        self.report = report
        self.outcome = report.outcome


class NetworkError(VerificationError):
    """The endpoint could not be reached (timeout, refused, unresolved, handshake)."""


def _raise_for(error: _native.NativeError) -> None:
    if error.code == _native.ERROR_INPUT:
        raise InputError(str(error)) from None
    if error.code == _native.ERROR_NETWORK:
        outcome = error.outcome or "network_error"  # the library names it (vf_last_error_outcome)
        raise NetworkError(Report(endpoint="", ok=False, outcome=outcome, message=str(error))) from None
    raise VerifullError(str(error)) from None


@dataclass(frozen=True)
class Certificate:
    subject: str
    issuer: str
    sans: list
    not_before: str
    not_after: str
    sha256: str
    spki_sha256: str


@dataclass(frozen=True)
class Report:
    endpoint: str
    ok: bool
    outcome: str
    message: str
    tls_version: Optional[str] = None
    cipher: Optional[str] = None
    anchor: Optional[str] = None
    chain: list = field(default_factory=list)
    engines: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @classmethod
    def _from_json(cls, data: dict) -> "Report":
        chain = [Certificate(**{k: c[k] for k in Certificate.__dataclass_fields__}) for c in data.get("chain", [])]
        return cls(endpoint=data["endpoint"], ok=data["ok"], outcome=data["outcome"], message=data["message"],
                   tls_version=data.get("tls_version"), cipher=data.get("cipher"), anchor=data.get("anchor"),
                   chain=chain, engines=data.get("engines", []), warnings=data.get("warnings", []))

    def raise_for_outcome(self) -> "Report":
        """Returns self when ok; raises VerificationError (or NetworkError) otherwise."""
        if self.ok:
            return self
        raise (NetworkError if self.outcome in NETWORK_OUTCOMES else VerificationError)(self)


class Trust:
    """Trust anchors: the CA certificates a server must chain to. Loading is strict."""

    def __init__(self, handle: ctypes.c_void_p):
        self._handle = handle

    @classmethod
    def _load(cls, fn, *args) -> "Trust":
        handle = ctypes.c_void_p()
        try:
            _native.call(fn, ctypes.byref(handle), *args)
        except _native.NativeError as e:
            _raise_for(e)
        return cls(handle)

    @classmethod
    def from_file(cls, path: "str | os.PathLike") -> "Trust":
        return cls._load(_native.lib.vf_trust_from_file, _text(path, "path"))

    @classmethod
    def from_pem(cls, pem: "str | bytes") -> "Trust":
        if isinstance(pem, str):
            data = pem.encode("utf-8", "surrogateescape")
        elif isinstance(pem, (bytes, bytearray, memoryview)):
            data = bytes(pem)
        else:
            raise InputError(f"pem must be str or bytes, not {type(pem).__name__}")
        return cls._load(_native.lib.vf_trust_from_pem, data, len(data))

    @classmethod
    def from_env(cls, variable: str) -> "Trust":
        return cls._load(_native.lib.vf_trust_from_env, _text(variable, "variable"))

    @property
    def anchors(self) -> list:
        """[{subject, sha256, spki_sha256, not_before, not_after}] for each anchor."""
        count = ctypes.c_size_t()
        _native.call(_native.lib.vf_trust_anchor_count, self._handle, ctypes.byref(count))
        fields = {"subject": 0, "not_before": 3, "not_after": 4, "sha256": 5, "spki_sha256": 6}
        return [{name: _native.string_out(_native.lib.vf_trust_anchor_field, self._handle, i, code)
                 for name, code in fields.items()} for i in range(count.value)]

    @property
    def anchors_file(self) -> str:
        """A path to the anchors as one PEM file: content-addressed in a private folder and
        kept, so it stays valid after this Trust is gone and in child processes."""
        return _native.string_out(_native.lib.vf_trust_anchors_file, self._handle)

    def __del__(self):
        if getattr(self, "_handle", None):
            _native.lib.vf_trust_destroy(self._handle)
            self._handle = None


def _text(value, name: str) -> bytes:
    try:
        return _native.text(value, name)
    except ValueError as e:
        raise InputError(str(e)) from None


def _trust(trust) -> "Trust":
    if not isinstance(trust, Trust):
        raise InputError(f"trust must be a verifull.Trust (from_file, from_pem or from_env), not {type(trust).__name__}")
    return trust


# SQLAlchemy-style schemes name the driver after a '+'; verifull's URLs do not.
_SCHEMES = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}


def _url(url, kind: Optional[str] = None) -> str:
    """The URL with a plain scheme (postgresql+psycopg2:// -> postgresql://), checked to be
    of `kind` ("postgres" or "mysql") when given. Never repeats the password in an error."""
    raw = _text(url, "url").decode("utf-8", "surrogateescape")
    scheme, sep, rest = raw.partition("://")
    base = scheme.split("+", 1)[0].lower()
    if not sep or base not in _SCHEMES:
        # Name the scheme only when it looks like one: the text may be a connection string
        # holding a password.
        shown = f"{scheme}://" if sep and scheme.replace("+", "").replace("-", "").isalnum() else "this URL's scheme"
        raise InputError(f"{shown} is not a database URL verifull knows "
                         "(postgres://, postgresql://, mysql://, mariadb://, optionally with +driver)")
    if kind and _SCHEMES[base] != kind:
        raise InputError(f"{scheme}:// is not a {kind} URL")
    return base + "://" + rest


def _policy_options(host=None, pins: Sequence[str] = (), engine: Optional[str] = None, timeout: float = 10, at=None,
            profile: Optional[str] = None, allow_cn_fallback: bool = False, crls: Sequence[str] = (),
            require_crl: bool = False):
    try:
        return _native.policy(host, pins, engine, timeout, at, profile, allow_cn_fallback, crls=crls,
                              require_crl=require_crl)
    except ValueError as e:
        raise InputError(str(e)) from None


def check(url: str, trust: Trust, pins: Sequence[str] = (), engine: Optional[str] = None,
          timeout: float = 10, profile: Optional[str] = None, allow_cn_fallback: bool = False,
          crls: Sequence[str] = (), require_crl: bool = False) -> Report:
    """Probes a postgres:// or mysql:// endpoint and verifies what it presents. Never sends
    a credential. Returns the Report whatever the verdict; InputError for bad input.
    profile: "standard" (default) or "strict"; allow_cn_fallback: match the subject CN of a
    certificate without subjectAltName, as libpq does; crls: CRL files or folders (outcome
    revoked, crl_expired, crl_bad_signature); require_crl: refuse an issuer without a CRL."""
    opts, keep = _policy_options(None, pins, engine, timeout, None, profile, allow_cn_fallback, crls, require_crl)
    handle = ctypes.c_void_p()
    url = _url(url)
    try:
        _native.call(_native.lib.vf_check, ctypes.byref(handle), _text(url, "url"), _trust(trust)._handle,
                     ctypes.byref(opts))
    except _native.NativeError as e:
        _raise_for(e)
    return Report._from_json(_native.report_json(handle))


def verify_pem(chain_pem: str, trust: Trust, host: str, untrusted_pem: str = "", pins: Sequence[str] = (),
               engine: Optional[str] = None, at: Optional[int] = None, profile: Optional[str] = None,
               allow_cn_fallback: bool = False, crls: Sequence[str] = (), require_crl: bool = False) -> Report:
    """Verifies a chain offline (leaf first), as a connection would."""
    opts, keep = _policy_options(host, pins, engine, 10, at, profile, allow_cn_fallback, crls, require_crl)
    chain, extra = _text(chain_pem, "chain_pem"), _text(untrusted_pem, "untrusted_pem")
    handle = ctypes.c_void_p()
    try:
        _native.call(_native.lib.vf_verify_pem, ctypes.byref(handle), chain, len(chain), extra or None, len(extra),
                     _trust(trust)._handle, ctypes.byref(opts))
    except _native.NativeError as e:
        _raise_for(e)
    return Report._from_json(_native.report_json(handle))


@dataclass(frozen=True)
class AuditReport:
    """What a connected credential may do. verdict: "admin", "broad" or "least_privilege"."""
    user: str
    verdict: str
    message: str
    admin_findings: list
    broad_findings: list
    table_privileges: dict
    grants: list

    @property
    def is_admin(self) -> bool:
        return self.verdict == "admin"


def _audit(fn, pointer: int) -> AuditReport:
    import json
    try:
        data = json.loads(_native.string_out(fn, ctypes.c_void_p(pointer)))
    except _native.NativeError as e:
        _raise_for(e)
    return AuditReport(**data)


def suggest_readonly_sql(kind: str, tables: Sequence[str], user: str = "readonly_integration") -> str:
    """SQL creating a dedicated read-only user with SELECT on exactly `tables` (MySQL:
    "database.table") and a generated password. kind: "postgres" or "mysql"."""
    kinds = {"postgres": 1, "mysql": 2}
    if kind not in kinds:
        raise InputError("kind must be 'postgres' or 'mysql'")
    try:
        return _native.string_out(_native.lib.vf_suggest_readonly_sql, kinds[kind], ",".join(tables).encode(),
                                  user.encode())
    except _native.NativeError as e:
        _raise_for(e)


from ._tls import PeerRefused, ssl_context  # noqa: E402  (they use the names above)
from ._policy import Policy  # noqa: E402
from . import mysql, postgres  # noqa: E402

# Driver helpers load on first use, so `import verifull` needs none of the drivers:
# verifull.psycopg, .asyncpg, .pymysql, .aiomysql, .sqlalchemy, .django, .aio.
_DRIVER_MODULES = {"psycopg", "asyncpg", "pymysql", "aiomysql", "sqlalchemy", "django", "aio"}


def __getattr__(name: str):
    if name in _DRIVER_MODULES:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
