"""The approval cache the pure-Python driver helpers share (asyncpg, PyMySQL, aiomysql;
docs/design.md, "Python approval cache").

A cold connect probes the endpoint and verifies it with verifull (vf_check: chain, name,
pins, engine, profile; no credential is sent), then connects with an SSLContext that
accepts exactly the approved certificate, checked in the handshake before the driver
sends a byte. The approval is kept, keyed like the C++ MySQL cache (endpoint, trust
anchors, the whole verifull.Policy), so a warm connect costs no probe: only the pinned
handshake. When a warm connect meets another certificate (the server's was re-issued, or
someone else answers), the approval is dropped and the endpoint probed and verified
again, once; the connect is retried once with what that verdict approved. A refused
re-probe stays refused and leaves no approval behind; a retry that fails is not retried.

The cache is bounded (least recently used entries go first) and an approval lives at
most an hour, as in the C++ cache. It is safe from threads and from asyncio: the lookup
holds a lock only for a dictionary step, and a probe (blocking I/O) runs on the caller's
thread or, for asyncio callers, on a worker thread; probes of one endpoint are made one
at a time, so a pool that opens ten connections at once probes once.
"""
from __future__ import annotations

import asyncio
import collections
import dataclasses
import functools
import ssl
import threading
import time
import types
import weakref
from typing import Callable, Optional, Tuple

from . import NetworkError, Report, Trust, _trust, _url, check, ssl_context
from ._policy import Policy, refuse_unknown
from .mysql import parse_url, url_parameters

DEFAULT_MAX_ENTRIES = 256
DEFAULT_LIFETIME = 3600.0  # seconds; the C++ ApprovedCache's default


@dataclasses.dataclass(frozen=True)
class Approval:
    """A verdict that approved an endpoint, and the context pinned to its certificate."""
    leaf_sha256: str
    report: Report
    context: ssl.SSLContext
    expires: float  # time.monotonic()


class ApprovalCache:
    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, lifetime: float = DEFAULT_LIFETIME):
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries, self.lifetime = max_entries, lifetime
        self._entries: "collections.OrderedDict[tuple, Approval]" = collections.OrderedDict()
        self._lock = threading.Lock()
        # Probes of one key are serialised by one of these (a bounded set: two keys may
        # share a lock, which only makes one wait for the other's probe).
        self._probe_locks = [threading.Lock() for _ in range(64)]
        self.probes = 0
        self.hits = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def lookup(self, key: tuple) -> Optional[Approval]:
        """The live approval for key, or None. Never blocks on I/O."""
        with self._lock:
            approval = self._entries.get(key)
            if approval is None:
                return None
            if time.monotonic() >= approval.expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return approval

    def forget(self, key: tuple, approval: Optional[Approval] = None) -> None:
        """Drops key's approval (only if it is still `approval`, when given)."""
        with self._lock:
            if approval is None or self._entries.get(key) is approval:
                self._entries.pop(key, None)

    def _store(self, key: tuple, approval: Approval) -> None:
        with self._lock:
            self._entries[key] = approval
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def approve(self, key: tuple, probe: Callable[[], Approval], deadline: float,
                replacing: Optional[Approval] = None) -> Tuple[Approval, bool]:
        """(approval, from_cache). Blocking: probes unless a live approval other than
        `replacing` (the one a connect just found stale) is cached. A refused probe
        raises and leaves no approval for key."""
        cached = self.lookup(key)
        if cached is not None and cached is not replacing:
            return cached, True
        lock = self._probe_locks[hash(key) % len(self._probe_locks)]
        if not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise NetworkError(Report(endpoint=f"{key[1]}:{key[2]}", ok=False, outcome="timeout",
                                      message="the timeout ran out while another connect was verifying this endpoint"))
        try:
            cached = self.lookup(key)  # another thread may have approved it meanwhile
            if cached is not None and cached is not replacing:
                return cached, True
            self.forget(key)
            with self._lock:
                self.probes += 1
            approval = probe()  # raises when refused; the stale approval is already gone
            self._store(key, approval)
            return approval, False
        finally:
            lock.release()


SHARED = ApprovalCache()

# A Trust's identity in a key: its anchors file, which is content-addressed (the same
# anchors give the same path). Looked up once per Trust object.
_trust_identities: "weakref.WeakKeyDictionary[Trust, str]" = weakref.WeakKeyDictionary()
_identities_lock = threading.Lock()


