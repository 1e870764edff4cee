#!/usr/bin/env bash
# Build and test the Swift package (ios_harness/) on Linux with Debian trixie's Swift 6.0.3, in a
# debootstrap chroot (Debian bookworm, the machine's release, has no Swift); then run the command
# line's platform-free self-test (`edgerep-bench --selftest --samples --json FILE`: the protocol on a
# plain-Swift matrix product, through the report writer a Core ML run uses) and check that
# `edgerep bench ingest` reads its report with edgerep's own statistics of its samples.
#
#   ./dev bash ios_harness/linux-test.sh [REPORT_OUT]    as root (debootstrap, chroot, mount need it)
#   ./dev bash ios_harness/linux-test.sh --update-fixture   also refresh Resources/fixtures/swift_report.json
#                                                           from ReportFixtureTests (then run again)
#
# The chroot is built once (apt-get install debootstrap; debootstrap --variant=minbase trixie;
# swiftlang, libc6-dev, libstdc++-14-dev: ~3 min, 3.2 GB) under
# ${EDGEREP_SWIFT_CHROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/edgerep/swift-trixie} and reused: later runs
# copy the package in fresh and pay only `swift build` + `swift test` (~1 min). A chroot whose
# set-up did not finish (no stamp: the stamp is written last) is removed and built again. Runs are
# serialized with a lock, and /proc is unmounted on every exit.
#
# On macOS (or with EDGEREP_SWIFT=native and a Swift 6 toolchain on PATH) the same steps run with
# the local `swift`, no chroot. Exit status: 0 all passed, 1 a build, test or report check failed,
# 2 a usage problem (not root, no swift).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
python="${PYTHON:-python3}"
update_fixture=0
if [ "${1:-}" = --update-fixture ]; then update_fixture=1; shift; fi
report_out="${1:-}"
if [ -n "$report_out" ]; then
  mkdir -p "$(dirname "$report_out")"
  report_out="$(cd "$(dirname "$report_out")" && pwd)/$(basename "$report_out")"
fi

# The steps, run in the package folder with swift on PATH; $1: where the self-test report goes.
steps='set -euo pipefail
swift --version
swift build
if [ -n "${EDGEREP_UPDATE_FIXTURE:-}" ]; then swift test --filter ReportFixtureTests || true; exit 0; fi
swift test
"$(swift build --show-bin-path)/edgerep-bench" --selftest --samples --json "$1" --force
'

# The self-test report must pass edgerep's reader, and its figures must be edgerep's statistics of
# the samples it holds, to the samples' stored resolution (as core/test.sh checks the Kotlin core's report).
check_report() {
  echo "linux-test.sh: edgerep bench ingest $1" >&2
  (cd "$repo" && PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" "$python" -m edgerep.cli bench ingest "$1" >&2) || {
    echo "linux-test.sh: edgerep bench ingest rejected the report edgerep-bench wrote ($1)" >&2; return 1; }
  (cd "$repo" && PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" "$python" - "$1" <<'PY'
import sys
from edgerep.bench.ingest import ingest
from edgerep.bench.records import Record
from edgerep.bench.stats import summarize
(report,) = ingest([sys.argv[1]])
(record,) = report.records
assert report.tool["name"] == "edgerep-bench" and record.status == "ok" and record.runtime == "swift", record
again = Record(model=record.model, form=record.form, runtime=record.runtime, precision=record.precision, macs=record.macs)
again.set_summary(summarize(record.samples_ms, report.protocol["trim"]))
expected = again.to_dict()
# The samples are stored to 0.1 us, the statistics from the unrounded ones: they agree to 0.2 us
# (bit-for-bit agreement is the golden vectors' job; here the path from clock to file is checked).
for key in ("iterations", "kept"):
    assert getattr(record, key) == expected[key], (key, getattr(record, key), expected[key])
for key in ("median_ms", "mean_ms", "low_ms", "high_ms", "p90_ms", "p95_ms", "p99_ms", "std_ms", "min_ms", "max_ms"):
    assert abs(getattr(record, key) - expected[key]) <= 2e-4, (key, getattr(record, key), expected[key])
assert abs(record.gmacs_per_s - expected["gmacs_per_s"]) <= 1e-3 * expected["gmacs_per_s"] + 1e-6
print(f"  {record.model}: median {record.median_ms} ms over {record.iterations} samples, edgerep's statistics", file=sys.stderr)
PY
  ) || { echo "linux-test.sh: the self-test report's figures are not edgerep's statistics of its samples" >&2; return 1; }
}

