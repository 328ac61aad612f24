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
n=0
failed=0

result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

nvme_bdf() {
	for d in $PCI/devices/*; do
		[ "$(cat $d/vendor)" = 0x1b36 ] && [ "$(cat $d/device)" = 0x0010 ] &&
			{ basename $d; return; }
	done
}

for m in ccp kvm kvm-amd; do	# none on the debug kernel: built in
	[ -e /lib/modules/kvm/$m.ko ] && insmod /lib/modules/kvm/$m.ko
done
[ -c /dev/kvm ]
result $? "KVM in the outer guest (/dev/kvm)"

bdf=$(nvme_bdf)
[ -n "$bdf" ]
result $? "the rig's nvme ($bdf)"

if [ "$front" = iopass ]; then
	insmod /iopass/iopass.ko
	echo iopass-pci >$PCI/devices/$bdf/driver_override
	echo $bdf >$PCI/drivers_probe
	insmod /iopass/iopass_vfio.ko
else
	for m in vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci; do
		[ -e /lib/modules/vfio/$m.ko ] && insmod /lib/modules/vfio/$m.ko
	done
	echo vfio-pci >$PCI/devices/$bdf/driver_override
	echo $bdf >$PCI/drivers_probe
fi
group=$(basename "$(readlink $PCI/devices/$bdf/iommu_group)")
[ -c /dev/vfio/vfio ] && [ -c /dev/vfio/$group ]
result $? "/dev/vfio/vfio and /dev/vfio/$group ($front)"

# run_nested TAG LBA [QEMU ARGS...]: one nested guest, given the nvme; its
# console to /tmp/nested-TAG.log, TAP lines for what it showed.
run_nested() {
	tag=$1 lba=$2
	shift 2
	log=/tmp/nested-$tag.log
	start=$(date +%s)
	# In the background, so stdin is /dev/null and the serial port a file:
	# a background QEMU that touched the console tty would be stopped.
	timeout 600 /usr/bin/qemu-system-x86_64 -accel kvm -cpu host -m 256M \
		-smp 1 -nodefaults -display none -no-reboot -serial file:$log \
		-kernel /nested/vmlinuz -initrd /nested/initrd.gz \
		-device vfio-pci,host=$bdf "$@" \
		-append "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1 nested_tag=$tag nested_lba=$lba $append" \
		</dev/null >$log.qemu 2>&1 &
	pid=$!
	# The counters of the domain the nvme is in while QEMU has it: the
	# last reading before it lets go.  Every 2 s: each reading forks a
	# few processes, which under TCG take time from the nested guest.
	seen="0 0"
	ticks=0
	while running $pid; do
		now=$(counters)
		[ "$now" = "0 0" ] || seen=$now
		sleep 2
		ticks=$((ticks + 1))
		# A line every 30 s: the rig's watchdog sees the run is alive.
		[ $((ticks % 15)) != 0 ] ||
			echo "# $tag: $((ticks * 2)) s, domain calls $now; console: $(tail -n 1 $log)"
	done
	wait $pid
	rc=$?
	echo "# nested QEMU ($tag) exited with $rc after $(( $(date +%s) - start )) s"
	echo "# the nvme's domain made $seen map and unmap calls"
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
}

# Whether process $1 still runs (kill -0 would also say so of a zombie).
running() {
	[ -e /proc/$1/status ] && ! grep -q '^State:.*Z' /proc/$1/status
}

# The domain's counters (sysfs) of the nvme's iopass device, "maps unmaps".
counters() {
	d=$(ls -d $PCI/devices/$bdf/iopass[0-9]* 2>/dev/null | head -n1)
	[ -n "$d" ] && echo "$(cat $d/maps) $(cat $d/unmaps)" || echo "0 0"
}

append=
run_nested plain 256
if [ "$front" = iopass ]; then
	# QEMU's KVM irqfds consume iopass's MSI-X producers (pci_irq.c).
	dmesg | grep "met an irqbypass consumer" | sed 's/^/# /'
	dmesg | grep -q "met an irqbypass consumer"
	result $? "KVM's irqbypass consumer met iopass's producer"
fi

# The nested guest with an IOMMU of its own: QEMU shadows the nested
# guest's mappings into MAP_DMA/UNMAP_DMA as it makes them, in a domain
# of their own (the counters start at 0 with it).
append="intel_iommu=on"
run_nested viommu 1024 -M q35,kernel-irqchip=split \
	-device intel-iommu,intremap=on,caching-mode=on
if [ "$front" = iopass ]; then
	set -- $seen
	[ "$1" -gt 10 ] && [ "$2" -gt 10 ]
	result $? "viommu: QEMU shadowed the nested guest's IOMMU ($1 maps, $2 unmaps)"
fi

if [ "$front" = iopass ]; then
	rmmod iopass_vfio
	echo $bdf >$PCI/devices/$bdf/driver/unbind
	rmmod iopass
fi
echo "1..$n"
[ $failed = 0 ]
