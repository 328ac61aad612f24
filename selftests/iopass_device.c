// SPDX-License-Identifier: GPL-2.0
/*
 * Driving a device through iopass: its regions (config space, BARs by
 * pread/pwrite and mmap), interrupts to eventfds (edu MSI and INTx, nvme
 * MSI-X), reset, and what must never be handed over: the MSI-X table, raw
 * MSI capability writes, MMIO with memory decode off, a device after it
 * was unbound.  An nvme is driven for real: Identify Controller through an
 * admin queue in mapped memory, completion on an MSI-X eventfd.
 */
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "iopass_util.h"
#include "kselftest_harness.h"

#define SZ_4K		0x1000UL
#define EDU_LIVENESS	0x04
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64

static ssize_t bar_rw(int dev, int bar, off_t off, void *val, size_t len,
		      bool write)
{
	off_t pos = IOPASS_REGION_OFFSET(bar) + off;
	ssize_t n = write ? pwrite(dev, val, len, pos) : pread(dev, val, len, pos);

	return n < 0 ? -errno : n;
}

static __u32 bar_read32(int dev, int bar, off_t off)
{
	__u32 v = 0xdeadbeef;

	bar_rw(dev, bar, off, &v, 4, false);
	return v;
}

/* The config-space offset of capability @id, 0 if absent. */
static int find_cap(int dev, unsigned char id)
{
	unsigned char pos = 0, hdr[2];

	if (dev_cfg_rw(dev, 0x34, &pos, 1, false))
		return 0;
	while (pos) {
		if (dev_cfg_rw(dev, pos, hdr, 2, false))
			return 0;
		if (hdr[0] == id)
			return pos;
		pos = hdr[1];
	}
	return 0;
}

/* An edu alone in its group, bound, open, attached. */
FIXTURE(edu) {
	char bdf[32];
	int dev, ctx;
	__u32 ioas;
};

FIXTURE_SETUP(edu)
{
	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, ALONE_IN_GROUP, 0,
			      self->bdf, sizeof(self->bdf)));
	ASSERT_EQ(0, iopass_own(self->bdf, &self->dev, &self->ctx, &self->ioas));
	ASSERT_EQ(0, dev_command(self->dev, 0x6, true));
}

FIXTURE_TEARDOWN(edu)
{
	close(self->dev);
	close(self->ctx);
	pci_release(self->bdf);
}

TEST_F(edu, device_and_region_info)
{
	struct iopass_device_info info = { .size = sizeof(info) };
	struct iopass_region_info r = { .size = sizeof(r) };
	struct iopass_irq_info irq = { .size = sizeof(irq) };

	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_GET_INFO, &info));
	EXPECT_EQ(IOPASS_NUM_REGIONS, info.num_regions);
	EXPECT_EQ(IOPASS_NUM_IRQS, info.num_irqs);
	EXPECT_EQ(IOPASS_DEVICE_FLAGS_PCI, info.device_flags);	/* no reset */

	r.index = 0;
	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_REGION_INFO, &r));
	EXPECT_EQ(EDU_BAR_SIZE, r.region_size);
	EXPECT_EQ(IOPASS_REGION_OFFSET(0), r.offset);
	EXPECT_EQ(IOPASS_REGION_READ | IOPASS_REGION_WRITE | IOPASS_REGION_MMAP,
		  r.region_flags);
	EXPECT_EQ(0, r.hole_size);
	r.index = 1;
	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_REGION_INFO, &r));
	EXPECT_EQ(0, r.region_flags);
	r.index = IOPASS_REGION_CONFIG;
	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_REGION_INFO, &r));
	EXPECT_LE(256, r.region_size);
	r.index = IOPASS_NUM_REGIONS;
	EXPECT_EQ(-EINVAL, ioctl_errno(self->dev, IOPASS_DEVICE_REGION_INFO, &r));

	irq.index = IOPASS_IRQ_MSI;
	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_IRQ_INFO, &irq));
	EXPECT_EQ(1, irq.count);
	EXPECT_EQ(IOPASS_IRQ_INFO_EVENTFD | IOPASS_IRQ_INFO_NORESIZE,
		  irq.irq_flags);
	irq.index = IOPASS_IRQ_MSIX;
	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_IRQ_INFO, &irq));
	EXPECT_EQ(0, irq.count);
	irq.index = IOPASS_IRQ_INTX;
	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_IRQ_INFO, &irq));
	EXPECT_EQ(1, irq.count);
	EXPECT_EQ(IOPASS_IRQ_INFO_EVENTFD | IOPASS_IRQ_INFO_AUTOMASKED,
		  irq.irq_flags);
}

