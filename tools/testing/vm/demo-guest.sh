#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The narrated tour `make demo` shows, run inside the rig's VM.  Every step
# checks what it claims; the first one that does not hold ends the tour
# with a non-zero exit.
set -e
step() { printf '\n== %s\n' "$*"; }
fail() { echo "!! $*"; exit 1; }

step "PCI functions an IOMMU translates (edu = 1234:11e8)"
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ] || continue
	g=$(basename "$(readlink "$d/iommu_group")")
	echo "  ${d##*/}  edu  IOMMU group $g ($(ls /sys/kernel/iommu_groups/"$g"/devices | wc -l) device(s))"
	[ -z "$edu" ] && [ "$(ls /sys/kernel/iommu_groups/"$g"/devices | wc -l)" = 1 ] && edu=${d##*/}
done
[ -n "$edu" ] || fail "no edu device alone in its IOMMU group"

step "Load iopass"
insmod /iopass/iopass.ko
echo "  /sys/bus/iopass registered: $(ls -d /sys/bus/iopass)"

step "Bind $edu to iopass-pci (driver_override, as with vfio-pci)"
echo iopass-pci > /sys/bus/pci/devices/$edu/driver_override
echo "$edu" > /sys/bus/pci/drivers/iopass-pci/bind
drv=$(basename "$(readlink /sys/bus/pci/devices/$edu/driver)")
echo "  driver: $drv"
[ "$drv" = iopass-pci ] || fail "not bound to iopass-pci"

step "iopass took DMA ownership and put it in a translated domain of its own"
dev=$(ls -d /sys/bus/pci/devices/$edu/iopass* | head -n1)
dev=${dev##*/}
echo "  device:      /sys/bus/iopass/devices/$dev -> /dev/$dev"
echo "  iommu_group: $(cat /sys/bus/iopass/devices/$dev/iommu_group)"
echo "  domain_type: $(cat /sys/bus/iopass/devices/$dev/domain_type)"
[ "$(cat /sys/bus/iopass/devices/$dev/domain_type)" = paging ] ||
	fail "the device is not in an iopass paging domain"
dmesg | grep "iopass: bound" | tail -n1 | sed 's/^/  kernel: /'

step "Unbind: the device goes back to the kernel"
echo "$edu" > /sys/bus/pci/drivers/iopass-pci/unbind
echo > /sys/bus/pci/devices/$edu/driver_override
[ ! -e /sys/bus/iopass/devices/$dev ] || fail "$dev still present"
echo "  $dev is gone; the group is back in its default domain"
rmmod iopass
echo "  iopass unloaded"
printf '\nDemo complete.\n'
