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

for m in ccp kvm kvm-amd; do
	insmod /lib/modules/kvm/$m.ko || echo "# insmod $m.ko failed"
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

start=$(date +%s)
timeout 600 /usr/bin/qemu-system-x86_64 -accel kvm -cpu host -m 256M -smp 1 \
	-nodefaults -display none -no-reboot -serial stdio \
	-kernel /nested/vmlinuz -initrd /nested/initrd.gz \
	-append "console=ttyS0 panic=-1 quiet" \
	-device vfio-pci,host=$bdf >/tmp/nested.log 2>&1
rc=$?
echo "# nested QEMU exited with $rc after $(( $(date +%s) - start )) s"
sed 's/^/# /' /tmp/nested.log
[ $rc = 0 ]
result $? "unmodified QEMU ran the nested guest with the nvme ($front)"
grep -q "nested: nvme0n1 found" /tmp/nested.log
result $? "the nested guest's stock nvme driver found the controller"
grep -q "nested: pattern read back identical" /tmp/nested.log
result $? "the nested guest wrote the pattern and read it back"

if [ "$front" = iopass ]; then
	rmmod iopass_vfio
	echo $bdf >$PCI/devices/$bdf/driver/unbind
	rmmod iopass
fi
echo "1..$n"
[ $failed = 0 ]
