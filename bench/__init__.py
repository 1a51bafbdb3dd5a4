"""`make bench` and `make soak`: simulated residents against a running Balie.

Not part of the shipped package (pyproject's `packages.find`, .dockerignore): `single`
benches one stack over REST, `cluster` the production topology, whose soak profile
passes or fails. Run as `python -m bench [--profile rest|cluster|soak]`.
"""
