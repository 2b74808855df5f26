"""Demo-data seeding hooks: other areas plug their seeders in here.

A seeder is named as "package.module:function" (imported only when it runs,
after the local cloud has set the environment handlers read at import time)
and is called once, on the first start of a fresh state directory, after the
demo users exist. Seeders write through the same adapters the handlers use,
so they need nothing but the settings and the demo users in `SeedContext`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from local.cognito import DemoUser
from tradewind.settings import Settings

logger = logging.getLogger("tradewind.local")


@dataclass(frozen=True)
class SeedContext:
    settings: Settings
    # Keyed by group: "admin", "investor"; `user_id` is the Cognito `sub`.
    users: Mapping[str, DemoUser]


Seeder = Callable[[SeedContext], None]

# Add "module:function" entries here; they run in this order.
SEEDERS: tuple[str, ...] = ("tradewind.marketdata.demo:seed_hook",)


def run_seeders(context: SeedContext, seeders: Sequence[str] = SEEDERS) -> list[str]:
    """Runs each seeder; a failing one is reported and skipped. Returns the failures."""
    failures = []
    for name in seeders:
        module_name, _, function_name = name.partition(":")
        try:
            seeder: Seeder = getattr(importlib.import_module(module_name), function_name)
            seeder(context)
        except Exception:
            logger.exception("seeder %s failed", name)
            failures.append(name)
    return failures
