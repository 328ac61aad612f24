#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Usage: check.sh [STEP...]
# Runs iopass's checks and prints one result line per suite and a last line
# "N passed, M failed"; exits non-zero if anything failed.  With no STEP,
# everything, in order:
#   lint                     checkpatch --strict, sparse, kernel-doc
#   dkms                     a DKMS build for the stock 6.1 and 6.12 kernels
#   htmldocs                 Documentation/ rendered by Sphinx, -W
#   tools                    iopassctl and the examples built (-Werror),
#                            the man page rendered, the completion parsed,
#                            make install-tools into a staging directory
#   build-6.1 build-6.12 build-debug    W=1, warnings fail
#   kunit                    KUnit on the debug kernel, via kunit.py parse
#   selftests-6.1 selftests-6.12 selftests-debug
#   fuzz-<kver>              (not in the default list: make fuzz) the
#                            fuzzer's long run, FUZZ_ITERS and FUZZ_SEED
#   variants-6.1 variants-6.12 variants-debug   (machine_variants, booted
#                            with identity default domains, with the IOMMU
#                            off, and without interrupt remapping)
#   bench-smoke              make bench's harness end to end on stock 6.1 at
#                            64 MiB, one round: every row measured for every
#                            peer, no error, a clean kernel log (no timing
#                            is judged: make bench is where numbers come from)
# A VM run also fails on a guest kernel log report no test expected.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
rig="$top/tools/testing/vm"
cd "$top"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(lint htmldocs tools dkms build-6.1 build-6.12 build-debug kunit
				 selftests-6.1 selftests-6.12 selftests-debug
				 variants-6.1 variants-6.12 variants-debug bench-smoke)
total_pass=0 total_fail=0
summary=()

# record NAME PASSED FAILED
record() {
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
	summary+=("$(printf '%-18s %3d passed, %d failed' "$1" "$2" "$3")")
}

# An all-or-nothing step: one test case.
single() {
	local name=$1 log="$top/build/$1.log"; shift
	local t0=$SECONDS
	mkdir -p "$top/build"
	if "$@" >"$log" 2>&1; then
		echo "ok   $name ($((SECONDS - t0))s)"
		record "$name" 1 0
	else
		sed 's/^/     | /' "$log" | tail -n 40
		echo "FAIL $name ($((SECONDS - t0))s, log: $log)"
		record "$name" 0 1
	fi
}

# vm KVER SUITE [VARIANT]: boot KVER, run SUITE, count its test cases.
vm() {
	local kver=$1 suite=$2 variant=${3:-default}
	local name="$2-$1" out="$top/build/vm-$2-$1"

	if [ "$variant" != default ]; then
		name="$variant-$kver"
		out="$top/build/vm-$variant-$kver"
	fi
	local t0=$SECONDS line
	mkdir -p "$out"
	if ! RIG_VARIANT=$variant "$rig/run.sh" "$kver" "$suite" "$out" \
			>"$out/run.log" 2>&1; then
		sed 's/^/     | /' "$out/run.log" | tail -n 40
		echo "FAIL $name: the VM could not be prepared (log: $out/run.log)"
		record "$name" 0 1
		return
	fi
	line=$(python3 "$rig/report.py" "$name" "$out" \
		"$("$rig/src-tree.sh")/tools/testing/kunit/kunit.py" | tee "$out/report.txt" | tail -n1)
	grep -v '^suite ' "$out/report.txt"
	if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		local p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
		[ "$f" = 0 ] && echo "ok   $name: $p passed ($((SECONDS - t0))s)" ||
			echo "FAIL $name: $p passed, $f failed ($((SECONDS - t0))s, logs: $out)"
		record "$name" "$p" "$f"
	else
		echo "FAIL $name: no result (logs: $out)"
		record "$name" 0 1
	fi
}

for step in "${steps[@]}"; do
	case "$step" in
	lint) single lint "$top/tools/testing/lint.sh" ;;
	dkms) single dkms "$top/tools/testing/dkms.sh" ;;
	htmldocs) single htmldocs env IOPASS_KSRC="$("$rig/src-tree.sh")" \
		sphinx-build -W -q -b html "$top/Documentation" \
		"$top/Documentation/output" ;;
	tools) single tools "$top/tools/testing/tools.sh" ;;
	build-*) single "$step" "$top/tools/testing/build.sh" "${step#build-}" ;;
	kunit) vm debug kunit ;;
	selftests-*) vm "${step#selftests-}" selftests ;;
	fuzz-*) vm "${step#fuzz-}" fuzz ;;
	variants-*)
		for v in pt noiommu nointremap; do
			vm "${step#variants-}" variant "$v"
		done
		;;
	bench-smoke) single bench-smoke env BENCH_KVERS=6.1 BENCH_CM=on \
		BENCH_SIZE=64M BENCH_RUNS=1 BENCH_NOLOCK=1 \
		BENCH_OUT="$top/build/bench-smoke" "$rig/bench.sh" ;;
	*) echo "check: unknown step '$step'" >&2; record "$step" 0 1 ;;
	esac
done

echo
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
