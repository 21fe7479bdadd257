"""The web studio: server-rendered pages with small vanilla JS, served from the package."""
