# SPDX-License-Identifier: GPL-2.0
# Sourced by the rig's guest scripts (nested-guest.sh, dpdk-guest.sh):
# result STATUS TEXT prints one TAP line and counts it; tap_end prints the
# plan and returns non-zero if anything failed.
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
