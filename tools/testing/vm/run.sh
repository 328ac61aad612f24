#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Usage: run.sh 6.1|6.12|debug SUITE[,SUITE...] OUTDIR
# Boot one kernel in the rig's machine and run guest suites (guest-init.sh):
# q35 with kernel-irqchip=split, VT-d with interrupt remapping and caching
# mode, an edu alone in its IOMMU group, an edu sharing a group with an
# e1000 behind a PCIe-to-PCI bridge, and an nvme (MSI-X, FLR).  The e1000 has a
# driver that uses the kernel's DMA API: the group mate that makes a group
# not viable.
# Leaves OUTDIR/console.log (kernel log) and OUTDIR/results.log (ttyS1).
#
# RIG_APPEND adds to the kernel command line (e.g. rig_fuzz_iters=N).
# RIG_ONLY picks programs, and a harness program's variants, for the
# selftests suite (guest-init.sh): how check.sh splits a suite over boots.
# RIG_QUIET (default 600) and RIG_LIMIT (default 1800) are watch.py's: the
# seconds without a line of results that mean a hang, and the ceiling of
# the whole boot (Documentation/testing.rst says how they were sized).
# Several run.sh may run at once (one TCG thread each): the builds they
# share are taken in turn under a lock.
# RIG_VARIANT changes the machine for the refusal tests
# (selftests/machine_variants.c, run as variants/variant_<name>):
#   default     VT-d with interrupt remapping, translated default domains
#   pt          the same, with identity default domains (iommu=pt)
#   noiommu     the IOMMU off in the kernel (intel_iommu=off)
#   nointremap  VT-d without interrupt remapping
#   numa        two NUMA nodes (a CPU, 1G each), an edu behind a PCIe
#               expander bridge on node 1
#   sriov       the default machine plus an nvme physical function with
#               SR-IOV (two VFs; QEMU 7.2 wants an nvme-subsys for it)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kver=$1 suites=$2 outdir=$3
eval "$("$RIG_DIR/kernel.sh" "$kver")"
mkdir -p "$TOP_DIR/build"
exec 8>"$TOP_DIR/build/.rig-build.lock"
flock 8
"$TOP_DIR/tools/testing/build.sh" "$kver"
make -s -C "$TOP_DIR/selftests" >&2
make -s -C "$TOP_DIR/tools" STATIC=1 >&2

# The initramfs: busybox, the module, the test programs.
root="$outdir/initramfs"
rm -rf "$root" && mkdir -p "$root"/{bin,dev,proc,sys,tmp,iopass/selftests,iopass/bin,lib/modules}
cp /bin/busybox "$root/bin/busybox"
cp "$RIG_DIR/guest-init.sh" "$root/init"
cp "$RIG_DIR/demo-guest.sh" "$root/iopass/demo.sh"
cp "$RIG_DIR/tap.sh" "$root/iopass/tap.sh"
cp "$TOP_DIR/build/$kver/src/drivers/iopass/"*.ko "$root/iopass/"
mkdir -p "$root/iopass/variants"
cp "$TOP_DIR/selftests/build/"iopass_* "$TOP_DIR/selftests/"*.sh "$root/iopass/selftests/"
cp "$TOP_DIR/build/tools-static/"* "$root/iopass/bin/"
cp -r "$TOP_DIR/tools/iopassctl/examples" "$root/iopass/"
cp "$TOP_DIR/selftests/build/"variant_* "$root/iopass/variants/"
if [ -n "$MODDIR" ]; then
	for m in drivers/pci/pci-stub drivers/pci/pci-pf-stub \
		 drivers/net/ethernet/intel/e1000/e1000 virt/lib/irqbypass; do
		f=$(ls "$MODDIR/kernel/$m".ko* | head -n1)
		case "$f" in
		*.xz) xz -dc "$f" >"$root/lib/modules/${m##*/}.ko" ;;
		*) cp "$f" "$root/lib/modules/" ;;
		esac
	done
	# The kernel's vfio, not loaded: iopass_vfio's refusal test loads it.
	mkdir -p "$root/lib/modules/vfio"
	f=$(ls "$MODDIR/kernel/drivers/vfio/vfio.ko"* | head -n1)
	case "$f" in
	*.xz) xz -dc "$f" >"$root/lib/modules/vfio/vfio.ko" ;;
	*) cp "$f" "$root/lib/modules/vfio/vfio.ko" ;;
	esac
