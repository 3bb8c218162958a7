"""Low-latency kernel websockets for Jupyter Server (opt-in).

Jupyter Server writes kernel messages to the browser's websocket without setting
``TCP_NODELAY``. Each widget message is followed or preceded by the kernel's busy/idle
status messages, so Nagle's algorithm holds the frame back until the browser's delayed
ACK arrives: about 40 ms added to every request/reply on this machine's loopback
(measured: a bare widget echo takes ~52 ms, ~15 ms with ``TCP_NODELAY``). That alone
eats the scrubber's latency budget.

:class:`LowLatencyWebsocketConnection` is Jupyter Server's own connection class with
``TCP_NODELAY`` switched on. Use it when starting JupyterLab::

    jupyter lab --ServerApp.kernel_websocket_connection_class=\\
        workbench.widgets.server.LowLatencyWebsocketConnection

or in ``jupyter_server_config.py``::

    c.ServerApp.kernel_websocket_connection_class = (
        "workbench.widgets.server.LowLatencyWebsocketConnection"
    )

It is not installed automatically: a Jupyter Server that talks to a kernel gateway uses
a different connection class, which this one must not replace.

Examples
--------
>>> from jupyter_server.services.kernels.connection.channels import (
...     ZMQChannelsWebsocketConnection)
>>> issubclass(LowLatencyWebsocketConnection, ZMQChannelsWebsocketConnection)
True
"""

from __future__ import annotations

import logging
from typing import Any

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

__all__ = ["CONNECTION_CLASS", "LowLatencyWebsocketConnection"]

log = logging.getLogger(__name__)

#: The dotted name to give ``ServerApp.kernel_websocket_connection_class``.
CONNECTION_CLASS = "workbench.widgets.server.LowLatencyWebsocketConnection"


class LowLatencyWebsocketConnection(ZMQChannelsWebsocketConnection):
    """Jupyter Server's ZMQ kernel websocket connection with ``TCP_NODELAY`` on."""

    def connect(self) -> Any:
        """Switch Nagle's algorithm off on the websocket, then connect as usual."""
        try:
            self.websocket_handler.set_nodelay(True)
        except Exception:  # an already closed socket: connect() reports it as usual
            log.debug("could not set TCP_NODELAY on the kernel websocket", exc_info=True)
        return super().connect()
