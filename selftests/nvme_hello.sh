#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tools/examples/nvme-hello against the rig's QEMU nvme (1b36:0010, serial
# iopass0): bind it to iopass-pci, let nvme-hello bring the controller up
# from user space, identify it and write and read back a block; ask for a
# block past the namespace's end (a failure with the controller up); then
# another block, to show the queues come up cleanly again; then, once the
# nvme is released, nvme-hello must refuse it (exit 2, with the hint).
# Runs under busybox sh in the rig's VM, iopass.ko loaded; prints TAP.

PCI=/sys/bus/pci
OUT=/tmp/nvme_hello.out
. /iopass/tap.sh	# result, from the rig (tools/testing/vm/tap.sh)

# run_hello ARGS...: nvme-hello's output to $OUT and, as TAP comments,
# to stdout; its exit code in $rc.
run_hello() {
	echo "# \$ nvme-hello $*"
	nvme-hello "$@" >$OUT 2>&1
	rc=$?
	sed 's/^/# /' $OUT
	echo "# exit code $rc"
}

# has TEXT: whether the last nvme-hello output holds TEXT.
has() {
	grep -qF -- "$1" $OUT || { echo "# missing: $1"; return 1; }
}

echo "TAP version 13"
bdf=
for d in "$PCI"/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0010 ]; then
		bdf=${d##*/}
		break
	fi
done
if [ -z "$bdf" ]; then
	echo "1..0 # SKIP no QEMU nvme (1b36:0010)"
	exit 4
fi
echo "1..4"
dev=$PCI/devices/$bdf

# Bind to iopass-pci the way an administrator does (iopassctl bind).
old=$(readlink "$dev/driver")
old=${old##*/}
echo "# nvme at $bdf, driver before: ${old:-none}"
echo iopass-pci >"$dev/driver_override"
[ -n "$old" ] && echo "$bdf" >"$dev/driver/unbind"
echo "$bdf" >$PCI/drivers/iopass-pci/bind
drv=$(readlink "$dev/driver")
[ "${drv##*/}" = iopass-pci ] || echo "# binding $bdf to iopass-pci failed"

run_hello "$bdf"
r=$rc
has 'model "QEMU NVMe Ctrl"' || r=1
has 'serial "iopass0"' || r=1
has "write/read-back of LBA 0: OK (" || r=1
result $r nvme_hello_identify_and_write_read_lba_0

# A failure halfway (controller enabled, admin queue and MSI-X live) exits
# 1, and closing the fds must leave the device fit for the next run.
run_hello -b 0x7fffffff "$bdf"
r=0
[ $rc = 1 ] || r=1
has "is past the end of namespace 1" || r=1
result $r nvme_hello_block_past_the_end_fails_with_1

run_hello -b 7 "$bdf"
r=$rc
has 'model "QEMU NVMe Ctrl"' || r=1
has "created I/O CQ 1 and SQ 1" || r=1
has "write/read-back of LBA 7: OK (" || r=1
result $r nvme_hello_again_on_lba_7_recreates_the_queues

# Give it back, and to its old driver if it had one.
echo "$bdf" >$PCI/drivers/iopass-pci/unbind
echo >"$dev/driver_override"
[ -n "$old" ] && echo "$bdf" >"$PCI/drivers/$old/bind"

run_hello "$bdf"
r=0
[ $rc = 2 ] || r=1
has "is not bound to iopass-pci" || r=1
has "iopassctl bind $bdf" || r=1
result $r nvme_hello_refuses_a_device_not_bound_to_iopass

rm -f $OUT
echo "# $failed of $n failed"
[ $failed = 0 ]
