"""`python -m bench.insight [--events N]`: the Overzicht page's queries over N synthetic
Rasa events (default 1 million) in a fresh PostgreSQL database; fails above 2 s.

The database comes from BALIE_TEST_POSTGRES_URL (as the tests use it) and is dropped
afterwards. Events are made by generate_series inside PostgreSQL, so filling takes
seconds rather than a million round trips.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import sqlalchemy as sa

from core.db import create_engine, sync_url
from tests.databases import postgres_database
from webapp.staff.insight import DAY, Insight, Period
from webapp.staff.insight_groups import group, texts_of
from webapp.staff.tracker import EVENTS

LIMIT_SECONDS = 2.0
SPAN_DAYS = 90
# One user event in three; one in eight of those unanswered; FAQ topics among the rest.
FILL = """
INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)
SELECT 'tg-' || (i / 12),
       CASE WHEN i % 3 = 0 THEN 'user' ELSE 'action' END,
       :start + (i::float8 / :n) * :span,
       CASE WHEN i % 3 <> 0 THEN NULL
            WHEN i % 24 = 0 THEN 'nlu_fallback'
            WHEN i % 9 = 0 THEN 'faq' ELSE 'groeten' END,
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'action_listen' END,
       CASE WHEN i % 3 <> 0 THEN '{"event": "action", "name": "action_listen"}'
            WHEN i % 24 = 0 THEN '{"event": "user", "text": "vraag nummer ' || (i % 500)
                 || ' over iets", "input_channel": "telegram", "parse_data": {}}'
            ELSE '{"event": "user", "text": "hoi", "input_channel": "'
                 || CASE WHEN i % 2 = 0 THEN 'telegram' ELSE 'balie_web' END
                 || '", "parse_data": {"response_selector": {"faq": {"response": '
                 || '{"intent_response_key": "faq/onderwerp' || (i % 7) || '"}}}}}' END
FROM generate_series(1, :n) AS i
"""


async def measure(url: str, period: Period) -> float:
    engine = create_engine(url)
    insight = Insight(engine, engine)
    try:
        began = time.perf_counter()
        await insight.overview(period)
        group(texts_of(await insight.unanswered(period)))
        return time.perf_counter() - began
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.insight")
    p.add_argument("--events", type=int, default=1_000_000)
    args = p.parse_args(argv)
    end = (int(time.time()) // DAY + 1) * DAY
    start = end - SPAN_DAYS * DAY
    with postgres_database() as url:
        engine = sa.create_engine(sync_url(url))
        EVENTS.metadata.create_all(engine)
        began = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(sa.text(FILL), {"start": start, "n": args.events, "span": end - start})
            conn.execute(sa.text("ANALYZE events"))
        engine.dispose()
        print(f"filled {args.events} events in {time.perf_counter() - began:.1f} s")
        worst = 0.0
        for name, period in [
            ("28 dagen, per dag", Period(end - 28 * DAY, end)),
            ("90 dagen, per week", Period(start, end, "week")),
            ("90 dagen, telegram", Period(start, end, "dag", "telegram")),
        ]:
            asyncio.run(measure(url, period))  # warm the cache once
            seconds = asyncio.run(measure(url, period))
            worst = max(worst, seconds)
            print(f"{name}: {seconds:.2f} s")
    ok = worst < LIMIT_SECONDS
    print(f"{'ok' if ok else 'TOO SLOW'}: worst {worst:.2f} s (limit {LIMIT_SECONDS} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
