"""Property-based fuzzing of the Case API from its own OpenAPI document (schemathesis).

The real web app runs on loopback with a token, on SQLite and PostgreSQL; schemathesis
(its own venv, .venv-fuzz, made by `make fuzz-env`) generates valid and invalid
requests for every operation in `/api/v1/openapi.json`, with and without the token,
and fails on any 5xx and on any answer the document does not describe.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from core import ROOT
from tests.action_server import running as running_action_server
from tests.webapp import TOKEN, serve

SCHEMATHESIS = ROOT / ".venv-fuzz" / "bin" / "st"
# Enough to find what a parser lets through, bounded so a run takes about a minute.
EXAMPLES = os.environ.get("BALIE_FUZZ_EXAMPLES", "25")
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
]


async def test_case_api_survives_fuzzing_from_its_openapi_document(db_url, tmp_path) -> None:
    if not SCHEMATHESIS.exists():
        pytest.fail("schemathesis is missing: run `make fuzz-env` (make test does)")
    # The real action server: forgetting a resident also forgets their outbox entries.
    with running_action_server(tmp_path / "actions") as actions:
        await _fuzz(db_url, tmp_path, actions.web_settings())


async def _fuzz(db_url: str, tmp_path, fields: dict[str, str]) -> None:
    async with serve(db_url, tmp_path, **fields) as (_, settings):
        fuzz = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS),
            "run",
            f"{settings.web_url}/api/v1/openapi.json",
            "--url",
            f"{settings.web_url}/api/v1",
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            EXAMPLES,
            "--seed",
            "12",
            "--workers",
            "2",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--suppress-health-check",
            "all",  # generation speed and filtering: not the API's business
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await fuzz.communicate()
    report = output.decode(errors="replace")
    assert fuzz.returncode == 0, report[-12000:]
