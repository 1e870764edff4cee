#!/usr/bin/env bash
# Compile and test the Kotlin core of the Android harness without Gradle or the Android SDK, then
# check that a report it writes passes `edgerep bench ingest` and that a face gallery it writes loads
# in edgerep's own `Gallery.load` and identifies as the core does. CI runs it after the Python suite
# (.ci/run); it needs only a JDK 17+, npm, and apt-get (as root) on a Debian machine.
#
#   android_harness/core/test.sh                    compile, test, check the report and gallery tests wrote
#   android_harness/core/test.sh --update-fixture   also refresh tests/fixtures/kotlin_core_{report,gallery}.json
#
# Installs, once, into a cache outside git ($EDGEREP_TOOLCHAIN, default ~/.cache/edgerep/toolchain):
#   - the Kotlin compiler, npm package kotlin-compiler@2.4.20 (the full distribution, kotlinc-jvm);
# and with apt-get when missing: junit5 (JUnit 5 console launcher and Jupiter API) and
# libandroid-json-java (org.json as Android ships it, so the core runs unchanged on the phone).
# Sources compile with -language-version 2.2 so they stay valid for the Gradle build's Kotlin 2.2.21.
set -euo pipefail

KOTLIN_VERSION=2.4.20
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${EDGEREP_TOOLCHAIN:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/edgerep/toolchain}"
build="$here/build/script"
python="${PYTHON:-python3}"
update_fixture=0
for arg in "$@"; do
  case "$arg" in
    --update-fixture) update_fixture=1 ;;
    *) echo "core/test.sh: unknown argument $arg (use --update-fixture or nothing)" >&2; exit 2 ;;
  esac
done

say() { echo "core/test.sh: $*" >&2; }

command -v java >/dev/null && command -v javac >/dev/null || {
  say "a JDK 17+ is needed (java and javac on PATH); on Debian: apt-get install openjdk-17-jdk-headless"; exit 2; }

# --- Kotlin compiler (npm) --------------------------------------------------------------------
kotlin_home="$cache/kotlin-$KOTLIN_VERSION/node_modules/kotlin-compiler"
if [ ! -x "$kotlin_home/bin/kotlinc-jvm" ]; then
  command -v npm >/dev/null || { say "npm is needed to install kotlin-compiler@$KOTLIN_VERSION"; exit 2; }
  say "installing kotlin-compiler@$KOTLIN_VERSION into $cache (once)"
  mkdir -p "$cache/kotlin-$KOTLIN_VERSION"
  npm install --silent --no-audit --no-fund --prefix "$cache/kotlin-$KOTLIN_VERSION" "kotlin-compiler@$KOTLIN_VERSION" >&2
