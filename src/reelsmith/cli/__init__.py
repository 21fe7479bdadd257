"""The `reelsmith` command line."""
