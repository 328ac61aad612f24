#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The rig's nested suite, in the outer guest (booted with -cpu EPYC, whose
# SVM TCG emulates): load KVM, bind the nvme to iopass-pci, load
# iopass_vfio.ko, and run Debian's own, unmodified qemu-system-x86_64 with
# a KVM guest that is given the nvme by -device vfio-pci.  The nested
# guest's stock nvme driver writes a pattern and reads it back
# (nested-init.sh); the host then looks for it in the backing image
# (nested-check.py).  Prints TAP.
#   nested-guest.sh iopass   the device through iopass_vfio.ko
#   nested-guest.sh vfio     the same on the kernel's vfio-pci (the
#                            reference run: a failure there is the rig's)

PCI=/sys/bus/pci
front=${1:-iopass}
. /iopass/tap.sh

kvm_load
result $? "KVM in the outer guest (/dev/kvm)"

bdf=$(nvme_bdf)
[ -n "$bdf" ]
result $? "the rig's nvme ($bdf)"

# The debug kernel's nvme driver is built in and has the device.
[ -e $PCI/devices/$bdf/driver ] && echo $bdf >$PCI/devices/$bdf/driver/unbind
if [ "$front" = iopass ]; then
	insmod /iopass/iopass.ko
	echo iopass-pci >$PCI/devices/$bdf/driver_override
	echo $bdf >$PCI/drivers_probe
	# rig_nested_debug=1: every MAP_DMA and UNMAP_DMA in the kernel log.
	insmod /iopass/iopass_vfio.ko ${rig_nested_debug:+dyndbg=+p}
else
	kernel_vfio_load
	echo vfio-pci >$PCI/devices/$bdf/driver_override
	echo $bdf >$PCI/drivers_probe
fi
group=$(basename "$(readlink $PCI/devices/$bdf/iommu_group)")
[ -c /dev/vfio/vfio ] && [ -c /dev/vfio/$group ]
result $? "/dev/vfio/vfio and /dev/vfio/$group ($front)"

# run_nested TAG LBA [QEMU ARGS...]: one nested guest, given the nvme; its
# console to /tmp/nested-TAG.log, TAP lines for what it showed.  The QEMU
# arguments come before the nvme's: QEMU 7.2 puts a PCI device behind a
# vIOMMU only if -device intel-iommu came first (after it, the device
# silently gets no vIOMMU, and DMAs the nested guest's IOVAs as addresses).
run_nested() {
	tag=$1 lba=$2
	shift 2
	log=/tmp/nested-$tag.log
	start=$(date +%s)
	calls0=$(front_calls)
	irqs0=$(host_irqs)
	# In the background, so stdin is /dev/null and the serial port a file:
	# a background QEMU that touched the console tty would be stopped.
	timeout ${rig_nested_timeout:-600} /usr/bin/qemu-system-x86_64 -accel kvm -cpu host -m 256M \
		-smp 1 -nodefaults -display none -no-reboot -serial file:$log \
		-kernel /nested/vmlinuz -initrd /nested/initrd.gz \
		"$@" -device vfio-pci,host=$bdf \
		-append "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1 nested_tag=$tag nested_lba=$lba ${unplug:+nested_unplug=1} $append" \
		</dev/null >$log.qemu 2>&1 &
	pid=$!
	ticks=0 unbound= irqs1=
	while running $pid; do
		sleep 2
		ticks=$((ticks + 1))
		if [ -n "$unplug" ] && [ -z "$unbound" ] &&
		   grep -q "nested: waiting for the nvme to be unplugged" $log; then
			irqs1=$(host_irqs)	# the device goes with the unbind
			unbound=$(unbind_ms)
		fi
		# A line every 30 s: the rig's watchdog sees the run is alive.
		[ $((ticks % 15)) != 0 ] ||
			{ echo "# $tag: $((ticks * 2)) s; console: $(tail -n 1 $log)"; diag $pid; }
	done
	wait $pid
	rc=$?
	echo "# nested QEMU ($tag) exited with $rc after $(( $(date +%s) - start )) s"
	set -- $calls0 $(front_calls)
	maps=$(($3 - $1)) unmaps=$(($4 - $2))
	[ "$front" != iopass ] ||
		echo "# QEMU made $maps MAP_DMA and $unmaps UNMAP_DMA calls that (un)mapped"
	sed 's/^/# qemu: /' $log.qemu
	sed 's/^/# /' $log
	[ $rc = 0 ]
	result $? "unmodified QEMU ran the $tag nested guest with the nvme ($front)"
	grep -q "nested: nvme0n1 found" $log
	result $? "$tag: the nested guest's stock nvme driver found the controller"
	grep -q "nested: pattern read back identical" $log
	result $? "$tag: the nested guest wrote the pattern and read it back"
	# The nested guest counted its nvme's MSI-X interrupts (nested-init.sh).
	grep -q "nested: nvme interrupts [1-9]" $log
	result $? "$tag: the nvme's interrupts reached the nested guest"
	if [ "$front" = iopass ]; then
		irqs=$((${irqs1:-$(host_irqs)} - irqs0))
		[ "$irqs" -gt 0 ]
		result $? "$tag: iopass passed $irqs of the nvme's interrupts to QEMU's eventfds (KVM's irqfds)"
	fi
}

