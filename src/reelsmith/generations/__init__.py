"""Generations: creating them, reading them back, and their JSON shape."""
