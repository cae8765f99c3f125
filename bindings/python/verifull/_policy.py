"""verifull.Policy: the one typed policy object every helper accepts (docs/design.md,
"Python binding").

Every helper takes `policy=verifull.Policy(...)` or the same settings as keywords
(`pins=`, `engine=`, ...), never both for one setting. `take(policy, kwargs)` pulls the
policy keywords out of a helper's **kwargs; what is left belongs to the driver, and
`refuse_unknown(kwargs, accepted, where)` turns a name the driver does not take (a misspelt
`enigne=`) into a TypeError instead of letting it vanish.
"""
from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass, fields
from typing import Any, Callable, Iterable, Optional, Tuple

from . import _native


@dataclass(frozen=True)
class Policy:
    """What a connection must prove. Immutable: a Policy held by a pool for months cannot
    be changed under it by the caller's later edits (a list of pins is copied to a tuple)."""
    pins: Tuple[str, ...] = ()
    engine: Optional[str] = None
    profile: Optional[str] = None
    allow_cn_fallback: bool = False
    timeout: float = 10
    # Revocation: CRL files (PEM or DER) or folders, checked by verifull and given to the
    # driver; require_crl refuses an issuer without one (docs/design.md, "Revocation").
    crls: Tuple[str, ...] = ()
    require_crl: bool = False
    # Issue 22 settings. Until the native layer carries them, _native.policy refuses a
    # Policy that sets them, by name (a setting that cannot take effect refuses).
    client_cert: Optional[str] = None
    client_key: Optional[str] = None
    client_key_passphrase: Optional[str] = None
    allow_cleartext_password: bool = False

    def __post_init__(self):
        for name in ("pins", "crls"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)):
                value = (value,)
            try:
                object.__setattr__(self, name, tuple(value))
            except TypeError:
                raise TypeError(f"{name} must be a sequence of strings, not {type(value).__name__}") from None
        # Validate now, where the caller made the mistake, not at the first connect.
        from . import InputError
        try:
            self.native()
        except ValueError as e:
            raise InputError(str(e)) from None

    def __repr__(self) -> str:
        # Never show a key passphrase.
        shown = ", ".join(f"{f.name}={'<hidden>' if f.name == 'client_key_passphrase' and getattr(self, f.name) else getattr(self, f.name)!r}"
                          for f in fields(self) if getattr(self, f.name) != f.default)
        return f"verifull.Policy({shown})"

    def native(self, host: Optional[str] = None, at: Optional[int] = None):
        """(vf_policy_options, keep-alive objects); ValueError for a bad setting."""
        return _native.policy(host, self.pins, self.engine, self.timeout, at, self.profile, self.allow_cn_fallback,
                              **self.tls_settings())

    def tls_settings(self) -> dict:
        """The issue-22 settings that are set (only those), by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name in _TLS_SETTINGS and getattr(self, f.name) != f.default}

    def keywords(self) -> dict:
        """The policy as the keyword form (pins=..., engine=..., ...)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


_TLS_SETTINGS = frozenset({"crls", "require_crl", "client_cert", "client_key", "client_key_passphrase",
                           "allow_cleartext_password"})
KEYWORDS = frozenset(f.name for f in fields(Policy))
_DEFAULT = Policy()


def take(policy: Optional[Policy], kwargs: dict) -> Policy:
    """The Policy a helper call asks for: `policy` if given, with any policy keywords from
    kwargs (removed from kwargs) applied on top. A setting given both ways is a TypeError.
    ValueError (from the native layer) for a bad value."""
    if policy is not None and not isinstance(policy, Policy):
        raise TypeError(f"policy must be a verifull.Policy, not {type(policy).__name__}")
    given = {name: kwargs.pop(name) for name in list(kwargs) if name in KEYWORDS}
    if policy is None:
        # A Policy is immutable, so every call without settings shares one default
        # (building and validating one costs more than a warm connect's own Python work).
        return Policy(**given) if given else _DEFAULT
    if given:
        raise TypeError(f"{', '.join(sorted(given))} given both in policy= and as a keyword; give it once")
    return policy


def refuse_unknown(kwargs: dict, accepted: "Iterable[str] | Callable[..., Any]", where: str) -> None:
    """TypeError naming every keyword in kwargs that `accepted` (names, or a callable whose
    signature is read) does not take, with the closest policy or driver name as a hint."""
    if callable(accepted):
        params = inspect.signature(accepted).parameters.values()
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return  # the driver itself takes anything; it refuses what it does not know
        names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    else:
        names = set(accepted)
    unknown = sorted(k for k in kwargs if k not in names)
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, sorted(names | KEYWORDS), n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise TypeError(f"{where} got unknown keyword argument(s): {', '.join(hints)}")


def policy_of(policy: Optional[Policy], settings: dict, where: str, driver_accepts=()) -> Policy:
    """The Policy of a helper call that takes `policy=` and the policy keywords, plus the
    driver's own keywords named in `driver_accepts` (names, or the driver's callable):
    the policy keywords are removed from `settings`, what is left must be the driver's
    (TypeError otherwise, naming it), and a bad value is an InputError."""
    from . import InputError
    try:
        chosen = take(policy, settings)
    except ValueError as e:
        raise InputError(str(e)) from None
    refuse_unknown(settings, driver_accepts, where)
    return chosen


__all__ = ["Policy", "take", "refuse_unknown", "policy_of", "KEYWORDS"]
