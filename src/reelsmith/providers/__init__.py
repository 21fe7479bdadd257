"""Model providers behind small Protocols, picked by name from the registry."""
