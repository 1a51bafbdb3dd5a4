"""Residents' personal data: masking, retention and forgetting (AVG)."""
