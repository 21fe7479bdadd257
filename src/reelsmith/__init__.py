"""Reelsmith: a self-hostable AI video studio — prompt in, stitched video out."""

__version__ = "0.1.0"
