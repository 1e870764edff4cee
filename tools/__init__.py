"""Repository tools, not part of the installed edgerep package: the harnesses' golden vectors
(:mod:`tools.conformance`). Run from the repository root (``python -m tools.conformance``)."""
