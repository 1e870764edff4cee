"""Export-time rewrites that make a converted ``.tflite`` model run well on LiteRT's XNNPACK CPU delegate.

First, constant folding: operators that compute only from constants (litert-torch converts a
value computed from weights and the fixed input shape, such as EdgeFace's positional encoding, into
operators that recompute it on every run) are replaced by the tensors they compute
(:func:`fold_constant_ops`).

Each rewrite replaces operators of the converted flatbuffer by others that compute the same function
(the same products, summed in another order: equal within float32 rounding) in a form XNNPACK has
fast kernels for. :func:`.target.convert` applies them to the float32 file litert-torch writes, before any
quantization, and checks the rewritten file against the converted one on the interpreter.

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

Why on the flatbuffer and not in torch: litert-torch lowers and legalizes every op on its own, about
20 ms each. Splitting in torch turned fastvit_t8's 10 slow convs into 50 convs and 40 adds and added
1.7 s to a 4.5 s conversion; editing the converted file does the same in a few tens of milliseconds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .flatbuffer import pack_model, schema, unpack_model

# ai_edge_litert (the tflite extra) is imported where used: edgerep runs without it.

# The largest depthwise kernel (in taps) XNNPACK's f32 single-pass kernels cover (its 5x5 tile).
MAX_FAST_DEPTHWISE_TAPS = 25
_SMALL_TILE = 9  # XNNPACK's next smaller depthwise tile (3x3)


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
    the kernel's centre (so that each is a stride-1 "SAME" conv aligned with the original window).

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


# ------------------------------------------------------------------------------- on the flatbuffer


def _float32_bytes(values: np.ndarray) -> np.ndarray:
    """``values`` as a flatbuffer buffer's data: little-endian float32 bytes, as uint8."""
    return np.frombuffer(np.ascontiguousarray(values, dtype="<f4").tobytes(), dtype=np.uint8)


class _Subgraph:
    """Edits one subgraph of an unpacked ``ModelT``: new tensors, constant buffers, operator codes."""

    def __init__(self, model: Any, subgraph: Any) -> None:
        self.schema = schema()
        self.model, self.graph = model, subgraph
        self._zero_bias: dict[int, int] = {}

    def builtin(self, op: Any) -> int:
        code = self.model.operatorCodes[op.opcodeIndex]
        # Builtins above 127 live in builtinCode; older ones also in the deprecated int8 field.
        return max(code.builtinCode, code.deprecatedBuiltinCode)

    def opcode(self, builtin: int, min_version: int = 1) -> int:
        """Index of the operator code for ``builtin`` (added if missing), at least ``min_version``."""
        for i, code in enumerate(self.model.operatorCodes):
            if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin and not code.customCode:
                code.version = max(code.version, min_version)
                return i
        code = self.schema.OperatorCodeT()
        code.builtinCode, code.deprecatedBuiltinCode = builtin, min(builtin, 127)
        code.version = min_version
        self.model.operatorCodes.append(code)
        return len(self.model.operatorCodes) - 1

    def const(self, index: int) -> np.ndarray | None:
        """A float32 constant tensor's values, or None if it is not one (an activation, another type)."""
        tensor = self.graph.tensors[index]
        if tensor.type != self.schema.TensorType.FLOAT32 or tensor.buffer <= 0 or tensor.sparsity is not None:
            return None
        data = self.model.buffers[tensor.buffer].data
        shape = [int(s) for s in tensor.shape]
        if data is None or len(data) != 4 * int(np.prod(shape)):
            return None
        return np.frombuffer(np.asarray(data, dtype=np.uint8).tobytes(), dtype="<f4").reshape(shape)

    def tensor(self, name: str, shape: Any, values: np.ndarray | None = None, like: Any = None) -> int:
        """A new float32 tensor (a constant when ``values`` is given); returns its index."""
        tensor = self.schema.TensorT()
        tensor.name, tensor.type = name, self.schema.TensorType.FLOAT32
        tensor.shape = np.asarray(shape, dtype=np.int32)
        if like is not None and like.shapeSignature is not None:
            tensor.shapeSignature = np.asarray(like.shapeSignature, dtype=np.int32)
        tensor.buffer = 0  # the empty buffer: an activation
        if values is not None:
            buffer = self.schema.BufferT()
            buffer.data = _float32_bytes(values)
            self.model.buffers.append(buffer)
            tensor.buffer = len(self.model.buffers) - 1
        self.graph.tensors.append(tensor)
        return len(self.graph.tensors) - 1

    def overwrite(self, index: int, values: np.ndarray) -> int:
        """Give the constant tensor ``index`` (read by one op only) a new shape and values."""
        tensor = self.graph.tensors[index]
        tensor.shape = np.asarray(values.shape, dtype=np.int32)
        tensor.shapeSignature = None
        self.model.buffers[tensor.buffer].data = _float32_bytes(values)
        return index

    def zero_bias(self, channels: int) -> int:
        if channels not in self._zero_bias:
            self._zero_bias[channels] = self.tensor(f"edgerep/zero_bias_{channels}", [channels],
                                                    np.zeros(channels, dtype=np.float32))
        return self._zero_bias[channels]

    def op(self, builtin: int, options_type: int, options: Any, inputs: list[int], outputs: list[int],
           min_version: int = 1) -> Any:
        op = self.schema.OperatorT()
        op.opcodeIndex = self.opcode(builtin, min_version)
        op.inputs, op.outputs = np.asarray(inputs, dtype=np.int32), np.asarray(outputs, dtype=np.int32)
        op.builtinOptionsType, op.builtinOptions = options_type, options
        return op


