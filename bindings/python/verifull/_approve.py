"""The one approve step the pure-Python driver helpers share: the endpoint's approval from
the shared cache (_approvals.py), or a probe verified with verifull (pins, engines,
profile, name rules; no credential is sent), and an SSLContext that lets the driver reach
exactly the approved certificate."""
from __future__ import annotations

import ssl
from typing import Optional, Tuple

from . import Trust, _approvals
from ._policy import Policy, take


def approved_context(url: str, trust: Trust, kind: str, policy: Optional[Policy] = None,
                     **policy_keywords) -> Tuple[dict, ssl.SSLContext]:
    """(the URL's parts, an SSLContext pinned in-band to the approved certificate).
    VerificationError or NetworkError when the endpoint is refused, InputError for bad
    input, TypeError for an unknown keyword."""
    policy = take(policy, policy_keywords)
    if policy_keywords:
        raise TypeError(f"approved_context got unknown keyword argument(s): {', '.join(sorted(policy_keywords))}")
    plan = _approvals.Plan(url, trust, kind, policy)
    approval, _ = plan.approve()
    return plan.endpoint, approval.context
