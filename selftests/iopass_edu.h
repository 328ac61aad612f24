/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The edu fixture of the DMA, regression and stress programs: an edu alone
 * in its IOMMU group, bound to iopass, open, attached to a fresh IOAS, its
 * BAR mapped.  The teardown checks that everything the test pinned and
 * charged is back: the system-wide pin count and this process's
 * pinned_vm.  Include after kselftest_harness.h.
 */
#ifndef __IOPASS_EDU_H
#define __IOPASS_EDU_H

#include "iopass_util.h"

FIXTURE(edu) {
	char bdf[32];
	int dev, ctx;
	__u32 ioas;
	void *bar;
	long pins, pinned_kb;
};

FIXTURE_SETUP(edu)
{
	self->pins = pins_outstanding();
	self->pinned_kb = pinned_vm_kb();
	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, ALONE_IN_GROUP, 0,
			      self->bdf, sizeof(self->bdf)));
	ASSERT_EQ(0, iopass_own(self->bdf, &self->dev, &self->ctx, &self->ioas));
	self->bar = dev_edu_bar(self->dev);
	ASSERT_NE(NULL, self->bar);
	ASSERT_EQ(0x010000ed, mmio_read32(self->bar, EDU_ID));
}

FIXTURE_TEARDOWN(edu)
{
	if (self->bar)
		munmap(self->bar, EDU_BAR_SIZE);
	close(self->dev);
	close(self->ctx);
	pci_release(self->bdf);
	EXPECT_EQ(self->pins, pins_outstanding());
	EXPECT_EQ(self->pinned_kb, pinned_vm_kb());
}

#endif /* __IOPASS_EDU_H */
