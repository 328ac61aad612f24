// SPDX-License-Identifier: GPL-2.0
/*
 * Address spaces and DMA, end to end on the rig's emulated VT-d with a real
 * edu doing real DMA: the device reaches exactly what was mapped, nothing
 * after UNMAP (stale translations), nothing beside a small mapping carved
 * from a huge page (over-wide superpages), and every pin and pinned_vm byte
 * comes back.  Every test's teardown checks the system-wide pin count and
 * this process's pinned_vm against what they were before it.
 */
#include <linux/capability.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "iopass_util.h"
#include "kselftest_harness.h"
#include "iopass_edu.h"

#define SZ_4K	0x1000UL
#define SZ_2M	0x200000UL

/* IOVAs below the edu's 28-bit DMA mask. */
#define IOVA_SRC	0x100000UL
#define IOVA_DST	0x200000UL
#define IOVA_HUGE	0x400000UL

static void *anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

TEST_F(edu, dma_round_trip_through_the_iommu)
{
	unsigned char *src = anon(SZ_4K), *dst = anon(SZ_4K);
	int i;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	for (i = 0; i < SZ_4K; i++)
		src[i] = i * 7 + 3;
	memset(dst, 0, SZ_4K);
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, src, SZ_4K,
				    IOVA_SRC, IOPASS_MAP_READABLE));
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, dst, SZ_4K,
				    IOVA_DST, IOPASS_MAP_WRITEABLE));

	/* RAM -> the edu's buffer -> RAM, each leg through the IOMMU. */
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_SRC, EDU_BUFFER, EDU_DMA_MAX, false));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUFFER, IOVA_DST, EDU_DMA_MAX, true));
	EXPECT_EQ(0, memcmp(src, dst, EDU_DMA_MAX));
}

TEST_F(edu, stale_translation_after_unmap_is_blocked)
{
	unsigned char *src = anon(SZ_4K), *dst = anon(SZ_4K), want[64];
	__u64 unmapped;

	memset(src, 0xab, SZ_4K);
	memset(dst, 0x11, SZ_4K);
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, src, SZ_4K,
				    IOVA_SRC, IOPASS_MAP_READABLE));
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, dst, SZ_4K,
				    IOVA_DST, MAP_RW));
	/* Load the translation into the IOTLB, then fill the edu's buffer. */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUFFER, IOVA_DST, 64, true));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_SRC, EDU_BUFFER, EDU_DMA_MAX, false));
	memset(dst, 0x11, SZ_4K);

	ASSERT_EQ(0, ioas_unmap(self->ctx, self->ioas, IOVA_DST, SZ_4K,
				&unmapped));
	EXPECT_EQ(SZ_4K, unmapped);

	klog_mark("iopass-rig: expect dmar\n");
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUFFER, IOVA_DST, 64, true));
	snprintf((char *)want, sizeof(want),
		 "Request device [%s] fault addr 0x%lx", self->bdf + 5, IOVA_DST);
	EXPECT_TRUE(klog_wait((char *)want, 5000));
	klog_mark("iopass-rig: expect-end\n");
	/* The page the device wrote through before is untouched now. */
	for (int i = 0; i < SZ_4K; i++)
		ASSERT_EQ(0x11, dst[i]);
}

TEST_F(edu, small_mapping_of_a_huge_page_is_not_widened)
{
	unsigned char *huge, want[64];
	int i;

	huge = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, huge)
		TH_LOG("no hugetlbfs page (vm.nr_hugepages?)");
	memset(huge, 0x22, SZ_2M);

	/*
	 * 4 KiB of a physically contiguous, 2 MiB-aligned page at a 2 MiB-
	 * aligned IOVA: everything a superpage needs except the length.
	 */
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, huge, SZ_4K,
				    IOVA_HUGE, MAP_RW));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUFFER, IOVA_HUGE, 64, true));

	klog_mark("iopass-rig: expect dmar\n");
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUFFER, IOVA_HUGE + SZ_4K, 64, true));
	snprintf((char *)want, sizeof(want),
		 "Request device [%s] fault addr 0x%lx", self->bdf + 5,
		 IOVA_HUGE + SZ_4K);
	EXPECT_TRUE(klog_wait((char *)want, 5000));
	klog_mark("iopass-rig: expect-end\n");
	for (i = SZ_4K; i < SZ_4K + 64; i++)
		ASSERT_EQ(0x22, huge[i]);
	munmap(huge, SZ_2M);
}