TEST_F(edu, bar0_by_pread_pwrite_and_mmap)
{
	__u32 v = 0x12345678, *bar;

	EXPECT_EQ(0x010000ed, bar_read32(self->dev, 0, 0));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_LIVENESS, &v, 4, true));
	EXPECT_EQ(~0x12345678U, bar_read32(self->dev, 0, EDU_LIVENESS));

	bar = dev_map_bar(self->dev, 0, EDU_BAR_SIZE);
	ASSERT_NE(NULL, bar);
	EXPECT_EQ(0x010000ed, mmio_read32(bar, 0));
	__atomic_store_n(&bar[EDU_LIVENESS / 4], 0xa5a5a5a5U, __ATOMIC_RELAXED);
	EXPECT_EQ(~0xa5a5a5a5U, bar_read32(self->dev, 0, EDU_LIVENESS));
	munmap(bar, EDU_BAR_SIZE);

	/* Past the end of the BAR: nothing; no such region: EINVAL. */
	EXPECT_EQ(0, bar_rw(self->dev, 0, EDU_BAR_SIZE, &v, 4, false));
	EXPECT_EQ(-EINVAL, bar_rw(self->dev, 7, 0, &v, 4, false));
	EXPECT_EQ(NULL, dev_map_bar(self->dev, 0, 2 * EDU_BAR_SIZE));
	EXPECT_EQ(NULL, dev_map_bar(self->dev, IOPASS_REGION_CONFIG, SZ_4K));
}

TEST_F(edu, mmio_with_memory_decode_off_is_refused)
{
	__u32 *bar = dev_map_bar(self->dev, 0, EDU_BAR_SIZE), v;

	ASSERT_NE(NULL, bar);
	EXPECT_EQ(0x010000ed, mmio_read32(bar, 0));
	ASSERT_EQ(0, dev_command(self->dev, 0x2, false));
	EXPECT_EQ(-EIO, bar_rw(self->dev, 0, 0, &v, 4, false));
	EXPECT_EQ(-EIO, bar_rw(self->dev, 0, EDU_LIVENESS, &v, 4, true));
	/* The mapping was zapped and does not come back while decode is off. */
	EXPECT_TRUE(read_faults(bar));
	ASSERT_EQ(0, dev_command(self->dev, 0x2, true));
	EXPECT_FALSE(read_faults(bar));
	EXPECT_EQ(0x010000ed, mmio_read32(bar, 0));
	munmap(bar, EDU_BAR_SIZE);
}

/*
 * The MSI capability and the BARs are virtualized: the owner reads back
 * what it wrote, the device (as the host sees it in sysfs) never gets it.
 */
TEST_F(edu, raw_writes_to_msi_and_bars_do_not_reach_the_device)
{
	int msi = find_cap(self->dev, 0x05);
	__u32 before, after, seen, junk = 0xfee0dead;

	ASSERT_NE(0, msi);
	ASSERT_EQ(0, pci_config_rw(self->bdf, msi + 4, &before, 4, false));
	ASSERT_EQ(0, dev_cfg_rw(self->dev, msi + 4, &junk, 4, true));
	ASSERT_EQ(0, dev_cfg_rw(self->dev, msi + 4, &seen, 4, false));
	EXPECT_EQ(junk, seen);
	ASSERT_EQ(0, pci_config_rw(self->bdf, msi + 4, &after, 4, false));
	EXPECT_EQ(before, after);
	ASSERT_EQ(0, pci_config_rw(self->bdf, 0x10, &before, 4, false));
	ASSERT_EQ(0, dev_cfg_rw(self->dev, 0x10, &junk, 4, true));
	ASSERT_EQ(0, pci_config_rw(self->bdf, 0x10, &after, 4, false));
	EXPECT_EQ(before, after);
	/* The interrupt line is the owner's to write, and virtual too. */
	ASSERT_EQ(0, pci_config_rw(self->bdf, 0x3c, &before, 1, false));
	junk = (before & 0xff) ^ 0x5a;
	ASSERT_EQ(0, dev_cfg_rw(self->dev, 0x3c, &junk, 1, true));
	seen = 0;
	ASSERT_EQ(0, dev_cfg_rw(self->dev, 0x3c, &seen, 1, false));
	EXPECT_EQ(junk & 0xff, seen);
	after = 0;
	ASSERT_EQ(0, pci_config_rw(self->bdf, 0x3c, &after, 1, false));
	EXPECT_EQ(before & 0xff, after);
}

