"""Accounts: users, passwords, sessions and API keys, the token ledger and rate limits."""
