"""Residents' feedback on Balie's answers (issue #16): stored masked, once per topic."""
