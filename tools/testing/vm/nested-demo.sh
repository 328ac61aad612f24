#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The narrated tour `make demo-vm` shows, in the rig's VM: an unmodified
# QEMU gives a nested KVM guest the nvme through iopass_vfio.ko.  The work
# and its checks are nested-guest.sh's; this says what each step shows,
# and keeps the lines that show it.  Exits non-zero if a check failed.
say() { printf '%s\n' "$@"; }

cat <<'TEXT'
A virtual machine that drives a real device directly is the reason
passthrough exists.  Every VMM that does it speaks VFIO; iopass_vfio.ko
serves VFIO's API on iopass's own objects, so Debian's own QEMU 7.2,
unmodified, assigns a device bound to iopass to its guest.

This VM (Debian 6.12 on QEMU under TCG, an AMD EPYC model whose SVM the
emulator provides, with an emulated VT-d) loads KVM, binds its nvme to
iopass-pci, loads iopass_vfio.ko, and runs three nested KVM guests, each
given the nvme with `-device vfio-pci,host=<nvme>`:

  plain   the nested guest's stock nvme driver writes 64 blocks of a
          pattern at LBA 256 and reads them back uncached;
  viommu  the same with a vIOMMU in the nested guest: QEMU shadows the
          nested guest's IOMMU mappings into MAP_DMA/UNMAP_DMA as it
          makes them (LBA 1024);
  unplug  after its writes (LBA 2048), this VM unbinds the nvme from
          iopass while QEMU holds it: iopass asks QEMU for it back (the
          REQ eventfd), QEMU hot-unplugs it from its guest and lets go.

After the VM powers off, the host reads the nvme's backing image and
looks for every pattern at its LBA.
TEXT
say "" "== running (the nested guests' consoles are kept in the log) ..."
/iopass/nested.sh iopass >/tmp/nested.tap 2>&1
rc=$?
# The verdicts, and the lines that measure something.
grep -E '^(ok|not ok) |^# (nested QEMU|QEMU made|the unbind took)|owner (released|kept)|met an irqbypass' \
	/tmp/nested.tap | sed 's/^# \[ *[0-9.]*\] /# /'
say "" "== the host's side comes last: the patterns in the backing image"
exit $rc
