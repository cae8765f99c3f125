"""verifull.ssl_context(): an ssl.SSLContext for pure-Python drivers (asyncpg, PyMySQL,
aiomysql) that verifies like verifull does, in-band: right after the TLS handshake and
before the driver can send or read a byte of application data, the session is checked and
refused by raising from the handshake itself. Whatever order the caller drives the TLS
object in (an SSLSocket wrapped with do_handshake_on_connect=False and written at once,
an SSLObject written before do_handshake()), every data method of the socket and object
classes first completes the handshake through the checking do_handshake(): OpenSSL's
implicit handshake inside a write never runs unchecked. The weak-TLS rule and the cipher
list are the core's (vf_tls_weak_reason, vf_tls_strong_ciphers).
"""
from __future__ import annotations

import ctypes
import hashlib
import ssl
from typing import Optional

from . import _native


class PeerRefused(ssl.SSLCertVerificationError):
    """Raised from the TLS handshake when verifull refuses the server. .outcome is the
    stable code (pin_mismatch, name_mismatch, weak_tls, ...), .report the facts when a
    verdict was made."""

    def __init__(self, outcome: str, message: str, report=None):
        super().__init__(f"verifull refused the server: {outcome}: {message}")
        self.outcome = outcome
        self.report = report


def _colon_hex(digest: bytes) -> str:
    return digest.hex(":").upper()  # "AB:CD:...", as verifull's Report names a certificate


class _InBand:
    """The check made on a finished handshake (shared by the socket and object classes)."""

    def __init__(self, trust, host, policy, expected_leaf_sha256: Optional[str]):
        self.trust, self.host, self.policy, self.expected = trust, host, policy, expected_leaf_sha256

    def __call__(self, tls) -> None:
        cipher = tls.cipher()
        weak = _native.weak_tls_reason(tls.version(), cipher[0] if cipher else None)
        if weak:
            raise PeerRefused("weak_tls", weak)
        leaf = tls.getpeercert(binary_form=True)
        if not leaf:
            raise PeerRefused("invalid_chain", "the server presented no certificate")
        if self.expected is not None:
            # verifull verified this endpoint's whole chain (probe, engines, profile, pins)
            # moments ago; the connection may reach exactly that certificate.
            # A callable names the certificate approved now (a pool's, which re-approves on
            # rotation).
            expected = self.expected() if callable(self.expected) else self.expected
            if _colon_hex(hashlib.sha256(leaf).digest()) != expected:
                raise PeerRefused("pin_mismatch", "the server presented a different certificate than the one "
                                                  "verifull verified for it moments ago")
            return
        from . import verify_pem  # the full verdict on what the server presented
        report = verify_pem(ssl.DER_cert_to_PEM_cert(leaf), self.trust, host=self.host, policy=self.policy)
        if not report.ok:
            raise PeerRefused(report.outcome, report.message, report)


# The data methods of ssl.SSLSocket and ssl.SSLObject that can send or read application
# data (or run OpenSSL's implicit handshake): each is guarded so it first passes the
# checking do_handshake(). tests/python/test_lifetime.py asserts they all exist on the
# ssl classes, so a renamed one cannot silently lose its guard.
SOCKET_DATA_METHODS = ("send", "sendall", "write", "recv", "recv_into", "read", "sendfile")
OBJECT_DATA_METHODS = ("write", "read")


def _guarded(base: type, method_name: str):
    unchecked = getattr(base, method_name)

    def guarded(self, *args, **kwargs):
        if not self._verifull_checked:
            self.do_handshake()  # the checking one: it raises (or wants I/O) before any data moves
        return unchecked(self, *args, **kwargs)
    guarded.__name__ = method_name
    return guarded


def _checking_classes(check):
    """The SSLSocket and SSLObject classes of a context: each guards its data methods
    until its checking do_handshake() has passed, then becomes its checked class, whose
    data methods are the ssl module's own (no guard left to run on every read and write
    of the connection's life). Both keep the checking do_handshake()."""
    def checking_handshake(base: type):
        def do_handshake(self, *args, **kwargs):
            base.do_handshake(self, *args, **kwargs)
            check(self)
            self.__class__ = checked[base]
        return do_handshake

    class CheckedSocket(ssl.SSLSocket):
        _verifull_checked = True
        do_handshake = checking_handshake(ssl.SSLSocket)

    class CheckedObject(ssl.SSLObject):
        _verifull_checked = True
        do_handshake = checking_handshake(ssl.SSLObject)

    class VerifiedSocket(CheckedSocket):
        _verifull_checked = False

    class VerifiedObject(CheckedObject):
        _verifull_checked = False

    checked = {ssl.SSLSocket: CheckedSocket, ssl.SSLObject: CheckedObject}
    for name in SOCKET_DATA_METHODS:
        setattr(VerifiedSocket, name, _guarded(ssl.SSLSocket, name))
    for name in OBJECT_DATA_METHODS:
        setattr(VerifiedObject, name, _guarded(ssl.SSLObject, name))
    return VerifiedSocket, VerifiedObject


