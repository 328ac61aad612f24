#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The narrated tour `make demo` shows, run inside the rig's VM with
# iopassctl.  Every step checks what it claims; the first one that does
# not hold ends the tour with a non-zero exit.
set -e
n=0
step() { n=$((n + 1)); printf '\n== %d. %s\n' "$n" "$*"; }
explain() { printf '   %s\n' "$@"; }
fail() { echo "!! FAILED: $*"; exit 1; }
# Show a command, then run it.
show() { echo "\$ $*"; "$@"; }
# Run a command that must be refused; its output is kept in $refusal.
refused() {
	echo "\$ $*"
	if "$@" >/tmp/out 2>&1; then cat /tmp/out; fail "'$*' was not refused"; fi
	cat /tmp/out
	refusal=$(cat /tmp/out)
}
edu_id=0x1234:0x11e8
edus() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = $edu_id ] && echo "${d##*/}"
	done
	return 0
}
group_size() {
	ls "/sys/bus/pci/devices/$1/iommu_group/devices" | wc -l
}

cat <<'EOF'
iopass hands a PCI device to a user-space program (a VMM, a user-space
driver) so that it drives the device directly, while the IOMMU confines the
device's DMA to exactly the memory that program mapped.

This VM is Debian's 6.12 kernel on QEMU q35 with an emulated Intel VT-d
IOMMU (with interrupt remapping).  It has two "edu" test devices (QEMU's
educational PCI device: it can DMA and raise MSIs): one alone in its IOMMU
group, one behind a PCIe-to-PCI bridge sharing a group with an e1000 NIC.
EOF

step "Load iopass"
show insmod /iopass/iopass.ko
[ -d /sys/bus/iopass ] || fail "no iopass bus"
explain "iopass registered its bus, the iopass-pci driver and /dev/iopass."

step "What is there to hand over"
show iopassctl list --all
edu= shared=
for b in $(edus); do
	if [ "$(group_size "$b")" = 1 ]; then edu=${edu:-$b}; else shared=${shared:-$b}; fi
done
[ -n "$edu" ] || fail "no edu alone in its IOMMU group"
[ -n "$shared" ] || fail "no edu sharing its IOMMU group"
explain "$edu: an edu alone in its IOMMU group: it can be isolated." \
	"$shared: an edu whose group also holds a NIC with a kernel driver."

step "Bind $edu to iopass"
explain "Like vfio-pci: driver_override, unbind, bind.  iopass takes DMA" \
	"ownership of the group and puts it in an empty translated domain:" \
	"from here on every DMA the device attempts faults until its owner maps memory."
show iopassctl bind "$edu"
[ "$(basename "$(readlink /sys/bus/pci/devices/$edu/driver)")" = iopass-pci ] ||
	fail "$edu is not bound to iopass-pci"
show iopassctl info "$edu"
iopassctl --json info "$edu" | grep -q '"domain_type":"paging"' ||
	fail "$edu is not in a paging domain"

step "Create an address space, attach the device, map memory"
explain "One iopassctl process is one owner: 'iopassctl run' keeps the context," \
	"address space and mappings across its lines (they go when it exits)."
cat >/tmp/map.run <<EOF
ioas
attach $edu
ranges $edu
map --size 2M --iova 0x400000 --fill 0x5a
stats $edu
unmap --iova 0x400000
stats $edu
EOF
show iopassctl run -x /tmp/map.run
iopassctl --json run /tmp/map.run >/tmp/map.json
grep '"command":"stats"' /tmp/map.json | head -n1 |
	grep -q '"mapped_bytes":2097152,"pinned_pages":512' ||
	fail "stats did not show 2 MiB mapped and 512 pages pinned"
grep '"command":"stats"' /tmp/map.json | tail -n1 |
	grep -q '"mapped_bytes":0,"pinned_pages":0' ||
	fail "stats did not show everything unpinned after unmap"
explain "2 MiB was pinned (512 pages, charged to RLIMIT_MEMLOCK) and mapped," \
	"then unmapped: IOTLB flushed first, pages unpinned after."

step "Device DMA through the IOMMU, completions by MSI, a stale IOVA blocked"
explain "dma-test maps a random buffer (device may read) and a destination" \
	"(device may write), has the edu DMA RAM -> edu -> RAM, and waits for" \
	"each completion's MSI on an eventfd.  Then it unmaps the destination" \
	"and makes the edu DMA to that IOVA anyway: the IOMMU must block it."
echo "iopass-rig: expect dmar" >/dev/kmsg
show iopassctl dma-test "$edu" --irq --stale
echo "iopass-rig: expect-end" >/dev/kmsg
iopassctl --json dma-test "$edu" --irq >/tmp/dma.json
grep -q '"round_trip":true' /tmp/dma.json || fail "no DMA round trip"
grep -q '"msi_events":2' /tmp/dma.json || fail "not one MSI per DMA"

step "A group that cannot be isolated is refused"
explain "$shared shares its IOMMU group with a NIC the kernel's e1000 driver" \
	"is using: the IOMMU cannot tell the two apart, so handing one to user" \
	"space would hand it the NIC's DMA too."
refused iopassctl bind "$shared"
echo "$refusal" | grep -q "not viable" || fail "the refusal did not say why"
[ "$(basename "$(readlink /sys/bus/pci/devices/$shared/driver)")" != iopass-pci ] ||
	fail "$shared was bound anyway"

step "Unbind: the device goes back to the kernel"
show iopassctl unbind "$edu"
show iopassctl list
[ -z "$(ls /sys/bus/iopass/devices)" ] || fail "an iopass device is left"
show rmmod iopass
explain "iopass unloaded."

printf '\nDemo complete: every step did what it said.\n'
