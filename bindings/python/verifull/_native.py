"""The C ABI (include/verifull.h) through ctypes: loading, signatures, error mapping.

Only this module touches ctypes. The constants and the vf_policy_options fields are
checked against the header by tests/python/test_core.py
(test_constants_match_the_header), so they cannot drift silently.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import math
import os
from pathlib import Path
from typing import Any, Optional, Sequence

ABI_VERSION = 1

# Return codes (VF_*).
OK = 0
ERROR_INPUT = -1
ERROR_NULL_POINTER = -2
ERROR_INVALID_HANDLE = -3
ERROR_BUFFER_TOO_SMALL = -4
ERROR_NETWORK = -5
ERROR_BAD_VERSION = -6
ERROR_OUT_OF_RANGE = -7
ERROR_INTERNAL = -99

ENGINE_DEFAULT, ENGINE_OPENSSL, ENGINE_BOTAN, ENGINE_BOTH = 0, 1, 2, 3
ENGINES = {None: ENGINE_DEFAULT, "openssl": ENGINE_OPENSSL, "botan": ENGINE_BOTAN, "both": ENGINE_BOTH}
PROFILE_STANDARD, PROFILE_STRICT = 0, 1
PROFILES = {None: PROFILE_STANDARD, "standard": PROFILE_STANDARD, "strict": PROFILE_STRICT}
POLICY_OPTIONS_VERSION = 4


class _PolicyOptions(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint),
        ("host", ctypes.c_char_p),
        ("pins", ctypes.POINTER(ctypes.c_char_p)),
        ("pin_count", ctypes.c_size_t),
        ("engine", ctypes.c_int),
        ("has_verification_time", ctypes.c_int),
        ("verification_time", ctypes.c_int64),
        ("max_intermediates", ctypes.c_int),
        ("timeout_ms", ctypes.c_uint),
        ("refuse_admin_credentials", ctypes.c_int),
        ("profile", ctypes.c_int),
        ("allow_cn_fallback", ctypes.c_int),
        # version 4: revocation
        ("crls", ctypes.POINTER(ctypes.c_char_p)),
        ("crl_count", ctypes.c_size_t),
        ("crl_pem", ctypes.c_char_p),
        ("crl_pem_len", ctypes.c_size_t),
        ("require_crl", ctypes.c_int),
        # version 4: client certificates and clear-text passwords
        ("client_cert", ctypes.c_char_p),
        ("client_key", ctypes.c_char_p),
        ("client_key_passphrase", ctypes.c_char_p),
        ("allow_cleartext_password", ctypes.c_int),
    ]


def _candidates() -> list[str]:
    """Where libverifull may be: $VERIFULL_LIBRARY, the loader's search path, a build tree."""
    found = []
    if os.environ.get("VERIFULL_LIBRARY"):
        found.append(os.environ["VERIFULL_LIBRARY"])
    found.append(f"libverifull.so.{ABI_VERSION}")
    by_name = ctypes.util.find_library("verifull")
    if by_name:
        found.append(by_name)
    repo = Path(__file__).resolve().parents[3]
    for build in sorted(repo.glob("build*/src/libverifull.so")):
        found.append(str(build))
    return found


def _load() -> ctypes.CDLL:
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
            continue
        lib.vf_abi_version.restype = ctypes.c_int
        if lib.vf_abi_version() != ABI_VERSION:
            raise ImportError(f"{path} has C ABI version {lib.vf_abi_version()}; these bindings need {ABI_VERSION}")
        return lib
    raise ImportError("libverifull not found; install it or set VERIFULL_LIBRARY. Tried: " + "; ".join(errors))


lib = _load()

