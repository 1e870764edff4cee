"""The ``edgerep`` command: a thin argparse layer over the public API.

Building the parser imports nothing heavy (``edgerep --help`` does not import torch); each command
imports what it needs when it runs. User errors (ValueError, TypeError, ImportError for a missing
extra, OSError on files) exit with status 2 and one line; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Sequence

from ._text import format_table, one_line
from ._version import __version__

# Modules that add a subcommand: each has ``register(subparsers)`` setting ``func`` on its parser.
_COMMAND_MODULES = ("edgerep.exporters.pipeline.command", "edgerep.bench.command", "edgerep.face.command",
                    "edgerep.classify.command")


class UserError(Exception):
    """An error in what the user asked for: printed as one line, exit status 2."""


def _fmt_count(n: float | None, unit: str = "") -> str:
    if n is None:
        return "-"
    if n >= 1e9:
        return f"{n / 1e9:.3f}G{unit}"
    if n >= 1e6:
        return f"{n / 1e6:.3f}M{unit}"
    return f"{n / 1e3:.1f}K{unit}"


def _cmd_list(args: argparse.Namespace) -> int:
    from .factory import fused_counts
    from .registry import aliases_of, get_spec, list_models

    names = list_models(args.pattern)
    if not names:
        raise UserError(f"no model matches {args.pattern!r}; try 'edgerep list' for all models")
    rows = []
    for n in names:
        spec = get_spec(n)
        params, macs = fused_counts(n)
        c, h, w = spec.input_size
        aliases = aliases_of(n)
        rows.append([
            n + (" (baseline)" if spec.baseline else "") + (f" (also {', '.join(aliases)})" if aliases else ""),
            spec.task, f"{c}x{h}x{w}",
            _fmt_count(params), _fmt_count(macs),
        ])
    print(format_table(["model", "task", "input", "params (fused)", "MACs (fused)"], rows))
    return 0


def _fold_note(ours: int, published: float | None) -> str:
    """Why edgerep's fused count is below the published one: it folds what the reference leaves."""
    if published and ours < published * (1 - 5e-4):  # published figures are rounded to 1K
        return "; edgerep also folds the BatchNorms and layer scales the reference keeps"
    return ""


def _cmd_info(args: argparse.Namespace) -> int:
    from .factory import model_info

    info = model_info(args.model)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    pub = info["published"]
    c, h, w = info["input_size"]
    lines = [
        ("model", info["name"] + (" (baseline)" if info["baseline"] else "")),
        ("family / task", f"{info['family']} / {info['task']}"),
        ("input", f"{c}x{h}x{w} RGB" + (" (fixed: the model runs only at this size)" if info["fixed_input_size"] else "")),
        ("preprocessing", f"resize {info['interpolation']}, crop {info['crop_pct']}, "
                          f"mean {tuple(info['mean'])}, std {tuple(info['std'])}"),
        ("params train / fused", f"{_fmt_count(info['params_train'])} / {_fmt_count(info['params_fused'])}"
                                 f"  (published {_fmt_count(pub['params_train'])} / {_fmt_count(pub['params_fused'])})"
                                 + _fold_note(info["params_fused"], pub["params_fused"])),
        ("MACs fused", f"{_fmt_count(info['macs_fused'])}  (published {_fmt_count(pub['macs_fused'])})"),
    ]
    if pub["accuracy"]:
        lines.append(("published accuracy", ", ".join(f"{k} {v}" for k, v in pub["accuracy"].items())))
    if pub["latency_ms"] is not None:
        lines.append(("published latency", f"{pub['latency_ms']} ms on {pub['latency_device']}"))
    lines.append(("source", pub["source"]))
    width = max(len(k) for k, _ in lines)
    for k, v in lines:
        print(f"{k.ljust(width)}  {v}")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with edgerep's error form: one line and exit status 2 (not the usage block), so a
    mistyped option reads like every other usage error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"edgerep: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="edgerep",
        description="Re-parameterizable mobile vision models: fuse, export, verify, benchmark.",
    )
    parser.add_argument("--version", action="version", version=f"edgerep {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list registered models (fnmatch PATTERN, e.g. 'fastvit_*')")
    p.add_argument("pattern", nargs="?", default="*", metavar="PATTERN")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("info", help="describe one model: input, preprocessing, counts, published figures")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("--json", action="store_true", help="print the model_info() dict as JSON")
    p.set_defaults(func=_cmd_info)

    for module in _COMMAND_MODULES:  # a missing command module is an ImportError, never a lost verb
        importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from ._io import Terminated, ignore_signals, restore_signal_handlers, signalled, terminate_as_exception

    try:
        with terminate_as_exception():  # SIGTERM/SIGHUP clean up like Ctrl-C; the first signal decides
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("edgerep: interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:
        print(f"edgerep: terminated by signal {exc.signum}", file=sys.stderr)
        return 128 + exc.signum
    except (UserError, ValueError, TypeError, ImportError, OSError) as exc:
        if args.debug:
            raise
        print(f"edgerep: error: {one_line(exc)}", file=sys.stderr)
        return 2
    finally:
        if signalled():  # the process is exiting with that signal's status: a later one must not kill it
            ignore_signals()
        else:
            restore_signal_handlers()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
