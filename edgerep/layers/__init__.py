"""Building blocks, one concept per file; the fusion math is in :mod:`edgerep.layers.fusion`."""

from .base import LayerScale, Reparameterizable, conv_like, linear_like
from .conv_norm import ConvNorm
from .mobileone import MobileOneBlock
from .squeeze_excite import SqueezeExcite

__all__ = [
    "ConvNorm", "LayerScale", "MobileOneBlock", "Reparameterizable", "SqueezeExcite",
    "conv_like", "linear_like",
]