TEST_F(edu, msi_raises_arrive_as_eventfd_events)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	__u32 one = 1;
	__s32 fd = efd, off = -1;
	int i;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_MSI,
			      0, 1, &fd));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_RAISE, &one, 4, true));
		EXPECT_EQ(1, events(efd, 2000));
		ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_ACK, &one, 4, true));
	}
	/* A vector can be pointed at another eventfd, or at none. */
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_MSI,
			      0, 1, &off));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_MSI,
			      0, 1, &fd));
	/* Another type while MSI is on: EBUSY. */
	EXPECT_EQ(-EBUSY, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
				   IOPASS_IRQ_INTX, 0, 1, &fd));
	/* MSI off: a raise gives no event. */
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_MSI,
			      0, 0, NULL));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_RAISE, &one, 4, true));
	EXPECT_EQ(0, events(efd, 300));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_ACK, &one, 4, true));
	EXPECT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_INTX,
			      0, 1, &fd));
	close(efd);
}

/* A new eventfd for the device's INTx; -errno on failure. */
static int intx_on(int dev)
{
	__s32 fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ret;

	if (fd < 0)
		return -errno;
	ret = set_irqs(dev, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_INTX, 0, 1, &fd);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

TEST_F(edu, intx_is_masked_until_unmasked)
{
	int efd = intx_on(self->dev);
	__u32 one = 1;

	ASSERT_LE(0, efd);
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_RAISE, &one, 4, true));
	EXPECT_EQ(1, events(efd, 2000));
	/* Masked: the device keeps asserting, nothing more arrives. */
	EXPECT_EQ(0, events(efd, 300));
	/* Acked by the "driver", unmasked: quiet until the next raise. */
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_ACK, &one, 4, true));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK, IOPASS_IRQ_INTX,
			      0, 1, NULL));
	EXPECT_EQ(0, events(efd, 300));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_RAISE, &one, 4, true));
	EXPECT_EQ(1, events(efd, 2000));
	/* Unmasking while still asserted reports it again, still masked. */
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK, IOPASS_IRQ_INTX,
			      0, 1, NULL));
	EXPECT_EQ(1, events(efd, 2000));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_ACK, &one, 4, true));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_INTX, 0, 0, NULL));
	close(efd);
}

/* The owner masks INTx; a raise while masked arrives at the unmask. */
TEST_F(edu, intx_mask_holds_a_raise_until_unmask)
{
	int efd = intx_on(self->dev);
	__u32 one = 1;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_MASK, IOPASS_IRQ_INTX,
			      0, 1, NULL));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_RAISE, &one, 4, true));
	EXPECT_EQ(0, events(efd, 300));
	/* Unmasked while the device asserts: reported, masked again. */
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK, IOPASS_IRQ_INTX,
			      0, 1, NULL));
	EXPECT_EQ(1, events(efd, 2000));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_ACK, &one, 4, true));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK, IOPASS_IRQ_INTX,
			      0, 1, NULL));
	EXPECT_EQ(0, events(efd, 300));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_RAISE, &one, 4, true));
	EXPECT_EQ(1, events(efd, 2000));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_ACK, &one, 4, true));
	/* Mask takes INTx vector 0 only. */
	EXPECT_EQ(-EINVAL, set_irqs(self->dev, IOPASS_IRQ_SET_MASK,
				    IOPASS_IRQ_INTX, 0, 2, NULL));
	EXPECT_EQ(-EINVAL, set_irqs(self->dev, IOPASS_IRQ_SET_MASK,
				    IOPASS_IRQ_MSI, 0, 1, NULL));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_INTX, 0, 0, NULL));
	close(efd);
}

/*
 * The unmask eventfd (KVM's resamplefd): a write unmasks, and one that
 * finds the line still asserted has it reported again.  It goes with INTx.
 */
