"""Model families, one file each; a family registers its variants when imported (the registry imports them lazily).

Every family file reads the same way, top-down: its blocks; the model class; a frozen
``<Family>Config`` dataclass holding one variant's architecture and its ``Published`` figures;
``CONFIGS: dict[str, <Family>Config]``; ``_build(name, *, inference_mode, num_classes)`` and
``_spec(name)``; the loop that registers every name in ``CONFIGS``; then the foreign checkpoint
layouts, one public ``from_<layout>(state_dict)`` converter each, handed to ``register_layouts``.
"""
