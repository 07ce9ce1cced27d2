"""The cluster fixture: scripts/cluster up with the tests' flows and database, down after."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from ivr.ports import free_tcp_port
from tests.cluster.rig import DB, PG, Cluster, missing_parts
from tests.conftest import ROOT, need

FLOWS = ROOT / "tests" / "cluster" / "flows" / "cluster.yaml"


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The whole cluster, fresh: its own database and a copy of the flows (reload test)."""
    why = missing_parts()
    need(not why, why)
    subprocess.run([sys.executable, "-m", "ivr", "prompts", "build", "--flows", str(FLOWS),
                    "--recordings", str(ROOT / "recordings")], check=True, capture_output=True,
                   cwd=ROOT)
    flows = tmp_path_factory.mktemp("cluster") / "flows.yaml"
    shutil.copy(FLOWS, flows)
    env = {**os.environ, "IVR_CLUSTER_DB": DB, "IVR_CLUSTER_FLOWS": str(flows),
           "IVR_CLUSTER_WEB_PORT": str(free_tcp_port()), "IVR_CLUSTER_PYTHON": sys.executable}
    rig = Cluster(env, flows)
    rig.run("down")
    drop = f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'
    subprocess.run(["psql", f"{PG}/postgres", "-qc", drop], check=True, capture_output=True)
    rig.run("up")
    try:
        yield rig
    finally:
        rig.run("down", check=False)
