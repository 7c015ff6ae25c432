"""`python -m codegen` is the `codegen` command."""

from .cli import main

main()