TEST_F(edu, huge_page_mapping_round_trip)
{
	unsigned char *huge;
	__u64 iova = 0;
	int i;

	huge = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, huge);
	for (i = 0; i < EDU_DMA_MAX; i++)
		huge[SZ_2M - EDU_DMA_MAX + i] = i;
	/* Kernel-chosen IOVA: aligned like the huge page. */
	ASSERT_EQ(0, ioas_map(self->ctx, self->ioas, huge, SZ_2M, &iova, MAP_RW));
	EXPECT_EQ(0, iova % SZ_2M);
	ASSERT_LT(iova + SZ_2M, 1UL << 28);
	ASSERT_EQ(0, edu_dma(self->bar, iova + SZ_2M - EDU_DMA_MAX,
			     EDU_BUFFER, EDU_DMA_MAX, false));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUFFER, iova, EDU_DMA_MAX, true));
	for (i = 0; i < EDU_DMA_MAX; i++)
		ASSERT_EQ((unsigned char)i, huge[i]);
	munmap(huge, SZ_2M);
}

TEST_F(edu, pins_and_pinned_vm_follow_the_mappings)
{
	size_t len = 64 * SZ_4K;
	void *buf = anon(len);
	long pins = pins_outstanding(), kb = pinned_vm_kb();
	__u64 iova = 0, unmapped;
	char path[PATH_MAX], name[64], val[64];

	ASSERT_EQ(0, ioas_map(self->ctx, self->ioas, buf, len, &iova, MAP_RW));
	EXPECT_EQ(pins + 64, pins_outstanding());
	EXPECT_EQ(kb + (long)len / 1024, pinned_vm_kb());
	ASSERT_EQ(0, iopass_dev_of(self->bdf, name, sizeof(name)));
	snprintf(path, sizeof(path), IOPASS_DEVICES "/%s/pinned_pages", name);
	ASSERT_EQ(0, sysfs_read(path, val, sizeof(val)));
	EXPECT_EQ(64, atol(val));

	ASSERT_EQ(0, ioas_unmap(self->ctx, self->ioas, iova, len, &unmapped));
	EXPECT_EQ(len, unmapped);
	EXPECT_EQ(pins, pins_outstanding());
	EXPECT_EQ(kb, pinned_vm_kb());
	snprintf(path, sizeof(path), IOPASS_DEVICES "/%s/iotlb_syncs", name);
	ASSERT_EQ(0, sysfs_read(path, val, sizeof(val)));
	EXPECT_LE(1, atol(val));
}

TEST_F(edu, closing_the_fds_releases_the_mappings)
{
	size_t len = 16 * SZ_4K;
	void *buf = anon(len);
	__u64 iova = 0;

	ASSERT_EQ(0, ioas_map(self->ctx, self->ioas, buf, len, &iova, MAP_RW));
	EXPECT_LT(self->pins, pins_outstanding());
	/* The teardown closes both fds without unmapping and checks. */
}

TEST_F(edu, unbind_detaches_but_the_context_keeps_its_mappings)
{
	struct iopass_device_info info = { .size = sizeof(info) };
	size_t len = 8 * SZ_4K;
	void *buf = anon(len);
	long pins;
	__u64 iova = 0, unmapped;

	ASSERT_EQ(0, ioas_map(self->ctx, self->ioas, buf, len, &iova, MAP_RW));
	pins = pins_outstanding();
	munmap(self->bar, EDU_BAR_SIZE);
	self->bar = NULL;
	ASSERT_EQ(0, pci_release(self->bdf));
	EXPECT_EQ(-ENODEV, ioctl_errno(self->dev, IOPASS_DEVICE_GET_INFO, &info));
	EXPECT_EQ(pins, pins_outstanding());
	ASSERT_EQ(0, ioas_unmap(self->ctx, self->ioas, iova, len, &unmapped));
	EXPECT_EQ(pins - 8, pins_outstanding());
}