# What the nested QEMU ($1) and KVM are doing: its threads' states and
# wait channels, the outer guest's interrupts of the nvme, KVM's counters.
diag() {
	for t in /proc/$1/task/*; do
		echo "# thread $(cat $t/comm): $(cut -d' ' -f3 $t/stat) $(cat $t/wchan)"
	done
	grep -E "vfio|iopass|nvme" /proc/interrupts | tr -s ' ' | sed 's/^/# irq /'
	for s in exits irq_exits halt_exits halt_wakeup irq_injections \
		 nmi_injections io_exits mmio_exits signal_exits; do
		[ -e /sys/kernel/debug/kvm/$s ] &&
			printf '%s=%s ' $s "$(cat /sys/kernel/debug/kvm/$s)"
	done | sed 's/^/# kvm /'
	echo
}

# Whether process $1 still runs (kill -0 would also say so of a zombie).
running() {
	[ -e /proc/$1/status ] && ! grep -q '^State:.*Z' /proc/$1/status
}

# Unbind the nvme from its driver while QEMU holds it; the milliseconds
# the unbind took.
unbind_ms() {
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo $bdf >$PCI/devices/$bdf/driver/unbind
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "$t0 $t1" | awk '{ printf "%d\n", ($2 - $1) * 1000 }'
}

# The front's MAP_DMA and UNMAP_DMA calls that (un)mapped, "maps unmaps"
# (iopass_vfio's counters; the kernel's vfio keeps none).
front_calls() {
	d=/sys/class/misc/vfio
	[ -e $d/map_dma_calls ] &&
		echo "$(cat $d/map_dma_calls) $(cat $d/unmap_dma_calls)" ||
		echo "0 0"
}

# The interrupts iopass passed on for the nvme (its sysfs counter).
host_irqs() {
	cat $PCI/devices/$bdf/iopass[0-9]*/interrupts 2>/dev/null || echo 0
}

append=
runs=${rig_nested_runs:-plain,viommu,unplug}	# which runs, for chasing one
case ",$runs," in *,plain,*)
run_nested plain 256
if [ "$front" = iopass ]; then
	# 6.12's KVM offers an irqbypass consumer for an irqfd only where it
	# can post interrupts (APICv/AVIC and an IOMMU that posts):
	# TCG emulates no AVIC and QEMU's VT-d no posting, so on 6.12 it
	# offers none here and the interrupts go through the irqfds (above).
	# 6.1's KVM offers one for every irqfd: there the two meet.
	dmesg | grep "met an irqbypass consumer" | sed 's/^/# /'
	n=$((n + 1))
	what="KVM's irqbypass consumer met iopass's producer"
	if dmesg | grep -q "met an irqbypass consumer"; then
		echo "ok $n $what"
	elif [ "$(cat /sys/module/kvm_amd/parameters/avic 2>/dev/null)" != Y ]; then
		echo "ok $n $what # SKIP KVM offers no consumer here (kvm_amd avic=N: TCG has no AVIC, QEMU's VT-d no posted interrupts)"
	else
		echo "not ok $n $what"
		failed=$((failed + 1))
	fi
fi
;; esac

# The nested guest with an IOMMU of its own: QEMU shadows the nested
# guest's mappings into MAP_DMA/UNMAP_DMA as it makes them.
case ",$runs," in *,viommu,*)
append="intel_iommu=on"
run_nested viommu 1024 -M q35,kernel-irqchip=split \
	-device intel-iommu,intremap=on,caching-mode=on
if [ "$front" = iopass ]; then
	# The plain run maps the guest's RAM in a few calls; a shadowing
	# QEMU maps and unmaps as the nested guest's DMA API does.
	[ "$maps" -gt 20 ] && [ "$unmaps" -gt 10 ]
	result $? "viommu: QEMU shadowed the nested guest's IOMMU ($maps maps, $unmaps unmaps)"
fi
;; esac

# Unbinding the nvme on the host while QEMU holds it: the driver asks
# (the REQ eventfd), QEMU asks the nested guest to eject it (ACPI
# hot-unplug), the guest's nvme driver lets go, QEMU closes the device
# and group fds, and the unbind returns.  Within release_timeout_ms, set
# here to what a guest under nested TCG needs; past it iopass revokes.
# vfio-pci has no such limit: it waits for as long as QEMU holds on.
case ",$runs," in *,unplug,*)
timeout_ms=20000
[ "$front" != iopass ] ||
	echo $timeout_ms >/sys/module/iopass/parameters/release_timeout_ms
append= unplug=1
run_nested unplug 2048
unplug=
echo "# the unbind took ${unbound:-(never ran)} ms"
dmesg | grep -E "the owner (released|kept)" | sed 's/^/# /'
grep -q "nested: nvme unplugged" $log
result $? "unplug: the nested guest saw the nvme hot-unplugged, and ran on to power off"
[ -n "$unbound" ] && [ "$unbound" -lt $timeout_ms ] &&
	! [ -e $PCI/devices/$bdf/driver ]
result $? "unplug: the unbind returned within release_timeout_ms ($unbound ms of $timeout_ms)"
if [ "$front" = iopass ]; then
	dmesg | grep -q "the owner released the device"
	result $? "unplug: QEMU released the device (not revoked)"
fi
;; esac

if [ "$front" = iopass ]; then
	rmmod iopass_vfio
	[ -e $PCI/devices/$bdf/driver ] &&
		echo $bdf >$PCI/devices/$bdf/driver/unbind
	rmmod iopass
fi
tap_end
