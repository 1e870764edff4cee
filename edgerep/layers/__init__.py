"""Building blocks, one concept per file, re-exported here once.

The fusion math is in :mod:`edgerep.layers.fusion`; every block with a training and a fused form
subclasses :class:`Reparameterizable`.
"""

from .attention import MultiHeadSelfAttention
from .base import LayerScale, Reparameterizable, conv_like, linear_like
from .conv_ffn import ConvFFN
from .conv_norm import ConvNorm
from .head import ClassifierHead
from .large_kernel import ReparamLargeKernelConv
from .linear_attention import HeadwiseLinear, LiteMultiHeadLinearAttention, MultiHeadLinearAttention
from .low_rank import LowRankLinear
from .mobileone import MobileOneBlock
from .pos_enc import RepCPE
from .rep_dwconv import RepDWConv
from .repmixer import RepMixer
from .squeeze_excite import SqueezeExcite
from .xca import CrossCovarianceAttention

__all__ = [
    "ClassifierHead", "ConvFFN", "ConvNorm", "CrossCovarianceAttention", "HeadwiseLinear", "LayerScale",
    "LiteMultiHeadLinearAttention", "LowRankLinear", "MobileOneBlock", "MultiHeadLinearAttention",
    "MultiHeadSelfAttention", "RepCPE", "RepDWConv", "RepMixer", "Reparameterizable",
    "ReparamLargeKernelConv", "SqueezeExcite", "conv_like", "linear_like",
]