_p = ctypes.c_void_p
_pp = ctypes.POINTER(ctypes.c_void_p)
_size_p = ctypes.POINTER(ctypes.c_size_t)
_opts_p = ctypes.POINTER(_PolicyOptions)
for name, args in {
    "vf_trust_from_file": [_pp, ctypes.c_char_p],
    "vf_trust_from_pem": [_pp, ctypes.c_char_p, ctypes.c_size_t],
    "vf_trust_from_env": [_pp, ctypes.c_char_p],
    "vf_trust_destroy": [_p],
    "vf_trust_anchor_count": [_p, _size_p],
    "vf_trust_anchor_field": [_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_char_p, _size_p],
    "vf_verify_pem": [_pp, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, _p, _opts_p],
    "vf_check": [_pp, ctypes.c_char_p, _p, _opts_p],
    "vf_report_destroy": [_p],
    "vf_report_json": [_p, ctypes.c_char_p, _size_p],
    "vf_pg_conninfo": [ctypes.c_char_p, _p, _opts_p, ctypes.c_char_p, _size_p],
    "vf_mysql_approve": [_pp, ctypes.c_char_p, _p, _opts_p, ctypes.c_char_p, _size_p],
    "vf_parse_url": [ctypes.c_char_p, ctypes.c_char_p, _size_p],
    "vf_pg_audit": [_p, ctypes.c_char_p, _size_p],
    "vf_mysql_audit": [_p, ctypes.c_char_p, _size_p],
    "vf_suggest_readonly_sql": [ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, _size_p],
    "vf_mysql_option_file": [ctypes.c_char_p, _p, ctypes.c_char_p, ctypes.c_char_p, _size_p],
    "vf_mysql_option_file_with_policy": [ctypes.c_char_p, _p, ctypes.c_char_p, _opts_p, ctypes.c_char_p, _size_p],
    "vf_mysql_cache_clear": [],
    "vf_client_certificate_check": [_opts_p],
    "vf_pg_connect": [_pp, ctypes.c_char_p, _p, _opts_p],
    "vf_pg_report": [_p, _pp],
    "vf_pg_release": [_p, _pp],
    "vf_pg_destroy": [_p],
    "vf_tls_weak_reason": [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, _size_p],
    "vf_tls_strong_ciphers": [ctypes.c_char_p, _size_p],
    "vf_policy_crl_file": [_opts_p, ctypes.c_char_p, _size_p],
    "vf_mysql_url_parameters": [ctypes.c_char_p, ctypes.c_char_p, _size_p],
    "vf_mysql_keyword_refusal": [ctypes.c_char_p, ctypes.c_char_p, _size_p],
    "vf_mysql_auth_plugin_sends_password": [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)],
}.items():
    fn = getattr(lib, name)
    fn.argtypes = args
    fn.restype = ctypes.c_int
lib.vf_last_error_message.restype = ctypes.c_char_p
lib.vf_last_error_outcome.argtypes = []
lib.vf_last_error_outcome.restype = ctypes.c_int
lib.vf_outcome_name.argtypes = [ctypes.c_int]
lib.vf_outcome_name.restype = ctypes.c_char_p
lib.vf_version_string.restype = ctypes.c_char_p
lib.vf_mysql_option_file_missing_socket.restype = ctypes.c_char_p
lib.vf_mysql_presented_another_certificate.argtypes = [ctypes.c_uint, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]
lib.vf_mysql_presented_another_certificate.restype = ctypes.c_int
lib.vf_outcome_exit_code.argtypes = [ctypes.c_int]
lib.vf_outcome_exit_code.restype = ctypes.c_int
lib.vf_error_description.argtypes = [ctypes.c_int]
lib.vf_error_description.restype = ctypes.c_char_p


