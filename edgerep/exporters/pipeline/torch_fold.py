"""Constant folding of a ``torch.export`` program, for converters that do not fold everything.

coremltools folds an op whose inputs are all constants only when the op has a value-inference
rule: a convolution or matrix product over constants stays in the ML Program and runs on every
prediction. EdgeFace's positional encoding (a sine table of the fixed input size, projected by a
1x1 conv) converts to ``conv -> reshape -> transpose`` on constants that way, and any model whose
forward builds a tensor from its input's shape does the same.

:func:`fold_constants` evaluates, once and in torch, every node of the program that depends only on
parameters, buffers and constants (``torch.arange`` and friends included), and re-exports the
program with the results stored as buffers. Random ops are never folded.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import fx

FOLD_TOLERANCE = 1e-5  # relative L2 error of the folded program's output vs the program's


def constant_nodes(gm: fx.GraphModule) -> list[fx.Node]:
    """``call_function`` nodes of an unlifted graph module whose inputs are all ``get_attr`` nodes
    or other such nodes (tensor-creating ops without inputs included), random ops excluded."""
    constant: set[fx.Node] = set()
    found = []
    for node in gm.graph.nodes:
        if node.op == "get_attr":
            constant.add(node)
        elif node.op == "call_function" and _deterministic(node) \
                and all(arg in constant for arg in node.all_input_nodes):
            constant.add(node)
            found.append(node)
    return found


def _deterministic(node: fx.Node) -> bool:
    tags = getattr(node.target, "tags", ())
    return torch.Tag.nondeterministic_seeded not in tags and torch.Tag.nondeterministic_bitwise not in tags


def fold_constants(program: Any, example: torch.Tensor) -> tuple[Any, int]:
    """``program`` (an ``ExportedProgram`` of one input) with its constant subgraphs folded, and the
    number of nodes that were folded away; ``program`` itself when there is nothing to fold."""
    gm = program.module()
    found = constant_nodes(gm)
    if not found:
        return program, 0
    values: dict[fx.Node, Any] = {}
    for node in gm.graph.nodes:
        if node.op == "get_attr":
            values[node] = _attr(gm, node.target)
        elif node in found:
            args, kwargs = fx.node.map_arg((node.args, node.kwargs), lambda n: values[n])
            with torch.no_grad():
                values[node] = node.target(*args, **kwargs)
    folded = set(found)
    frontier = [n for n in found if any(user not in folded for user in n.users)]
    for k, node in enumerate(frontier):
        value = values[node]
        if not isinstance(value, torch.Tensor):
            continue
        name = f"_edgerep_folded_{k}"
        gm.register_buffer(name, value.detach().clone())
        with gm.graph.inserting_before(node):
            attr = gm.graph.get_attr(name)
        attr.meta.update(node.meta)
        node.replace_all_uses_with(attr)
    gm.graph.eliminate_dead_code()
    gm.recompile()
    removed = len(found) - len(constant_nodes(gm))
    with torch.no_grad():
        folded_program = torch.export.export(gm, (example,)).run_decompositions({})
        _check(program.module()(example), folded_program.module()(example))
    return folded_program, removed


def _check(before: Any, after: Any) -> None:
    """The folded program computes what the program did (float rounding aside), or raise."""
    before, after = torch.as_tensor(before).double(), torch.as_tensor(after).double()
    scale = float(before.norm()) or 1.0
    err = float((after - before).norm()) / scale
    if before.shape != after.shape or not err <= FOLD_TOLERANCE:
        raise RuntimeError(f"constant folding changed the model's output (relative error {err:.2e} > "
                           f"{FOLD_TOLERANCE:g}): please report this as an edgerep bug")


def _attr(gm: torch.nn.Module, target: str) -> Any:
    obj: Any = gm
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj
