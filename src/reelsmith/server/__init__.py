"""The HTTP server: the app factory, and what the API, the feed and the web pages share.

`app` is the only module here (and the only one anywhere) that imports the routers; the rest —
request dependencies, error rendering, asset streaming — is used by the routers and imports none.
"""