def text(value, name: str) -> bytes:
    """`value` as the C ABI's NUL-terminated UTF-8; ValueError for anything else."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, bytes):
        raw = value
    elif isinstance(value, str):
        raw = value.encode("utf-8", "surrogateescape")
    else:
        raise ValueError(f"{name} must be a str, not {type(value).__name__}")
    if b"\0" in raw:
        raise ValueError(f"{name} contains a NUL character")
    return raw


class NativeError(Exception):
    """A failed call: .code is the VF_ERROR_* value; .outcome, after VF_ERROR_NETWORK, the
    outcome name the library gave it (timeout, name_not_resolved, ...), else None."""

    def __init__(self, code: int, message: str, outcome: Optional[str] = None):
        super().__init__(message)
        self.code = code
        self.outcome = outcome


def _last_error(rc: int) -> NativeError:
    outcome = lib.vf_last_error_outcome()
    name = lib.vf_outcome_name(outcome).decode() if outcome >= 0 else None
    message = lib.vf_last_error_message() or b""
    if not message:  # a failure that set no message still says what the code means
        message = lib.vf_error_description(rc) or b""
    return NativeError(rc, message.decode("utf-8", "replace"), name)


def call(fn, *args) -> None:
    rc = fn(*args)
    if rc != OK:
        raise _last_error(rc)


def string_out(fn, *args) -> str:
    """Calls fn(*args, buf, &len) with the size-needed protocol of the C ABI."""
    size = ctypes.c_size_t(256)
    while True:
        buf = ctypes.create_string_buffer(size.value)
        rc = fn(*args, buf, ctypes.byref(size))
        if rc == ERROR_BUFFER_TOO_SMALL:
            continue
        if rc != OK:
            raise _last_error(rc)
        return buf.value.decode("utf-8", "replace")


def _milliseconds(timeout: float) -> int:
    """timeout_ms for the C ABI, where 0 means the default (10 s): a positive timeout under
    1 ms is 1 ms, never 0, and a fraction of a millisecond rounds up, never down."""
    return max(1, math.ceil(timeout * 1000))


def policy(host: Optional[str] = None, pins: Sequence[str] = (), engine: Optional[str] = None,
           timeout: float = 10, at: Optional[int] = None, profile: Optional[str] = None,
           allow_cn_fallback: bool = False, **tls_settings) -> tuple[_PolicyOptions, Any]:
    """A vf_policy_options and the Python objects that keep its pointers alive.
    tls_settings: the issue-22 settings of verifull.Policy that are set: crls (CRL files or
    folders), require_crl, client_cert, client_key, client_key_passphrase (checked by the
    library before any traffic) and allow_cleartext_password are carried to the C ABI; any
    other name is refused."""
    crls = tls_settings.pop("crls", ())
    require_crl = tls_settings.pop("require_crl", False)
    client = {name: tls_settings.pop(name) for name in ("client_cert", "client_key", "client_key_passphrase")
              if tls_settings.get(name) is not None}
    allow_cleartext_password = tls_settings.pop("allow_cleartext_password", False)
    for name in sorted(tls_settings):
        raise ValueError(f"{name} is not supported by this version of verifull; refusing rather than ignoring it")
    if not isinstance(allow_cleartext_password, bool):
        raise ValueError("allow_cleartext_password must be True or False")
    if isinstance(crls, (str, bytes, os.PathLike)):
        crls = (crls,)
    try:
        encoded_crls = [text(os.fspath(c), "crls") for c in crls]
    except TypeError:
        raise ValueError("crls must be a sequence of CRL file or folder paths") from None
    if not isinstance(require_crl, bool):
        raise ValueError("require_crl must be True or False")
    crl_array = (ctypes.c_char_p * max(1, len(encoded_crls)))(*encoded_crls)
    # Never the value in a message: the passphrase is a credential.
    client = {name: text(value, name) for name, value in client.items()}
    if not isinstance(engine, (str, type(None))) or engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (expected 'openssl', 'botan' or 'both')")
    if not isinstance(profile, (str, type(None))) or profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (expected 'standard' or 'strict')")
    if not isinstance(allow_cn_fallback, bool):
        raise ValueError("allow_cn_fallback must be True or False")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not (0 < timeout <= 3600):
        raise ValueError(f"timeout must be a number of seconds above 0 and at most 3600, not {timeout!r}")
    if isinstance(pins, (str, bytes)):
        pins = (pins,)
    try:
        encoded = [text(p, "pin") for p in pins]
    except TypeError:
        raise ValueError("pins must be a sequence of 'sha256/BASE64' strings") from None
    if host is not None:
        host = text(host, "host").decode("utf-8", "surrogateescape")
    if at is not None and (isinstance(at, bool) or not isinstance(at, int)):
        raise ValueError("at must be Unix seconds (an int)")
    if at is not None and not -2**63 <= at < 2**63:
        # ctypes would keep only the low 64 bits (2**70 would become 64, a time in 1970);
        # the range a verification time may have is the core's to decide, within int64_t.
        raise ValueError(f"at={at} does not fit the C ABI's int64_t verification_time (Unix seconds)")
    pin_array = (ctypes.c_char_p * max(1, len(encoded)))(*encoded)
    opts = _PolicyOptions(POLICY_OPTIONS_VERSION, text(host, "host") if host else None,
                          ctypes.cast(pin_array, ctypes.POINTER(ctypes.c_char_p)), len(encoded),
                          ENGINES[engine], 1 if at is not None else 0, at or 0, -1, _milliseconds(timeout), 0,
                          PROFILES[profile], 1 if allow_cn_fallback else 0,
                          ctypes.cast(crl_array, ctypes.POINTER(ctypes.c_char_p)), len(encoded_crls), None, 0,
                          1 if require_crl else 0,
                          client.get("client_cert"), client.get("client_key"), client.get("client_key_passphrase"),
                          1 if allow_cleartext_password else 0)
    return opts, (pin_array, encoded, crl_array, encoded_crls, client)


def report_json(handle: ctypes.c_void_p) -> dict:
    try:
        return json.loads(string_out(lib.vf_report_json, handle))
    finally:
        lib.vf_report_destroy(handle)


# The core's rules, asked through the C ABI rather than copied here (docs/design.md,
# "Python binding": one rule in one place).
EXIT_UNREACHABLE = 3  # vf_outcome_exit_code: the endpoint could not be reached


def outcome_names() -> dict:
    """{VF_OUTCOME_* value: name} for every outcome the library knows."""
    names, value = {}, 0
    while lib.vf_outcome_exit_code(value) >= 0:
        names[value] = lib.vf_outcome_name(value).decode()
        value += 1
    return names


def unreachable_outcomes() -> frozenset:
    """The outcomes that mean "could not reach it" rather than "it failed a check"."""
    return frozenset(name for value, name in outcome_names().items()
                     if lib.vf_outcome_exit_code(value) == EXIT_UNREACHABLE)


@functools.lru_cache(maxsize=64)
def weak_tls_reason(protocol: Optional[str], cipher: Optional[str]) -> Optional[str]:
    """The core's TLS-strength rule (weak_tls) on a session Python's ssl module
    negotiated: None when strong enough, else why, as a sentence. A function of its two
    names only, so the answers are kept (every in-band handshake asks)."""
    reason = string_out(lib.vf_tls_weak_reason, (protocol or "").encode(), (cipher or "").encode())
    return reason or None


def strong_tls12_ciphers() -> str:
    """The TLS 1.2 suites verifull allows, as an OpenSSL cipher list."""
    return string_out(lib.vf_tls_strong_ciphers)


def mysql_presented_another_certificate(error_code: int, message: str) -> bool:
    """The core's rotation rule: Connector/C's error means the server presented another
    certificate than the approved one (worth one re-approval)."""
    yes = ctypes.c_int(0)
    call(lib.vf_mysql_presented_another_certificate, ctypes.c_uint(error_code & 0xFFFFFFFF),
         message.encode("utf-8", "replace").replace(b"\0", b" "), ctypes.byref(yes))
    return yes.value == 1
