"""The call filters supervisors use mean the same on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import fields

import pytest

from ivr.calls.query import (
    CallFilter,
    CallSummary,
    calls_csv,
    defuse_formula,
    filter_params,
    iter_calls,
    parse_filter,
    search_calls,
)
from ivr.calls.store import SqlStore
from tests.calls.seed import DAY1, DAY2, seed


async def _ids(store: SqlStore, flt: CallFilter) -> set[str]:
    return {c.call_id for c in await iter_calls(store, flt)}


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (CallFilter(outcome="abandoned"), {"c6", "c7", "c8"}),
        (CallFilter(outcome="in_progress"), {"c11"}),
        (CallFilter(queue="sales"), {"c3", "c4"}),
        (CallFilter(abandoned_at="pin"), {"c6", "c8"}),
        (CallFilter(caller="999"), {"c5"}),
        (CallFilter(caller="%"), set()),  # a wildcard typed by a user is just a character
        (CallFilter(flow="sales"), {"c11"}),
        (CallFilter(min_ivr_s=50), {"c1", "c8", "c9"}),
        (CallFilter(max_ivr_s=12), {"c7", "c10"}),
        (CallFilter(text="Billing"), {"c7"}),
        (CallFilter(text="please billing"), {"c7"}),
        (CallFilter(text="balance"), {"c1"}),
        (CallFilter(since=DAY2), {"c3"}),
        (CallFilter(since=DAY1, until=DAY1 + dt.timedelta(hours=10), outcome="queue"),
         {"c4", "c5"}),
    ],
)
async def test_each_filter_selects_exactly_its_calls(store: SqlStore, flt: CallFilter,
                                                     expected: set[str]) -> None:
    await seed(store)
    assert await _ids(store, flt) == expected


async def test_pages_are_newest_first_and_count_the_whole_result(store: SqlStore) -> None:
    await seed(store)
    first = await search_calls(store, CallFilter(), page=1, per_page=4)
    second = await search_calls(store, CallFilter(), page=3, per_page=4)
    assert (first.total, first.pages) == (11, 3)
    assert [c.call_id for c in first.calls] == ["c3", "c11", "c10", "c9"]
    assert [c.call_id for c in second.calls] == ["c4", "c2", "c1"]
    assert first.facets["queue"] == ["sales", "support"]
    assert "pin" in first.facets["outcome_node"]
    live = next(c for c in first.calls if c.call_id == "c11")
    assert live.outcome is None
    assert live.where == "main_menu"


async def test_csv_export_has_every_call_and_defuses_formulas(store: SqlStore) -> None:
    await seed(store)
    rows = list(csv.DictReader(io.StringIO(calls_csv(await iter_calls(store, CallFilter())))))
    assert len(rows) == 11
    by_id = {r["call_id"]: r for r in rows}
    assert by_id["c7"]["caller"] == "'=HYPERLINK(1)"
    assert by_id["c4"]["queue"] == "sales"
    assert by_id["c4"]["after_ivr_status"] == "abandoned"
    assert by_id["c1"]["ivr_seconds"] == "60.0"


def test_form_parameters_become_a_filter_and_mistakes_name_the_field() -> None:
    flt = parse_filter({"since": "2026-11-20", "until": "2026-11-20", "outcome": "queue",
                        "min_ivr_s": "5", "caller": "  ", "text": "billing"})
    assert flt.since == DAY1
    assert flt.until == DAY2
    assert (flt.outcome, flt.min_ivr_s, flt.caller, flt.text) == ("queue", 5.0, None,
                                                                  "billing")
    assert parse_filter(filter_params(flt)) == flt
    assert parse_filter({}).is_empty()
    with pytest.raises(ValueError, match="outcome"):
        parse_filter({"outcome": "lost"})
    with pytest.raises(ValueError, match="since"):
        parse_filter({"since": "yesterday"})
    with pytest.raises(ValueError, match="max_ivr_s"):
        parse_filter({"max_ivr_s": "ten"})


@pytest.mark.parametrize(("cell", "written"), [
    ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
    ("+15550100", "'+15550100"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    # Leading whitespace a spreadsheet skips before the formula.
    (" =1+1", "' =1+1"),
    ("   -1", "'   -1"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("\n=1", "'\n=1"),
    ("\u00a0=1", "'\u00a0=1"),          # no-break space
    ("\u2003+1", "'\u2003+1"),          # em space
    ("\u3000@x", "'\u3000@x"),          # ideographic space
    ("\u200b=1", "'\u200b=1"),          # zero-width space
    ("\ufeff=1", "'\ufeff=1"),          # byte-order mark
    (" \u00a0\t\u3000=1", "' \u00a0\t\u3000=1"),
    # Full-width and other compatibility forms of = + - @.
    ("\uff1d1+1", "'\uff1d1+1"),        # ＝
    ("\uff0b1", "'\uff0b1"),            # ＋
    ("\uff0d1", "'\uff0d1"),            # －
    ("\uff20x", "'\uff20x"),            # ＠
    ("\ufe66x", "'\ufe66x"),            # small equals sign
    ("\u3000\uff1d1", "'\u3000\uff1d1"),
    ("\u2212" + "1", "'\u22121"),       # minus sign
    # Ordinary text is left alone.
    ("Alice", "Alice"),
    ("5550100", "5550100"),
    ("1-2", "1-2"),
    ("a=b", "a=b"),
    ("  Bob", "  Bob"),
    ("", ""),
])
def test_a_cell_a_spreadsheet_could_run_is_made_literal(cell: str, written: str) -> None:
    assert defuse_formula(cell) == written
    text = calls_csv([_summary(caller=cell)])
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["caller"] == written


def _summary(caller: str) -> CallSummary:
    when = dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)
    values: dict[str, object] = {f.name: None for f in fields(CallSummary)}
    values.update(call_id="x1", started_at=when, flow="main", caller=caller)
    return CallSummary(**values)  # type: ignore[arg-type]
