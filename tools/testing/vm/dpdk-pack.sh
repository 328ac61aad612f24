#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Usage: dpdk-pack.sh ROOT
# Add to the rig's initramfs at ROOT what the dpdk suite needs
# (dpdk-guest.sh): Debian's own dpdk-testpmd with the libraries ldd names,
# and three plugins (the PCI bus, the e1000 PMD, the ring mempool) as the
# whole of DPDK's plugin directory: DPDK loads every plugin there, and most
# of Debian's want libraries the initramfs has not got.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
root=$1
pmds=/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0

[ -x /usr/bin/dpdk-testpmd ] || die "no dpdk-testpmd: make deps installs dpdk-dev"
# A file as it is on the host: its real file copied, the path a symlink to
# it.  DPDK's libraries and its plugins are the same files (the PCI bus
# is both): two copies would be two libraries, and DPDK aborts on the
# second registering the same lists.
place() {
	local real
	real=$(readlink -f "$1")
	[ -e "$root$real" ] || { mkdir -p "$root$(dirname "$real")"; cp "$real" "$root$real"; }
	[ "$1" = "$real" ] || { mkdir -p "$root$(dirname "$1")"; ln -sfn "$real" "$root$1"; }
}

# The plugins by their full names: DPDK loads "*.so" and "*.so.23.0" only.
# libgcc_s: glibc opens it for pthread_cancel(), which testpmd calls.
for f in /usr/bin/dpdk-testpmd "$pmds"/librte_{bus_pci,net_e1000,mempool_ring}.so.23.0 \
	 /lib/x86_64-linux-gnu/libgcc_s.so.1; do
	place "$f"
	for lib in $(ldd "$f" | grep -o '/[^ ]*'); do
		place "$lib"
	done
done
cp "$RIG_DIR/dpdk-guest.sh" "$root/iopass/dpdk.sh"
