"""The launcher's `rasa run` accepts every JWT secret tools/stack.py may generate, even one
starting with "-", and takes no token in URLs."""

from __future__ import annotations

import pytest
from rasa.__main__ import create_argument_parser

from rasa_runtime.__main__ import rasa_argv


@pytest.mark.parametrize("token", ["-B6rXyz", "--x", "plain_Token-123"])
def test_rasa_parses_the_token_whatever_it_starts_with(token: str) -> None:
    argv = rasa_argv("models/m.tar.gz", "5005", "127.0.0.1", token, "endpoints.yml",
                     "/tmp/credentials.yml")
    args = create_argument_parser().parse_args(argv[1:])
    assert args.jwt_secret == token and args.jwt_method == "HS256"
    assert args.auth_token is None  # Rasa would read it from the query string
    assert args.enable_api and args.model == "models/m.tar.gz"
