"""The cluster profile of `make bench` and `make soak`, cheaply, so it cannot rot.

Three residents for a few seconds against the test suite's single-process stack (the
cluster itself is started by tests/test_cluster.py): every kind of conversation
happens, nothing fails, every case number told is in the case system, and the report
prints percentiles and memory.
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