fi
chmod +x "$kotlin_home"/bin/* 2>/dev/null || true

# --- JUnit 5 and org.json (Debian) ------------------------------------------------------------
java_dir=/usr/share/java
jars_needed=(junit-platform-console-standalone.jar junit-jupiter-api.jar opentest4j.jar apiguardian-api.jar
             junit-platform-commons.jar com.android.json.jar)
missing=0
for jar in "${jars_needed[@]}"; do [ -f "$java_dir/$jar" ] || missing=1; done
if [ "$missing" = 1 ]; then
  [ "$(id -u)" = 0 ] || { say "junit5 and libandroid-json-java are missing; run as root or: sudo apt-get install junit5 libandroid-json-java"; exit 2; }
  say "installing junit5 and libandroid-json-java with apt-get (once)"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq junit5 libandroid-json-java >&2
fi

json="$java_dir/com.android.json.jar"
junit_api="$java_dir/junit-jupiter-api.jar:$java_dir/opentest4j.jar:$java_dir/apiguardian-api.jar:$java_dir/junit-platform-commons.jar"
stdlib="$kotlin_home/lib/kotlin-stdlib.jar"
kotlinc=("$kotlin_home/bin/kotlinc-jvm" -jvm-target 17 -language-version 2.2 -api-version 2.2 -Werror)

# --- compile ----------------------------------------------------------------------------------
rm -rf "$build"
mkdir -p "$build/main" "$build/test"
say "compiling core (main sources: no Android, org.json only)"
"${kotlinc[@]}" -cp "$json" -d "$build/main" "$here/src/main/kotlin"
say "compiling core tests"
"${kotlinc[@]}" -cp "$build/main:$json:$junit_api" -d "$build/test" "$here/src/test/kotlin"

# --- test -------------------------------------------------------------------------------------
report="$build/kotlin-core-report.json"
gallery="$build/kotlin-core-gallery.json"
set +e
java -Dedgerep.report.out="$report" -Dedgerep.gallery.out="$gallery" -jar "$java_dir/junit-platform-console-standalone.jar" \
  --disable-banner --details=tree --disable-ansi-colors \
  -cp "$build/main:$build/test:$here/src/test/resources:$stdlib:$json" \
  --scan-classpath "$build/test" 2>&1 | tee "$build/junit.txt"
status=${PIPESTATUS[0]}
set -e
passed=$(sed -n 's/^\[ *\([0-9]*\) tests successful *\]$/\1/p' "$build/junit.txt")
failed=$(sed -n 's/^\[ *\([0-9]*\) tests failed *\]$/\1/p' "$build/junit.txt")
found=$(sed -n 's/^\[ *\([0-9]*\) tests found *\]$/\1/p' "$build/junit.txt")
if [ -z "$found" ] || [ "$found" = 0 ]; then
  say "JUnit found no test"; echo "kotlin: 0 passed, 1 failed"; exit 1
fi

# --- the report a test wrote must pass edgerep's own reader -----------------------------------
ingested=1
if [ -f "$report" ]; then
  say "edgerep bench ingest $report"
  # Exit 1 is ingest reading the report and reporting its failed records: the test run scripts an
  # NNAPI delegate that fails to apply, so the report holds three on purpose. Exit 2 is a refusal.
  rc=0
  (cd "$repo" && PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" "$python" -m edgerep.cli bench ingest "$report" >&2) || rc=$?
  if [ "$rc" = 0 ] || [ "$rc" = 1 ]; then
    ingested=0
    if [ "$update_fixture" = 1 ]; then
      cp "$report" "$repo/tests/fixtures/kotlin_core_report.json"
      say "updated tests/fixtures/kotlin_core_report.json"
    fi
  else
    say "edgerep bench ingest rejected the report the Kotlin core wrote ($report)"
  fi
else
  say "no report at $report: the writer test did not run"
fi

# --- the gallery a test wrote must load in edgerep and identify the golden probes as the core did ---
loaded=1
if [ -f "$gallery" ]; then
  say "edgerep Gallery.load $gallery"
  check_gallery='
import json, sys
from edgerep.face.gallery import Gallery
g = Gallery.load(sys.argv[1])
probes = json.load(open(sys.argv[2], encoding="utf-8"))["cases"][0]["probes"]
found = [g.identify(p["embedding"]).name for p in probes]
want = [None, "zo\u00eb", "marie curie", "ada lovelace"]
assert g.names == ["ada lovelace", "zo\u00eb", "marie curie"], g.names
assert found == want, found
print("  %d identities, probes identified as %s" % (len(g.names), found), file=sys.stderr)
'
  if (cd "$repo" && PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" "$python" -c "$check_gallery" "$gallery" \
        "$here/src/test/resources/vectors/gallery.json" >&2); then
    loaded=0
    if [ "$update_fixture" = 1 ]; then
      cp "$gallery" "$repo/tests/fixtures/kotlin_core_gallery.json"
      say "updated tests/fixtures/kotlin_core_gallery.json"
    fi
  else
    say "edgerep refused the gallery the Kotlin core wrote ($gallery), or identified differently"
  fi
else
  say "no gallery at $gallery: the gallery writer test did not run"
fi

failed=$((${failed:-0} + ingested + loaded))
passed=$((${passed:-0} + (1 - ingested) + (1 - loaded)))
echo "kotlin: $passed passed, $failed failed"
[ "$status" = 0 ] && [ "$ingested" = 0 ] && [ "$loaded" = 0 ]
