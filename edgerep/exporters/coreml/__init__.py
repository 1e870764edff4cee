"""The Core ML target: :mod:`.target` (conversion, package reading and :class:`~.target.CoreMLTarget`)."""
