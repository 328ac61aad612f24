#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the rig's VM.  Runs the suites named by rig_suites= on the kernel
# command line and reports on the second serial port (ttyS1), in lines the
# host's report.py reads:
#   rig: suite <name> begin|end
#   rig: prog <name> begin, its TAP, rig: prog <name> rc=<exit code>
#   rig: ktap begin, the kernel log holding KTAP, rig: ktap end
#   rig: kmemleak <line>          (a suspected leak: the run fails)
#   rig: end                      (all done; missing means a crash)
# The kernel log goes to ttyS0, which the host scans (scan-log.py).
export PATH=/iopass/bin:/bin:/sbin
. /iopass/tap.sh	# the module helpers (tools/testing/vm/tap.sh)
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/hugepages && mount -t hugetlbfs none /dev/hugepages
echo 64 > /proc/sys/vm/nr_hugepages

exec >/dev/ttyS1 2>&1
export IOPASS_KO=/iopass/iopass.ko
KMEMLEAK=/sys/kernel/debug/kmemleak

# The stock kernels' modules the tests use: e1000 is the DMA-API driver of
# a group mate, pci-stub a driver that does no DMA, irqbypass a dependency
# of iopass.
for m in /lib/modules/*.ko; do
	[ -e "$m" ] && insmod "$m"
done
[ -e $KMEMLEAK ] && echo clear > $KMEMLEAK

# The harness's per-test timeouts, multiplied (iopass_main.h).
export IOPASS_TIMEOUT_SCALE=${rig_timeout_scale:-1}

# run NAME CMD...: one test program, its exit code reported.
run() {
	name=$1; shift
	echo "rig: prog $name begin"
	"$@"
	echo "rig: prog $name rc=$?"
}

# Every test program, or those rig_only= names (run.sh's RIG_ONLY):
# entries split by ',', each a program's name and, after ':', arguments
# for it split by ':' (a harness's -v/-V variant filters), e.g.
# rig_only=iopass_fail_nth:-v:edu_bind,iopass_dma
suite_selftests() {
	insmod $IOPASS_KO || echo "rig: insmod iopass.ko failed"
	if [ -z "$rig_only" ]; then
		for t in /iopass/selftests/*; do
			run "${t##*/}" "$t"
		done
	fi
	for entry in $(echo "$rig_only" | tr , ' '); do
		prog=${entry%%:*}
		args=
		[ "$prog" = "$entry" ] || args=$(echo "${entry#*:}" | tr : ' ')
		if [ -x "/iopass/selftests/$prog" ]; then
			# shellcheck disable=SC2086 # split on purpose
			run "$prog" "/iopass/selftests/$prog" $args
		else
			echo "rig: no test program '$prog' failed"
		fi
	done
	rmmod iopass
}

suite_kunit() {
	insmod $IOPASS_KO || echo "rig: insmod iopass.ko failed"
	insmod /iopass/iopass_mock.ko devices=0 ||
		echo "rig: insmod iopass_mock.ko failed"
	# The KTAP the suites print to the kernel log as the module loads.
	dmesg -c >/dev/null
	insmod /iopass/iopass_kunit.ko || echo "rig: insmod iopass_kunit.ko failed"
	echo "rig: ktap begin"
	dmesg
	echo "rig: ktap end"
	rmmod iopass_kunit
	rmmod iopass_mock
	rmmod iopass
}

# The refusal tests for the machine variant this boot is (run.sh).
suite_variant() {
	insmod $IOPASS_KO || echo "rig: insmod iopass.ko failed"
	run "variant_$rig_variant" "/iopass/variants/variant_$rig_variant"
	rmmod iopass
}

# What the machine looks like: for debugging the rig.
suite_info() {
	for d in /sys/bus/pci/devices/*; do
		echo "rig-info: ${d##*/} $(cat $d/vendor):$(cat $d/device)" \
		     "class=$(cat $d/class) group=$(basename "$(readlink $d/iommu_group)")" \
		     "driver=$(basename "$(readlink $d/driver)")" \
		     "reset=$(cat $d/reset_method 2>/dev/null)"
	done
}

