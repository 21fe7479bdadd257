"""Publishing, the public feed, likes and share links."""
