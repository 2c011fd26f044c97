"""When the shop's policy wants the cancel-window hold, and when a change of it moves holds already placed."""

from __future__ import annotations

from storefront_proxy.policy.model import Policy, WindowMode


def hold_wanted(policy: Policy) -> bool:
    """Whether new orders get the cancel-window hold (a window without an end could never release it)."""
    return policy.enabled and policy.hold_fulfillment and policy.window_mode is WindowMode.MINUTES


def policy_moves_holds(before: Policy, after: Policy) -> bool:
    """Whether a policy change moves the release of holds already placed: turned on or off, or a new window."""
    if hold_wanted(before) != hold_wanted(after):
        return True
    return hold_wanted(after) and before.cancel_window_minutes != after.cancel_window_minutes
