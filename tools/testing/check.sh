#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Usage: check.sh [STEP...]
# Runs iopass's checks and prints one result line per suite and a last line
# "N passed, M failed"; exits non-zero if anything failed.  With no STEP,
# everything:
#   rig                      the rig's own judges (watch.py, shards.py,
#                            report.py) on a stand-in VM: test_rig.py
#   lint                     checkpatch --strict, sparse, kernel-doc
#   dkms                     a DKMS build for the stock 6.1 and 6.12 kernels
#   htmldocs                 Documentation/ rendered by Sphinx, -W
#   tools                    iopassctl and the examples built (-Werror),
#                            the man page rendered, the completion parsed,
#                            make install-tools into a staging directory
#   build-6.1 build-6.12 build-debug    W=1, warnings fail
#   kunit                    KUnit on the debug kernel, via kunit.py parse
#   selftests-6.1 selftests-6.12 selftests-debug
#                            (selftests-debug is split over several boots,
#                            SHARDS_debug below, and checked to have run
#                            every case exactly once)
#   fuzz-<kver>              (not in the default list: make fuzz) the
#                            fuzzer's long run, FUZZ_ITERS and FUZZ_SEED
#   variants-6.1 variants-6.12 variants-debug   (machine_variants, booted
#                            with identity default domains, with the IOMMU
#                            off, and without interrupt remapping)
#   nested-6.1 nested-6.12 nested-debug   an unmodified QEMU in the
#                            guest (one vCPU, an EPYC) assigns the nvme
#                            through iopass_vfio.ko to a nested KVM guest,
#                            plain and with a vIOMMU; the host finds the
#                            nested guest's writes in the backing image
#                            (nested-guest.sh)
#   nested-ref               the same on 6.12's own vfio-pci: the reference
#   dpdk-6.1 dpdk-6.12 dpdk-debug   Debian's unmodified dpdk-testpmd drives an
#                            e1000 through iopass_vfio.ko (vfio_names=1) in
#                            txonly mode; the host counts its frames in
#                            QEMU's pcap (dpdk-guest.sh)
#   bench-smoke              make bench's harness end to end on stock 6.1 at
#                            64 MiB, one round (vm-start: one start each):
#                            every row measured for every peer, no error, a clean kernel log (no timing
#                            is judged: make bench is where numbers come from)
# A VM run also fails on a guest kernel log report no test expected.
#
# The steps that need no VM run first, one after the other, while the debug
# kernel builds (once per machine) in the background.  Then every VM boot
# is a job, CHECK_JOBS at a time (default: one per CPU, since a TCG guest
# is one thread), longest first; every minute the running ones say how far
# they are.  The end prints each step's seconds and the whole run's.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
rig="$top/tools/testing/vm"
cd "$top"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(rig lint htmldocs tools dkms build-6.1 build-6.12 build-debug kunit
				 selftests-6.1 selftests-6.12 selftests-debug
				 variants-6.1 variants-6.12 variants-debug
				 nested-6.1 nested-6.12 nested-debug nested-ref
				 dpdk-6.1 dpdk-6.12 dpdk-debug bench-smoke)
width=${CHECK_JOBS:-$(nproc)}
jobdir="$top/build/check"
rm -rf "$jobdir" && mkdir -p "$jobdir"
t_start=$SECONDS

# The debug selftests, split over boots that run side by side.  An entry
# is a comma-separated list for guest-init.sh's rig_only=: programs, and a
# harness program with its -v (include variant) filters after ':'.  One
# more boot, the rest, runs every program no entry names, and a program
# split by -v with the variants no entry names (-V): a new program or
# variant lands there, never nowhere.  Sized from the per-case times the
# rig writes to build/vm-*/times.txt (Documentation/testing.rst).
SHARDS_debug=(
	"iopass_fail_nth:-v:edu_bind,iopass_ioctl_rules"
	"iopass_fail_nth:-v:edu_attach:-v:edu_map:-v:edu_detach:-v:edu_set_irqs:-v:edu_mmap,iopass_fuzz"
)