TEST_F(edu, iova_ranges_leave_out_the_msi_window)
{
	struct iopass_iova_range ranges[16];
	struct iopass_ioas_iova_ranges cmd = {
		.size = sizeof(cmd), .ioas_id = self->ioas, .num_ranges = 16,
		.allowed_iovas = (uintptr_t)ranges,
	};
	void *buf = anon(SZ_4K);
	unsigned int i;

	ASSERT_EQ(0, ioctl_errno(self->ctx, IOPASS_IOAS_IOVA_RANGES, &cmd));
	ASSERT_LE(2, cmd.num_ranges);
	ASSERT_GE(16, cmd.num_ranges);
	EXPECT_EQ(SZ_4K, cmd.out_iova_alignment);
	EXPECT_EQ(0, ranges[0].start);
	for (i = 0; i < cmd.num_ranges; i++) {
		EXPECT_LT(ranges[i].start, ranges[i].last);
		/* x86's MSI window, 0xfee00000-0xfeefffff, is never usable. */
		EXPECT_TRUE(ranges[i].last < 0xfee00000UL ||
			    ranges[i].start > 0xfeefffffUL);
		if (i)
			EXPECT_LT(ranges[i - 1].last, ranges[i].start);
	}
	EXPECT_EQ(-EADDRINUSE, ioas_map_fixed(self->ctx, self->ioas, buf, SZ_4K,
					      0xfee00000UL, MAP_RW));
	EXPECT_EQ(-ERANGE, ioas_map_fixed(self->ctx, self->ioas, buf, SZ_4K,
					  ranges[cmd.num_ranges - 1].last + 1,
					  MAP_RW));

	/* Too little room: the count says how much, the first entry is there. */
	memset(ranges, 0, sizeof(ranges));
	cmd.num_ranges = 1;
	ASSERT_EQ(0, ioctl_errno(self->ctx, IOPASS_IOAS_IOVA_RANGES, &cmd));
	EXPECT_LE(2, cmd.num_ranges);
	EXPECT_NE(0, ranges[0].last);
	EXPECT_EQ(0, ranges[1].last);
}

