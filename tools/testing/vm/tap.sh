# SPDX-License-Identifier: GPL-2.0
# Sourced by the rig's guest scripts (nested-guest.sh, dpdk-guest.sh,
# vmstart.sh) and the selftests' shell scripts: result STATUS TEXT prints
# one TAP line and counts it; tap_end prints the plan and returns non-zero
# if anything failed; nvme_bdf names the rig's nvme.
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