# Harness timeouts, multiplied in the guest (selftests/iopass_main.h):
# sized on a fast machine, they are no hang detector on a slow one running
# a debug kernel under TCG; watch.py's silence watchdog is.
export RIG_APPEND="${RIG_APPEND:-} rig_timeout_scale=${CHECK_TIMEOUT_SCALE:-10}"

total_pass=0 total_fail=0
summary=()

# record NAME PASSED FAILED SECONDS
record() {
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
	summary+=("$(printf '%-24s %3d passed, %d failed  %5ss' "$1" "$2" "$3" "$4")")
}

# An all-or-nothing step: one test case.  Prints its verdict and, last,
# "REC NAME PASSED FAILED SECONDS".
single() {
	local name=$1 log="$top/build/$1.log"; shift
	local t0=$SECONDS
	mkdir -p "$top/build"
	if "$@" >"$log" 2>&1; then
		echo "ok   $name ($((SECONDS - t0))s)"
		echo "REC $name 1 0 $((SECONDS - t0))"
	else
		sed 's/^/     | /' "$log" | tail -n 40
		echo "FAIL $name ($((SECONDS - t0))s, log: $log)"
		echo "REC $name 0 1 $((SECONDS - t0))"
	fi
}

# vm NAME KVER SUITE [VARIANT [RIG_ONLY]]: boot KVER, run SUITE, count its
# test cases; logs in build/vm-NAME.  Prints like single().
vm() {
	local name=$1 kver=$2 suite=$3 variant=${4:-default} only=${5:-}
	local out="$top/build/vm-$name" t0=$SECONDS line boot

	local quiet=${RIG_QUIET:-600} tries=1

	# The nested suites: their outer guest (one vCPU, TCG emulating SVM)
	# was seen to stop dead with the nested guest in the middle of its
	# boot, now and then, on the kernel's vfio-pci as well (a TCG/SVM
	# problem: Documentation/vfio-compat.rst).  The suite prints a line
	# every 30 s while alive, so 240 s of silence means that; the boot
	# is then run again, up to twice more, and the step says so.  The
	# stopped boot's logs stay in build/vm-NAME.stopped-N.
	if [[ $suite == nested* ]]; then
		quiet=240 tries=3
	fi
	rm -rf "$out".stopped-*
	while :; do
		rm -rf "$out" && mkdir -p "$out"
		RIG_QUIET=$quiet RIG_VARIANT=$variant RIG_ONLY=$only \
			"$rig/run.sh" "$kver" "$suite" "$out" >"$out/run.log" 2>&1
		local rc=$?
		tries=$((tries - 1))
		[ $tries -gt 0 ] &&
			grep -q '^rig: watchdog' "$out/results.log" 2>/dev/null || break
		echo "  $name: the outer guest stopped (watchdog; logs: $out.stopped-$tries); once more"
		mv "$out" "$out.stopped-$tries"
	done
	if [ $rc != 0 ]; then
		sed 's/^/     | /' "$out/run.log" | tail -n 40
		echo "FAIL $name: the VM could not be prepared (log: $out/run.log)"
		echo "REC $name 0 1 $((SECONDS - t0))"
		return
	fi
	line=$(python3 "$rig/report.py" "$name" "$out" \
		"$("$rig/src-tree.sh")/tools/testing/kunit/kunit.py" | tee "$out/report.txt" | tail -n1)
	grep -v '^suite ' "$out/report.txt"
	# The step's seconds, and the boot's own (without waiting for builds).
	boot=$(awk 'NR == 1 { printf "%d", $1 }' "$out/times.txt" 2>/dev/null)
	if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		local p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
		[ "$f" = 0 ] && echo "ok   $name: $p passed ($((SECONDS - t0))s, the boot ${boot}s)" ||
			echo "FAIL $name: $p passed, $f failed ($((SECONDS - t0))s, logs: $out)"
		echo "REC $name $p $f $((SECONDS - t0))"
	else
		echo "FAIL $name: no result (logs: $out)"
		echo "REC $name 0 1 $((SECONDS - t0))"
	fi
}

