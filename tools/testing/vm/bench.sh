#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Usage: bench.sh   (make bench)
# iopass timed against VFIO type1, iommufd and the io_uring pinning floor
# (tools/bench/iopass-bench.c).  For each kernel and each VT-d caching
# mode, one VM boot measures all of them side by side: q35 with
# kernel-irqchip=split, VT-d with interrupt remapping, three edus each
# alone in its IOMMU group (iopass, type1, iommufd), a hugetlbfs pool.
#
#   BENCH_KVERS    kernels (kernel.sh names), default "6.1 bench"
#   BENCH_CM       VT-d caching modes, default "on off"
#   BENCH_SIZE     buffer size of the rows (K, M, G), default 1G
#   BENCH_RUNS     timed rounds per row (the median is reported), default 5
#   BENCH_ICOUNT   1: -icount shift=0 (guest time counts instructions)
#   BENCH_ROWS     a subset of the rows (iopass-bench --rows), default all
#   BENCH_TIMEOUT  seconds per boot, default 3600 (watch.py's ceiling)
#   BENCH_QUIET    seconds without a line of results that mean a hang,
#                  default 1200 (watch.py)
#   BENCH_OUT      where the logs and the summary go, default build/bench
#   BENCH_NOLOCK   1: the caller holds the rig lock (check.sh's steps do not
#                  take it), so do not wait for /tmp/iopass-rig.lock
#   BENCH_NO_VMSTART  1: skip the vm-start boots (vmstart.sh: a nested
#                  QEMU's start on vfio-pci and on iopass_vfio.ko, on each
#                  stock kernel)
#   BENCH_VMSTART_ROUNDS  starts of each per vm-start boot, default 3
#
# Each boot leaves $BENCH_OUT/<kver>-cm<on|off>/{console,results}.log and
# bench.txt (its "bench:" lines); the end prints every "bench:" line and a
# table of all boots, also in $BENCH_OUT/summary.txt.  Exits non-zero if
# a boot failed, printed "bench: error" or its kernel log has a report
# (scan-log.py).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kvers=${BENCH_KVERS:-6.1 bench}
cms=${BENCH_CM:-on off}
size=${BENCH_SIZE:-1G}
runs=${BENCH_RUNS:-5}
icount=${BENCH_ICOUNT:-0}
rows=${BENCH_ROWS:-}
timeout_s=${BENCH_TIMEOUT:-3600}
top=${BENCH_OUT:-$TOP_DIR/build/bench}

case "$size" in
*[Gg]) bytes=$((${size%?} << 30)) ;;
*[Mm]) bytes=$((${size%?} << 20)) ;;
*[Kk]) bytes=$((${size%?} << 10)) ;;
*) bytes=$size ;;
esac
[ "$bytes" -gt 0 ] && [ $((bytes % (2 << 20))) = 0 ] ||
	die "BENCH_SIZE=$size: a multiple of 2M, e.g. 64M or 1G"
for cm in $cms; do
	case "$cm" in on|off) ;; *) die "BENCH_CM: 'on' and/or 'off', not '$cm'" ;; esac
done
# The hugetlbfs pool for map-huge, and room for it, a buffer and the rest.
hugepages=$((bytes / (2 << 20) + 8))
mem_mb=$((2 * (bytes >> 20) + 2048))
[ "$mem_mb" -ge 4096 ] || mem_mb=4096

mkdir -p "$top" "$TOP_DIR/build"
rm -f "$top/summary.txt"
# The builds are shared with run.sh, which may run beside this (check.sh).
exec 8>"$TOP_DIR/build/.rig-build.lock"
flock 8
make -s -C "$TOP_DIR/tools" STATIC=1 >&2
flock -u 8
failed=0
boots=()