fi
# The nested suite's QEMU, KVM modules and nested guest (nested-pack.sh).
cpu=max smp=2 extra_nic=()
if [[ ",$suites," == *,nested* || ",$suites," == *,vmstart,* ]]; then
	"$RIG_DIR/nested-pack.sh" "$root" "$kver"
	cpu=EPYC	# kvm-amd: TCG emulates SVM, not VMX
	# One vCPU: with two, round-robin TCG and its emulated SVM, the
	# nested guest stopped being given interrupts at a random point of
	# its boot, every time (on the kernel's vfio-pci as well): its vCPU
	# ran on without a halt, an I/O exit or an injection for minutes.
	smp=1
fi
# The dpdk suite's testpmd (dpdk-pack.sh) and its NIC: an e1000 on the
# root bus, alone in its IOMMU group, whose frames QEMU writes to a pcap.
if [[ ",$suites," == *,dpdk,* ]]; then
	"$RIG_DIR/dpdk-pack.sh" "$root"
	rm -f "$outdir/dpdk.pcap"
	extra_nic=(-netdev user,id=dpdknet,restrict=on
		   -device e1000,netdev=dpdknet,mac=52:54:00:d0:d0:01
		   -object filter-dump,id=dpdkdump,netdev=dpdknet,file="$outdir/dpdk.pcap")
fi
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$outdir/initramfs.cpio.gz"
flock -u 8
exec 8>&-

nvme="$outdir/nvme.img"
# The nested suite judges what lands in it: a fresh one, all zeros.
[[ ",$suites," != *,nested* ]] || rm -f "$nvme"
[ -e "$nvme" ] || truncate -s 16M "$nvme"

variant=${RIG_VARIANT:-default}
extra=()
iommu_dev="intel-iommu,intremap=on,caching-mode=on"
iommu_args="intel_iommu=on iommu=nopt"
case "$variant" in
default) ;;
pt) iommu_args="intel_iommu=on iommu=pt" ;;
noiommu) iommu_args="intel_iommu=off" ;;
nointremap) iommu_dev="intel-iommu,intremap=off,caching-mode=on" ;;
sriov)
	sriov_img="$outdir/nvme-sriov.img"
	# What two VF owners write is judged in it (sriov-host): a fresh one.
	rm -f "$sriov_img" && truncate -s 1M "$sriov_img"
	extra=(-drive file="$sriov_img",if=none,id=sriovns,format=raw
	       -device nvme-subsys,id=sriovsub
	       -device nvme,id=sriovpf,serial=sriov0,subsys=sriovsub,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2
	       -device nvme-ns,drive=sriovns,bus=sriovpf) ;;
numa)
	# Two NUMA nodes, a CPU and 1G each; an edu behind a PCIe expander
	# bridge on node 1 (its _PXM), behind a root port.  One CPU per
	# socket: two nodes in one package would share a cache, which the
	# kernel warns about (panic_on_warn).
	smp=2,sockets=2,cores=1,threads=1
	extra=(-object memory-backend-ram,id=mem0,size=1G
	       -object memory-backend-ram,id=mem1,size=1G
	       -numa node,nodeid=0,cpus=0,memdev=mem0
	       -numa node,nodeid=1,cpus=1,memdev=mem1
	       -device pxb-pcie,id=pxb1,bus_nr=0x80,numa_node=1,bus=pcie.0
	       -device pcie-root-port,id=rp1,bus=pxb1,chassis=1,slot=0
	       -device edu,bus=rp1) ;;
