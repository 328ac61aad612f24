// SPDX-License-Identifier: GPL-2.0
/*
 * Regression tests for the bug classes iopass's peers have had, on the
 * edu behind the emulated VT-d (and its real page tables):
 *
 * - the last page of the address space (off-by-one at the aperture's end,
 *   an IOVA beyond the IOMMU's address width);
 * - mappings the IOMMU cannot hold when a device attaches (outside its
 *   aperture, over its MSI window);
 * - a partial unmap inside a superpage (which must not split or widen it);
 * - repeated long-term pins of never-touched anonymous memory, which pin
 *   the shared zero page (its refcount; and writes must not reach it);
 * - INTx left enabled with no handler (a shared line disabled).
 *
 * Already covered elsewhere: mapping-count exhaustion (CVE-2019-3882,
 * iopass_dma.c mapping_count_limit), wrapping ranges (map_and_unmap_errnos),
 * SET_IRQS overflow (iopass_device.c set_irqs_arguments_are_checked).
 */
#include <sys/eventfd.h>

#include "iopass_util.h"
#include "kselftest_harness.h"
#include "iopass_edu.h"

#define SZ_4K		0x1000UL
#define SZ_2M		0x200000UL
#define IOVA_LOW	0x400000UL	/* below the edu's 28-bit DMA mask */
#define MSI_WINDOW	0xfee00000UL

static void *anon(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The last usable IOVA of an IOAS (the end of its last range). */
static __u64 last_iova(int ctx, __u32 ioas)
{
	struct iopass_iova_range r[8];
	struct iopass_ioas_iova_ranges cmd = {
		.size = sizeof(cmd), .ioas_id = ioas, .num_ranges = 8,
		.allowed_iovas = (uintptr_t)r,
	};

	if (ioctl(ctx, IOPASS_IOAS_IOVA_RANGES, &cmd) || !cmd.num_ranges ||
	    cmd.num_ranges > 8)
		return 0;
	return r[cmd.num_ranges - 1].last;
}

TEST_F(edu, the_last_page_of_the_aperture_maps_and_the_next_does_not)
{
	char *buf = anon(2 * SZ_4K, 0);
	__u64 last = last_iova(self->ctx, self->ioas), unmapped;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(SZ_4K - 1, last & (SZ_4K - 1));
	/* One page past the end, and a range straddling it. */
	EXPECT_EQ(-ERANGE, ioas_map_fixed(self->ctx, self->ioas, buf, SZ_4K,
					  last + 1, MAP_RW));
	EXPECT_EQ(-ERANGE, ioas_map_fixed(self->ctx, self->ioas, buf, 2 * SZ_4K,
					  last - SZ_4K + 1, MAP_RW));
	/* The last page itself. */
	EXPECT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, buf, SZ_4K,
				    last - SZ_4K + 1, MAP_RW));
	/* Far beyond the address width. */
	EXPECT_EQ(-ERANGE, ioas_map_fixed(self->ctx, self->ioas, buf, SZ_4K,
					  0x8000000000000000UL, MAP_RW));
	EXPECT_EQ(0, ioas_unmap(self->ctx, self->ioas, last - SZ_4K + 1, SZ_4K,
				&unmapped));
	EXPECT_EQ(SZ_4K, unmapped);
	munmap(buf, 2 * SZ_4K);
}

/* A kernel-chosen IOVA never lands past the aperture either. */
TEST_F(edu, kernel_chosen_iovas_stay_in_the_aperture)
{
	char *buf = anon(SZ_2M, 0);
	__u64 last = last_iova(self->ctx, self->ioas), iova = 0;
	int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, ioas_map(self->ctx, self->ioas, buf, SZ_2M, &iova,
				      MAP_RW));
		EXPECT_LE(iova + SZ_2M - 1, last);
		EXPECT_TRUE(iova + SZ_2M <= MSI_WINDOW ||
			    iova >= MSI_WINDOW + 0x100000)
			TH_LOG("IOVA 0x%llx overlaps the MSI window",
			       (unsigned long long)iova);
	}
	munmap(buf, SZ_2M);
}

