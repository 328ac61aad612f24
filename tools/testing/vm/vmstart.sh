#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench's vm-start row, in the rig's outer guest (an EPYC: KVM
# inside): how long Debian's QEMU takes from its start to the nested
# guest's first init line, with a 1 GiB guest and the nvme assigned, on
# the kernel's vfio-pci + type1 and on iopass_vfio.ko, alternating, in
# one boot.  Starting a VM is where pinning and mapping all of its memory
# costs: QEMU maps the whole 1 GiB with MAP_DMA before the guest runs.
# Prints "bench: vm-start ..." (the medians and their ratio) and TAP.
PCI=/sys/bus/pci
ROUNDS=${rig_vmstart_rounds:-3}
. /iopass/tap.sh

now() { cut -d' ' -f1 /proc/uptime; }

# to FRONT: the nvme bound to vfio-pci (the kernel's vfio loaded) or to
# iopass-pci (iopass_vfio.ko loaded); the two cannot be loaded at once.
to() {
	[ -e $PCI/devices/$bdf/driver ] && echo $bdf >$PCI/devices/$bdf/driver/unbind
	if [ "$1" = vfio ]; then
		rmmod iopass_vfio 2>/dev/null
		kernel_vfio_load
		echo vfio-pci >$PCI/devices/$bdf/driver_override
	else
		kernel_vfio_unload
		loaded iopass_vfio || insmod /iopass/iopass_vfio.ko
		echo iopass-pci >$PCI/devices/$bdf/driver_override
	fi
	echo $bdf >$PCI/drivers_probe
}


# One start: seconds from QEMU's start to "nested: init" on its console.
start_once() {
	log=/tmp/vmstart.log
	: >$log
	t0=$(now)
	timeout 600 /usr/bin/qemu-system-x86_64 -accel kvm -cpu host -m 1G \
		-smp 1 -nodefaults -display none -no-reboot -serial file:$log \
		-kernel /nested/vmlinuz -initrd /nested/initrd.gz \
		-device vfio-pci,host=$bdf \
		-append "console=ttyS0 panic=-1 quiet nested_vmstart=1" \
		</dev/null >/tmp/vmstart.qemu 2>&1 &
	pid=$!
	while ! grep -q "nested: init" $log 2>/dev/null; do
		[ -e /proc/$pid ] || break
		sleep 0.05
	done
	t1=$(now)
	wait $pid
	grep -q "nested: init" $log || { sed 's/^/# qemu: /' /tmp/vmstart.qemu; return 1; }
	echo "$t0 $t1" | awk '{ printf "%.2f\n", $2 - $1 }'
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

kvm_load
insmod /iopass/iopass.ko
bdf=$(nvme_bdf)
[ -c /dev/kvm ] && [ -n "$bdf" ]
result $? "KVM and the nvme ($bdf)"

vfio_s= iopass_s= bad=0
# One start of each first, untimed: the first start of all reads QEMU,
# the kernel and the initrd from the initramfs, and took twice as long.
for front in vfio iopass; do
	to $front
	s=$(start_once) && echo "# warm-up: $front $s s" || bad=1
done
r=0
while [ $r -lt "$ROUNDS" ]; do
	# The order alternates, so neither always goes first.
	for front in $( [ $((r % 2)) = 0 ] && echo "vfio iopass" || echo "iopass vfio"); do
		to $front
		s=$(start_once) || { bad=1; echo "# $front: the nested guest did not start"; continue; }
		echo "# round $r: $front $s s"
		[ $front = vfio ] && vfio_s="$vfio_s $s" || iopass_s="$iopass_s $s"
	done
	r=$((r + 1))
done
[ $bad = 0 ]
result $? "every start reached the nested guest's init (a warm-up and $ROUNDS rounds each)"
v=$(echo "$vfio_s" | median)
i=$(echo "$iopass_s" | median)
if [ -n "$v" ] && [ -n "$i" ]; then
	echo "bench: vm-start/1g iopass=$i type1=$v ratio_type1=$(echo "$v $i" |
		awk '{ printf "%.3f", $1 / $2 }') unit=s"
fi
to iopass
rmmod iopass_vfio
echo $bdf >$PCI/devices/$bdf/driver/unbind
tap_end