*) die "unknown RIG_VARIANT '$variant'" ;;
esac

# Two early-boot crashes of the debug kernel, before any module of ours
# loaded, were seen with multi-threaded TCG: a KASAN wild access in
# identify_cpu and an "Oops: int3" (kernel text patching racing a vCPU
# that runs a stale translation).  So vCPUs run round-robin in one thread
# (tcg,thread=single): still SMP for the guest, coherent for code patching.
# And 4-level paging (no5lvl), which most hosts run, rather than the LA57
# that -cpu max offers (suspected for the first crash, unconfirmed).
iommu_args="$iommu_args no5lvl"

rm -f "$outdir/console.log" "$outdir/results.log"
"$RIG_DIR/watch.py" "$outdir" "${RIG_QUIET:-600}" "${RIG_LIMIT:-1800}" -- \
	qemu-system-x86_64 \
	-accel tcg,thread=single -cpu "$cpu" -m 2G -smp "$smp" -no-reboot -net none \
	-display none -monitor none \
	-M q35,kernel-irqchip=split \
	-device "$iommu_dev" \
	-device edu \
	-device pcie-pci-bridge,id=br0 \
	-device edu,bus=br0,addr=1 \
	-device e1000,bus=br0,addr=2 \
	-drive file="$nvme",if=none,id=nvm,format=raw \
	-device nvme,drive=nvm,serial=iopass0 \
	"${extra[@]}" "${extra_nic[@]}" \
	-kernel "$IMAGE" -initrd "$outdir/initramfs.cpio.gz" \
	-append "console=ttyS0 ignore_loglevel $iommu_args panic=-1 panic_on_warn=1 rig_suites=$suites rig_variant=$variant ${RIG_ONLY:+rig_only=$RIG_ONLY} ${RIG_APPEND:-}" \
	-serial file:"$outdir/console.log" \
	-serial file:"$outdir/results.log"

# The blocks the two VF owners wrote, from the host's side: in the image.
if [ "$variant" = sriov ] && grep -q "two_vfs_two_owners_do_nvme_io" "$outdir/results.log"; then
	rc=0
	{
		echo "rig: prog sriov-host begin"
		python3 - "$sriov_img" <<-'EOF' || rc=$?
		import sys
		img = open(sys.argv[1], "rb").read()
		bad = 0
		print("TAP version 13\n1..2")
		for n, (tag, lba) in enumerate((("vf0", 100), ("vf1", 200)), 1):
		    want = b"nvme-hello %s wrote LBA %d | " % (tag.encode(), lba)
		    got = img[lba * 512:lba * 512 + len(want)]
		    ok = got == want
		    bad += not ok
		    print("# LBA %d holds %r" % (lba, got))
		    print("%s %d sriov_host_image_holds_%s_block" % ("ok" if ok else "not ok", n, tag))
		sys.exit(1 if bad else 0)
		EOF
		echo "rig: prog sriov-host rc=$rc"
	} >>"$outdir/results.log"
fi

# testpmd's frames, from the host's side: in QEMU's pcap.
if [[ ",$suites," == *,dpdk,* ]]; then
	rc=0
	{
		echo "rig: prog dpdk-host begin"
		python3 "$RIG_DIR/dpdk-check.py" "$outdir/dpdk.pcap" \
			"$outdir/results.log" || rc=$?
		echo "rig: prog dpdk-host rc=$rc"
	} >>"$outdir/results.log"
fi

# The nested guest's writes, from the host's side: in the backing image.
if [[ ",$suites," == *,nested* ]]; then
	rc=0
	{
		echo "rig: prog nested-host begin"
		# The runs the guest made (rig_nested_runs= can pick one).
		python3 "$RIG_DIR/nested-check.py" "$nvme" $(sed -n \
			's/^# nested QEMU (\([a-z]*\)) exited.*/\1/p' \
			"$outdir/results.log") || rc=$?
		echo "rig: prog nested-host rc=$rc"
	} >>"$outdir/results.log"
fi