def slow_depthwise_kernel(sub: _Subgraph, op: Any) -> np.ndarray | None:
    """The ``[1, kh, kw, C]`` kernel of ``op`` if it is a depthwise conv on XNNPACK's slow path that
    :func:`split_slow_depthwise` splits exactly (stride 1, no dilation, SAME padding, a constant
    float32 kernel of more than 25 taps); None for any other op."""
    schema = sub.schema
    if sub.builtin(op) != schema.BuiltinOperator.DEPTHWISE_CONV_2D:
        return None
    opt = op.builtinOptions
    if (opt is None or opt.padding != schema.Padding.SAME or (opt.strideH, opt.strideW) != (1, 1)
            or (opt.dilationHFactor, opt.dilationWFactor) != (1, 1)):
        return None
    kernel = sub.const(int(op.inputs[1]))
    if kernel is None or kernel.ndim != 4 or kernel.shape[0] != 1:
        return None
    return kernel if kernel.shape[1] * kernel.shape[2] > MAX_FAST_DEPTHWISE_TAPS else None


def _split_op(sub: _Subgraph, op: Any, kernel: np.ndarray, reuse_kernel: bool) -> list[Any]:
    """The operators that replace ``op``: one SAME depthwise conv per kernel piece, then a chain of
    ADDs into ``op``'s own output tensor (its fused activation moves to the last ADD).

    A piece symmetric about the kernel's centre is a dilated kernel whose SAME padding, at stride 1,
    lines its taps up with the same input positions as in the original window; the original bias is
    added once, by the first piece (the others get a zero bias: XNNPACK wants one).
    """
    schema = sub.schema
    _, kh, kw, channels = kernel.shape
    out_index = int(op.outputs[0])
    out = sub.graph.tensors[out_index]
    base = (out.name.decode() if isinstance(out.name, bytes) else out.name or "dwconv").split(";")[0]
    bias = int(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else sub.zero_bias(channels)
    act = op.builtinOptions.fusedActivationFunction
    replaced, partial = [], []
    height, width = (int(v) for v in sub.graph.tensors[int(op.inputs[0])].shape[1:3])
    pieces = [p for p in kernel_pieces(kh, kw) if _reads_input(p, kh, kw, height, width)]
    for k, piece in enumerate(pieces):
        weights = kernel[:, list(piece.rows)][:, :, list(piece.cols)]
        if k == 0 and reuse_kernel:
            w = sub.overwrite(int(op.inputs[1]), weights)
        else:
            w = sub.tensor(f"{base}/piece{k}_{len(piece.rows)}x{len(piece.cols)}", weights.shape, weights)
        alone = len(pieces) == 1  # the other pieces would read only padding
        y = out_index if alone else sub.tensor(f"{base}/piece{k}", out.shape, like=out)
        options = schema.DepthwiseConv2DOptionsT()
        options.padding, options.strideH, options.strideW = schema.Padding.SAME, 1, 1
        options.depthMultiplier = op.builtinOptions.depthMultiplier
        options.dilationHFactor, options.dilationWFactor = piece.dilation
        options.fusedActivationFunction = act if alone else schema.ActivationFunctionType.NONE
        dilated = piece.dilation != (1, 1)
        replaced.append(sub.op(schema.BuiltinOperator.DEPTHWISE_CONV_2D,
                               schema.BuiltinOptions.DepthwiseConv2DOptions, options,
                               [int(op.inputs[0]), w, bias if k == 0 else sub.zero_bias(channels)], [y],
                               min_version=2 if dilated else 1))
        partial.append(y)
    total = partial[0]
    for k, y in enumerate(partial[1:], start=1):
        last = k == len(partial) - 1
        options = schema.AddOptionsT()
        options.fusedActivationFunction = act if last else schema.ActivationFunctionType.NONE
        target = out_index if last else sub.tensor(f"{base}/sum{k}", out.shape, like=out)
        replaced.append(sub.op(schema.BuiltinOperator.ADD, schema.BuiltinOptions.AddOptions, options,
                               [total, y], [target]))
        total = target
    return replaced


def _reads_input(piece: KernelPiece, kh: int, kw: int, height: int, width: int) -> bool:
    """Whether a piece of a stride-1 SAME ``kh x kw`` kernel on a ``height x width`` map reads any
    input at all: a tap at offset ``d`` from the centre reaches the map from some output position iff
    ``|d| < size``. A piece that reads only padding adds exact zeros (e.g. the outer taps of a 7x7
    conv on EdgeFace's 3x3 last stage) and is left out; int8 could not even calibrate its constant
    zero output (XNNPACK rejects the zero scale)."""
    rows = any(abs(r - (kh - 1) / 2) < height for r in piece.rows)
    cols = any(abs(c - (kw - 1) / 2) < width for c in piece.cols)
    return rows and cols


def split_slow_depthwise(model: Any) -> list[tuple[int, int]]:
    """Replace, in an unpacked ``ModelT`` (float32, not yet quantized), every depthwise conv that
    :func:`slow_depthwise_kernel` selects by a sum of depthwise convs of at most 25 taps.

    Operators keep their execution order; tensors are only appended, so every existing tensor keeps
    its index, and each sum is written to the split conv's own output tensor (the subgraph's inputs,
    outputs and signatures are untouched). Returns ``(subgraph, output tensor)`` of every conv split,
    the tensors that must hold the same values before and after; a second call finds none.
    """
    split = []
    buffer_users = Counter(t.buffer for graph in model.subgraphs for t in graph.tensors)
    for g, graph in enumerate(model.subgraphs):
        sub = _Subgraph(model, graph)
        tensor_users = Counter(int(i) for op in graph.operators for i in op.inputs)
        ops = []
        for op in graph.operators:
            kernel = slow_depthwise_kernel(sub, op)
            if kernel is None:
                ops.append(op)
                continue
            index = int(op.inputs[1])
            # The first piece takes over the original kernel's tensor and buffer when nothing else
            # reads them: the file carries no orphan 7x7 (tools such as the int8 calibrator read
            # every tensor, and an unread constant would still fill the file).
            reuse = tensor_users[index] == 1 and buffer_users[graph.tensors[index].buffer] == 1
            ops += _split_op(sub, op, kernel, reuse_kernel=reuse)
            split.append((g, int(op.outputs[0])))
        graph.operators = ops
    return split


# ------------------------------------------------------------------------------- constant folding

# Never folded: control flow and calls (subgraphs), state, randomness, custom ops, and DEQUANTIZE,
# which is how a quantized file stores compressed weights on purpose (the runtime expands it once).
_NOT_FOLDED = ("CALL", "CALL_ONCE", "IF", "WHILE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE",
               "RANDOM_STANDARD_NORMAL", "RANDOM_UNIFORM", "MULTINOMIAL", "STABLEHLO_RNG_BIT_GENERATOR",
               "CUSTOM", "DEQUANTIZE")


def constant_ops(model: Any, subgraph: int = 0) -> list[int]:
    """Indices of the operators of ``subgraph`` (in an unpacked ``ModelT``) that compute only from
    constants: constant tensors (data in a buffer) and the outputs of other such operators.

    litert-torch leaves these in the file: EdgeFace's positional encoding (a sine/cosine table of
    the fixed input size and a 1x1 conv over it) converts to 21 operators that recompute the same
    tensor on every run.
    """
    sch = schema()
    skip = {getattr(sch.BuiltinOperator, name) for name in _NOT_FOLDED}
    graph = model.subgraphs[subgraph]
    constant = {i for i, t in enumerate(graph.tensors)
                if t.buffer > 0 and not t.isVariable and model.buffers[t.buffer].data is not None
                and len(model.buffers[t.buffer].data) > 0}
    found = []
    for k, op in enumerate(graph.operators):
        code = model.operatorCodes[op.opcodeIndex]
        inputs = [int(i) for i in op.inputs if i >= 0]
        if inputs and all(i in constant for i in inputs) \
                and max(code.builtinCode, code.deprecatedBuiltinCode) not in skip:
            constant.update(int(o) for o in op.outputs)
            found.append(k)
    return found


def fold_constant_ops(model: Any, data: bytes) -> list[tuple[int, int]]:
    """Replace the operators :func:`constant_ops` finds in subgraph 0 by constant tensors holding
    the values they compute, in place on ``model`` (``data`` unpacked).

    The values come from LiteRT's own builtin kernels: ``data`` runs once (on zeros: these tensors
    do not depend on the input) with every intermediate tensor kept. Tensors keep their indices;
    constants that only the removed operators read lose their buffer data, so the file does not
    carry them. Returns the ``(subgraph, tensor)`` indices that became constants.
    """
    graph = model.subgraphs[0]
    folded = set(constant_ops(model))
    if not folded:
        return []
    ops = graph.operators
    kept_inputs = {int(i) for k, op in enumerate(ops) if k not in folded for i in op.inputs}
    kept_inputs |= {int(i) for i in graph.outputs}
    produced = [int(o) for k in sorted(folded) for o in ops[k].outputs]
    frontier = [t for t in produced if t in kept_inputs]
    values = _evaluate(data, frontier)
    for index, value in zip(frontier, values):
        tensor = graph.tensors[index]
        buffer = schema().BufferT()
        buffer.data = np.frombuffer(np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")).tobytes(),
                                    dtype=np.uint8)
        model.buffers.append(buffer)
        tensor.buffer = len(model.buffers) - 1
        tensor.shape = np.asarray(value.shape, dtype=np.int32)
        tensor.shapeSignature = None
    graph.operators = [op for k, op in enumerate(ops) if k not in folded]
    _drop_unread_constants(model)
    return [(0, t) for t in frontier]


def _evaluate(data: bytes, tensors: list[int]) -> list[np.ndarray]:
    """The values of ``tensors`` (subgraph 0) after one run of ``data`` on zero inputs."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(model_content=bytes(data), num_threads=1, experimental_preserve_all_tensors=True,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    for detail in interpreter.get_input_details():
        interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], dtype=detail["dtype"]))
    interpreter.invoke()
    return [np.array(interpreter.get_tensor(t)) for t in tensors]


def _used_tensors(graph: Any) -> set[int]:
    """Indices of the tensors an operator of ``graph`` reads or writes, or the subgraph takes or gives."""
    used = {int(i) for op in graph.operators
            for i in [*op.inputs, *op.outputs, *(op.intermediates if op.intermediates is not None else [])]}
    used |= {int(i) for i in [*graph.inputs, *graph.outputs]}
    used.discard(-1)  # an optional input left out
    return used


def _drop_unread_constants(model: Any) -> None:
    """Empty the buffers that only tensors no operator (nor subgraph input/output) reads point to."""
    read: set[int] = {int(m.buffer) for m in (model.metadata or [])}
    for graph in model.subgraphs:
        used = _used_tensors(graph)
        for i, tensor in enumerate(graph.tensors):
            if i in used:
                read.add(tensor.buffer)
            elif tensor.buffer > 0:
                tensor.buffer = 0
    for b, buffer in enumerate(model.buffers):
        if b > 0 and b not in read and buffer.data is not None:
            buffer.data = None


def drop_orphan_tensors(data: bytes) -> bytes:
    """``data`` without the tensors that no operator reads or writes and no subgraph or signature
    names as input or output (``data`` itself when there are none), indices renumbered.

    :func:`fold_constant_ops` keeps tensor indices so that :func:`rewrite_for_litert`'s ``preserved``
    indices hold in both files for the op-by-op check; the folded operators' intermediate tensors are
    then left without a producer or a buffer. Tools that read every tensor (ai-edge-quantizer's int8
    calibrator: "Tensor data is null") fail on them, so they go once that check has passed.
    """
    model = unpack_model(data)
    changed = False
    for g, graph in enumerate(model.subgraphs):
        used = _used_tensors(graph)
        if len(used) == len(graph.tensors):
            continue
        changed = True
        new = {old: k for k, old in enumerate(sorted(used))}

        def remap(indices: Any) -> Any:
            if indices is None:
                return None
            return np.asarray([new[int(i)] if int(i) >= 0 else -1 for i in indices], dtype=np.int32)

        graph.tensors = [t for i, t in enumerate(graph.tensors) if i in new]
        for op in graph.operators:
            op.inputs, op.outputs, op.intermediates = remap(op.inputs), remap(op.outputs), remap(op.intermediates)
        graph.inputs, graph.outputs = remap(graph.inputs), remap(graph.outputs)
        for signature in model.signatureDefs or []:
            if signature.subgraphIndex == g:
                for m in [*(signature.inputs or []), *(signature.outputs or [])]:
                    m.tensorIndex = new[int(m.tensorIndex)]
    if not changed:
        return data
    _drop_unread_constants(model)
    return pack_model(model, len(data))


class Rewritten(NamedTuple):
    """What :func:`rewrite_for_litert` made: the file, one note per rewrite that changed it, and the
    ``(subgraph, tensor)`` indices, valid in both files, whose values the rewrites must preserve."""

    data: bytes
    notes: list[str]
    preserved: list[tuple[int, int]]


def rewrite_for_litert(data: bytes) -> Rewritten:
    """``data`` (a float32 ``.tflite`` flatbuffer) with every rewrite applied (``data`` itself when
    nothing applies)."""
    model = unpack_model(data)
    notes = []
    folded = fold_constant_ops(model, data)
    if folded:
        notes.append(f"{len(folded)} tensor(s) computed only from constants stored as constants "
                     "(the operators computing them folded away, evaluated by LiteRT's kernels)")
    split = split_slow_depthwise(model)
    if split:
        notes.append(
            f"{len(split)} stride-1 depthwise conv(s) with more than {MAX_FAST_DEPTHWISE_TAPS} taps split "
            f"into sums of <= {MAX_FAST_DEPTHWISE_TAPS}-tap dilated depthwise convs (same function; "
            "XNNPACK runs kernels above 5x5 on a slow path)"
        )
    if not notes:
        return Rewritten(data, [], [])
    return Rewritten(pack_model(model, len(data)), notes, folded + split)