if [ "$(uname -s)" = Darwin ] || [ "${EDGEREP_SWIFT:-}" = native ]; then
  command -v swift >/dev/null || { echo "linux-test.sh: no swift on PATH (install Xcode 16+ or a Swift 6 toolchain)" >&2; exit 2; }
  cd "$here"
  report="${report_out:-$here/.build/selftest-report.json}"
  fixture=""
  [ "$update_fixture" = 1 ] && fixture="$here/Tests/EdgeRepBenchCoreTests/Resources/fixtures/swift_report.json"
  EDGEREP_UPDATE_FIXTURE="$fixture" bash -c "$steps" steps "$report"
  [ "$update_fixture" = 1 ] && { echo "linux-test.sh: updated $fixture; run again to test" >&2; exit 0; }
  check_report "$report"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "linux-test.sh: run as root (debootstrap, chroot and mounting /proc need it), or on a machine with Swift 6: EDGEREP_SWIFT=native $0" >&2
  exit 2
fi

cache="${EDGEREP_SWIFT_CHROOT:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/edgerep/swift-trixie}"
root="$cache/root"
stamp="$cache/ready"
want="trixie minbase swiftlang libc6-dev libstdc++-14-dev 1"
mkdir -p "$cache"

# One run at a time: engineers and CI on one machine share the cache.
exec 9>"$cache/lock"
if ! flock -n 9; then
  echo "linux-test.sh: waiting for another run using $cache" >&2
  flock 9
fi

mounted=""
cleanup() {
  if [ -n "$mounted" ] && mountpoint -q "$root/proc"; then
    umount "$root/proc" || umount -l "$root/proc" || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

unmount_all_under() {  # anything a killed earlier run left mounted in the chroot
  local m
  for m in $(awk -v r="$root/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do
    umount "$m" || umount -l "$m"
  done
}

if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x "$root/usr/bin/swift" ]; then
  echo "linux-test.sh: building the Swift chroot in $root (once: ~3 min, 3.2 GB)" >&2
  rm -f "$stamp"
  if [ -e "$root" ]; then
    unmount_all_under
    rm -rf --one-file-system "$root"
  fi
  if ! command -v debootstrap >/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
  fi
  debootstrap --variant=minbase trixie "$root" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 || {
    echo "linux-test.sh: debootstrap failed; the end of $cache/debootstrap.log:" >&2
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 1
  }
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"; mounted=1
  chroot "$root" apt-get update -q
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    swiftlang libc6-dev libstdc++-14-dev
  chroot "$root" apt-get clean
  echo "$want" > "$stamp"  # last: its presence means the chroot is complete
  echo "linux-test.sh: chroot ready" >&2
fi

if [ -z "$mounted" ]; then
  unmount_all_under
  mount -t proc proc "$root/proc"; mounted=1
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"

# The package, fresh each run (no .build from an earlier run or from a Mac).
rm -rf "$root/work"
mkdir -p "$root/work/ios_harness"
tar -C "$here" --exclude=./.build --exclude=./.swiftpm -cf - . | tar -C "$root/work/ios_harness" -xf -

set +e
fixture=""
[ "$update_fixture" = 1 ] && fixture=/work/swift_report.json
chroot "$root" env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  EDGEREP_UPDATE_FIXTURE="$fixture" bash -c "cd /work/ios_harness; $steps" steps /work/selftest-report.json 2>&1 | tee "$cache/last-run.log"
status=${PIPESTATUS[0]}
set -e
summary=$(sed -n "s/^Test Suite 'All tests' \(passed\|failed\) at .*/\1/p" "$cache/last-run.log" | tail -n 1 || true)
counts=$(grep -A1 "^Test Suite 'All tests'" "$cache/last-run.log" | sed -n 's/.*Executed \([0-9]*\) tests\?, with \([0-9]*\) failures\?.*/\1 \2/p' | tail -n 1 || true)
if [ "$status" != 0 ]; then
  echo "linux-test.sh: swift build, swift test or the self-test failed (status $status${summary:+, XCTest: $summary}); log: $cache/last-run.log" >&2
  [ -n "$counts" ] && echo "swift: $((${counts% *} - ${counts#* })) passed, ${counts#* } failed"
  exit 1
fi
if [ "$update_fixture" = 1 ]; then
  cp "$root/work/swift_report.json" "$here/Tests/EdgeRepBenchCoreTests/Resources/fixtures/swift_report.json"
  echo "linux-test.sh: updated Tests/EdgeRepBenchCoreTests/Resources/fixtures/swift_report.json; run again to test" >&2
  exit 0
fi
report="${report_out:-$cache/selftest-report.json}"
cp "$root/work/selftest-report.json" "$report"
check_report "$report" || { echo "swift: $((${counts% *} - ${counts#* })) passed, 1 failed (the self-test report)"; exit 1; }
echo "swift: ${counts% *} XCTest cases passed, the self-test report ingested"
