"""`make bench` and `make soak`, cheaply, so they cannot rot.

The cluster profile: three residents for a few seconds against the test suite's
single-process stack (the cluster itself is started by tests/test_cluster.py): every kind
of conversation happens, nothing fails, every case number told is in the case system,
and the report prints percentiles and memory. The comparison with stock Rasa: its
measures against the same stack and the table they make (no stock bot: it would need a
training).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from yarl import URL

from bench import cluster
from bench.cluster import MemorySampler, Series, Target


@pytest.mark.stack
@pytest.mark.asyncio(loop_scope="session")
async def test_residents_hold_every_kind_of_conversation(stack) -> None:
    target = Target(
        f"{stack.rasa_url}/webhooks/rest/webhook", f"{stack.web_url}/api/v1", stack.api_token()
    )
    ports = {
        "rasa": URL(stack.rasa_url).port,
        "actions": stack.action_port,
        "web": stack.web_port,
    }
    since = datetime.now(timezone.utc)
    sampler = MemorySampler(cluster.ports_resolver(ports), interval=1.0)
    with sampler:
        load = await cluster.simulate(target, users=3, duration=10, think=0.2, seed=7)
    await asyncio.sleep(1)
    cases = await cluster.check_cases(target, load.told, since)

    assert load.error_count == 0, load.examples
    assert all(load.conversations[kind] for kind in cluster.MIX), load.conversations
    assert load.turns["melding-confirm"] and load.turns["status"]
    assert cases.told >= 2 and cases.found == cases.told
    assert cases.lost == [] and cases.unannounced == [] and cases.duplicates == []

    text = cluster.report_load(load, cases)
    print(text)
    assert "p50 ms" in text and "p95 ms" in text and "p99 ms" in text
    assert f"{cases.told} numbers told" in text and "0 lost, 0 unannounced" in text
    assert set(sampler.series) == {"rasa", "actions", "web"}
    memory = cluster.report_memory(sampler)
    assert "rasa" in memory and "peak MiB" in memory
    assert sampler.series["rasa"].rss[-1] > 100 * cluster.MiB


def test_flat_memory_rule() -> None:
    """Second fifth against the last fifth: 10% + 30 MiB of growth is allowed."""
    mib = cluster.MiB
    times = [float(t) for t in range(0, 601, 15)]
    steady = Series(times=times, rss=[500 * mib + (t > 60) * 40 * mib for t in times])
    assert cluster.flat_memory(steady)[0]  # warm-up growth is not judged
    leaking = Series(times=times, rss=[int(500 * mib + t * 0.3 * mib) for t in times])
    flat, baseline, final, limit = cluster.flat_memory(leaking)
    assert not flat and final > limit > baseline
    assert not cluster.flat_memory(Series(times=[0.0], rss=[1]))[0]


def test_soak_verdict() -> None:
    """Any error, lost case or growing process fails the soak; machine services do not."""
    mib = cluster.MiB
    times = [float(t) for t in range(0, 121, 5)]

    def run(errors: int = 0, lost: tuple[str, ...] = (), leak: float = 0.0) -> cluster.Run:
        sampler = MemorySampler(lambda: {}, interval=5)
        sampler.series = {
            "rasa-1": Series(times=times, rss=[int(700 * mib + leak * t * mib) for t in times]),
            "postgresql": Series(shared=True, times=times, rss=[int(t * 9 * mib) for t in times]),
        }
        load = cluster.Load()
        load.errors["timeout"] = errors
        cases = cluster.CaseCheck(3, 3 - len(lost), list(lost), [], [])
        return cluster.Run(2, load, cases, sampler, 50.0)

    passed, text = cluster.soak_verdict(run())
    assert passed and "Soak PASSED" in text and "not judged" in text
    assert not cluster.soak_verdict(run(errors=1))[0]
    passed, text = cluster.soak_verdict(run(lost=("M-2026-000001",)))
    assert not passed and "FAILED (lost cases)" in text
    passed, text = cluster.soak_verdict(run(leak=2.0))
    assert not passed and "GROWING" in text and "flat memory" in text


# ---------------------------------------------------------------- against stock Rasa


@pytest.mark.stack
@pytest.mark.asyncio(loop_scope="session")
async def test_comparison_measures_run_against_the_stack(stack) -> None:
    """The measures of the default profile, cheaply, on the test stack: concurrent FAQ
    turns, the long conversation, the melding form's steps; and the table they make. No
    stock bot here (that would be a training), no timing asserted."""
    import argparse

    from bench import compare, long
    from bench.form import form_cost
    from bench.load import faq_load

    rest = f"{stack.rasa_url}/webhooks/rest/webhook"
    faq = cluster.faq_questions()
    many = await faq_load(rest, faq, users=2, duration=3)
    assert many.errors == 0 and many.latencies and many.throughput > 0
    curve = await long.curve(rest, faq, turns=8)
    assert curve.errors == 0 and len(curve.latencies) == 8
    assert long.points(8) == (5, 8) and curve.ratio(long.points(8)) > 0
    target = Target(rest, f"{stack.web_url}/api/v1", stack.api_token())
    form = await form_cost(target, rounds=1)
    assert form.errors == 0, form.examples
    assert form.faq and len(form.steps) >= 4 and form.ratio > 0

    args = argparse.Namespace(users=2, turns=8)
    balie = compare.Measured("Balie sqlite", many, many, curve, 700 * cluster.MiB, form)
    stock = compare.Measured(compare.STOCK, many, many, curve, 1000 * cluster.MiB)
    text = compare.report([stock, balie], args)
    print(text)
    lines = {line.split("  ")[0]: line for line in text.splitlines()}
    assert "goal" in lines[""] and "×stock" in lines[""]
    assert "≥1.0× stock: met" in lines["2 residents: turns/s"]
    assert (
        "1.00" in lines["2 residents: p95 ms"]
        and "≤1.2× stock: met" in lines["2 residents: p95 ms"]
    )
    assert "0.70" in lines["Rasa peak RSS MiB"] and "met" in lines["Rasa peak RSS MiB"]
    assert "long: turn 8 / turn 5" in text and "melding step / FAQ turn" in text


def test_stock_bot_project_is_fingerprinted(tmp_path) -> None:
    """A changed training file means a new stock model; the turns are its NLU examples."""
    from bench import stock

    (tmp_path / "data").mkdir()
    (tmp_path / "config.yml").write_text("recipe: default.v1\n")
    (tmp_path / "domain.yml").write_text("version: '3.1'\n")
    nlu = tmp_path / "data" / "nlu.yml"
    nlu.write_text("nlu:\n- intent: greet\n  examples: |\n    - hey\n    - hello there\n")
    before = stock.fingerprint(tmp_path)
    assert stock.fingerprint(tmp_path) == before
    assert stock.turns(tmp_path) == ["hey", "hello there"]
    nlu.write_text(nlu.read_text() + "    - hi\n")
    assert stock.fingerprint(tmp_path) != before


def test_the_table_judges_the_live_hand_off_on_its_own_figure() -> None:
    """The hand-off latency (bench/live.py) is Balie's alone: an absolute p95 and its goal,
    no ratio to stock; a Balie run without it shows a dash."""
    import argparse

    from bench import compare, live, long
    from bench.load import Turns

    turns = Turns(latencies=[0.02] * 20, elapsed=1.0)
    curve = long.Curve([0.02] * 8)
    args = argparse.Namespace(users=2, turns=8)
    fast = live.Handoff(latencies=[0.001 * i for i in range(1, 101)])  # p95 95 ms
    slow = live.Handoff(latencies=[0.6] * 10, errors=1, examples=["x"])
    stock = compare.Measured(compare.STOCK, turns, turns, curve, 0)
    runs = [
        stock,
        compare.Measured("Balie sqlite", turns, turns, curve, 0, None, fast),
        compare.Measured("Balie postgresql", turns, turns, curve, 0, None, slow),
    ]
    lines = {line.split("  ")[0]: line for line in compare.report(runs, args).splitlines()}
    p95 = lines["live hand-off p95 ms"]
    assert p95.split()[4:9] == ["-", "95", "-", "600", "-"]  # stock has no live chat
    assert "≤500 ms: met/MISSED" in p95
    assert lines["live hand-off p50 ms"].split()[4:6] == ["-", "51"]
    assert "100 messages, 0 errors: p50 51 ms, p95 95 ms" in live.report(fast)
    assert live.report(slow).endswith("MISSED") and live.report(live.Handoff()).endswith("MISSED")