TEST_F(edu, intx_unmask_eventfd_unmasks)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ufd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	__u64 kick = 1;
	__u32 one = 1;
	__s32 fd = efd, u = ufd, none = -1, notev = self->dev;

	ASSERT_LE(0, efd);
	ASSERT_LE(0, ufd);
	/* Not while INTx is off; never a fd that is not an eventfd. */
	EXPECT_EQ(-EINVAL, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK_EVENTFD,
				    IOPASS_IRQ_INTX, 0, 1, &u));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_INTX, 0, 1, &fd));
	EXPECT_EQ(-EBADF, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK_EVENTFD,
				   IOPASS_IRQ_INTX, 0, 1, &notev));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK_EVENTFD,
			      IOPASS_IRQ_INTX, 0, 1, &u));

	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_RAISE, &one, 4, true));
	EXPECT_EQ(1, events(efd, 2000));
	EXPECT_EQ(0, events(efd, 300));		/* masked */
	/* Still asserted: the write reports it again. */
	ASSERT_EQ(8, write(ufd, &kick, 8));
	EXPECT_EQ(1, events(efd, 2000));
	/* Acked: the write unmasks, and the next raise arrives. */
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_ACK, &one, 4, true));
	ASSERT_EQ(8, write(ufd, &kick, 8));
	EXPECT_EQ(0, events(efd, 300));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_RAISE, &one, 4, true));
	EXPECT_EQ(1, events(efd, 2000));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_ACK, &one, 4, true));

	/* Removed (-1): a write no longer unmasks. */
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK_EVENTFD,
			      IOPASS_IRQ_INTX, 0, 1, &none));
	ASSERT_EQ(8, write(ufd, &kick, 8));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_RAISE, &one, 4, true));
	EXPECT_EQ(0, events(efd, 300));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_ACK, &one, 4, true));

	/* Set again, then INTx off: it went with INTx, writes are harmless. */
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK_EVENTFD,
			      IOPASS_IRQ_INTX, 0, 1, &u));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_INTX, 0, 0, NULL));
	ASSERT_EQ(8, write(ufd, &kick, 8));
	EXPECT_EQ(-EINVAL, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK_EVENTFD,
				    IOPASS_IRQ_INTX, 0, 1, &u));
	/*
	 * INTx on with no eventfd routed (-1), the unmask eventfd set, INTx
	 * off: the unmask eventfd goes too.  It once stayed on the eventfd's
	 * wait queue, leaked with its eventfd reference (kmemleak, on the
	 * debug kernel), and a write woke it with INTx's vectors freed.
	 */
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_INTX, 0, 1, &none));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK_EVENTFD,
			      IOPASS_IRQ_INTX, 0, 1, &u));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_INTX, 0, 0, NULL));
	ASSERT_EQ(8, write(ufd, &kick, 8));
	close(ufd);
	close(efd);
}

/* Unmasking after the INTx vector was turned off must be harmless. */
TEST_F(edu, intx_unmask_after_the_vector_is_off)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	__s32 fd = efd, off = -1;
	__u32 one = 1;

	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_INTX, 0, 1, &fd));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_RAISE, &one, 4, true));
	EXPECT_EQ(1, events(efd, 2000));	/* masked now, still asserted */
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_INTX, 0, 1, &off));
	EXPECT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK, IOPASS_IRQ_INTX,
			      0, 1, NULL));
	ASSERT_EQ(4, bar_rw(self->dev, 0, EDU_IRQ_ACK, &one, 4, true));
	close(efd);
}

/*
 * Detaching stops the device (bus mastering off) and takes its BAR
 * mappings away: its group may next be in someone else's address space.
 */
TEST_F(edu, detach_stops_dma_and_takes_the_mappings)
{
	char path[PATH_MAX];
	unsigned short cmd;
	__u32 *bar;
	int fd;

	bar = dev_map_bar(self->dev, 0, EDU_BAR_SIZE);
	ASSERT_NE(NULL, bar);
	EXPECT_EQ(0x010000ed, mmio_read32(bar, 0));
	ASSERT_EQ(0, device_detach(self->dev));
	EXPECT_TRUE(read_faults(bar));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", self->bdf);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(2, pread(fd, &cmd, 2, 0x04));
	close(fd);
	EXPECT_EQ(0, cmd & 0x4);		/* PCI_COMMAND_MASTER */
	/* Attached again, the mapping works (DMA waits for the owner). */
	ASSERT_EQ(0, device_attach(self->dev, self->ctx, self->ioas));
	EXPECT_FALSE(read_faults(bar));
	EXPECT_EQ(0x010000ed, mmio_read32(bar, 0));
	munmap(bar, EDU_BAR_SIZE);
}

TEST_F(edu, set_irqs_arguments_are_checked)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	__s32 fds[2] = { efd, efd }, bad = 1000;

	/* start + count wraps, or goes past the vectors there are. */
	EXPECT_EQ(-EINVAL, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
				    IOPASS_IRQ_MSI, 0xffffffff, 2, fds));
	EXPECT_EQ(-EINVAL, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
				    IOPASS_IRQ_MSI, 0, 0x40000000, fds));
	EXPECT_EQ(-EINVAL, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
				    IOPASS_IRQ_MSI, 0, 2, fds));
	EXPECT_EQ(-EINVAL, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD, 99, 0, 1,
				    fds));
	EXPECT_EQ(-EINVAL, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD |
				    IOPASS_IRQ_SET_UNMASK, IOPASS_IRQ_INTX, 0,
				    1, fds));
	EXPECT_EQ(-EINVAL, set_irqs(self->dev, 0, IOPASS_IRQ_INTX, 0, 1, fds));
	EXPECT_EQ(-EINVAL, set_irqs(self->dev, IOPASS_IRQ_SET_UNMASK,
				    IOPASS_IRQ_MSI, 0, 1, NULL));
	EXPECT_EQ(-EBADF, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
				   IOPASS_IRQ_MSI, 0, 1, &bad));
	EXPECT_EQ(-EFAULT, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
				    IOPASS_IRQ_MSI, 0, 1, (void *)8));
	close(efd);
}

