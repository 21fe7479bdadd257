"""`python -m reelsmith` runs the command line."""

from reelsmith.cli.launch import main

main()
