# SPDX-License-Identifier: GPL-2.0
#
# iopass top-level Makefile.  The module itself is built by the kernel's
# build system (Kbuild); everything else here drives the tests and the VM.
#
#   make                      build iopass.ko for this machine's kernel
#   make KDIR=<headers dir>   build for another kernel
#   make deps                 install the Debian packages everything needs
#   make check                every test: lint, builds, KUnit, selftests
#   make demo                 boot a VM with an emulated IOMMU, show iopass
#   make kunit                KUnit on the debug kernel
#   make selftests KVER=6.1|6.12|debug
#   make lint                 checkpatch, sparse, kernel-doc
#   make install              install iopass.ko for KDIR's kernel, the
#                             modprobe.d options and the udev rule
#   make uninstall            remove them
#   make dkms                 build through DKMS for the stock kernels
#   make htmldocs             render Documentation/ (Sphinx), warnings fail

# The running kernel's headers if installed, else the newest Debian headers.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	  $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))
W ?= 1
RIG := tools/testing/vm
KREL = $(shell cat $(KDIR)/include/config/kernel.release)

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no kernel headers found: run 'make deps' or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build

deps:
	@tools/testing/deps.sh

check: deps
	@tools/testing/check.sh

kunit: deps
	@tools/testing/check.sh kunit

selftests: deps
	@tools/testing/check.sh selftests-$(or $(KVER),6.12)

lint: deps
	@tools/testing/check.sh lint

demo: deps
	@$(RIG)/demo.sh

dkms: deps
	@tools/testing/check.sh dkms

htmldocs: deps
	@tools/testing/check.sh htmldocs

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	install -D -m 0644 tools/packaging/iopass.modprobe.conf /etc/modprobe.d/iopass.conf
	install -D -m 0644 tools/packaging/70-iopass.rules /etc/udev/rules.d/70-iopass.rules
	getent group iopass >/dev/null || groupadd --system iopass
	depmod -a $(KREL)

uninstall:
	rm -f /lib/modules/$(KREL)/updates/drivers/iopass/iopass.ko* \
	      /etc/modprobe.d/iopass.conf /etc/udev/rules.d/70-iopass.rules
	depmod -a $(KREL)

.PHONY: all modules clean deps check kunit selftests lint demo dkms htmldocs \
	install uninstall