TEST_F(edu, map_and_unmap_errnos)
{
	unsigned char *buf = anon(4 * SZ_4K);
	void *ro = mmap(NULL, SZ_4K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	__u64 iova = 0, unmapped;
	int c = self->ctx;
	__u32 id = self->ioas;

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(-EINVAL, ioas_map_fixed(c, id, buf, 0, IOVA_SRC, MAP_RW));
	EXPECT_EQ(-EINVAL, ioas_map_fixed(c, id, buf + 1, SZ_4K, IOVA_SRC, MAP_RW));
	EXPECT_EQ(-EINVAL, ioas_map_fixed(c, id, buf, SZ_4K - 1, IOVA_SRC, MAP_RW));
	EXPECT_EQ(-EINVAL, ioas_map_fixed(c, id, buf, SZ_4K, IOVA_SRC + 1, MAP_RW));
	EXPECT_EQ(-EINVAL, ioas_map_fixed(c, id, buf, SZ_4K, IOVA_SRC, 0));
	EXPECT_EQ(-EOVERFLOW, ioas_map_fixed(c, id, buf, 2 * SZ_4K,
					     0xfffffffffffff000UL, MAP_RW));
	EXPECT_EQ(-EOVERFLOW, ioas_map_fixed(c, id, (void *)0xfffffffffffff000UL,
					     2 * SZ_4K, IOVA_SRC, MAP_RW));
	EXPECT_EQ(-EFAULT, ioas_map_fixed(c, id, (void *)SZ_4K, SZ_4K, IOVA_SRC,
					  MAP_RW));
	EXPECT_EQ(-EFAULT, ioas_map_fixed(c, id, ro, SZ_4K, IOVA_SRC, MAP_RW));
	EXPECT_EQ(0, ioas_map_fixed(c, id, ro, SZ_4K, IOVA_SRC,
				    IOPASS_MAP_READABLE));
	EXPECT_EQ(-ENOENT, ioas_map_fixed(c, id + 100, buf, SZ_4K, IOVA_DST,
					  MAP_RW));

	/* Overlaps. */
	ASSERT_EQ(0, ioas_map_fixed(c, id, buf, 2 * SZ_4K, IOVA_DST, MAP_RW));
	EXPECT_EQ(-EEXIST, ioas_map_fixed(c, id, buf, SZ_4K, IOVA_DST, MAP_RW));
	EXPECT_EQ(-EEXIST, ioas_map_fixed(c, id, buf, 2 * SZ_4K,
					  IOVA_DST - SZ_4K, MAP_RW));
	EXPECT_EQ(-EEXIST, ioas_map_fixed(c, id, buf, SZ_4K,
					  IOVA_DST + SZ_4K, MAP_RW));

	/* Unmap must cover whole mappings. */
	EXPECT_EQ(-EINVAL, ioas_unmap(c, id, IOVA_DST, SZ_4K, &unmapped));
	EXPECT_EQ(-EINVAL, ioas_unmap(c, id, IOVA_DST + SZ_4K, SZ_4K, &unmapped));
	EXPECT_EQ(-EINVAL, ioas_unmap(c, id, IOVA_DST, 0, &unmapped));
	EXPECT_EQ(-EINVAL, ioas_unmap(c, id, IOVA_DST + 1, SZ_4K, &unmapped));
	EXPECT_EQ(-EOVERFLOW, ioas_unmap(c, id, 0xfffffffffffff000UL,
					 2 * SZ_4K, &unmapped));
	EXPECT_EQ(-ENOENT, ioas_unmap(c, id, 0x800000, SZ_4K, &unmapped));
	/* A range covering it and more is fine. */
	EXPECT_EQ(0, ioas_unmap(c, id, IOVA_DST - SZ_4K, 4 * SZ_4K, &unmapped));
	EXPECT_EQ(2 * SZ_4K, unmapped);

	/* Unmap-all: iova and length must be 0. */
	struct iopass_ioas_unmap all = {
		.size = sizeof(all), .flags = IOPASS_UNMAP_ALL, .ioas_id = id,
		.iova = 0, .length = SZ_4K,
	};
	EXPECT_EQ(-EINVAL, ioctl_errno(c, IOPASS_IOAS_UNMAP, &all));
	all.length = 0;
	ASSERT_EQ(0, ioas_map(c, id, buf, SZ_4K, &iova, MAP_RW));
	EXPECT_EQ(0, ioctl_errno(c, IOPASS_IOAS_UNMAP, &all));
	EXPECT_EQ(2 * SZ_4K, all.length);	/* ro and the kernel-chosen one */
	/* Nothing left: still not an error for "all" (iommufd agrees). */
	all.length = 0;
	EXPECT_EQ(0, ioctl_errno(c, IOPASS_IOAS_UNMAP, &all));
	EXPECT_EQ(0, all.length);
	munmap(ro, SZ_4K);
}

TEST_F(edu, mapping_count_limit)
{
	const char *param = "/sys/module/iopass/parameters/max_mappings";
	unsigned char *buf = anon(4 * SZ_4K);
	char old[32];
	__u64 iova;
	int i;

	ASSERT_EQ(0, sysfs_read(param, old, sizeof(old)));
	ASSERT_EQ(0, sysfs_write(param, "3"));
	for (i = 0; i < 3; i++) {
		iova = 0;
		EXPECT_EQ(0, ioas_map(self->ctx, self->ioas, buf + i * SZ_4K,
				      SZ_4K, &iova, MAP_RW));
	}
	iova = 0;
	EXPECT_EQ(-ENOSPC, ioas_map(self->ctx, self->ioas, buf + 3 * SZ_4K,
				    SZ_4K, &iova, MAP_RW));
	sysfs_write(param, old);
}

TEST_F(edu, attach_and_destroy_rules)
{
	int null = open("/dev/null", O_RDWR);
	__u32 other;

	EXPECT_EQ(-EALREADY, device_attach(self->dev, self->ctx, self->ioas));
	EXPECT_EQ(-EBUSY, ioas_destroy(self->ctx, self->ioas));
	EXPECT_EQ(0, device_detach(self->dev));
	EXPECT_EQ(-ENOENT, device_detach(self->dev));
	EXPECT_EQ(-EBADF, device_attach(self->dev, null, self->ioas));
	EXPECT_EQ(-EBADF, device_attach(self->dev, 9999, self->ioas));
	EXPECT_EQ(-ENOENT, device_attach(self->dev, self->ctx, self->ioas + 100));
	ASSERT_EQ(0, ioas_alloc(self->ctx, &other));
	EXPECT_EQ(0, device_attach(self->dev, self->ctx, other));
	EXPECT_EQ(0, ioas_destroy(self->ctx, self->ioas));
	EXPECT_EQ(-ENOENT, ioas_destroy(self->ctx, self->ioas));
	/* Only one owner: the device node opens once at a time. */
	EXPECT_EQ(-EBUSY, iopass_open(self->bdf));
	close(null);
}

/* A child without CAP_IPC_LOCK is held to its RLIMIT_MEMLOCK. */
TEST(memlock_limit_applies_without_cap_ipc_lock)
{
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct caps[2];
		struct rlimit lim = { 16 * SZ_4K, 16 * SZ_4K };
		void *buf = anon(32 * SZ_4K);
		__u64 iova = 0;
		__u32 id;
		int ctx;

		if (syscall(SYS_capget, &hdr, caps))
			_exit(9);
		caps[0].effective &= ~(1U << CAP_IPC_LOCK);
		if (syscall(SYS_capset, &hdr, caps) ||
		    setrlimit(RLIMIT_MEMLOCK, &lim))
			_exit(10);
		ctx = ctx_open();
		if (ctx < 0 || ioas_alloc(ctx, &id))
			_exit(11);
		if (ioas_map(ctx, id, buf, 32 * SZ_4K, &iova, MAP_RW) != -ENOMEM)
			_exit(12);
		if (ioas_map(ctx, id, buf, 8 * SZ_4K, &iova, MAP_RW))
			_exit(13);
		if (pinned_vm_kb() != 32)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * A process killed while it owns the device with live mappings gives
 * everything back: pins, and the device (reopenable, back in iopass's empty
 * domain).
 */
TEST(sigkill_with_live_mappings_releases_everything)
{
	long pins = pins_outstanding();
	char bdf[32], ready;
	int pipefd[2], status, fd;
	pid_t pid;

	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, ALONE_IN_GROUP, 0, bdf,
			      sizeof(bdf)));
	ASSERT_EQ(0, pci_bind(bdf, "iopass-pci"));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		void *buf = anon(64 * SZ_4K);
		int dev = iopass_open(bdf), ctx = ctx_open();
		__u64 iova = 0;
		__u32 id;

		if (dev < 0 || ctx < 0 || ioas_alloc(ctx, &id) ||
		    device_attach(dev, ctx, id) ||
		    ioas_map(ctx, id, buf, 64 * SZ_4K, &iova, MAP_RW))
			_exit(1);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &ready, 1));
	EXPECT_EQ(pins + 64, pins_outstanding());
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(pins, pins_outstanding());
	fd = iopass_open(bdf);
	EXPECT_LE(0, fd);
	close(fd);
	close(pipefd[0]);
	pci_release(bdf);
}

/* A forked child cannot map into its parent's address spaces. */
TEST(child_cannot_map_into_parent_context)
{
	void *buf = anon(SZ_4K);
	__u64 iova = 0;
	int ctx, status;
	__u32 id;
	pid_t pid;

	ctx = ctx_open();
	ASSERT_LE(0, ctx);
	ASSERT_EQ(0, ioas_alloc(ctx, &id));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(ioas_map(ctx, id, buf, SZ_4K, &iova, MAP_RW) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, ioas_map(ctx, id, buf, SZ_4K, &iova, MAP_RW));
	close(ctx);
}

#include "iopass_main.h"
