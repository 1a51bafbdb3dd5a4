"""How Balie hands Rasa its API secret (rasa_plugins/server.py)."""

from __future__ import annotations

import pytest
from rasa.__main__ import create_argument_parser

from rasa_plugins.server import with_secret


@pytest.mark.parametrize("secret", ["plain-secret", "-starts-with-a-dash", "--jwt-method"])
def test_rasa_reads_any_secret_as_the_jwt_secret(secret: str) -> None:
    """token_urlsafe makes a secret starting with '-' one time in 64."""
    args = create_argument_parser().parse_args(with_secret(["run", "--enable-api"], secret))
    assert args.jwt_secret == secret and args.jwt_method == "HS256" and args.auth_token is None
