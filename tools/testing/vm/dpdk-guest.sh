#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The rig's dpdk suite, in the guest (run.sh adds an e1000 on the root
# bus, alone in its IOMMU group, whose frames QEMU dumps to a pcap on the
# host): load iopass and iopass_vfio.ko with vfio_names=1, bind the e1000
# to its "vfio-pci", and run Debian's own, unmodified dpdk-testpmd in
# txonly mode for a few seconds.  testpmd's count of packets sent is
# printed for the host, which counts them in the pcap (dpdk-check.py).
# Prints TAP.

PCI=/sys/bus/pci
. /iopass/tap.sh

# The e1000 alone in its group (the group mate behind the bridge is not).
e1000_alone() {
	for d in $PCI/devices/*; do
		[ "$(cat $d/vendor)" = 0x8086 ] && [ "$(cat $d/device)" = 0x100e ] &&
			[ "$(ls $d/iommu_group/devices | wc -l)" = 1 ] &&
			{ basename $d; return; }
	done
}

bdf=$(e1000_alone)
[ -n "$bdf" ]
result $? "an e1000 alone in its IOMMU group ($bdf)"

echo 64 >/proc/sys/vm/nr_hugepages
mkdir -p /var/run	# DPDK keeps its runtime directory there
insmod /iopass/iopass.ko
insmod /iopass/iopass_vfio.ko vfio_names=1
[ -d /sys/module/vfio ] && [ -d /sys/module/vfio_pci ] &&
	[ -d $PCI/drivers/vfio-pci ]
result $? "vfio_names=1: /sys/module/vfio, /sys/module/vfio_pci and the vfio-pci driver"

[ -e $PCI/devices/$bdf/driver ] && echo $bdf >$PCI/devices/$bdf/driver/unbind
echo vfio-pci >$PCI/devices/$bdf/driver_override
echo $bdf >$PCI/drivers_probe
[ "$(basename "$(readlink $PCI/devices/$bdf/driver)")" = vfio-pci ] &&
	ls -d $PCI/devices/$bdf/iopass[0-9]* >/dev/null 2>&1
result $? "the e1000 is bound to vfio-pci, an iopass device"

maps0=$(cat /sys/class/misc/vfio/map_dma_calls)
# txonly for 3 s, then stop: testpmd prints its port's counters.
{
	echo "set fwd txonly"
	echo "start"
	sleep 3
	echo "stop"
	sleep 1
	echo "quit"
} | timeout 300 /usr/bin/dpdk-testpmd -l 0-1 -n 1 -a $bdf --no-telemetry -- -i \
	--total-num-mbufs=2048 --nb-cores=1 >/tmp/testpmd.log 2>&1
rc=$?
sed 's/^/# testpmd: /' /tmp/testpmd.log
[ $rc = 0 ]
result $? "dpdk-testpmd ran and quit (exit $rc)"
sent=$(sed -n '/Forward statistics for port 0/,/TX-packets/s/.*TX-packets: *\([0-9]*\).*/\1/p' \
	/tmp/testpmd.log | head -n1)
[ "${sent:-0}" -gt 0 ]
result $? "testpmd sent ${sent:-no} packets through the e1000"
echo "# dpdk: testpmd sent ${sent:-0} packets"
maps=$(($(cat /sys/class/misc/vfio/map_dma_calls) - maps0))
[ "$maps" -gt 0 ]
result $? "DPDK mapped its memory through the front ($maps MAP_DMA calls)"

echo $bdf >$PCI/devices/$bdf/driver/unbind
rmmod iopass_vfio
rmmod iopass
! [ -d /sys/module/vfio ]
result $? "rmmod iopass_vfio takes VFIO's names away"
tap_end
