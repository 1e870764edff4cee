"""Export-time rewrites that make a fused model run well on LiteRT's XNNPACK CPU delegate.

Each rewrite replaces a module by another that computes the same function (the same products,
summed in another order: equal within float32 rounding) in a form XNNPACK has fast kernels for.
They apply to the copy being converted, never to the caller's model; ``tflite.convert`` checks the
rewritten copy against the original in torch before converting it.

The one that matters, found by timing single ops and graph variants against onnxruntime
(ai-edge-litert 2.3, x86-64, 1 thread, NHWC; the Python interpreter has no op profiler): a stride-1
depthwise conv runs fast up to 25 kernel taps (64x64x48: 3x3 0.09 ms, 5x5 0.27 ms) and falls onto a
slow path above that (7x7 6-13 ms, 20-50x the 5x5; 4x7 and 9x9 as slow), while onnxruntime runs the
7x7 in 0.6 ms. FastViT opens every ConvFFN with a 7x7 depthwise conv (and its attention stages with a
7x7 positional encoding); that alone made fastvit_t8 2x slower on LiteRT than on onnxruntime. The
other suspects measured harmless: exact GELU costs LiteRT what it costs onnxruntime, NHWC input leaves
no transpose in front of the convs, stride-2 7x7 depthwise convs (FastViT's downsampling) run at
onnxruntime's speed, squeeze-excite and the pooling are a few microseconds. fastvit_t8 (interleaved,
shared 2-core machine): LiteRT/onnxruntime 1.97x by hand -> 1.09x; fastvit_sa12 1.65x -> 1.05x.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

# The largest depthwise kernel (in taps) XNNPACK's f32 single-pass kernels cover (its 5x5 tile).
MAX_FAST_DEPTHWISE_TAPS = 25


def _axis_groups(size: int, run: int) -> list[list[int]]:
    """Split kernel positions ``0..size-1`` into groups symmetric about the kernel's centre.

    First the central run of at most ``run`` consecutive positions (same parity as ``size``, so it
    stays centred), then the remaining positions in mirror pairs ``(i, size - 1 - i)``, innermost
    first. Each group is an arithmetic progression, i.e. a (dilated) kernel of its own.
    """
    central = min(size, run)
    if central % 2 != size % 2:
        central -= 1
    start = (size - central) // 2
    groups = [list(range(start, start + central))] if central > 0 else []
    groups += [[i, size - 1 - i] for i in reversed(range(start))]
    return groups


@dataclass(frozen=True)
class KernelPiece:
    """Rows and columns (arithmetic progressions) of a kernel that form one smaller dilated kernel."""

    rows: tuple[int, ...]
    cols: tuple[int, ...]

    @property
    def taps(self) -> int:
        return len(self.rows) * len(self.cols)

    @staticmethod
    def _step(idx: tuple[int, ...]) -> int:
        return idx[1] - idx[0] if len(idx) > 1 else 1

    @property
    def dilation(self) -> tuple[int, int]:
        return self._step(self.rows), self._step(self.cols)


def kernel_pieces(kh: int, kw: int, max_taps: int = MAX_FAST_DEPTHWISE_TAPS) -> list[KernelPiece]:
    """Partition a ``kh x kw`` kernel into pieces of at most ``max_taps`` taps, each symmetric about
    the kernel's centre (so each is a conv with symmetric padding and the original output size).

    First the centre (at most 5x5), the rest of the central rows and the mirrored outer rows; then
    a piece that would waste XNNPACK's 25-tap tile (10..24 taps) is halved into the even and odd
    positions of an odd-length axis when both halves fit its 9-tap tile. 7x7 -> 5x5 centre,
    {1,3,5}x{0,6} and {2,4}x{0,6} (columns 0 and 6 of the central rows), {0,6}x{0,2,4,6} and
    {0,6}x{1,3,5} (rows 0 and 6): 25 + 6 + 4 + 8 + 6 = 49 taps, each counted once. On a 64x64x48
    input that runs in 80% of the time of the three-piece 5x5 + 5x2 + 2x7 split.
    """
    row_run = max(1, min(kh, int(max_taps ** 0.5)))
    pieces = []
    for rows in _axis_groups(kh, row_run):
        col_run = max_taps // len(rows)
        if col_run < 1 or (kw % 2 == 0 and col_run < 2):
            raise ValueError(f"cannot split a {kh}x{kw} kernel into pieces of <= {max_taps} taps")
        pieces += [KernelPiece(tuple(rows), tuple(cols)) for cols in _axis_groups(kw, col_run)]
    return [small for piece in pieces for small in _halve(piece)]


_SMALL_TILE = 9  # XNNPACK's next smaller depthwise tile (3x3)


def _halve(piece: KernelPiece) -> list[KernelPiece]:
    """Split a piece of 10..24 taps in two pieces of <= 9 taps where its axes allow (see above)."""
    if not _SMALL_TILE < piece.taps < MAX_FAST_DEPTHWISE_TAPS:
        return [piece]
    # An odd-length progression splits into two progressions symmetric about the same centre.
    for axis in sorted(("rows", "cols"), key=lambda a: -len(getattr(piece, a))):
        idx = getattr(piece, axis)
        if len(idx) < 3 or len(idx) % 2 == 0:
            continue
        halves = [
            KernelPiece(h, piece.cols) if axis == "rows" else KernelPiece(piece.rows, h)
            for h in (idx[0::2], idx[1::2])
        ]
        if all(h.taps <= _SMALL_TILE for h in halves):
            return halves
    return [piece]


def _padding(conv: nn.Conv2d) -> tuple[int, int] | None:
    if isinstance(conv.padding, str):
        return (0, 0) if conv.padding == "valid" else None  # "same" on a stride-1 conv: see below
    return tuple(conv.padding)


class SplitDepthwiseConv2d(nn.Module):
    """A stride-1 depthwise conv with more than 25 taps as a sum of depthwise convs of <= 25 taps.

    ``conv(x) = sum_p conv_p(x)``: piece ``p`` holds the taps ``rows_p x cols_p`` of the original
    kernel as a dilated kernel; its padding ``P - rows_p[0]`` (resp. columns) aligns those taps with
    the original window, and the original bias is added once, by the first piece.
    """

    def __init__(self, conv: nn.Conv2d, max_taps: int = MAX_FAST_DEPTHWISE_TAPS) -> None:
        super().__init__()
        kh, kw = conv.kernel_size
        pad = _padding(conv)
        if pad is None:  # padding="same" with an odd kernel at stride 1 is symmetric k // 2
            pad = (kh // 2, kw // 2)
        self.pieces = kernel_pieces(kh, kw, max_taps)
        weight = conv.weight.detach()
        self.convs = nn.ModuleList()
        for i, piece in enumerate(self.pieces):
            sub = nn.Conv2d(
                conv.in_channels, conv.out_channels, (len(piece.rows), len(piece.cols)),
                stride=conv.stride, padding=(pad[0] - piece.rows[0], pad[1] - piece.cols[0]),
                dilation=piece.dilation, groups=conv.groups, bias=i == 0 and conv.bias is not None,
            ).to(device=weight.device, dtype=weight.dtype)
            with torch.no_grad():
                sub.weight.copy_(weight[:, :, list(piece.rows)][:, :, :, list(piece.cols)])
                if sub.bias is not None:
                    sub.bias.copy_(conv.bias.detach())
            self.convs.append(sub)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.convs[0](x)
        for conv in self.convs[1:]:
            out = out + conv(x)
        return out

    def extra_repr(self) -> str:
        return "pieces=" + ", ".join(f"{len(p.rows)}x{len(p.cols)}" for p in self.pieces)


def is_slow_depthwise(module: nn.Module, max_taps: int = MAX_FAST_DEPTHWISE_TAPS) -> bool:
    """A depthwise stride-1 ``nn.Conv2d`` with more than ``max_taps`` taps that can be split exactly."""
    if type(module) is not nn.Conv2d or module.groups != module.in_channels or module.groups == 1:
        return False
    kh, kw = module.kernel_size
    if kh * kw <= max_taps or module.stride != (1, 1) or module.dilation != (1, 1):
        return False
    if module.padding_mode != "zeros":
        return False
    pad = _padding(module)
    if pad is None:
        return kh % 2 == 1 and kw % 2 == 1
    # Every piece's padding P - first_index must be >= 0: the outermost pieces start at index 0.
    return pad[0] >= 0 and pad[1] >= 0 and all(
        pad[0] - p.rows[0] >= 0 and pad[1] - p.cols[0] >= 0 for p in kernel_pieces(kh, kw, max_taps))


def split_large_depthwise(model: nn.Module, max_taps: int = MAX_FAST_DEPTHWISE_TAPS) -> int:
    """Replace (in place) every slow depthwise conv in ``model`` by a :class:`SplitDepthwiseConv2d`.

    Returns the number of convs replaced.
    """
    count = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if is_slow_depthwise(child, max_taps):
                setattr(parent, name, SplitDepthwiseConv2d(child, max_taps))
                count += 1
    return count


def rewrite_for_litert(model: nn.Module) -> tuple[nn.Module, list[str]]:
    """A copy of ``model`` with every rewrite applied, and one note per rewrite that changed it."""
    model = copy.deepcopy(model).eval()
    notes = []
    n = split_large_depthwise(model)
    if n:
        notes.append(
            f"{n} stride-1 depthwise conv(s) with more than {MAX_FAST_DEPTHWISE_TAPS} taps split into "
            f"sums of <= {MAX_FAST_DEPTHWISE_TAPS}-tap dilated depthwise convs (same function; "
            "XNNPACK runs kernels above 5x5 on a slow path)"
        )
    return model, notes
