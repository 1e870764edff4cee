"""The numeric precision of an export, as a type that knows its properties.

A :class:`Precision` is parsed once where a value enters edgerep (the command lines, ``edgerep.export``,
``edgerep.bench.benchmark``, the TFLite converter's own API); past that point code asks the value what
it is (``is_float16``, ``is_integer``, its verification bound) instead of comparing strings. It is a
``str`` whose text is the name users type (``"fp32"``, ``"fp16"``, ``"int8"``), so the JSON written
into artifacts, sidecars and reports is the same text as before, and it prints as that text.

Light (standard library only): the CLI imports it without torch.
"""

from __future__ import annotations

from enum import Enum
from typing import Iterable


class Precision(str, Enum):
    """fp32, fp16 or int8: what the artifact's weights and arithmetic are, and how it is verified."""

    FP32 = "fp32"
    FP16 = "fp16"
    INT8 = "int8"

    # Printed and formatted as the name users type, in Python 3.10 to 3.13 alike (a str-mixin Enum
    # formats as "Precision.FP32" from 3.12 on); repr too, so error messages quote 'fp32' as before.
    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __repr__(self) -> str:
        return repr(self.value)

    @property
    def is_float16(self) -> bool:
        """float16 weights and arithmetic (a target may add others: Core ML's int8 computes in fp16)."""
        return self is Precision.FP16

    @property
    def is_integer(self) -> bool:
        """Integer (int8) weights or arithmetic: calibrated, judged by drift rather than error."""
        return self is Precision.INT8

    @property
    def bound(self) -> tuple[str, float]:
        """The verification's pass criterion against torch on random inputs: (metric, bound). fp32
        must reproduce torch; fp16 and int8 change the numbers by design, so they pass on a bound that
        still catches a broken conversion."""
        return _BOUNDS[self]

    @classmethod
    def parse(cls, value: object, allowed: Iterable[Precision | str] | None = None, who: str = "") -> Precision:
        """``value`` as a Precision; ValueError naming what is allowed (``who``: the target that
        narrows ``allowed``)."""
        allowed = tuple(cls) if allowed is None else tuple(allowed)
        if isinstance(value, str) and value in allowed:
            return cls(value)
        raise ValueError(f"precision {value!r} is not supported{' by ' + who if who else ''}; "
                         f"allowed: {', '.join(allowed)}")


_BOUNDS: dict[Precision, tuple[str, float]] = {
    Precision.FP32: ("rel_error", 1e-4),
    Precision.FP16: ("rel_error", 1e-2),
    Precision.INT8: ("cosine", 0.99),
}

PRECISIONS: tuple[Precision, ...] = tuple(Precision)