def ssl_context(trust, host: str, *, policy=None, expected_leaf_sha256: Optional[str] = None,
                **settings) -> ssl.SSLContext:
    """An SSLContext that verifies chain and name against `trust` (OpenSSL, TLS 1.2+, strong
    suites only) and then, in-band, runs verifull's verdict before the driver sends or
    reads anything: either the certificate must be exactly `expected_leaf_sha256` (the
    helpers pass the one their probe approved, or a callable returning it at each
    handshake), or verifull verifies the presented
    certificate itself with the policy (verifull.Policy, or pins=, engine=, profile=,
    allow_cn_fallback= as keywords). Without a probe only the server certificate is
    available in-band (Python's ssl module does not expose the chain), so a server
    certificate issued through an intermediate needs the helpers' probe.

    The policy's client_cert, client_key, client_key_passphrase: a client certificate the
    context presents (load_cert_chain), checked first by the library as every connect
    checks it. Its allow_cleartext_password: the PyMySQL and aiomysql helpers may answer
    mysql_clear_password on a connection made with this context (which reaches only a
    server verifull verified); off, they refuse it before sending the password."""
    from . import InputError
    from ._policy import policy_of
    chosen = policy_of(policy, settings, "verifull.ssl_context()")
    if not host:
        raise InputError("host is required: verifull always verifies the name that was dialled")
    try:
        opts, keep = chosen.native(host)  # validates the host too; InputError on bad input
        # The core's file of the policy's CRLs (kept, like the anchors file), "" for none.
        crl_file = _native.string_out(_native.lib.vf_policy_crl_file, ctypes.byref(opts))
    except (ValueError, _native.NativeError) as e:
        raise InputError(str(e)) from None
    _check_client_certificate(chosen, opts)
    check = _InBand(trust, host, chosen, expected_leaf_sha256)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # The check above runs on the handshake; a TLS 1.2 renegotiation the server starts
    # later could bring another certificate, unchecked. Neither PostgreSQL nor MariaDB
    # renegotiates, so it is refused.
    ctx.options |= ssl.OP_NO_RENEGOTIATION
    ctx.set_ciphers(_native.strong_tls12_ciphers())
    ctx.load_verify_locations(cafile=trust.anchors_file)  # kept file: outlives `trust`
    if crl_file:
        # OpenSSL's own handshake checks the same CRLs, as libpq and Connector/C do (then a
        # CRL is needed for every certificate of the chain: docs/design.md, "Revocation").
        ctx.load_verify_locations(cafile=crl_file)
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    ctx.hostname_checks_common_name = bool(chosen.allow_cn_fallback)
    ctx.sslsocket_class, ctx.sslobject_class = _checking_classes(check)
    if chosen.client_cert:
        ctx.load_cert_chain(chosen.client_cert, chosen.client_key, password=chosen.client_key_passphrase)
    ctx._verifull_trust = trust  # the context keeps its Trust (and so its anchors) alive
    # Read by _mysql_protocol.refuse_if_clear_text: only a context made here (verified
    # in-band) can carry the opt-in.
    ctx._verifull_allow_cleartext_password = bool(chosen.allow_cleartext_password)
    return ctx


def _check_client_certificate(policy, opts) -> None:
    """The library's check of the policy's client certificate (opts: its native options),
    as every connect checks it (vf_client_certificate_check: the key readable by its owner
    only, the passphrase right, the key that of the certificate); InputError naming the
    file. Nothing when none is set."""
    if not (policy.client_cert or policy.client_key or policy.client_key_passphrase):
        return
    from . import InputError
    try:
        _native.call(_native.lib.vf_client_certificate_check, ctypes.byref(opts))
    except _native.NativeError as e:
        raise InputError(str(e)) from None