TEST_F(edu, nothing_is_driven_until_attached)
{
	struct iopass_device_reset reset = { .size = sizeof(reset) };
	struct iopass_region_info r = { .size = sizeof(r) };
	__s32 fd = -1;
	__u32 v;

	ASSERT_EQ(0, device_detach(self->dev));
	EXPECT_EQ(-EPERM, bar_rw(self->dev, 0, 0, &v, 4, false));
	EXPECT_EQ(-EPERM, dev_cfg_rw(self->dev, 0, &v, 4, false));
	EXPECT_EQ(NULL, dev_map_bar(self->dev, 0, SZ_4K));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EPERM, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
				   IOPASS_IRQ_MSI, 0, 1, &fd));
	EXPECT_EQ(-EPERM, ioctl_errno(self->dev, IOPASS_DEVICE_RESET, &reset));
	/* Describing it is fine. */
	EXPECT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_REGION_INFO, &r));
}

TEST_F(edu, reset_without_a_method_is_refused)
{
	struct iopass_device_reset reset = { .size = sizeof(reset) };

	EXPECT_EQ(-EOPNOTSUPP, ioctl_errno(self->dev, IOPASS_DEVICE_RESET,
					   &reset));
}

/*
 * Unbinding while the owner holds the fd and a BAR mapping: the request
 * eventfd fires, the kernel waits (release_timeout_ms), then revokes.
 */
TEST_F(edu, unbind_with_the_fd_open_requests_then_revokes)
{
	struct iopass_device_info info = { .size = sizeof(info) };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	unsigned short cmd = 0;
	__s32 fd = efd;
	__u32 *bar, v;

	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_REQ,
			      0, 1, &fd));
	bar = dev_map_bar(self->dev, 0, EDU_BAR_SIZE);
	ASSERT_NE(NULL, bar);
	EXPECT_EQ(0x010000ed, mmio_read32(bar, 0));
	/* Asked to give it back, then revoked. */
	ASSERT_EQ(0, unbind_held(self->bdf, efd, "500"));

	EXPECT_EQ(-ENODEV, ioctl_errno(self->dev, IOPASS_DEVICE_GET_INFO, &info));
	EXPECT_EQ(-ENODEV, bar_rw(self->dev, 0, 0, &v, 4, false));
	EXPECT_TRUE(read_faults(bar));
	/*
	 * The edu cannot be reset: whatever its owner left it doing, it must
	 * not assert an INTx line nobody handles.
	 */
	EXPECT_EQ(0, pci_config_rw16(self->bdf, 0x04, &cmd, false));
	EXPECT_TRUE(cmd & 0x400)	/* PCI_COMMAND_INTX_DISABLE */
		TH_LOG("command %#x: INTx left enabled on an un-reset function",
		       cmd);
	munmap(bar, EDU_BAR_SIZE);
	close(efd);
}

/* ---- nvme: MSI-X, the MSI-X table, reset, a real admin command ---- */

#define NVME_CAP	0x00
#define NVME_CC		0x14
#define NVME_CSTS	0x1c
#define NVME_AQA	0x24
#define NVME_ASQ	0x28
#define NVME_ACQ	0x30
#define NVME_SQ0TDBL	0x1000
#define NVME_CQ0HDBL	0x1004
#define IOVA_ASQ	0x100000UL
#define IOVA_ACQ	0x200000UL
#define IOVA_IDENT	0x300000UL

FIXTURE(nvme) {
	char bdf[32];
	int dev, ctx;
	__u32 ioas;
	struct iopass_region_info bar0;
	void *regs;
};

