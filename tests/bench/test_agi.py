"""``ivr bench agi``: which service configurations a run measures."""

from __future__ import annotations

import argparse

from ivr.bench.agi import add_arguments, variants


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_the_breakdown_runs_the_deployment_without_each_part() -> None:
    runs = dict(variants(_args("--store", "sqlite:///x.db", "--ami", "127.0.0.1:5038",
                               "--breakdown")))
    assert list(runs) == ["ours", "no commit wait", "no AMI", "no store", "neither"]
    assert (runs["ours"]["store"], runs["ours"]["ami"]) == ("sqlite:///x.db", "127.0.0.1:5038")
    assert runs["no commit wait"]["commit_wait_s"] == 0
    assert (runs["no AMI"]["store"], runs["no AMI"]["ami"]) == ("sqlite:///x.db", None)
    assert (runs["no store"]["store"], runs["no store"]["ami"]) == (None, "127.0.0.1:5038")
    assert (runs["neither"]["store"], runs["neither"]["ami"]) == (None, None)


def test_without_store_or_ami_only_the_service_itself_is_run() -> None:
    assert [head for head, _ in variants(_args("--breakdown"))] == ["ours"]
    assert [head for head, _ in variants(_args("--ami", "h:1", "--breakdown"))] == [
        "ours", "neither"]