# now NAME COMMAND...: run a step in the foreground, show it, record it.
now() {
	local f="$jobdir/$1.out"; shift
	"$@" >"$f" 2>&1
	finish "$f"
}

# Show a finished step's output and record it.
finish() {
	local rec
	grep -v '^REC ' "$1"
	while read -r rec; do
		# shellcheck disable=SC2086 # REC NAME PASSED FAILED SECONDS
		record ${rec#REC }
	done < <(grep '^REC ' "$1")
}

# ---- the VM jobs ----

queue=()	# "WEIGHT NAME COMMAND...": a VM job, heavier ones started first

# enqueue WEIGHT NAME COMMAND...
enqueue() {
	queue+=("$*")
}

# Queue one step's VM boots.  While the debug kernel is still to be built,
# the boots that do not need it go first: they run beside its build
# instead of holding CPUs to wait for it.
plan() {
	local step=$1 kver i shards stock=0

	debug_kernel_built || stock=10000
	case "$step" in
	kunit) enqueue 40 kunit-debug vm kunit-debug debug kunit ;;
	selftests-debug)
		shards=("${SHARDS_debug[@]}"
			"$(python3 "$rig/shards.py" rest "$top/selftests" "${SHARDS_debug[@]}")")
		for i in "${!shards[@]}"; do
			enqueue 600 "selftests-debug-$((i + 1))" vm "selftests-debug-$((i + 1))" \
				debug selftests default "${shards[$i]}"
		done
		enqueue 0 selftests-debug-cover covered selftests-debug "${#shards[@]}"
		;;
	selftests-*) enqueue $((stock + 200)) "$step" vm "$step" "${step#selftests-}" selftests ;;
	fuzz-*) enqueue 1000 "$step" vm "$step" "${step#fuzz-}" fuzz ;;
	variants-*)
		kver=${step#variants-}
		[ "$kver" != debug ] || stock=0
		for v in pt noiommu nointremap sriov numa; do
			enqueue $((stock + 30)) "$v-$kver" vm "$v-$kver" "$kver" variant "$v"
		done
		;;
	nested-ref) enqueue $((stock + 150)) nested-ref vm nested-ref 6.12 nestedref ;;
	dpdk-*)
		kver=${step#dpdk-}
		[ "$kver" != debug ] || stock=0
		enqueue $((stock + 30)) "$step" vm "$step" "$kver" dpdk
		;;
	nested-*)
		kver=${step#nested-}
		[ "$kver" != debug ] || stock=0
		enqueue $((stock + 150)) "$step" vm "$step" "$kver" nested
		;;
	bench-smoke) enqueue $((stock + 100)) bench-smoke single bench-smoke env BENCH_KVERS=6.1 \
		BENCH_CM=on BENCH_SIZE=64M BENCH_RUNS=1 BENCH_NOLOCK=1 BENCH_VMSTART_ROUNDS=1 \
		BENCH_OUT="$top/build/bench-smoke" "$rig/bench.sh" ;;
	*) return 1 ;;
	esac
}

# covered NAME N: the N boots NAME-1..N together ran every test case of
# every program once (tools/testing/vm/shards.py).
covered() {
	local name=$1 n=$2 i dirs=()

	for i in $(seq 1 "$n"); do
		dirs+=("$top/build/vm-$name-$i")
	done
	single "$name-cover" python3 "$rig/shards.py" covered "$top/selftests" "${dirs[@]}"
}

