"""Persistence of the emulated services: moto's backends pickled to one file.

A snapshot is an outer pickle of plain values (format version, moto version,
the Kinesis checkpoints, and the backends as an inner pickle), so a file from
another moto or format version is recognised and refused *before* any moto
class is unpickled. Writes are atomic (see `local.files`): a crash leaves the
previous snapshot intact.

Lambda backends are left out on purpose: functions are registered again from
the code on every start, so a snapshot never runs stale code. What does not
pickle as is gets a reducer in a private dispatch table (never the global
`copyreg` one): locks become fresh locks, weak dictionaries become weak again,
and Cognito's RSA signing key travels as its JWK.
"""

from __future__ import annotations

import copyreg
import importlib
import io
import logging
import pickle
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import moto
from joserfc import jwk
from moto.core.base_backend import BackendDict, backend_lock

from local.files import write_atomically

logger = logging.getLogger("tradewind.local")

FORMAT_VERSION = 1
_SKIPPED_SERVICES = frozenset({"lambda"})
# Pickling walks live dicts; a request mutating one meanwhile is retried.
_ATTEMPTS = 20

Checkpoints = dict[str, str]


class SnapshotError(Exception):
    """The snapshot cannot be used; the message says what to do."""


def _rsa_key_from_jwk(data: dict[str, Any]) -> jwk.RSAKey:
    return jwk.RSAKey.import_key(data)


def _reduce_rsa_key(key: jwk.RSAKey) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    return _rsa_key_from_jwk, (key.as_dict(private=True),)


def _weak_values(items: dict[Any, Any]) -> weakref.WeakValueDictionary[Any, Any]:
    return weakref.WeakValueDictionary(items)


_DISPATCH: dict[type, Callable[[Any], Any]] = {
    **copyreg.dispatch_table,
    type(threading.Lock()): lambda _: (threading.Lock, ()),
    type(threading.RLock()): lambda _: (threading.RLock, ()),
    weakref.WeakValueDictionary: lambda d: (_weak_values, (dict(d),)),
    jwk.RSAKey: _reduce_rsa_key,
}


def _backend_key(backend_dict: BackendDict[Any]) -> str:
    cls = backend_dict.backend
    return f"{cls.__module__}:{cls.__qualname__}"


def _dump_backends() -> bytes:
    state = {
        _backend_key(bd): {account: dict(regions) for account, regions in bd.items()}
        for bd in BackendDict._instances  # type: ignore[misc]  # moto annotates it this way too
        if bd.service_name not in _SKIPPED_SERVICES
    }
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(state)
    return buffer.getvalue()


def capture(checkpoints: Checkpoints) -> bytes:
    """The whole emulated state, consistent enough to restart from."""
    for attempt in range(_ATTEMPTS):
        try:
            with backend_lock:
                backends = _dump_backends()
            break
        except RuntimeError:
            # "dictionary changed size during iteration": a request raced us.
            if attempt == _ATTEMPTS - 1:
                raise
            time.sleep(0.01)
    document = {
        "format_version": FORMAT_VERSION,
        "moto_version": moto.__version__,
        "saved_at": time.time(),
        "checkpoints": dict(checkpoints),
        "backends": backends,
    }
    return pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL)


def save(path: Path, checkpoints: Checkpoints) -> None:
    write_atomically(path, capture(checkpoints), mode=0o600)


def _find_backend_dict(key: str) -> BackendDict[Any]:
    module = importlib.import_module(key.partition(":")[0])
    for value in vars(module).values():
        if isinstance(value, BackendDict) and _backend_key(value) == key:
            return value
    raise LookupError(f"no moto backend for {key}")


def load(path: Path) -> Checkpoints:
    """Restores the backends in place; returns the Kinesis checkpoints.

    The snapshot is the user's own file in their state directory, written by
    this module: unpickling it is as trusted as running the project's code.
    """
    hint = f"start over with `tradewind local --fresh` (it discards {path})"
    try:
        document = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, see docstring
        version, moto_version = document["format_version"], document["moto_version"]
    except Exception as exc:
        raise SnapshotError(f"the snapshot {path} is corrupt ({type(exc).__name__}): {hint}") from exc
    if version != FORMAT_VERSION or moto_version != moto.__version__:
        raise SnapshotError(
            f"the snapshot {path} was written by format {version} / moto {moto_version}, "
            f"this is format {FORMAT_VERSION} / moto {moto.__version__}: {hint}"
        )
    try:
        state = pickle.loads(document["backends"])  # noqa: S301 - our own file, see docstring
        with backend_lock:
            for key, accounts in state.items():
                backend_dict = _find_backend_dict(key)
                for account, regions in accounts.items():
                    account_backends = backend_dict[account]
                    for region, backend in regions.items():
                        dict.__setitem__(account_backends, region, backend)
        return {str(k): str(v) for k, v in document["checkpoints"].items()}
    except Exception as exc:
        raise SnapshotError(f"the snapshot {path} cannot be restored ({type(exc).__name__}: {exc}): {hint}") from exc


class Snapshotter:
    """Saves every `interval_s` in a thread, and once more on `stop()`."""

    def __init__(self, path: Path, interval_s: float, checkpoints: Callable[[], Checkpoints]) -> None:
        self._path = path
        self._interval_s = interval_s
        self._checkpoints = checkpoints
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="snapshotter")

    def start(self) -> None:
        self._thread.start()

    def save_now(self) -> None:
        with self._lock:
            save(self._path, self._checkpoints())

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.save_now()
            except Exception:
                # Keep the previous snapshot and try again next interval.
                logger.exception("snapshot failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.save_now()
