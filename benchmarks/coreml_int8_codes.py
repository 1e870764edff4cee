"""Does coremltools keep the weights edgerep rounds with GPTQ? (issue 21: Core ML's 8-bit weights)

    PYTHONPATH=$PWD python benchmarks/coreml_int8_codes.py [--photos 20]

Exports Apple's MobileOne-S0 (``../shared/testdata`` or ``$EDGEREP_TESTDATA``) to Core ML int8 with a
calibration folder of the first ``--photos`` ImageNet photos, keeping the weights the export hands
to coremltools (GPTQ-rounded in torch), then reads the saved package's 8-bit codes
(``get_weights_metadata``) and compares them with ``round(w / (max|w| / 127))`` per output channel
(the grid of :func:`edgerep.exporters.pipeline.int8_torch.row_scales`).
Rows whose largest weight is below float16's normal range (dead channels: coremltools casts to
float16 first, so they are zero there) are counted apart. Runs without macOS: nothing is predicted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import edgerep.exporters.coreml.target as coreml_target  # noqa: E402
from benchmarks.int8_trained import MODELS, testdata  # noqa: E402
from edgerep.exporters import export  # noqa: E402
from edgerep.exporters.pipeline.int8_torch import QMAX, row_scales  # noqa: E402

FP16_NORMAL = 6.1e-5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20)
    args = parser.parse_args()
    root = testdata()
    handed: dict[str, torch.Tensor] = {}
    convert = coreml_target.convert

    def keep(graph, example, path, options):  # noqa: ANN001, ANN202
        handed.update({n: m.weight.detach().double() for n, m in graph.named_modules()
                       if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))
                       and m.weight.numel() >= coreml_target.INT8_MIN_ELEMENTS})
        return convert(graph, example, path, options)

    coreml_target.convert = keep
    with tempfile.TemporaryDirectory() as tmp:
        cal = Path(tmp) / "calibration"
        cal.mkdir()
        for f in sorted((root / "images" / "imagenet-sample").glob("*.JPEG"))[:args.photos]:
            (cal / f.name).symlink_to(f)
        r = export("mobileone_s0", "coreml", precision="int8", checkpoint=str(root / MODELS["mobileone_s0"]),
                   calibration=str(cal), output=Path(tmp) / "out/")
        import coremltools as ct
        from coremltools.optimize.coreml import get_weights_metadata

        codes = {k: v.val for k, v in get_weights_metadata(
            ct.models.MLModel(str(r.path), skip_model_load=True),
            weight_threshold=coreml_target.INT8_MIN_ELEMENTS).items()}
    same = differ = dead_rows = 0
    for name, w in handed.items():
        (key,) = [k for k in codes if k.startswith("p_" + name.replace(".", "_") + "_weight")]
        q = codes[key].astype(np.int64).reshape(w.shape[0], -1)
        rows = w.reshape(w.shape[0], -1)
        expected = torch.clamp(torch.round(rows / row_scales(rows)[:, None]), -QMAX, QMAX).long().numpy()
        live = rows.abs().amax(1).numpy() >= FP16_NORMAL
        dead_rows += int((~live).sum())
        differ += int((expected[live] != q[live]).sum())
        same += int((expected[live] == q[live]).sum())
    print(f"{len(handed)} weights stored in 8 bits; codes equal to the GPTQ-rounded weights: {same} of "
          f"{same + differ} ({differ} differ); {dead_rows} dead row(s) below float16's normal range left out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
