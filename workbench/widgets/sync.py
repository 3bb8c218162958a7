"""Keep several widgets on one clock (their ``timestamp`` traitlets, absolute seconds).

Unlike a chain of ``ipywidgets.link``, a :class:`ClockGroup` lets every member snap to
its own frame times without the snapped values bouncing back and forth: the member that
moved leads, the others follow, and changes made while following are not echoed.

Examples
--------
>>> import traitlets
>>> class W(traitlets.HasTraits):
...     timestamp = traitlets.Float(0.0)
>>> a, b = W(), W()
>>> group = ClockGroup([a, b])
>>> a.timestamp = 5.0
>>> b.timestamp
5.0
>>> group.unlink()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import traitlets

__all__ = ["ClockFollower", "ClockGroup"]


class ClockGroup:
    """Propagate ``timestamp`` changes of any member to all the others."""

    def __init__(self, members: Sequence[Any], *, name: str = "timestamp") -> None:
        self.members = list(members)
        self.name = name
        self._busy = False
        for member in self.members:
            member.observe(self._changed, names=name)

    def _changed(self, change: dict[str, Any]) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            for member in self.members:
                if member is not change["owner"]:
                    setattr(member, self.name, change["new"])
        finally:
            self._busy = False

    def unlink(self) -> None:
        """Stop propagating."""
        for member in self.members:
            member.unobserve(self._changed, names=self.name)
        self.members = []


class ClockFollower:
    """Mixin for a widget whose ``timestamp`` follows one scrubber (Timeline, MapView).

    :meth:`follow` links the two ``timestamp`` traitlets both ways and lists the
    scrubber's model id in ``players``, so the view follows its playback frame by frame
    in the browser; :meth:`unfollow` undoes it (``close`` calls it).
    """

    _link: Any = None
    _followed: Any = None

    def follow(self, scrubber: Any) -> None:
        """Link ``timestamp`` with ``scrubber.timestamp`` (both ways), also while playing."""
        self.unfollow()
        self.timestamp = scrubber.timestamp  # type: ignore[attr-defined]
        self._link = traitlets.link((scrubber, "timestamp"), (self, "timestamp"))
        self._followed = scrubber
        self.players = [scrubber.model_id]  # type: ignore[attr-defined]

    def unfollow(self) -> None:
        """Stop following the scrubber (idempotent)."""
        if self._link is not None:
            self._link.unlink()
        self._link = self._followed = None
