# SPDX-License-Identifier: GPL-2.0
#
# iopass top-level Makefile.  The module itself is built by the kernel's
# build system (Kbuild); everything else here drives the tests and the VM.
#
#   make                      build iopass.ko for this machine's kernel,
#                             and the tools (iopassctl, nvme-hello)
#   make KDIR=<headers dir>   build for another kernel
#   make deps                 install the Debian packages everything needs
#   make check                every test: lint, builds, KUnit, selftests
#   make demo                 boot a VM with an emulated IOMMU, show iopass
#   make demo-vm              a nested KVM guest given an nvme through iopass
#   make kunit                KUnit on the debug kernel
#   make selftests KVER=6.1|6.12|debug
#   make lint                 checkpatch, sparse, kernel-doc
#   make install              install iopass.ko for KDIR's kernel,
#                             iopassctl (man page, bash completion), the
#                             modprobe.d options and the udev rule
#   make uninstall            remove them
#   make dkms-install         install through DKMS (rebuilt for new kernels)
#   make dkms-uninstall       remove it from DKMS
#   make dkms                 check the DKMS build for the stock kernels
#   make htmldocs             render Documentation/ (Sphinx), warnings fail
#   make fuzz [FUZZ_ITERS=N] [FUZZ_SEED=S] [KVER=debug]
#                             the ioctl fuzzer's long run (a seed from a
#                             failure replays it)
#   make man                  build/man/iopassctl.8 from Documentation/cli.rst
#   make bench [BENCH_KVERS=...] [BENCH_SIZE=...] [BENCH_RUNS=...] [BENCH_CM=...]
#                             iopass against VFIO type1, iommufd and pinning
#                             alone, in a VM per kernel and VT-d caching mode
#                             (tools/testing/vm/bench.sh)

# The running kernel's headers if installed, else the newest Debian headers.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	  $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))
W ?= 1
RIG := tools/testing/vm
KREL = $(shell cat $(KDIR)/include/config/kernel.release)
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
PREFIX ?= /usr/local
COMPLETIONS ?= /usr/share/bash-completion/completions

all: modules tools

modules:
	@test -n "$(KDIR)" || { echo "no kernel headers found: run 'make deps' or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) modules

tools:
	$(MAKE) -C tools

man: build/man/iopassctl.8

build/man/iopassctl.8: Documentation/cli.rst
	@mkdir -p build/man
	rst2man --halt=warning $< $@

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

# A nested KVM guest, under an unmodified QEMU, given the nvme through
# iopass_vfio.ko (Documentation/vfio-compat.rst).
demo-vm: deps
	@DEMO_SUITE=nesteddemo $(RIG)/demo.sh

dkms: deps
	@tools/testing/check.sh dkms

htmldocs: deps
	@tools/testing/check.sh htmldocs

# A long run: its tests print progress, so the silence watchdog catches a
# hang; the harness timeouts and the boot's ceiling are out of the way.
FUZZ_ITERS ?= 2000000
fuzz: deps
	@RIG_LIMIT=$${RIG_LIMIT:-86400} CHECK_TIMEOUT_SCALE=$${CHECK_TIMEOUT_SCALE:-1000} \
	 RIG_APPEND="rig_fuzz_iters=$(FUZZ_ITERS) $(if $(FUZZ_SEED),rig_fuzz_seed=$(FUZZ_SEED))" \
	 tools/testing/check.sh fuzz-$(or $(KVER),debug)

bench: deps
	@$(RIG)/bench.sh

install: modules tools man install-tools
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	install -D -m 0644 tools/packaging/iopass.modprobe.conf /etc/modprobe.d/iopass.conf
	install -D -m 0644 tools/packaging/70-iopass.rules /etc/udev/rules.d/70-iopass.rules
	getent group iopass >/dev/null || groupadd --system iopass
	depmod -a $(KREL)

# DESTDIR: staging for packagers (and the test of this target).
install-tools: tools man
	install -D -m 0755 build/tools/iopassctl $(DESTDIR)$(PREFIX)/sbin/iopassctl
	install -D -m 0644 build/man/iopassctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/iopassctl.8
	install -D -m 0644 tools/iopassctl/iopassctl.bash-completion \
		$(DESTDIR)$(COMPLETIONS)/iopassctl

uninstall:
	rm -f /lib/modules/$(KREL)/updates/drivers/iopass/iopass.ko* \
	      /etc/modprobe.d/iopass.conf /etc/udev/rules.d/70-iopass.rules \
	      $(PREFIX)/sbin/iopassctl $(PREFIX)/share/man/man8/iopassctl.8 \
	      $(COMPLETIONS)/iopassctl
	-rmdir /lib/modules/$(KREL)/updates/drivers/iopass 2>/dev/null
	depmod -a $(KREL)

dkms-install:
	rm -rf /usr/src/iopass-$(VERSION) && mkdir -p /usr/src/iopass-$(VERSION)
	cp -a dkms.conf Kbuild drivers include /usr/src/iopass-$(VERSION)/
	find /usr/src/iopass-$(VERSION) \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \
		-o -name '*.mod*' -o -name conftest.h \) -delete
	dkms add -m iopass -v $(VERSION)
	dkms install -m iopass -v $(VERSION) -k $(KREL)

dkms-uninstall:
	dkms remove -m iopass -v $(VERSION) --all
	rm -rf /usr/src/iopass-$(VERSION)

.PHONY: all modules tools man clean deps check kunit selftests lint demo demo-vm dkms fuzz bench \
	htmldocs install install-tools uninstall dkms-install dkms-uninstall