/*
 * With no device attached every IOVA is allowed; a device whose IOMMU
 * cannot hold an existing mapping cannot attach (and stays usable).
 */
TEST_F(edu, attach_refuses_mappings_the_iommu_cannot_hold)
{
	char *buf = anon(SZ_4K, 0);
	__u32 other;
	__u64 unmapped;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, device_detach(self->dev));
	ASSERT_EQ(0, ioas_alloc(self->ctx, &other));
	/* Beyond the aperture: ERANGE. */
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, other, buf, SZ_4K,
				    0x4000000000000000UL, MAP_RW));
	EXPECT_EQ(-ERANGE, device_attach(self->dev, self->ctx, other));
	ASSERT_EQ(0, ioas_unmap(self->ctx, other, 0x4000000000000000UL, SZ_4K,
				&unmapped));
	/* Over the MSI window: EADDRINUSE. */
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, other, buf, SZ_4K, MSI_WINDOW,
				    MAP_RW));
	EXPECT_EQ(-EADDRINUSE, device_attach(self->dev, self->ctx, other));
	ASSERT_EQ(0, ioas_unmap(self->ctx, other, MSI_WINDOW, SZ_4K, &unmapped));
	/* Once they are gone it attaches, and works. */
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, other, buf, SZ_4K, IOVA_LOW,
				    MAP_RW));
	ASSERT_EQ(0, device_attach(self->dev, self->ctx, other));
	memset(buf, 0x6b, 64);
	ASSERT_EQ(0, dev_command(self->dev, 0x6, true));
	EXPECT_EQ(0, edu_dma(self->bar, IOVA_LOW, EDU_BUFFER, 64, false));
	EXPECT_EQ(0, edu_dma(self->bar, EDU_BUFFER, IOVA_LOW + 64, 64, true));
	EXPECT_EQ(0, memcmp(buf, buf + 64, 64));
	ASSERT_EQ(0, device_detach(self->dev));
	munmap(buf, SZ_4K);
}

/*
 * Unmapping 4 KiB inside a 2 MiB mapping backed by a 2 MiB page is
 * refused (no split, no widening), and the whole mapping still works.
 */
TEST_F(edu, partial_unmap_inside_a_superpage_is_refused)
{
	char *huge = anon(SZ_2M, MAP_HUGETLB);
	__u64 unmapped;

	ASSERT_NE(NULL, huge);
	memset(huge, 0x44, SZ_2M);
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, huge, SZ_2M, IOVA_LOW,
				    MAP_RW));
	EXPECT_EQ(-EINVAL, ioas_unmap(self->ctx, self->ioas, IOVA_LOW + SZ_4K,
				      SZ_4K, &unmapped));
	EXPECT_EQ(-EINVAL, ioas_unmap(self->ctx, self->ioas, IOVA_LOW,
				      SZ_2M - SZ_4K, &unmapped));
	/* Both ends still translate: the device reads the first and last 64. */
	EXPECT_EQ(0, edu_dma(self->bar, IOVA_LOW, EDU_BUFFER, 64, false));
	EXPECT_EQ(0, edu_dma(self->bar, EDU_BUFFER, IOVA_LOW + SZ_2M - 64, 64,
			     true));
	EXPECT_EQ(0, memcmp(huge, huge + SZ_2M - 64, 64));
	EXPECT_EQ(0, ioas_unmap(self->ctx, self->ioas, IOVA_LOW, SZ_2M,
				&unmapped));
	EXPECT_EQ(SZ_2M, unmapped);
	munmap(huge, SZ_2M);
}

/*
 * Never-touched anonymous memory, mapped read-only again and again: each
 * pin takes the shared zero page.  The device reads zeros, every pin is
 * released, and a writeable mapping of untouched memory gets pages of its
 * own (a device write lands in the process, not in the zero page).
 */
