"""Residents' personal data in the web app's database: retention purge and forgetting (AVG)."""
