"""InsightFace .bin files (loaded without running code) and the verification protocol's metrics."""

from __future__ import annotations

import io
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from edgerep.face.verification import fold_slices, load_bin, verification_metrics


def _png(seed: int) -> bytes:
    from PIL import Image

    img = np.random.default_rng(seed).integers(0, 256, (112, 112, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def _python2_pickle(bins: list[bytes], issame: list[bool]) -> bytes:
    """What Python 2's pickle.dump((bins, issame), f, protocol=2) writes: image bytes as str
    (BINSTRING), booleans as NEWTRUE/NEWFALSE."""
    out = [b"\x80\x02", b"]", b"("]
    for data in bins:
        out.append(b"T" + struct.pack("<i", len(data)) + data)
    out += [b"e", b"]", b"("]
    out += [b"\x88" if v else b"\x89" for v in issame]
    out += [b"e", b"\x86", b"."]
    return b"".join(out)


@pytest.mark.parametrize("style", ["python3", "python2"])
def test_bin_files_load_in_both_pickle_styles(tmp_path: Path, style: str) -> None:
    bins = [_png(i) for i in range(6)]
    issame = [True, False, True]
    path = tmp_path / "pairs.bin"
    if style == "python3":
        path.write_bytes(pickle.dumps((bins, issame), protocol=4))
    else:
        data = _python2_pickle(bins, issame)
        with pytest.raises(UnicodeDecodeError):  # what InsightFace's fallback to encoding='bytes' is for
            pickle.loads(data)
        path.write_bytes(data)
    images, same = load_bin(path)
    assert images == bins and same.tolist() == issame and same.dtype == bool


class _Payload:
    """A pickle that creates a file when loaded (builtins.open(path, 'w'))."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (open, (str(self.marker), "w"))


def test_a_crafted_pickle_runs_nothing(tmp_path: Path) -> None:
    live = tmp_path / "live_marker"
    pickle.loads(pickle.dumps(_Payload(live)))  # the payload is real: plain pickle runs it
    assert live.exists()
    marker = tmp_path / "marker"
    path = tmp_path / "evil.bin"
    path.write_bytes(pickle.dumps(([_Payload(marker), b"x"], [True])))
    with pytest.raises(ValueError, match=r"refuses the Python object \w+\.open"):
        load_bin(path)
    assert not marker.exists()


@pytest.mark.parametrize("content, words", [
    (pickle.dumps(([b"a", b"b", b"c"], [True])), "3 images for 1 pairs"),
    (pickle.dumps(([b"a", "b"], [True])), "list of encoded images"),
    (pickle.dumps({"bins": []}), "expected a pickled (images, issame) pair"),
    (pickle.dumps(([b"a", b"b"], np.array([True]))), "refuses the Python object numpy"),
    (b"not a pickle at all", "not an InsightFace .bin pair file"),
])
def test_malformed_bin_files_are_refused(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "bad.bin"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load_bin(path)


# ---- the metrics against a straightforward implementation ---------------------------------------


def _by_hand(emb_a: np.ndarray, emb_b: np.ndarray, issame: list[bool], folds: int) -> dict:
    """The protocol written out with loops (one pair, one threshold at a time)."""
    n = len(issame)
    a = [v / np.sqrt(np.sum(v * v)) for v in emb_a]
    b = [v / np.sqrt(np.sum(v * v)) for v in emb_b]
    dist = [float(np.sum((x - y) ** 2)) for x, y in zip(a, b)]
    sizes = [n // folds + (1 if k < n % folds else 0) for k in range(folds)]
    bounds = np.cumsum([0] + sizes)

    def counts(idx: list[int], t: float) -> tuple[int, int, int, int]:
        tp = fp = tn = fn = 0
        for i in idx:
            pred = dist[i] < t
            if pred and issame[i]:
                tp += 1
            elif pred:
                fp += 1
            elif issame[i]:
                fn += 1
            else:
                tn += 1
        return tp, fp, tn, fn

    coarse = [i / 100 for i in range(400)]
    fine = [i / 1000 for i in range(4000)]
    accs, bests, tars = [], [], []
    for k in range(folds):
        test = list(range(bounds[k], bounds[k + 1]))
        train = [i for i in range(n) if not bounds[k] <= i < bounds[k + 1]]
        best_t, best_acc = None, -1.0
        for t in coarse:
            tp, fp, tn, fn = counts(train, t)
            acc = (tp + tn) / len(train)
            if acc > best_acc:
                best_t, best_acc = t, acc
        tp, fp, tn, fn = counts(test, best_t)
        accs.append((tp + tn) / len(test))
        bests.append(best_t)
        fars = []
        for t in fine:
            tp, fp, tn, fn = counts(train, t)
            fars.append(fp / (fp + tn))
        if max(fars) < 1e-3:
            t_far = 0.0
        else:
            j = next(i for i, f in enumerate(fars) if f >= 1e-3)
            t_far = fine[0] if j == 0 else fine[j - 1] + (1e-3 - fars[j - 1]) * (fine[j] - fine[j - 1]) / (fars[j] - fars[j - 1])
        tp, fp, tn, fn = counts(test, t_far)
        tars.append(tp / (tp + fn))
    return {"accuracy": np.mean(accs), "accuracy_std": np.std(accs), "threshold_sq_l2": np.mean(bests),
            "tar_at_far": np.mean(tars)}


def _planted_pairs(n: int, seed: int, noise: float) -> tuple[np.ndarray, np.ndarray, list[bool]]:
    rng = np.random.default_rng(seed)
    issame = [bool(v) for v in rng.random(n) < 0.5]
    a = rng.normal(size=(n, 32))
    b = np.where(np.array(issame)[:, None], a + rng.normal(0, noise, (n, 32)), rng.normal(size=(n, 32)))
    return a * rng.uniform(0.5, 3, (n, 1)), b, issame


@pytest.mark.parametrize("n, folds, noise", [(300, 10, 1.3), (257, 10, 1.0), (120, 4, 0.6)])
def test_metrics_match_the_protocol_written_by_hand(n: int, folds: int, noise: float) -> None:
    a, b, issame = _planted_pairs(n, n, noise)
    got = verification_metrics(a, b, issame, folds=folds)
    want = _by_hand(a, b, issame, folds)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=1e-9), key
    assert got["threshold_cosine"] == pytest.approx(1 - want["threshold_sq_l2"] / 2)
    assert 0.55 < got["accuracy"] < 1.0  # planted noise: neither chance nor perfect
    assert got["pairs"] == n and len(got["fold_accuracy"]) == folds


def test_separable_pairs_are_perfect_and_folds_are_contiguous() -> None:
    a, b, issame = _planted_pairs(200, 1, 0.05)
    m = verification_metrics(a, b, issame)
    assert m["accuracy"] == 1.0 and m["accuracy_std"] == 0.0 and m["tar_at_far"] == 1.0
    assert [(s.start, s.stop) for s in fold_slices(23, 5)] == [(0, 5), (5, 10), (10, 15), (15, 19), (19, 23)]
    with pytest.raises(ValueError, match="same N pairs"):
        verification_metrics(a, b[:-1], issame)
    with pytest.raises(ValueError, match="folds"):
        verification_metrics(a, b, issame, folds=1)
