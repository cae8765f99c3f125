"""The one approve step the pure-Python driver helpers share: probe the endpoint, verify
what it presents with verifull (pins, engines, profile, name rules; no credential is sent),
and return an SSLContext that lets the driver reach exactly that certificate."""
from __future__ import annotations

import ssl
from typing import Optional, Sequence, Tuple

from . import Trust, _url, check, ssl_context
from .mysql import parse_url


def approved_context(url: str, trust: Trust, kind: str, pins: Sequence[str] = (), engine: Optional[str] = None,
                     timeout: float = 10, profile: Optional[str] = None,
                     allow_cn_fallback: bool = False) -> Tuple[dict, ssl.SSLContext]:
    """(the URL's parts, an SSLContext pinned in-band to the certificate just verified).
    VerificationError or NetworkError when the endpoint is refused, InputError for bad input."""
    plain = _url(url, kind)
    endpoint = parse_url(plain)
    report = check(plain, trust, pins=pins, engine=engine, timeout=timeout, profile=profile,
                   allow_cn_fallback=allow_cn_fallback).raise_for_outcome()
    ctx = ssl_context(trust, endpoint["host"], pins=pins, engine=engine, profile=profile,
                      allow_cn_fallback=allow_cn_fallback, expected_leaf_sha256=report.chain[0].sha256)
    return endpoint, ctx
