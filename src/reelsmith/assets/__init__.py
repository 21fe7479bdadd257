"""Stored files as users see them: who may read an asset."""
