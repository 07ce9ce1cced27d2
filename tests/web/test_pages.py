"""What supervisors see: filtered calls, a call's journey and recording, metrics, flows."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient

from ivr.web.app_keys import FLOWS
from ivr.web.deployed import DeployedFlows
from tests.conftest import ROOT
from tests.web.conftest import Dashboard

Client = TestClient[web.Request, web.Application]


def _call_links(html: str) -> list[str]:
    return re.findall(r'href="/calls/([^"/]+)"', html)


async def test_the_list_filters_by_every_field_the_form_offers(
        supervisor: tuple[Client, str]) -> None:
    client, _ = supervisor
    cases = {
        "": 11,
        "outcome=abandoned": 3,
        "abandoned_at=pin": 2,
        "queue=sales": 2,
        "caller=999": 1,
        "since=2026-11-21": 1,
        "since=2026-11-20&until=2026-11-20": 10,
        "min_ivr_s=50": 3,
        "text=billing": 1,
        "flow=sales": 1,
    }
    for query, expected in cases.items():
        page = await client.get(f"/calls?{query}")
        assert page.status == 200
        assert len(_call_links(await page.text())) == expected, query


async def test_a_bad_filter_is_explained_not_fatal(supervisor: tuple[Client, str]) -> None:
    client, _ = supervisor
    page = await client.get("/calls?min_ivr_s=ten")
    assert page.status == 400  # the page (form and message) still shows
    html = await page.text()
    assert "min_ivr_s: &#39;ten&#39; is not a number of seconds" in html
    assert 'name="min_ivr_s"' in html


async def test_pages_and_csv_export_follow_the_filter(supervisor: tuple[Client, str]) -> None:
    client, _ = supervisor
    html = await (await client.get("/calls?outcome=queue")).text()
    assert 'href="/calls.csv?outcome=queue"' in html
    exported = await client.get("/calls.csv?outcome=queue")
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(await exported.text())))
    assert sorted(r["call_id"] for r in rows) == ["c3", "c4", "c5"]


async def test_a_call_shows_its_journey_transcript_audio_and_path(
        supervisor: tuple[Client, str]) -> None:
    client, _ = supervisor
    html = await (await client.get("/calls/c6")).text()
    assert "said &#34;uh what&#34; (80% sure), which matched nothing" in html
    assert "no match" in html
    assert 'src="/calls/c6/diagram.svg"' in html
    assert "<audio" not in html  # c6 left no message
    voicemail = await (await client.get("/calls/c9")).text()
    assert '<audio id="recording" controls preload="metadata" src="/calls/c9/recording.wav">' \
        in voicemail
    audio = await client.get("/calls/c9/recording.wav")
    body = await audio.read()
    assert audio.headers["Content-Type"] == "audio/wav"
    assert body[:4] == b"RIFF"
    assert body[8:12] == b"WAVE"
    part = await client.get("/calls/c9/recording.wav", headers={"Range": "bytes=0-99"})
    assert part.status == 206
    assert len(await part.read()) == 100
    diagram = await client.get("/calls/c9/diagram.svg")
    svg = await diagram.text()
    assert svg.startswith("<?xml")
    assert "after_hours" in svg


async def test_a_stored_recording_name_cannot_reach_outside_recordings(
        dashboard: Dashboard, supervisor: tuple[Client, str], tmp_path: Path) -> None:
    client, _ = supervisor
    secret = tmp_path / "secret.wav"
    shutil.copy(dashboard.config.recordings_dir / "voicemail" / "c9-after_hours.wav", secret)
    record = await dashboard.store.get("c8")
    assert record is not None
    record.recording = "../secret.wav"
    await dashboard.store.finish(record)
    await dashboard.store.flush()
    assert (await client.get("/calls/c8/recording.wav")).status == 404
    assert "<audio" not in await (await client.get("/calls/c8")).text()
    assert (await client.get("/calls/no-such-call")).status == 404


async def test_the_metrics_page_shows_the_figures_of_the_period(
        supervisor: tuple[Client, str]) -> None:
    client, _ = supervisor
    html = await (await client.get("/metrics?since=2026-11-20&until=2026-11-21")).text()
    kpis = dict(re.findall(
        r'id="kpi-(\w+)"><span class="value">([^<]+)</span>', html))
    assert kpis == {"containment": "20.0%", "abandonment": "30.0%", "csat": "4.00"}
    assert "<svg" in html
    assert "pin" in html  # drop-off chart names the node
    one_day = await (await client.get("/metrics?since=2026-11-21&until=2026-11-21")).text()
    assert re.search(r'id="kpi-containment"><span class="value">0.0%', one_day)
    bad = await client.get("/metrics?since=soon")
    assert bad.status == 400
    assert "is not a date (YYYY-MM-DD); showing the last 7 days" in await bad.text()


def _charts(html: str) -> dict[str, str]:
    """Each chart's SVG (or empty-state text) by its caption."""
    return dict(re.findall(r'<figcaption>([^<]+)</figcaption>(.*?)</figure>', html, re.S))


async def test_the_metrics_charts_draw_the_seeded_calls(
        supervisor: tuple[Client, str]) -> None:
    client, _ = supervisor
    html = await (await client.get("/metrics?since=2026-11-20&until=2026-11-21")).text()
    charts = _charts(html)
    per_hour = charts["Calls per hour of day"]
    assert per_hour.count('<rect class="bar"') == 24
    hours = dict(re.findall(r"<title>(\d\d): (\d+)</title>", per_hour))
    assert {h: n for h, n in hours.items() if n != "0"} == {"09": "5", "10": "5", "11": "1"}
    dropoff = charts["Where callers give up (abandoned, by node)"]
    assert re.findall(r"<title>([^<]+)</title>", dropoff) == ["pin: 2", "main_menu: 1"]
    assert '<polyline class="trend"' in charts["CSAT trend (daily average)"]
    # Scores of a single day are one point: a marker shows it, not an invisible line.
    one_day = _charts(await (await client.get("/metrics?since=2026-11-20&until=2026-11-20"))
                      .text())["CSAT trend (daily average)"]
    assert one_day.count('<circle class="dot"') == 1
    empty = _charts(await (await client.get("/metrics?since=2025-01-01&until=2025-01-02")).text())
    assert "Nobody gave up in this period" in empty["Where callers give up (abandoned, by node)"]
    assert "<svg" not in empty["CSAT trend (daily average)"]


async def test_the_flows_page_shows_validation_status_and_diagrams(
        dashboard: Dashboard, supervisor: tuple[Client, str], tmp_path: Path) -> None:
    client, _ = supervisor
    html = await (await client.get("/flows")).text()
    assert "✓ Valid" in html
    assert 'src="/flows/main/diagram.svg"' in html
    assert (await client.get("/flows/main/diagram.svg")).status == 200
    broken = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", broken / "flows")
    text = (ROOT / "flows.yaml").read_text().replace("type: menu", "type: menuu", 1)
    (broken / "flows.yaml").write_text(text)
    dashboard.app[FLOWS].path = broken / "flows.yaml"
    assert isinstance(dashboard.app[FLOWS], DeployedFlows)
    html = await (await client.get("/flows")).text()
    assert "✗ The file has 1 error(s)" in html
    assert re.search(r"flows\.yaml:\d+:\d+</span> unknown node type &#39;menuu&#39;", html)
    assert "did you mean &#39;menu&#39;?" in html
