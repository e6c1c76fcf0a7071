#!/bin/sh
# bench/run_address.sh [BUILD_DIR] [N] - time `heapdig address --summary` on a dump with N
# (default 100000) memory ranges; prints wall time and peak RSS (GNU time).  See bench/README.md.
set -eu
build=${1:-build/release}
n=${2:-100000}
dump=${TMPDIR:-/tmp}/heapdig_bench_address_$n.dmp
"$build/bench/bench_address" "$dump" "$n"
ls -l "$dump"
for i in 1 2 3; do
  /usr/bin/time -f "run $i: wall %e s, user %U s, sys %S s, peak RSS %M kB" \
    "$build/heapdig" address --summary "$dump" > /dev/null
done
rm -f "$dump"
