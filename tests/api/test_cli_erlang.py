"""``shiftmix erlang``: the worked examples, JSON output, Erlang A, and one-line errors naming the flag."""

from __future__ import annotations

import json

import pytest

from api.cli import main

BASE = ["erlang", "--volume", "100", "--interval-minutes", "30", "--aht-s", "180", "--service-level", "0.8"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_text_output_for_the_published_example(capsys):
    code, out, err = run(capsys, *BASE, "--within-s", "20")
    assert code == 0
    assert err == ""
    lines = dict(line.split(None, 1) for line in out.strip().splitlines())
    assert lines["agents"].startswith("14 ")
    assert "Erlang C" in lines["agents"]
    assert lines["service_level"].startswith("0.8884")
    assert lines["asa_s"] == "7.84"
    assert "abandon_rate" not in lines


def test_json_output(capsys):
    args = [
        "erlang",
        "--volume",
        "360",
        "--interval-minutes",
        "30",
        "--aht-s",
        "240",
        "--service-level",
        "0.8",
    ]
    code, out, _ = run(capsys, *args, "--within-s", "15", "--shrinkage", "0.3", "--json")
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"agents", "required", "service_level", "asa_s", "occupancy"}
    assert result["agents"] == 55
    assert result["required"] == 79
    assert round(result["service_level"], 4) == 0.8459
    assert round(result["asa_s"], 2) == 8.18
    assert result["occupancy"] == pytest.approx(48 / 55)


def test_patience_switches_to_erlang_a_and_reports_abandonment(capsys):
    code, out, _ = run(capsys, *BASE, "--within-s", "20", "--patience-s", "60", "--json")
    result = json.loads(out)
    assert code == 0
    assert 0 < result["abandon_rate"] < 0.2
    assert result["agents"] <= 14
    assert result["service_level"] >= 0.8


def test_occupancy_cap_and_concurrency_flags(capsys):
    _, out, _ = run(capsys, *BASE, "--within-s", "20", "--max-occupancy", "0.6", "--json")
    assert json.loads(out)["agents"] == 17  # ceil(10 / 0.6)
    _, out, _ = run(capsys, *BASE, "--within-s", "20", "--concurrency", "3", "--json")
    assert json.loads(out)["agents"] < 14


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--aht-s", "0"),
        ("--volume", "-5"),
        ("--interval-minutes", "20"),
        ("--service-level", "1.5"),
        ("--within-s", "-1"),
        ("--patience-s", "0"),
        ("--concurrency", "0"),
        ("--max-occupancy", "1.5"),
        ("--shrinkage", "1"),
    ],
)
def test_bad_values_exit_2_with_one_line_naming_the_flag(capsys, flag, value):
    args = {
        "--volume": "100",
        "--interval-minutes": "30",
        "--aht-s": "180",
        "--service-level": "0.8",
        "--within-s": "20",
    } | {flag: value}
    code, out, err = run(capsys, "erlang", *[x for pair in args.items() for x in pair])
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"shiftmix: error: {flag}: ")
