"""The replay page: admins only, CSRF-checked, files by listed name or upload, exact figures."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.replay.calls import SHIPPED, swap_3_and_4
from tests.web.conftest import Dashboard
from tests.web.replay_seed import PERIOD, SWAPPED, seed_replay

Client = TestClient[web.Request, web.Application]


def _form(csrf: str, **fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in {"csrf_token": csrf, **PERIOD, **fields}.items():
        form.add_field(name, value)
    return form


def _upload(csrf: str, text: str, name: str = "new.yaml") -> aiohttp.FormData:
    form = _form(csrf)
    form.add_field("upload", text.encode(), filename=name, content_type="application/x-yaml")
    return form


def _cells(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-cell="([^"]+)">(\d*)<', html))


async def test_only_admins_see_and_run_it(dashboard: Dashboard, tmp_path: Path,
                                          supervisor: tuple[Client, str],
                                          admin: tuple[Client, str]) -> None:
    await seed_replay(dashboard, tmp_path)
    sup, sup_csrf = supervisor
    assert (await sup.get("/replay")).status == 403
    assert (await sup.post("/replay", data=_form(sup_csrf, file=SWAPPED))).status == 403
    assert 'href="/replay"' not in await (await sup.get("/calls")).text()
    client, _csrf = admin
    page = await client.get("/replay")
    assert page.status == 200
    html = await page.text()
    assert 'href="/replay"' in html
    assert re.findall(r"<option[^>]*>([^<]+)</option>", html) == ["flows.yaml", SWAPPED]
    # Without the session's CSRF token the form is refused before anything runs.
    assert (await client.post("/replay", data=_form("forged", file=SWAPPED))).status == 400


async def test_a_listed_file_replays_the_period_with_exact_figures(
        dashboard: Dashboard, tmp_path: Path, admin: tuple[Client, str]) -> None:
    await seed_replay(dashboard, tmp_path)
    client, csrf = admin
    page = await client.post("/replay", data=_form(csrf, file=SWAPPED))
    html = await page.text()
    assert page.status == 200, html
    counts = dict(re.findall(r'data-count="([^"]+)">(\d+)<', html))
    assert counts == {"same": "14", "rerouted": "0", "changed": "4", "not_replayable": "4"}
    assert "22 calls from 2026-11-23 to 2026-11-24 through swapped.yaml" in html
    cells = _cells(html)
    assert cells["self_service → queue billing"] == "2"
    assert cells["abandoned at ask_pin → queue billing"] == "2"
    assert cells["queue billing → not replayable"] == "4"
    assert cells["queue sales → queue sales"] == "4"
    assert sum(int(v or 0) for v in cells.values()) == 22
    assert re.search(r'data-divergence="main_menu">8<', html)
    rows = re.findall(r'<tr data-call="([^"]+)">', html)
    assert sorted(rows) == sorted(f"{n}-{i}" for n in ("balance", "pin_then_hangup", "billing",
                                                       "spanish_billing") for i in range(2))
    assert '<a href="/calls/balance-0">balance-0</a>' in html
    assert "not replayable from ask_account: the new flow asks for input here" in html
    assert "+1555" not in html  # caller numbers are not shown, as on the call list


async def test_the_deployed_file_itself_changes_nothing(
        dashboard: Dashboard, tmp_path: Path, admin: tuple[Client, str]) -> None:
    await seed_replay(dashboard, tmp_path)
    client, csrf = admin
    html = await (await client.post("/replay", data=_form(csrf, file="flows.yaml"))).text()
    counts = dict(re.findall(r'data-count="([^"]+)">(\d+)<', html))
    assert counts == {"same": "22", "rerouted": "0", "changed": "0", "not_replayable": "0"}
    assert 'id="replayed-calls"' not in html


async def test_an_upload_replays_like_the_same_file_on_the_server(
        dashboard: Dashboard, tmp_path: Path, admin: tuple[Client, str]) -> None:
    await seed_replay(dashboard, tmp_path)
    client, csrf = admin
    text = swap_3_and_4(SHIPPED.read_text(encoding="utf-8"))  # includes flows/common.yaml
    page = await client.post("/replay", data=_upload(csrf, text))
    html = await page.text()
    assert page.status == 200, html
    assert "through the uploaded file new.yaml" in html
    assert _cells(html)["self_service → queue billing"] == "2"


async def test_no_path_outside_the_offered_files_is_read(
        dashboard: Dashboard, tmp_path: Path, admin: tuple[Client, str]) -> None:
    folder = tmp_path / "deployed"
    folder.mkdir()
    await seed_replay(dashboard, folder)
    (tmp_path / "outside.yaml").write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    client, csrf = admin
    for name in ("../outside.yaml", str(tmp_path / "outside.yaml"), "flows/common.yaml",
                 "/etc/passwd", ""):
        page = await client.post("/replay", data=_form(csrf, file=name))
        assert page.status == 400, name
        assert "choose one of the files listed" in await page.text()
    for include in ("../outside.yaml", str(tmp_path / "outside.yaml"), "/etc/passwd",
                    "flows/../../outside.yaml"):
        text = f"version: 1\ninclude: [{include!r}]\nflows: {{}}\n"
        page = await client.post("/replay", data=_upload(csrf, text))
        html = await page.text()
        assert page.status == 400, include
        assert "may include only files in the deployed flows folder" in html
        assert "root:" not in html


async def test_a_file_with_errors_is_refused_with_its_problems(
        dashboard: Dashboard, tmp_path: Path, admin: tuple[Client, str]) -> None:
    await seed_replay(dashboard, tmp_path)
    client, csrf = admin
    broken = SHIPPED.read_text(encoding="utf-8").replace("next: billing_queue",
                                                         "next: nowhere_at_all")
    page = await client.post("/replay", data=_upload(csrf, broken))
    html = await page.text()
    assert page.status == 400
    assert "the flows file has errors; nothing replayed" in html
    assert "nowhere_at_all" in html
    bad_period = await client.post("/replay", data=_form(csrf, file=SWAPPED,
                                                         since="2026-11-24", until="2026-11-01"))
    assert bad_period.status == 400
    assert "ends before it starts" in await bad_period.text()
