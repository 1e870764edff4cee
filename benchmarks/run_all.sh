#!/usr/bin/env bash
# Every benchmark behind benchmarks/RESULTS.md, one after the other on an otherwise idle machine.
#   ./dev bash benchmarks/run_all.sh          (outputs in benchmarks/out/, which git ignores)
# The bench cache is cleared first so that every artifact comes from the current exporters.
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/out
mkdir -p "$out"
export EDGEREP_CACHE="$out/cache"
rm -rf "$EDGEREP_CACHE"
step() { echo "== $(date -u +%H:%M:%S) $*" >&2; }

step "export speed: fastvit_t8 LiteRT vs onnxruntime, export wall times"
python benchmarks/export_speed.py --models fastvit_t8,fastvit_sa12,mobileone_s0 --markdown "$out/export_speed.md" > /dev/null
step "fusion speed: torch unfused vs fused, FastViT and MobileOne"
python benchmarks/fusion_speed.py --markdown "$out/fusion_speed.md" > /dev/null
step "imagenet suite: FastViT and RepNeXt vs MobileOne (torch, onnxruntime, litert; 1 thread)"
edgerep bench --suite imagenet --runtime torch,onnxruntime,litert --threads 1 --force \
  --json "$out/imagenet.json" --markdown "$out/imagenet.md" --plot "$out/imagenet.png" > /dev/null
step "face suite: FaceLiVT vs EdgeFace (torch, onnxruntime, litert; 1 thread)"
edgerep bench --suite face --runtime torch,onnxruntime,litert --threads 1 --force \
  --json "$out/face_t1.json" --markdown "$out/face_t1.md" --plot "$out/face_t1.png" > /dev/null
step "face suite: 2 threads (onnxruntime, litert)"
edgerep bench --suite face --runtime onnxruntime,litert --threads 2 --force \
  --json "$out/face_t2.json" --markdown "$out/face_t2.md" > /dev/null
step "face pipeline: detect/align/embed/match latency and export parity (fp32, fp16, int8) of every face model"
python benchmarks/face_pipeline.py --out "$out/face_pipeline.json" > "$out/face_pipeline.md"
step "export matrix: every model to every target, verified"
python benchmarks/export_matrix.py > "$out/export_matrix.md" || true
step "client matrix: every model's ONNX and TFLite export in every client runtime"
python benchmarks/client_matrix.py --markdown "$out/client_matrix.md" > /dev/null || true
step "report validator: what jsonschema costs bench ingest (fastjsonschema too where installed)"
python benchmarks/schema_validator.py --rounds 15 --ingest . > "$out/schema_validator.md"
step "int8 vs fp32: latency on onnxruntime and LiteRT, drift on real images"
python benchmarks/int8_speed.py --json "$out/int8_speed.json" > "$out/int8_speed.md" || true
step "export matrix: every model to every target, verified"
python benchmarks/export_matrix.py --precisions default,int8 > "$out/export_matrix.md" || true
step "done"