# Run the queue, CHECK_JOBS at a time; the cover checks once all is done.
run_queue() {
	local -A pid=() out=()
	local q sorted=() job=() last=$SECONDS i=0

	mapfile -t sorted < <(printf '%s\n' "${queue[@]}" | sort -s -k1,1nr)
	for q in "${sorted[@]}"; do
		read -r -a job <<<"$q"
		[[ ${job[1]} == *-cover ]] && continue
		while [ ${#pid[@]} -ge "$width" ]; do
			sleep 2
			reap pid out
			progress pid last
		done
		out[${job[1]}]="$jobdir/$((i++))-${job[1]}.out"
		"${job[@]:2}" >"${out[${job[1]}]}" 2>&1 &
		pid[${job[1]}]=$!
	done
	while [ ${#pid[@]} -gt 0 ]; do
		sleep 2
		reap pid out
		progress pid last
	done
	for q in "${sorted[@]}"; do
		read -r -a job <<<"$q"
		[[ ${job[1]} == *-cover ]] && now "${job[1]}" "${job[@]:2}"
	done
}

# reap PIDS OUTS: finish the jobs that ended.
reap() {
	local -n _pid=$1 _out=$2
	local name

	for name in "${!_pid[@]}"; do
		kill -0 "${_pid[$name]}" 2>/dev/null && continue
		wait "${_pid[$name]}"
		finish "${_out[$name]}"
		unset "_pid[$name]"
	done
}

# progress PIDS LAST: once a minute, how far each running job is.
progress() {
	local -n _p=$1 _last=$2
	local name f

	[ $((SECONDS - _last)) -ge 60 ] || return 0
	_last=$SECONDS
	for name in "${!_p[@]}"; do
		f="$top/build/vm-$name/progress"
		if [ -e "$f" ]; then
			echo "  .. $name: $(cat "$f")"
		elif [ -d "${f%/*}" ]; then
			echo "  .. $name: preparing ($(kernel_state))"
		else
			echo "  .. $name: running, $((SECONDS - t_start)) s into the run"
		fi
	done
}

# Whether the debug kernel is in the cache (build-debug-kernel.sh's mark).
debug_kernel_built() {
	[ -e "$(. "$rig/lib.sh"; debug_build_dir)/.iopass-built" ]
}

kernel_state() {
	if debug_kernel_built; then
		echo "building the module and the initramfs"
	else
		echo "waiting for the debug kernel, $((SECONDS - t_start)) s into the run"
	fi
}

# ---- the run ----

# The debug kernel, in the background while the steps before the VMs run
# (a no-op when it is in the cache already).
if printf '%s\n' "${steps[@]}" | grep -qE '^(build-debug|kunit|.*-debug)$'; then
	"$rig/build-debug-kernel.sh" >"$top/build/debug-kernel.log" 2>&1 &
fi

for step in "${steps[@]}"; do
	case "$step" in
	rig) now rig single rig python3 "$rig/test_rig.py" ;;
	lint) now lint single lint "$top/tools/testing/lint.sh" ;;
	dkms) now dkms single dkms "$top/tools/testing/dkms.sh" ;;
	htmldocs) now htmldocs single htmldocs env IOPASS_KSRC="$("$rig/src-tree.sh")" \
		sphinx-build -W -q -b html "$top/Documentation" \
		"$top/Documentation/output" ;;
	tools) now tools single tools "$top/tools/testing/tools.sh" ;;
	build-debug) enqueue 50 build-debug single build-debug \
		"$top/tools/testing/build.sh" debug ;;
	build-*) now "$step" single "$step" "$top/tools/testing/build.sh" "${step#build-}" ;;
	*) plan "$step" || { echo "check: unknown step '$step'" >&2; record "$step" 0 1 0; } ;;
	esac
done
[ ${#queue[@]} = 0 ] || run_queue
wait

echo
printf '%s\n' "${summary[@]}"
t=$((SECONDS - t_start))
echo "check: $((t / 60)) min $((t % 60)) s in all, $width VM jobs at a time ($(lscpu |
	sed -n 's/^Model name: *//p'))"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