for kver in $kvers; do
	eval "$("$RIG_DIR/kernel.sh" "$kver")"
	flock 8
	"$TOP_DIR/tools/testing/build.sh" "$kver"

	# The initramfs: busybox, the module, the tools; a stock kernel's vfio
	# modules (irqbypass where guest-init.sh loads every module it finds).
	root="$top/initramfs-$kver"
	rm -rf "$root" && mkdir -p "$root"/{bin,dev,proc,sys,tmp,iopass/bin,lib/modules/vfio}
	cp /bin/busybox "$root/bin/busybox"
	cp "$RIG_DIR/guest-init.sh" "$root/init"
	cp "$RIG_DIR/tap.sh" "$root/iopass/tap.sh"
	cp "$TOP_DIR/build/$kver/src/drivers/iopass/"{iopass,iopass_vfio}.ko "$root/iopass/"
	cp "$TOP_DIR/build/tools-static/iopass-bench" "$root/iopass/bin/"
	if [ -n "$MODDIR" ]; then
		for m in virt/lib/irqbypass drivers/vfio/vfio drivers/vfio/vfio_iommu_type1 \
			 drivers/vfio/vfio_virqfd drivers/vfio/pci/vfio-pci-core \
			 drivers/vfio/pci/vfio-pci; do
			f=$(ls "$MODDIR/kernel/$m".ko* 2>/dev/null | head -n1)
			[ -n "$f" ] || die "$kver has no $m module in $MODDIR"
			dst="$root/lib/modules/vfio/${m##*/}.ko"
			[ "${m##*/}" = irqbypass ] && dst="$root/lib/modules/irqbypass.ko"
			case "$f" in
			*.xz) xz -dc "$f" >"$dst" ;;
			*) cp "$f" "$dst" ;;
			esac
		done
	fi
	initrd="$top/initramfs-$kver.cpio.gz"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd"
	flock -u 8

	for cm in $cms; do
		dir="$top/$kver-cm$cm"
		rm -rf "$dir" && mkdir -p "$dir"
		append="console=ttyS0 ignore_loglevel intel_iommu=on iommu=nopt no5lvl panic=-1"
		append="$append hugepages=$hugepages rig_suites=bench rig_bench_size=$bytes"
		append="$append rig_bench_runs=$runs rig_bench_cm=$cm rig_bench_hugepages=$hugepages"
		[ -z "$rows" ] || append="$append rig_bench_rows=$rows"
		icount_args=()
		[ "$icount" = 1 ] && icount_args=(-icount shift=0)
		echo "bench: booting $kver ($KREL), caching mode $cm, size $size, runs $runs" \
		     "(log: $dir)" >&2
		# One VM at a time on this machine: the rig's lock.
		(
			[ -n "${BENCH_NOLOCK:-}" ] || flock 9
			t0=$SECONDS
			"$RIG_DIR/watch.py" "$dir" "${BENCH_QUIET:-1200}" "$timeout_s" -- \
				qemu-system-x86_64 \
				-accel tcg,thread=single -cpu max -m "${mem_mb}M" -smp 2 \
				"${icount_args[@]}" -no-reboot -net none -display none -monitor none \
				-M q35,kernel-irqchip=split \
				-device "intel-iommu,intremap=on,caching-mode=$cm" \
				-device edu,dma_mask=0xffffffffffffffff \
				-device edu,dma_mask=0xffffffffffffffff \
				-device edu,dma_mask=0xffffffffffffffff \
				-kernel "$IMAGE" -initrd "$initrd" -append "$append" \
				-serial file:"$dir/console.log" \
				-serial file:"$dir/results.log"
			echo $((SECONDS - t0)) >"$dir/seconds"
		) 9>/tmp/iopass-rig.lock

		secs=$(cat "$dir/seconds")
		grep '^bench: ' "$dir/results.log" >"$dir/bench.txt" || true
		ok=1
		grep -q '^rig: prog iopass-bench rc=0' "$dir/results.log" || ok=0
		grep -q '^rig: prog iopass-bench-front rc=0' "$dir/results.log" || ok=0
		grep -q '^bench: done' "$dir/bench.txt" || ok=0
		grep -q '^bench: error' "$dir/bench.txt" && ok=0
		grep -q '^rig: end' "$dir/results.log" || ok=0
		python3 "$RIG_DIR/scan-log.py" "$dir/console.log" >"$dir/scan.txt" || ok=0
		if [ $ok = 1 ]; then
			echo "bench: $kver cm=$cm done in ${secs}s" >&2
		else
			failed=1
			echo "bench: $kver cm=$cm FAILED after ${secs}s (logs: $dir)" >&2
			grep -E '^(bench: error|rig: qemu|rig: watchdog)' "$dir/results.log" >&2 || true
			cat "$dir/scan.txt" >&2
			tail -n 20 "$dir/results.log" | sed 's/^/  | /' >&2
		fi
		boots+=("$dir")
	done
done

# vm-start: an unmodified QEMU starting a 1 GiB KVM guest with the nvme,
# on the kernel's vfio-pci and on iopass_vfio.ko, alternating in one boot
# of the rig's nested machine (vmstart.sh).  On the stock kernels only:
# the bench kernel has VFIO built in, which keeps iopass_vfio.ko out.
if [ -z "${BENCH_NO_VMSTART:-}" ]; then
	for kver in $kvers; do
		eval "$("$RIG_DIR/kernel.sh" "$kver")"
		[ -n "$MODDIR" ] || continue
		dir="$top/vmstart-$kver"
		rm -rf "$dir" && mkdir -p "$dir"
		echo "bench: booting $kver for vm-start (log: $dir)" >&2
		(
			[ -n "${BENCH_NOLOCK:-}" ] || flock 9
			t0=$SECONDS
			RIG_APPEND="rig_vmstart_rounds=${BENCH_VMSTART_ROUNDS:-3}" \
				"$RIG_DIR/run.sh" "$kver" vmstart "$dir" >"$dir/run.log" 2>&1
			echo $((SECONDS - t0)) >"$dir/seconds"
		) 9>/tmp/iopass-rig.lock || true
		grep '^bench: ' "$dir/results.log" >"$dir/bench.txt" 2>/dev/null || true
		if grep -q '^rig: prog vmstart rc=0' "$dir/results.log" 2>/dev/null &&
		   grep -q '^bench: vm-start' "$dir/bench.txt"; then
			echo "bench: $kver vm-start done in $(cat "$dir/seconds")s" >&2
		else
			failed=1
			echo "bench: $kver vm-start FAILED (logs: $dir)" >&2
			tail -n 20 "$dir/results.log" 2>/dev/null | sed 's/^/  | /' >&2
		fi
		boots+=("$dir")
	done
fi

{
	for dir in "${boots[@]}"; do
		cat "$dir/bench.txt"
	done
	echo
	python3 "$RIG_DIR/bench-report.py" "size=$size runs=$runs icount=$icount" "${boots[@]}"
} | tee "$top/summary.txt"
[ $failed = 0 ] || { echo "bench: FAILED (see above)" >&2; exit 1; }
