"""`python -m reelsmith` runs the command line."""

from reelsmith.cli.app import main

main()