FIXTURE_SETUP(nvme)
{
	ASSERT_EQ(0, pci_find(NVME_VENDOR, NVME_DEVICE, ANY_GROUP, 0, self->bdf,
			      sizeof(self->bdf)));
	ASSERT_EQ(0, iopass_own(self->bdf, &self->dev, &self->ctx, &self->ioas));
	ASSERT_EQ(0, dev_command(self->dev, 0x6, true));
	self->bar0.size = sizeof(self->bar0);
	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_REGION_INFO,
				 &self->bar0));
	/* Registers and doorbells: the pages before the MSI-X hole. */
	ASSERT_LE(2 * SZ_4K, self->bar0.hole_offset);
	self->regs = dev_map_bar(self->dev, 0, 2 * SZ_4K);
	ASSERT_NE(NULL, self->regs);
}

FIXTURE_TEARDOWN(nvme)
{
	if (self->regs)
		munmap(self->regs, 2 * SZ_4K);
	close(self->dev);
	close(self->ctx);
	pci_release(self->bdf);
}

static void nvme_w32(void *regs, unsigned int off, __u32 v)
{
	__atomic_store_n((__u32 *)(regs + off), v, __ATOMIC_RELAXED);
}

static bool nvme_wait_ready(void *regs, bool ready)
{
	struct timespec ts = { 0, 1000 * 1000 };
	int i;

	for (i = 0; i < 5000; i++) {
		if ((mmio_read32(regs, NVME_CSTS) & 1) == ready)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

TEST_F(nvme, msix_table_is_never_writable_or_mappable)
{
	struct iopass_irq_info irq = { .size = sizeof(irq),
				       .index = IOPASS_IRQ_MSIX };
	__u32 v = 0xffffffff, before;
	void *p;

	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_IRQ_INFO, &irq));
	EXPECT_LE(1, irq.count);
	ASSERT_NE(0, self->bar0.hole_size);
	before = bar_read32(self->dev, 0, self->bar0.hole_offset);
	EXPECT_EQ(-EACCES, bar_rw(self->dev, 0, self->bar0.hole_offset, &v, 4,
				  true));
	EXPECT_EQ(before, bar_read32(self->dev, 0, self->bar0.hole_offset));
	p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev,
		 IOPASS_REGION_OFFSET(0) + self->bar0.hole_offset);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	p = mmap(NULL, self->bar0.region_size, PROT_READ, MAP_SHARED, self->dev,
		 IOPASS_REGION_OFFSET(0));
	EXPECT_EQ(MAP_FAILED, p);
}

/*
 * Each MSI-X vector is offered to irqbypass consumers (KVM's posted
 * interrupts) under its eventfd; iopass_mock.ko plays the consumer.
 */
/* The mmappable areas are the BAR less the MSI-X hole, and each maps. */
TEST_F(nvme, region_info_lists_the_mappable_areas)
{
	struct iopass_region_area areas[4];
	struct iopass_region_info r = {
		.size = sizeof(r), .index = 0, .num_areas = 4,
		.areas = (uintptr_t)areas,
	};
	__u64 sum = 0, hole_end;
	__u32 i;
	void *p;

	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_REGION_INFO, &r));
	ASSERT_LE(1, r.num_areas);
	ASSERT_GE(4, r.num_areas);
	hole_end = r.hole_offset + r.hole_size;
	for (i = 0; i < r.num_areas; i++) {
		EXPECT_TRUE(areas[i].offset + areas[i].size <= r.hole_offset ||
			    areas[i].offset >= hole_end)
			TH_LOG("area %u [%#llx, +%#llx) overlaps the MSI-X hole", i,
			       (unsigned long long)areas[i].offset,
			       (unsigned long long)areas[i].size);
		p = mmap(NULL, areas[i].size, PROT_READ, MAP_SHARED, self->dev,
			 IOPASS_REGION_OFFSET(0) + areas[i].offset);
		EXPECT_NE(MAP_FAILED, p);
		if (p != MAP_FAILED)
			munmap(p, areas[i].size);
		sum += areas[i].size;
	}
	EXPECT_EQ(r.region_size, sum + r.hole_size);

	/* No room offered: only the count comes back. */
	r.num_areas = 0;
	r.areas = 0;
	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_REGION_INFO, &r));
	EXPECT_LE(1, r.num_areas);
	/* An unwritable list: EFAULT. */
	r.areas = 8;
	EXPECT_EQ(-EFAULT, ioctl_errno(self->dev, IOPASS_DEVICE_REGION_INFO, &r));
}

