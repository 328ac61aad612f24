# SPDX-License-Identifier: GPL-2.0
# Sourced by the rig's guest scripts (guest-init.sh, nested-guest.sh,
# dpdk-guest.sh, vmstart.sh) and the selftests' shell scripts: result
# STATUS TEXT prints one TAP line and counts it; tap_end prints the plan
# and returns non-zero if anything failed; nvme_bdf names the rig's nvme;
# loaded, kvm_load, kernel_vfio_load and kernel_vfio_unload handle the
# stock kernels' modules the initramfs carries.
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

tap_end() {
	echo "1..$n"
	[ $failed = 0 ]
}

# The PCI name of the rig's nvme (QEMU's, 1b36:0010).
nvme_bdf() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor)" = 0x1b36 ] && [ "$(cat $d/device)" = 0x0010 ] &&
			{ basename $d; return; }
	done
}

# Whether module $1 (dashes or underscores) is loaded as a module.
loaded() {
	[ -e /sys/module/$(echo "$1" | tr - _)/initstate ]
}

# KVM, where it is modular (/lib/modules/kvm/; the debug kernel has it
# built in); true if /dev/kvm is there.
kvm_load() {
	for m in ccp kvm kvm-amd; do
		[ -e /lib/modules/kvm/$m.ko ] && ! loaded $m &&
			insmod /lib/modules/kvm/$m.ko
	done
	[ -c /dev/kvm ]
}

# The kernel's vfio-pci and type1, where modular (/lib/modules/vfio/), in
# load order; false if one would not load.
kernel_vfio_load() {
	r=0
	for m in vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci; do
		[ -e /lib/modules/vfio/$m.ko ] || continue
		loaded $m || insmod /lib/modules/vfio/$m.ko || r=1
	done
	return $r
}

# And out again, in reverse: it and iopass_vfio.ko cannot both hold
# /dev/vfio/vfio.
kernel_vfio_unload() {
	for m in vfio_pci vfio_pci_core vfio_iommu_type1 vfio_virqfd vfio; do
		loaded $m && rmmod $m
	done
	return 0
}
