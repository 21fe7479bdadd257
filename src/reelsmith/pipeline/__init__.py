"""Pipelines: the steps of each mode, the runner that checkpoints them, and the scene join."""
