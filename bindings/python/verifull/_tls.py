"""verifull.ssl_context(): an ssl.SSLContext for pure-Python drivers (asyncpg, PyMySQL,
aiomysql) that verifies like verifull does, in-band: right after the TLS handshake and
before the driver can send a byte, the session is checked and refused by raising from the
handshake itself.
"""
from __future__ import annotations

import ctypes
import hashlib
import ssl
from typing import Optional, Sequence

# TLS 1.2 suites with forward secrecy and AEAD (TLS 1.3's are all such); the same list
# the C++ core gives Connector/C.
STRONG_TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20"


class PeerRefused(ssl.SSLCertVerificationError):
    """Raised from the TLS handshake when verifull refuses the server. .outcome is the
    stable code (pin_mismatch, name_mismatch, weak_tls, ...), .report the facts when a
    verdict was made."""

    def __init__(self, outcome: str, message: str, report=None):
        super().__init__(f"verifull refused the server: {outcome}: {message}")
        self.outcome = outcome
        self.report = report


def _colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02X}" for b in digest)


def _weak_tls(version: Optional[str], cipher) -> Optional[str]:
    if version == "TLSv1.3":
        return None
    name = cipher[0] if cipher else ""
    forward_secret = name.startswith(("ECDHE-", "DHE-"))
    aead = "GCM" in name or "CHACHA20" in name
    if version == "TLSv1.2" and forward_secret and aead:
        return None
    return (f"the server negotiated {version} with {name}, without forward secrecy or an AEAD cipher; verifull "
            "requires TLS 1.3, or TLS 1.2 with ECDHE or DHE and AES-GCM or ChaCha20-Poly1305")


class _InBand:
    """The check made on a finished handshake (shared by the socket and object classes)."""

    def __init__(self, trust, host, policy: dict, expected_leaf_sha256: Optional[str]):
        self.trust, self.host, self.policy, self.expected = trust, host, policy, expected_leaf_sha256

    def __call__(self, tls) -> None:
        weak = _weak_tls(tls.version(), tls.cipher())
        if weak:
            raise PeerRefused("weak_tls", weak)
        leaf = tls.getpeercert(binary_form=True)
        if not leaf:
            raise PeerRefused("invalid_chain", "the server presented no certificate")
        if self.expected is not None:
            # verifull verified this endpoint's whole chain (probe, engines, profile, pins)
            # moments ago; the connection may reach exactly that certificate.
            if _colon_hex(hashlib.sha256(leaf).digest()) != self.expected:
                raise PeerRefused("pin_mismatch", "the server presented a different certificate than the one "
                                                  "verifull verified for it moments ago")
            return
        from . import verify_pem  # the full verdict on what the server presented
        report = verify_pem(ssl.DER_cert_to_PEM_cert(leaf), self.trust, host=self.host, **self.policy)
        if not report.ok:
            raise PeerRefused(report.outcome, report.message, report)


def ssl_context(trust, host: str, *, pins: Sequence[str] = (), engine: Optional[str] = None,
                profile: Optional[str] = None, allow_cn_fallback: bool = False,
                expected_leaf_sha256: Optional[str] = None, crls: Sequence[str] = (),
                require_crl: bool = False) -> ssl.SSLContext:
    """An SSLContext that verifies chain and name against `trust` (OpenSSL, TLS 1.2+, strong
    suites only) and then, in-band, runs verifull's verdict before the driver sends
    anything: either the certificate must be exactly `expected_leaf_sha256` (the
    helpers pass the one their probe approved), or verifull verifies the presented
    certificate itself with pins, engine and profile. Without a probe only the server
    certificate is available in-band (Python's ssl module does not expose the chain), so
    a server certificate issued through an intermediate needs the helpers' probe.
    crls / require_crl: revocation (docs/design.md, "Revocation"): the in-band verdict checks
    them, and so does OpenSSL's own handshake (VERIFY_CRL_CHECK_CHAIN over the same CRLs,
    as libpq and Connector/C do: then a CRL is needed for every certificate of the chain)."""
    # (_policy_options: the package's `_policy` attribute is the verifull._policy module)
    from . import InputError, _native, _policy_options
    opts, keep = _policy_options(host, pins, engine, 10, None, profile, allow_cn_fallback, crls,
                         require_crl)  # validates; InputError on bad input
    if not host:
        raise InputError("host is required: verifull always verifies the name that was dialled")
    try:
        crl_file = _native.string_out(_native.lib.vf_policy_crl_file, ctypes.byref(opts))
    except _native.NativeError as e:
        raise InputError(str(e)) from None
    check = _InBand(trust, host, {"pins": pins, "engine": engine, "profile": profile,
                                  "allow_cn_fallback": allow_cn_fallback, "crls": crls,
                                  "require_crl": require_crl}, expected_leaf_sha256)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(STRONG_TLS12_CIPHERS)
    ctx.load_verify_locations(cafile=trust.anchors_file)  # kept file: outlives `trust`
    if crl_file:  # the core's file of the same CRLs (kept, like the anchors file)
        ctx.load_verify_locations(cafile=crl_file)
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    ctx.hostname_checks_common_name = bool(allow_cn_fallback)

    class VerifiedSocket(ssl.SSLSocket):
        def do_handshake(self, *args, **kwargs):
            super().do_handshake(*args, **kwargs)
            check(self)

    class VerifiedObject(ssl.SSLObject):
        def do_handshake(self):
            super().do_handshake()
            check(self)

    ctx.sslsocket_class = VerifiedSocket
    ctx.sslobject_class = VerifiedObject
    ctx._verifull_trust = trust  # the context keeps its Trust (and so its anchors) alive
    return ctx