def _trust_identity(trust: Trust) -> str:
    with _identities_lock:
        identity = _trust_identities.get(trust)
    if identity is None:
        identity = _trust(trust).anchors_file
        with _identities_lock:
            _trust_identities[trust] = identity
    return identity


def certificate_refusal(error: BaseException) -> Optional[ssl.SSLCertVerificationError]:
    """The certificate refusal behind a driver's connect error (OpenSSL's chain or name
    check, or verifull's in-band check, which raises PeerRefused from the handshake), or
    None. Drivers wrap it: PyMySQL in .original_exception, aiomysql and asyncpg as the
    cause or context."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, ssl.SSLCertVerificationError):
            return error
        seen.add(id(error))
        error = getattr(error, "original_exception", None) or error.__cause__ or error.__context__
    return None


URL_CRL_PARAMETERS = ("ssl_crl", "ssl_crlpath")


def _plan_parts(url, kind: str, policy: Policy) -> Tuple[str, dict, Policy, bool]:
    """(plain URL, its parts, the policy with the URL's CRLs, whether the URL names files)
    for a Plan. The parts are a read-only mapping (its params one too)."""
    plain = _url(url, kind)
    endpoint = parse_url(plain)
    crls = []
    if kind == "mysql":
        endpoint["url"] = plain  # the core reads its parameters (mysql.url_parameters)
        # A URL's CRLs (ssl-crl, ssl-crlpath) are CRLs of the policy: the probe checks
        # them and so does the in-band SSLContext (and they are part of the cache key).
        # Which parameters they are is the core's reading of the URL.
        crls = [p for p in url_parameters(plain) if p["name"] in URL_CRL_PARAMETERS]
        for p in crls:
            endpoint["params"].pop(p["given"])
        if crls:
            policy = dataclasses.replace(policy, crls=policy.crls + tuple(p["value"] for p in crls))
    # Read-only: the parts are shared by every plan made from them (kept, and restarted).
    endpoint = types.MappingProxyType(dict(endpoint, params=types.MappingProxyType(endpoint["params"])))
    return plain, endpoint, policy, bool(crls)



class Plan:
    """One connect: the URL's parts, the cache key, the deadline, and the probe."""

    def __init__(self, url: str, trust: Trust, kind: str, policy: Policy, cache: ApprovalCache = SHARED):
        # Made once per kept call (`kept`), not per connect: a warm connect reuses its plan.
        plain, endpoint, policy, names_files = _plan_parts(url, kind, policy)
        self.plain = plain
        # The URL names files (its CRLs), which the core checks are readable on every
        # connect: such a plan is made again for each connect, never kept (see `kept`).
        self.names_files = names_files
        self.endpoint = endpoint  # read-only, shared with every plan of the same parts
        self.trust, self.policy, self.cache = _trust(trust), policy, cache
        self.key = (kind, endpoint["host"], endpoint["port"], _trust_identity(trust), policy)
        self.deadline = time.monotonic() + policy.timeout

    def restarted(self) -> "Plan":
        """This plan for another connect: the same key, a deadline from now (the parts
        are shared: no plan changes them once made)."""
        again = Plan.__new__(Plan)
        again.__dict__.update(self.__dict__)
        again.deadline = time.monotonic() + self.policy.timeout
        return again

    def left(self) -> float:
        """Seconds left until the deadline; a timeout NetworkError once it has passed."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise NetworkError(Report(endpoint=f"{self.endpoint['host']}:{self.endpoint['port']}", ok=False,
                                      outcome="timeout", message=f"the connect did not complete within the "
                                                                 f"timeout of {self.policy.timeout} s"))
        return left

    def _probe(self) -> Approval:
        p = self.policy
        # The whole policy (pins, engine, profile, CN fallback and any later setting) goes
        # to both the probe and the in-band check; only the timeout is the time left.
        report = check(self.plain, self.trust, policy=dataclasses.replace(p, timeout=self.left())).raise_for_outcome()
        leaf = report.chain[0].sha256
        ctx = ssl_context(self.trust, self.endpoint["host"], policy=p, expected_leaf_sha256=leaf)
        return Approval(leaf, report, ctx, time.monotonic() + self.cache.lifetime)

    def approve(self, replacing: Optional[Approval] = None) -> Tuple[Approval, bool]:
        """Blocking: the cached approval, or a probe's."""
        return self.cache.approve(self.key, self._probe, self.deadline, replacing)

    async def approve_async(self, replacing: Optional[Approval] = None) -> Tuple[Approval, bool]:
        """The cached approval without leaving the event loop, or a probe's on a worker
        thread (the loop never waits for the network)."""
        cached = self.cache.lookup(self.key)
        if cached is not None and cached is not replacing:
            return cached, True
        return await asyncio.to_thread(self.approve, replacing)

    def current_leaf(self) -> str:
        """The certificate approved for this endpoint right now ("" when none: a pooled
        handshake then refuses, and the pool approves again before its retry)."""
        approval = self.cache.lookup(self.key)
        return approval.leaf_sha256 if approval is not None else ""


def preparer(kind: str, where: str, accepted: Callable[[], frozenset], driver_args: Callable[[dict, dict], dict]):
    """A helper's prepare step for `kept`: (url, trust, policy, keyword names) -> (template
    Plan, the driver's arguments from the URL), kept for the last 64 calls. It refuses an
    unknown keyword (TypeError, named for `where`), makes the Plan of `kind`, and calls
    `driver_args(plan.endpoint, {name: None})`, which checks the names the caller gave."""
    @functools.lru_cache(maxsize=64)
    def prepare(url, trust, policy: Policy, keywords: Tuple[str, ...]) -> Tuple["Plan", dict]:
        named = dict.fromkeys(keywords)
        refuse_unknown(named, accepted(), where)
        plan = Plan(url, trust, kind, policy)
        return plan, driver_args(plan.endpoint, named)
    return prepare


def kept(prepare, url, trust, policy: Policy, keywords: Tuple[str, ...]) -> Tuple[Plan, dict]:
    """A helper's connect, prepared: `prepare(url, trust, policy, keywords)` (made by
    `preparer`) checks the call by the names of the driver keywords it was given (their
    values are the caller's, applied to each connect) and returns (template Plan, the
    driver's arguments from the URL). Returns a Plan with its own deadline and the
    caller's own copy of the arguments.

    A warm connect's own Python work was mostly making these again from the same call,
    and on the test machine each microsecond of it before the dial cost about two of the
    whole connect (docs/design.md, "Python warm connects"). Not kept: a call with an
    unhashable URL, trust or policy (made afresh, so the error names the problem) and a
    URL that names files (its CRLs are checked on every connect)."""
    try:
        hash((url, trust, policy))
    except TypeError:
        plan, base = prepare.__wrapped__(url, trust, policy, keywords)
    else:
        plan, base = prepare(url, trust, policy, keywords)
        if plan.names_files:
            plan, base = prepare.__wrapped__(url, trust, policy, keywords)
    return plan.restarted(), dict(base)


def connect(plan: Plan, open_with: Callable[[Approval, float], object], run=lambda approve: approve()):
    """Opens a connection with `open_with(approval, seconds_left)`, re-approving once
    after a certificate change on a cached approval. `run` runs a blocking approve step
    (SQLAlchemy's asyncio engines hand it to a worker thread)."""
    approval, from_cache = run(plan.approve)
    try:
        return open_with(approval, plan.left())
    except Exception as e:
        if not (from_cache and certificate_refusal(e)):
            raise
    approval, _ = run(lambda: plan.approve(replacing=approval))  # the one re-probe
    return open_with(approval, plan.left())


# asyncio.timeout (Python 3.11) bounds an await in the caller's own task; wait_for runs
# the awaitable in a task of its own, one more round of the event loop on every connect.
_timeout = getattr(asyncio, "timeout", None)


async def within(awaitable, seconds: float):
    """`await awaitable`, cancelled after `seconds` (asyncio.TimeoutError)."""
    if _timeout is None:
        return await asyncio.wait_for(awaitable, seconds)
    async with _timeout(seconds):
        return await awaitable


async def connect_async(plan: Plan, open_with):
    """connect() for asyncio: `open_with` is a coroutine function."""
    approval = plan.cache.lookup(plan.key)  # a warm connect: no coroutine of its own for this step
    from_cache = approval is not None
    if not from_cache:
        approval, from_cache = await plan.approve_async()
    try:
        return await open_with(approval, plan.left())
    except Exception as e:
        if not (from_cache and certificate_refusal(e)):
            raise
    approval, _ = await plan.approve_async(replacing=approval)  # the one re-probe
    return await open_with(approval, plan.left())