TEST_F(nvme, msix_vector_is_offered_for_irq_bypass)
{
	const char *knob = "/sys/kernel/debug/iopass_mock/bypass";
	int efd = eventfd(0, EFD_CLOEXEC);
	__s32 fd = efd, off = -1;
	char num[16], state[32], line[256];
	int irq = -1;
	FILE *f;

	ASSERT_EQ(0, mock_module_load("devices=0"));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_MSIX, 0, 1, &fd));
	/* The Linux IRQ of the vector, from /proc/interrupts. */
	f = fopen("/proc/interrupts", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "iopass-") && strstr(line, self->bdf))
			irq = atoi(line);
	fclose(f);
	ASSERT_LT(0, irq);

	snprintf(num, sizeof(num), "%d", efd);
	ASSERT_EQ(0, sysfs_write(knob, num));
	ASSERT_EQ(0, sysfs_read(knob, state, sizeof(state)));
	snprintf(line, sizeof(line), "connected %d", irq);
	EXPECT_STREQ(line, state);
	/* Turning the vector off withdraws it. */
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_MSIX, 0, 1, &off));
	ASSERT_EQ(0, sysfs_read(knob, state, sizeof(state)));
	EXPECT_STREQ("none", state);
	/* Offered again when it comes back. */
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_MSIX, 0, 1, &fd));
	ASSERT_EQ(0, sysfs_read(knob, state, sizeof(state)));
	EXPECT_EQ(0, strncmp(state, "connected", 9));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_MSIX, 0, 0, NULL));
	EXPECT_EQ(0, syscall(SYS_delete_module, "iopass_mock", O_NONBLOCK));
	close(efd);
}

/* A raw FLR or D3 through config space would stop decode unseen: stripped. */
TEST_F(nvme, config_writes_cannot_reset_or_power_down)
{
	int pcie = find_cap(self->dev, 0x10), pm = find_cap(self->dev, 0x01);
	unsigned short v;

	ASSERT_NE(0, pcie);
	nvme_w32(self->regs, NVME_AQA, 0x001f001f);
	mmio_write64(self->regs, NVME_ASQ, IOVA_ASQ);
	mmio_write64(self->regs, NVME_ACQ, IOVA_ACQ);
	nvme_w32(self->regs, NVME_CC, 0x00460001);
	ASSERT_TRUE(nvme_wait_ready(self->regs, true));

	ASSERT_EQ(0, dev_cfg_rw(self->dev, pcie + 8, &v, 2, false));
	v |= 0x8000;			/* PCI_EXP_DEVCTL_BCR_FLR */
	ASSERT_EQ(0, dev_cfg_rw(self->dev, pcie + 8, &v, 2, true));
	EXPECT_EQ(0x00460001, mmio_read32(self->regs, NVME_CC));
	if (pm) {
		v = 3;			/* D3hot */
		ASSERT_EQ(0, dev_cfg_rw(self->dev, pm + 4, &v, 2, true));
		ASSERT_EQ(0, dev_cfg_rw(self->dev, pm + 4, &v, 2, false));
		EXPECT_EQ(0, v & 3);
	}
	EXPECT_EQ(1, mmio_read32(self->regs, NVME_CSTS) & 1);
	nvme_w32(self->regs, NVME_CC, 0);
	ASSERT_TRUE(nvme_wait_ready(self->regs, false));
}

TEST_F(nvme, reset_returns_the_controller_to_power_on)
{
	struct iopass_device_info info = { .size = sizeof(info) };
	struct iopass_device_reset reset = { .size = sizeof(reset) };

	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_GET_INFO, &info));
	EXPECT_EQ(IOPASS_DEVICE_FLAGS_PCI | IOPASS_DEVICE_FLAGS_RESET,
		  info.device_flags);
	/* Enable the controller (it needs admin queue addresses, not memory). */
	nvme_w32(self->regs, NVME_AQA, 0x001f001f);
	mmio_write64(self->regs, NVME_ASQ, IOVA_ASQ);
	mmio_write64(self->regs, NVME_ACQ, IOVA_ACQ);
	nvme_w32(self->regs, NVME_CC, 0x00460001);
	ASSERT_TRUE(nvme_wait_ready(self->regs, true));

	ASSERT_EQ(0, ioctl_errno(self->dev, IOPASS_DEVICE_RESET, &reset));
	/* The mapping was zapped; it refaults onto a disabled controller. */
	EXPECT_EQ(0, mmio_read32(self->regs, NVME_CC));
	EXPECT_EQ(0, mmio_read32(self->regs, NVME_CSTS) & 1);
}

/* A 32-bit register of BAR 0 as the host reads it, through sysfs. */
static __u32 host_bar0_read32(const char *bdf, unsigned int off)
{
	char path[PATH_MAX];
	__u32 v = 0xdeadbeef;
	void *p;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return v;
	p = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		v = mmio_read32(p, off);
		munmap(p, SZ_4K);
	}
	close(fd);
	return v;
}

