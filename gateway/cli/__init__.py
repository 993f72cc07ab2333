"""The `gateway` command: one module per subcommand, wired in `main.py`."""

from gateway.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
