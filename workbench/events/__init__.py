"""From signals to moments: find events across recordings (labels live in the catalog).

Examples
--------
.. code-block:: python

    ev = wb.find_events(cat.select(tags=["can"]), "brake > 0.5 and speed_kmh > 60",
                        min_duration=0.3)
"""

from __future__ import annotations

from workbench.events.condition import Condition
from workbench.events.find import find_events
from workbench.events.table import Events

__all__ = ["Condition", "Events", "find_events"]
