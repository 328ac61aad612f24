#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the nested guest (nested-guest.sh starts it): load the stock
# nvme driver, write 64 blocks of a pattern at LBA nested_lba= (4 KiB
# blocks) of the passed-through nvme, tagged nested_tag=, read them back
# uncached and compare.  The host finds the same blocks in the backing
# image (nested-check.py).  With nested_unplug=1 it then waits for the
# nvme to be hot-unplugged.
/bin/busybox --install -s /bin
# nested_vmstart=1 (vmstart.sh): the first line, then off at once.
if [ -n "$nested_vmstart" ]; then
	echo "nested: init"
	poweroff -f
fi
lba=${nested_lba:-256}
tag=${nested_tag:-plain}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

for m in nvme-auth nvme-core nvme; do
	insmod /lib/modules/$m.ko || echo "nested: insmod $m failed"
done
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -b /dev/nvme0n1 ] && echo "nested: nvme0n1 found" || echo "nested: no nvme0n1"

# Block b holds "iopass-nested TAG b\n" over and over: nested-check.py
# agrees.
b=0
: >/pattern
while [ $b -lt 64 ]; do
	yes "iopass-nested $tag $b" | head -c 4096 >>/pattern
	b=$((b + 1))
done
# Only to the disk: without one, dd would write a file on /dev.
if [ -b /dev/nvme0n1 ]; then
	dd if=/pattern of=/dev/nvme0n1 bs=4096 seek=$lba count=64 conv=fsync 2>/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	dd if=/dev/nvme0n1 of=/readback bs=4096 skip=$lba count=64 iflag=direct 2>/dev/null
	if cmp -s /pattern /readback; then
		echo "nested: pattern read back identical"
	else
		echo "nested: pattern differs"
	fi
fi
# Interrupts the nvme raised here (MSI-X through QEMU's KVM irqfds).
irqs=$(grep nvme /proc/interrupts | awk '{ for (i = 2; i <= NF; i++)
	if ($i ~ /^[0-9]+$/) n += $i } END { print n + 0 }')
echo "nested: nvme interrupts $irqs"
# nested_unplug=1: the host unbinds the nvme now (nested-guest.sh); QEMU
# hot-unplugs it (ACPI), and the nvme driver lets it go.
if [ -n "$nested_unplug" ]; then
	dev=$(readlink -f /sys/class/nvme/nvme0/device)
	echo "nested: waiting for the nvme to be unplugged"
	i=0
	while [ -e "$dev" ] && [ $i -lt 1200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$dev" ] && echo "nested: the nvme is still there" ||
		echo "nested: nvme unplugged"
fi
sync
poweroff -f
