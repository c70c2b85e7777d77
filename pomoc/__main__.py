"""`python -m pomoc` is the `pomoc` command."""

from pomoc.cli import main

main()
