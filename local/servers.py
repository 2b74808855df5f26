"""Servers on loopback in threads: moto's WSGI app and the ASGI gateways.

Sockets are bound here, synchronously, before any thread starts, so a port
already in use is a clean one-line error instead of a thread dying quietly
(uvicorn would `sys.exit` in its thread; moto's `ThreadedMotoServer` would
wait forever for a server that never started).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

import uvicorn
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from tradewind.cli.errors import CliError


def bind(host: str, port: int, flag: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CliError(f"cannot listen on {host}:{port} ({exc.strerror}): choose another port with {flag}") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class MotoServer:
    """moto's server app (what `ThreadedMotoServer` runs), on a socket we bound."""

    def __init__(self, host: str, port: int) -> None:
        # moto logs every request at INFO through werkzeug: far too chatty for a dev console.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        try:
            self._server: BaseWSGIServer = make_server(
                host,
                port,
                DomainDispatcherApplication(create_backend_app),
                threaded=True,
                request_handler=MotoRequestHandler,
            )
        except OSError as exc:
            raise CliError(
                f"cannot listen on {host}:{port} ({exc.strerror}): choose another port with --moto-port"
            ) from exc
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-server")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


class AsgiServer:
    """An ASGI app served by uvicorn in its own thread and event loop."""

    def __init__(self, app: Any, sock: socket.socket, name: str) -> None:
        config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="websockets-sansio", access_log=False)
        self._server = uvicorn.Server(config)
        self._sock = sock
        self._thread = threading.Thread(target=self._run, name=name)
        self._started = threading.Event()

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._sock]))
        finally:
            self._started.set()

    def start(self) -> None:
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            self._started.wait(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join()
        self._sock.close()
