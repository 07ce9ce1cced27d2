"""A config for running ``ivr demo`` in a temporary folder against the checkout's flows."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT


def demo_config(folder: Path, store: Path) -> Path:
    """Write ``ivr.toml`` in *folder*: the example flows, cached prompt audio, *store*."""
    config = folder / "ivr.toml"
    config.write_text(f'recordings_dir = "{ROOT / "recordings"}"\n'
                      f'[flows]\npath = "{ROOT / "flows.yaml"}"\n'
                      f'[store]\nurl = "sqlite:///{store}"\n')
    return config
