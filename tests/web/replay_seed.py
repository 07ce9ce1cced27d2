"""A dashboard set up for the replay page: its deployed flows in a folder with a changed copy."""

from __future__ import annotations

from pathlib import Path

from ivr.web.app_keys import FLOWS
from tests.replay.calls import SHIPPED, changed, records, shipped, swap_3_and_4
from tests.web.conftest import Dashboard

#: The engine-made calls of tests.replay.calls start on 23 November 2026 (UTC).
PERIOD = {"since": "2026-11-23", "until": "2026-11-24"}
SWAPPED = "swapped.yaml"


async def seed_replay(dashboard: Dashboard, folder: Path, copies: int = 2) -> None:
    """Deploy the shipped flows from *folder* (beside a key 3 ↔ 4 copy); store the calls."""
    changed(folder, lambda text: text)
    (folder / SWAPPED).write_text(swap_3_and_4(SHIPPED.read_text(encoding="utf-8")),
                                  encoding="utf-8")
    # The deployed file's folder is what the page lists; the app object itself stays as made.
    dashboard.app[FLOWS].path = folder / "flows.yaml"
    for record in records(shipped(), copies=copies):
        await dashboard.store.finish(record)
    await dashboard.store.flush()
