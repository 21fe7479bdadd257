"""API routers, one per domain."""
