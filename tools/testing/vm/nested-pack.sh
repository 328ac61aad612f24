#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Usage: nested-pack.sh ROOT KVER
# Add to the rig's initramfs at ROOT what the nested suite needs
# (nested-guest.sh): Debian's own qemu-system-x86_64 at its own path with
# the libraries ldd names, its accelerator modules and firmware (from
# another path it cannot load them); the outer kernel KVER's KVM and vfio
# modules (kvm-amd: the outer guest is an EPYC, whose SVM TCG emulates;
# the debug kernel has KVM built in and no modules); and the nested
# guest: the stock 6.12 kernel and an initramfs of busybox, its nvme
# driver and nested-init.sh.  The nested guest is always 6.12's, whichever
# kernel the outer guest runs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
root=$1 kver=$2

eval "$("$RIG_DIR/kernel.sh" "$kver")"
outer_modules=${MODDIR:+$MODDIR/kernel}
eval "$("$RIG_DIR/kernel.sh" 6.12)"
modules=$MODDIR/kernel

# A module ($1) of the modules tree $3 (the nested guest's by default),
# uncompressed, to $2.
copy_module() {
	local f
	f=$(ls "${3:-$modules}/$1".ko* | head -n1)
	case "$f" in
	*.xz) xz -dc "$f" >"$2" ;;
	*) cp "$f" "$2" ;;
	esac
}

# QEMU, where it expects to be.
qemu=/usr/bin/qemu-system-x86_64
mkdir -p "$root/usr/bin"
cp "$qemu" "$root$qemu"
for lib in $(ldd "$qemu" | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
for d in /usr/lib/x86_64-linux-gnu/qemu /usr/share/qemu /usr/share/seabios; do
	mkdir -p "$root$(dirname "$d")"
	cp -rL "$d" "$root$d"
done

if [ -n "$outer_modules" ]; then
	mkdir -p "$root/lib/modules/kvm" "$root/lib/modules/vfio"
	for m in arch/x86/kvm/kvm arch/x86/kvm/kvm-amd drivers/crypto/ccp/ccp; do
		copy_module "$m" "$root/lib/modules/kvm/${m##*/}.ko" "$outer_modules"
	done
	# The reference run's vfio-pci (nested-guest.sh vfio).
	for m in drivers/vfio/vfio drivers/vfio/vfio_iommu_type1 \
		 drivers/vfio/vfio_virqfd drivers/vfio/pci/vfio-pci-core \
		 drivers/vfio/pci/vfio-pci; do
		ls "$outer_modules/$m".ko* >/dev/null 2>&1 &&
			copy_module "$m" "$root/lib/modules/vfio/${m##*/}.ko" \
				    "$outer_modules"
	done
fi

# The nested guest.
nested=$(mktemp -d)
trap 'rm -rf "$nested"' EXIT
mkdir -p "$nested"/{bin,dev,proc,sys,lib/modules} "$root/nested"
cp /bin/busybox "$nested/bin/busybox"
cp "$RIG_DIR/nested-init.sh" "$nested/init"
for m in drivers/nvme/common/nvme-auth drivers/nvme/host/nvme-core \
	 drivers/nvme/host/nvme; do
	copy_module "$m" "$nested/lib/modules/${m##*/}.ko"
done
(cd "$nested" && find . | cpio -o -H newc --quiet | gzip -1) >"$root/nested/initrd.gz"
cp "$IMAGE" "$root/nested/vmlinuz"
cp "$RIG_DIR/nested-guest.sh" "$root/iopass/nested.sh"
cp "$RIG_DIR/nested-demo.sh" "$root/iopass/nested-demo.sh"
cp "$RIG_DIR/vmstart.sh" "$root/iopass/vmstart.sh"
