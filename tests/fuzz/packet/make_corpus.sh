#!/bin/sh
# Regenerates tests/fuzz/packet/corpus/ from the hex: lines of tests/vectors/*.txt: one binary
# file per vector, named after it. Crashers found by the fuzzer are kept beside them as
# crash-<sha1> and are not touched by this script.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
vectors="$here/../../vectors"
out="$here/corpus"
mkdir -p "$out"
rm -f "$out"/vec-*
for f in "$vectors"/*.txt; do
    awk '/^name:/ { name = $2 } /^hex:/ { print name, $2 }' "$f" | while read -r name hex; do
        printf '%s' "$hex" | xxd -r -p > "$out/vec-$name"
    done
done
ls "$out" | wc -l
