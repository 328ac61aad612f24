#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install, from Debian's packages, everything iopass's build, tests and demo
# need.  Idempotent: when all is present it only checks, in well under a
# second.  The stock kernel images are not installed on the host: the rig
# unpacks them into its cache (tools/testing/vm/kernel.sh).
set -euo pipefail

pkgs=(
	build-essential bc bison flex libelf-dev libssl-dev dwarves kmod
	cpio xz-utils busybox-static qemu-system-x86 python3 perl
	sparse linux-source-6.12
	linux-headers-amd64 linux-headers-6.12-amd64
	python3-sphinx python3-docutils dkms
	dpdk-dev librte-net-e1000-23 librte-mempool-ring23
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
[ "$(id -u)" = 0 ] || { echo "deps: run as root (apt-get)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
