#!/bin/sh
# Runs each libFuzzer target once over its committed corpus
# (tests/fuzz/corpus/NAME): a crash or sanitizer report fails the target.
# SPDX-License-Identifier: Apache-2.0
dir=${1:-build/fuzz}
pass=0 fail=0
for f in "$dir"/fuzz_*; do
	[ -x "$f" ] || continue
	name=${f##*/fuzz_}
	corpus=tests/fuzz/corpus/$name
	if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
		echo "FAIL $name: no corpus in $corpus"
		fail=$((fail + 1))
		continue
	fi
	n=$(ls "$corpus" | wc -l)
	if "$f" -runs=0 "$corpus" >"$dir/$name.replay.log" 2>&1; then
		echo "ok   $name ($n inputs)"
		pass=$((pass + 1))
	else
		echo "FAIL $name: see below"
		tail -30 "$dir/$name.replay.log"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