/*
 * Unbinding while the owner keeps the fd runs under the driver core's
 * device lock, where pci_try_reset_function() always fails: the function
 * must be reset all the same, or the next owner (or host driver) gets a
 * controller still enabled, its queues in the old owner's memory.
 */
TEST_F(nvme, unbind_with_the_fd_open_resets_the_function)
{
	const char *param = "/sys/module/iopass/parameters/release_timeout_ms";
	unsigned short cmd;
	char old[32];
	int status;
	pid_t pid;

	nvme_w32(self->regs, NVME_AQA, 0x001f001f);
	mmio_write64(self->regs, NVME_ASQ, IOVA_ASQ);
	mmio_write64(self->regs, NVME_ACQ, IOVA_ACQ);
	nvme_w32(self->regs, NVME_CC, 0x00460001);
	ASSERT_TRUE(nvme_wait_ready(self->regs, true));

	ASSERT_EQ(0, sysfs_read(param, old, sizeof(old)));
	ASSERT_EQ(0, sysfs_write(param, "200"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(pci_unbind(self->bdf) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	sysfs_write(param, old);

	/* Decode on, from the host's side, to read the registers. */
	ASSERT_EQ(0, pci_config_rw16(self->bdf, 0x04, &cmd, false));
	cmd |= 0x2;
	ASSERT_EQ(0, pci_config_rw16(self->bdf, 0x04, &cmd, true));
	/* QEMU's FLR clears CC (and so RDY); the queue registers it keeps. */
	EXPECT_EQ(0, host_bar0_read32(self->bdf, NVME_CC))
		TH_LOG("the controller is still enabled: no reset");
	EXPECT_EQ(0, host_bar0_read32(self->bdf, NVME_CSTS) & 1);
}

TEST_F(nvme, identify_controller_completes_on_an_msix_eventfd)
{
	unsigned char *sq, *cq, *ident;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	__s32 fd = efd;
	__u32 *cmd, *cqe;

	sq = mmap(NULL, 3 * SZ_4K, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sq);
	memset(sq, 0, 3 * SZ_4K);
	cq = sq + SZ_4K;
	ident = sq + 2 * SZ_4K;
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, sq, SZ_4K, IOVA_ASQ,
				    IOPASS_MAP_READABLE));
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, cq, SZ_4K, IOVA_ACQ,
				    IOPASS_MAP_WRITEABLE));
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, ident, SZ_4K,
				    IOVA_IDENT, IOPASS_MAP_WRITEABLE));
	ASSERT_EQ(0, set_irqs(self->dev, IOPASS_IRQ_SET_EVENTFD,
			      IOPASS_IRQ_MSIX, 0, 1, &fd));

	/* Admin queues of 32 entries; 64-byte SQEs, 16-byte CQEs. */
	nvme_w32(self->regs, NVME_CC, 0);
	ASSERT_TRUE(nvme_wait_ready(self->regs, false));
	nvme_w32(self->regs, NVME_AQA, 0x001f001f);
	mmio_write64(self->regs, NVME_ASQ, IOVA_ASQ);
	mmio_write64(self->regs, NVME_ACQ, IOVA_ACQ);
	nvme_w32(self->regs, NVME_CC, 0x00460001);
	ASSERT_TRUE(nvme_wait_ready(self->regs, true));

	/* Identify Controller (opcode 6, CNS 1), command ID 7. */
	cmd = (__u32 *)sq;
	cmd[0] = 0x06 | (7 << 16);
	*(__u64 *)&cmd[6] = IOVA_IDENT;		/* PRP1 */
	cmd[10] = 1;				/* CNS */
	nvme_w32(self->regs, NVME_SQ0TDBL, 1);

	EXPECT_EQ(1, events(efd, 5000));
	cqe = (__u32 *)cq;
	EXPECT_EQ(7, cqe[3] & 0xffff);		/* command ID */
	EXPECT_EQ(1, (cqe[3] >> 16) & 1);	/* phase */
	EXPECT_EQ(0, cqe[3] >> 17);		/* status: success */
	nvme_w32(self->regs, NVME_CQ0HDBL, 1);
	/* Serial number (bytes 4-23) is the rig's, model is QEMU's. */
	EXPECT_EQ(0, memcmp(ident + 4, "iopass0 ", 8));
	EXPECT_EQ(0, memcmp(ident + 24, "QEMU NVMe Ctrl", 14));

	nvme_w32(self->regs, NVME_CC, 0);
	ASSERT_TRUE(nvme_wait_ready(self->regs, false));
	close(efd);
	munmap(sq, 3 * SZ_4K);
}

#include "iopass_main.h"
