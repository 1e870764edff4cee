#!/usr/bin/env bash
# The trained-weight baseline (RESULTS.md "Issue 20"): what every export does to the models users
# deploy, on real photos. Reads ../shared/testdata, or the folder $EDGEREP_TESTDATA names.
#   ./dev bash benchmarks/real_weights.sh      (outputs in benchmarks/out/real_weights/, not tracked)
# Exit status: 0 when every row passed its bounds, 1 when some row failed (int8 does today).
set -uo pipefail
cd "$(dirname "$0")/.."
data="${EDGEREP_TESTDATA:-../shared/testdata}"
[ -d "$data/weights" ] || { echo "real_weights: no test data at $data; set EDGEREP_TESTDATA=DIR" >&2; exit 2; }
out=benchmarks/out/real_weights
mkdir -p "$out"
export EDGEREP_CACHE="$out/cache"
rm -rf "$EDGEREP_CACHE" "$out/exports"
status=0
step() { echo "== $(date -u +%H:%M:%S) $*" >&2; }

step "MobileOne-S0 (Apple's weights) on the 1,000 ImageNet photos: torch and ONNX/TFLite x fp32/fp16/int8"
edgerep eval mobileone_s0 --checkpoint "$data/weights/mobileone_s0_apple_fused.safetensors" \
  --images "$data/images/imagenet-sample" --no-progress --json "$out/mobileone_s0.json" --force \
  | tee "$out/mobileone_s0.md" || status=1
for model in edgeface_xxs_q edgeface_xs_q; do
  step "$model (the authors' checkpoint): exported and verified to every target"
  edgerep export "$model" --checkpoint "$data/weights/$model.pt" --target all --output "$out/exports/" \
    > "$out/$model-export.txt" || status=1
  sed -n '/^target/,/^$/p' "$out/$model-export.txt"
  step "$model: parity of ONNX/TFLite x fp32/fp16/int8 with torch on the 32 portraits"
  edgerep face parity --model "$model" --checkpoint "$data/weights/$model.pt" --images "$data/faces/portraits" \
    --targets onnx,tflite --json "$out/$model-parity.json" --force | tee "$out/$model-parity.md" || status=1
done
step "done (status $status)"
exit $status