# The long fuzzer run (make fuzz): rig_fuzz_iters and rig_fuzz_seed come
# from the kernel command line (RIG_APPEND).
suite_fuzz() {
	insmod $IOPASS_KO || echo "rig: insmod iopass.ko failed"
	IOPASS_FUZZ_ITERS=${rig_fuzz_iters:-200000} \
	IOPASS_FUZZ_SEED=${rig_fuzz_seed:-} \
		run iopass_fuzz /iopass/selftests/iopass_fuzz
	rmmod iopass
}

# make bench (bench.sh): iopass timed against VFIO type1, iommufd and the
# io_uring pinning floor, then against its own VFIO front.  rig_bench_size, rig_bench_runs, rig_bench_cm,
# rig_bench_hugepages and rig_bench_rows (a subset, optional) come from the
# kernel command line.  A stock kernel's vfio modules are in
# /lib/modules/vfio/ (irqbypass, which they need, loaded above).
suite_bench() {
	kernel_vfio_load || echo "bench: error: the kernel's vfio would not load"
	insmod $IOPASS_KO || echo "bench: error insmod iopass.ko failed"
	# The pool hugepages= reserved at boot, which the 64 above shrank.
	echo "${rig_bench_hugepages:-64}" > /proc/sys/vm/nr_hugepages
	[ -d /sys/kernel/tracing/events ] ||
		mount -t tracefs nodev /sys/kernel/tracing
	set -- --size "${rig_bench_size:-1G}" --runs "${rig_bench_runs:-5}" \
		${rig_bench_cm:+--cm $rig_bench_cm} \
		${rig_bench_rows:+--rows $rig_bench_rows}
	run iopass-bench /iopass/bin/iopass-bench "$@"
	# The same rows through iopass's own VFIO front (iopass-bench
	# --front): the kernel's vfio out, iopass_vfio.ko in; the two cannot
	# both hold /dev/vfio/vfio.
	kernel_vfio_unload
	insmod /iopass/iopass_vfio.ko || echo "bench: error insmod iopass_vfio.ko failed"
	run iopass-bench-front /iopass/bin/iopass-bench --front "$@"
	rmmod iopass_vfio
	rmmod iopass
}

# Chasing a rare failure: one test program (rig_soak_prog, default
# iopass_stress), rig_soak_loops times (default 10), optionally only the
# tests named by rig_soak_test (the harness's -t).
suite_soak() {
	prog=${rig_soak_prog:-iopass_stress}
	insmod $IOPASS_KO || echo "rig: insmod iopass.ko failed"
	for i in $(seq 1 "${rig_soak_loops:-10}"); do
		run "$prog" "/iopass/selftests/$prog" ${rig_soak_test:+-t $rig_soak_test}
	done
	rmmod iopass
}

# An unmodified QEMU assigns the nvme, through iopass_vfio.ko, to a nested
# KVM guest (nested.sh; the outer guest is an EPYC: run.sh).  nestedref
# runs the same on the kernel's vfio-pci: the rig's reference, so that a
# failure of iopass's run can be told from a failure of the rig.
suite_nested() {
	run nested /iopass/nested.sh iopass
}

# Debian's unmodified DPDK drives an e1000 through iopass_vfio.ko
# (dpdk-guest.sh; run.sh adds the NIC and checks the pcap).
suite_dpdk() {
	run dpdk /iopass/dpdk.sh
}

# make bench's vm-start row (vmstart.sh; run.sh packs it like nested).
suite_vmstart() {
	run vmstart /iopass/vmstart.sh
}

suite_nestedref() {
	run nested-ref /iopass/nested.sh vfio
}

suite_demo() {
	/iopass/demo.sh
	echo "rig: prog demo rc=$?"
}

# make demo-vm's tour (nested-demo.sh): the nested suite, narrated.
suite_nesteddemo() {
	/iopass/nested-demo.sh
	echo "rig: prog demo rc=$?"
}

echo "rig: begin $(uname -r)"
for suite in $(echo "$rig_suites" | tr , ' '); do
	echo "rig: suite $suite begin"
	"suite_$suite"
	echo "rig: suite $suite end"
done

if [ -e $KMEMLEAK ]; then
	# kmemleak reports only objects unreferenced for a few seconds.
	echo scan > $KMEMLEAK; sleep 6; echo scan > $KMEMLEAK
	sed 's/^/rig: kmemleak /' $KMEMLEAK
fi
echo "rig: end"
sync
poweroff -f