TEST_F(edu, never_touched_memory_pins_the_zero_page_safely)
{
	const int n = 64;
	char *untouched = anon(SZ_2M, 0), *probe = anon(SZ_4K, 0);
	__u64 iova, unmapped;
	long pins = pins_outstanding();
	int i;

	ASSERT_NE(NULL, untouched);
	ASSERT_NE(NULL, probe);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, untouched,
					    SZ_2M, IOVA_LOW + i * SZ_2M,
					    IOPASS_MAP_READABLE)) TH_LOG("map %d", i);
	/*
	 * Whether zero-page pins show in the pin counters differs by kernel
	 * (6.12 counts them, 6.1 does not); that they all go is checked below.
	 */
	EXPECT_LE(pins, pins_outstanding());
	/* The device reads zeros from the last of them. */
	memset(probe, 0xff, 64);
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, probe, SZ_4K,
				    0x100000, MAP_RW));
	EXPECT_EQ(0, edu_dma(self->bar, IOVA_LOW + (n - 1) * SZ_2M + SZ_4K,
			     EDU_BUFFER, 64, false));
	EXPECT_EQ(0, edu_dma(self->bar, EDU_BUFFER, 0x100000, 64, true));
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, probe[i]);
	EXPECT_EQ(0, ioas_unmap(self->ctx, self->ioas, IOVA_LOW, n * SZ_2M,
				&unmapped));
	EXPECT_EQ(n * SZ_2M, unmapped);
	EXPECT_EQ(pins + 1, pins_outstanding());	/* the probe */

	/* Writeable: the device's write lands in this process's page. */
	iova = IOVA_LOW;
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, untouched, SZ_4K, iova,
				    MAP_RW));
	memset(probe, 0x77, 64);
	EXPECT_EQ(0, edu_dma(self->bar, 0x100000, EDU_BUFFER, 64, false));
	EXPECT_EQ(0, edu_dma(self->bar, EDU_BUFFER, iova, 64, true));
	EXPECT_EQ(0x77, untouched[0]);
	EXPECT_EQ(0x77, untouched[63]);
	/* And the zero page is still zero: fresh memory reads 0. */
	EXPECT_EQ(0, untouched[SZ_2M - 1]);
	EXPECT_EQ(0, ioas_unmap(self->ctx, self->ioas, IOVA_LOW, SZ_4K, &unmapped));
	EXPECT_EQ(0, ioas_unmap(self->ctx, self->ioas, 0x100000, SZ_4K, &unmapped));
	munmap(untouched, SZ_2M);
	munmap(probe, SZ_4K);
}

/* In the device, as the host sees it: the owner's view of it is virtual. */
static bool intx_disabled(const char *bdf)
{
	unsigned short cmd = 0;

	pci_config_rw16(bdf, 0x04, &cmd, false);
	return cmd & 0x400;		/* PCI_COMMAND_INTX_DISABLE */
}

/*
 * INTx is off unless SET_IRQS routed it: a device asserting a line that
 * has no iopass handler would have the IRQ core disable the line ("nobody
 * cared"), and with it every other device sharing it.  Freeing MSI
 * vectors turns INTx back on in the PCI core: iopass turns it off again.
 * (Found by the stress suite: an edu raising INTx with no SET_IRQS got
 * IRQ 20, shared with another owner's nvme, disabled.)
 */
TEST_F(edu, intx_is_disabled_unless_routed)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	EXPECT_TRUE(intx_disabled(self->bdf));
	/* A raise with nothing routed asserts no line. */
	__atomic_store_n((__u32 *)(self->bar + 0x60), 1, __ATOMIC_RELAXED);
	usleep(200 * 1000);
	__atomic_store_n((__u32 *)(self->bar + 0x64), 1, __ATOMIC_RELAXED);
	EXPECT_TRUE(intx_disabled(self->bdf));
	/* MSI on, then off: INTx stays disabled. */
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_MSI, 0, 1, &efd));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_MSI, 0, 0, NULL));
	EXPECT_TRUE(intx_disabled(self->bdf));
	/* INTx routed: on; off again: disabled. */
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_INTX, 0, 1, &efd));
	EXPECT_FALSE(intx_disabled(self->bdf));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_INTX, 0, 0, NULL));
	EXPECT_TRUE(intx_disabled(self->bdf));
	close(efd);
}

#include "iopass_main.h"
