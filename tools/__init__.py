"""Repository tools, not part of the installed edgerep package: the harnesses' golden vectors
(:mod:`tools.conformance`) and the randomized models that tests and benchmarks share
(:mod:`tools.randomize`). Run from the repository root (``python -m tools.conformance``)."""
