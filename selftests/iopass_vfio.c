// SPDX-License-Identifier: GPL-2.0
/*
 * The VFIO-compatible front (iopass_vfio.ko), driven the way VFIO's own
 * clients drive the kernel's vfio: container, group, device fd, through
 * <linux/vfio.h> alone.  An edu does DMA into memory mapped with
 * VFIO_IOMMU_MAP_DMA and raises MSI to an eventfd set with
 * VFIO_DEVICE_SET_IRQS; the nvme's BAR 0 shows the sparse-mmap capability
 * around its MSI-X table.  Bad input gets VFIO's errnos; the device has one
 * owner across both fronts.
 *
 * Beside the kernel's own vfio module the front must refuse to load, and
 * say why: the stock kernels' vfio.ko is in the rig's initramfs for that.
 */
#include <linux/membarrier.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "iopass_util.h"
#include "kselftest_harness.h"

#define SZ_4K		0x1000UL
#define SZ_1M		0x100000UL
#define IOVA_BUF	0x100000UL
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define KERNEL_VFIO_KO	"/lib/modules/vfio/vfio.ko"

static int vfio_module_load(void)
{
	return vfio_front_load("");
}

static int vfio_module_unload(void)
{
	return vfio_front_unload();
}

/*
 * The kernel's own vfio holds /dev/vfio/vfio: loaded (a module's
 * initstate; the front's vfio_names=1 makes an empty /sys/module/vfio),
 * or built in (the node is there and it is not ours).
 */
static bool kernel_vfio_present(void)
{
	return !access("/sys/module/vfio/initstate", F_OK) ||
	       (!access("/dev/vfio/vfio", F_OK) &&
		access("/sys/module/iopass_vfio", F_OK));
}

/* The region offset VFIO gives region @i. */
static off_t region_off(int i)
{
	return (off_t)i << 40;
}

FIXTURE(vfio) {
	char bdf[32];
	int group_id;
	int container, group, dev;
};

FIXTURE_VARIANT(vfio) {
	unsigned int vendor, device;
};

FIXTURE_VARIANT_ADD(vfio, edu) {
	.vendor = EDU_VENDOR, .device = EDU_DEVICE,
};

FIXTURE_VARIANT_ADD(vfio, nvme) {
	.vendor = NVME_VENDOR, .device = NVME_DEVICE,
};

FIXTURE_SETUP(vfio)
{
	char path[PATH_MAX];

	self->container = -1;
	self->group = -1;
	self->dev = -1;
	if (kernel_vfio_present())
		SKIP(return, "the kernel's vfio holds /dev/vfio/vfio here");
	ASSERT_EQ(0, pci_find(variant->vendor, variant->device, ALONE_IN_GROUP,
			      0, self->bdf, sizeof(self->bdf)));
	ASSERT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
	ASSERT_EQ(0, vfio_module_load());
	self->group_id = pci_iommu_group(self->bdf);
	ASSERT_LE(0, self->group_id);
	self->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->container);
	snprintf(path, sizeof(path), "/dev/vfio/%d", self->group_id);
	self->group = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->group) TH_LOG("%s: %s", path, strerror(errno));
}

FIXTURE_TEARDOWN(vfio)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
	if (!kernel_vfio_present())
		EXPECT_EQ(0, vfio_module_unload());
	pci_release(self->bdf);
}

/* SET_CONTAINER, SET_IOMMU(type1v2), GET_DEVICE_FD: what QEMU does. */
static int vfio_connect(struct _test_data_vfio *self)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };

	if (ioctl(self->group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EINVAL;
	if (ioctl(self->group, VFIO_GROUP_SET_CONTAINER, &self->container) ||
	    ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	self->dev = ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, self->bdf);
	return self->dev < 0 ? -errno : 0;
}

static int vfio_map(int container, void *va, __u64 iova, __u64 size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va, .iova = iova, .size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

/* UNMAP_DMA; *@size in: the range, out: what was unmapped. */
static int vfio_unmap(int container, __u64 iova, __u64 *size, __u32 flags)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .flags = flags, .iova = iova,
		.size = *size,
	};
	int ret = ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;

	*size = unmap.size;
	return ret;
}

static int cfg_rw(int dev, off_t off, void *val, size_t len, bool write)
{
	off_t pos = region_off(VFIO_PCI_CONFIG_REGION_INDEX) + off;
	ssize_t n = write ? pwrite(dev, val, len, pos) : pread(dev, val, len, pos);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

/*
 * The edu's BAR 0 mmapped, memory decode and bus mastering on (the
 * owner's to turn on, as with vfio-pci); MAP_FAILED on error.
 */
static void *edu_bar_master(int dev)
{
	unsigned short cmd;
	void *bar;

	bar = mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   dev, region_off(VFIO_PCI_BAR0_REGION_INDEX));
	if (bar == MAP_FAILED)
		return bar;
	if (cfg_rw(dev, PCI_COMMAND, &cmd, 2, false))
		goto fail;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (cfg_rw(dev, PCI_COMMAND, &cmd, 2, true))
		goto fail;
	return bar;
fail:
	munmap(bar, EDU_BAR_SIZE);
	return MAP_FAILED;
}

TEST_F(vfio, container_and_group_rules)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[PATH_MAX];
	int bad = open("/dev/null", O_RDWR);

	EXPECT_EQ(VFIO_API_VERSION, ioctl(self->container, VFIO_GET_API_VERSION));
	EXPECT_EQ(1, ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(1, ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	EXPECT_EQ(0, ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU));
	EXPECT_EQ(0, ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU));
	/* No group yet: no IOMMU can be set. */
	EXPECT_EQ(-EINVAL, ioctl_errno(self->container, VFIO_SET_IOMMU,
				       (void *)VFIO_TYPE1v2_IOMMU));

	/* One opener per group. */
	snprintf(path, sizeof(path), "/dev/vfio/%d", self->group_id);
	EXPECT_EQ(-1, open(path, O_RDWR));
	EXPECT_EQ(EBUSY, errno);

	ASSERT_EQ(0, ioctl_errno(self->group, VFIO_GROUP_GET_STATUS, &status));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, status.flags);
	EXPECT_EQ(-EINVAL, ioctl_errno(self->group, VFIO_GROUP_UNSET_CONTAINER, NULL));
	EXPECT_EQ(-EBADFD, ioctl_errno(self->group, VFIO_GROUP_SET_CONTAINER, &bad));
	ASSERT_EQ(0, ioctl_errno(self->group, VFIO_GROUP_SET_CONTAINER,
				 &self->container));
	EXPECT_EQ(-EINVAL, ioctl_errno(self->group, VFIO_GROUP_SET_CONTAINER,
				       &self->container));
	/* A device fd needs the IOMMU set first. */
	EXPECT_EQ(-EINVAL, ioctl_errno(self->group, VFIO_GROUP_GET_DEVICE_FD,
				       self->bdf));
	EXPECT_EQ(-ENODEV, ioctl_errno(self->container, VFIO_SET_IOMMU,
				       (void *)VFIO_SPAPR_TCE_IOMMU));
	ASSERT_EQ(0, ioctl_errno(self->container, VFIO_SET_IOMMU,
				 (void *)VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(-EINVAL, ioctl_errno(self->container, VFIO_SET_IOMMU,
				       (void *)VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, ioctl_errno(self->group, VFIO_GROUP_GET_STATUS, &status));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET,
		  status.flags);
	EXPECT_EQ(-ENODEV, ioctl_errno(self->group, VFIO_GROUP_GET_DEVICE_FD,
				       "0000:ff:1f.7"));
	EXPECT_EQ(-ENOTTY, ioctl_errno(self->group, _IO(VFIO_TYPE, VFIO_BASE + 60),
				       NULL));

	self->dev = ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, self->bdf);
	ASSERT_LE(0, self->dev);
	/* The device is owned through one front at a time. */
	EXPECT_EQ(-EBUSY, iopass_open(self->bdf));
	EXPECT_EQ(-EBUSY, ioctl_errno(self->group, VFIO_GROUP_UNSET_CONTAINER, NULL));
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(0, ioctl_errno(self->group, VFIO_GROUP_UNSET_CONTAINER, NULL));
	/* Given back: the native front may open it again. */
	bad = iopass_open(self->bdf);
	EXPECT_LE(0, bad);
	close(bad);
}

/*
 * VFIO's argument rules, for every ioctl that takes an argsz: an argsz
 * below the struct's first version is EINVAL; a flag the ioctl does not
 * know (or iopass does not serve: MAP_DMA's VADDR, UNMAP_DMA's
 * DIRTY_BITMAP) is EINVAL; the ioctl on another kind of VFIO fd, or on
 * /dev/iopassN, is ENOTTY.  Each is checked to work with the right
 * argument first, so that a refusal is the rule's and not the setup's.
 */
enum vfio_fd_kind { ON_CONTAINER, ON_GROUP, ON_DEVICE };

struct vfio_rule {
	const char *name;
	unsigned long cmd;
	enum vfio_fd_kind on;
	__u32 minsz;		/* the first version's size */
	__u32 bad_flag;		/* 0: the ioctl's flags are outputs */
	__u32 index;		/* written after argsz and flags, if set */
};

/* The first versions' sizes: up to and with the field named. */
#define VFIO_RULE(_cmd, _on, _minsz, _bad, _index)			\
	{ #_cmd, _cmd, _on, _minsz, _bad, _index }

static const struct vfio_rule vfio_rules[] = {
	VFIO_RULE(VFIO_IOMMU_GET_INFO, ON_CONTAINER,	/* iova_pgsizes */
		  offsetof(struct vfio_iommu_type1_info, cap_offset), 0, 0),
	VFIO_RULE(VFIO_IOMMU_MAP_DMA, ON_CONTAINER,	/* size */
		  sizeof(struct vfio_iommu_type1_dma_map),
		  VFIO_DMA_MAP_FLAG_VADDR, 0),
	VFIO_RULE(VFIO_IOMMU_UNMAP_DMA, ON_CONTAINER,	/* size */
		  offsetof(struct vfio_iommu_type1_dma_unmap, data),
		  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, 0),
	VFIO_RULE(VFIO_GROUP_GET_STATUS, ON_GROUP,	/* flags */
		  sizeof(struct vfio_group_status), 0, 0),
	VFIO_RULE(VFIO_DEVICE_GET_INFO, ON_DEVICE,	/* num_irqs */
		  offsetof(struct vfio_device_info, cap_offset), 0, 0),
	VFIO_RULE(VFIO_DEVICE_GET_REGION_INFO, ON_DEVICE,	/* offset */
		  sizeof(struct vfio_region_info), 0,
		  VFIO_PCI_CONFIG_REGION_INDEX),
	VFIO_RULE(VFIO_DEVICE_GET_IRQ_INFO, ON_DEVICE,	/* count */
		  sizeof(struct vfio_irq_info), 0, VFIO_PCI_MSI_IRQ_INDEX),
	VFIO_RULE(VFIO_DEVICE_SET_IRQS, ON_DEVICE,	/* count */
		  offsetof(struct vfio_irq_set, data), 1 << 6,
		  VFIO_PCI_ERR_IRQ_INDEX),
};

/* A valid argument for @r in @arg (128 bytes, 8-byte aligned). */
static void vfio_rule_arg(const struct vfio_rule *r, void *arg, void *page)
{
	__u32 *w = arg;

	memset(arg, 0, 128);
	w[0] = r->cmd == VFIO_IOMMU_GET_INFO ? 128 : r->minsz;
	if (r->cmd == VFIO_IOMMU_MAP_DMA) {
		struct vfio_iommu_type1_dma_map *m = arg;

		m->flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
		m->vaddr = (uintptr_t)page;
		m->iova = 0x400000;
		m->size = SZ_4K;
	} else if (r->cmd == VFIO_IOMMU_UNMAP_DMA) {
		struct vfio_iommu_type1_dma_unmap *u = arg;

		u->iova = 0x400000;
		u->size = SZ_4K;
	} else if (r->cmd == VFIO_DEVICE_SET_IRQS) {
		w[1] = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		w[2] = r->index;	/* ERR off: count 0 */
	} else if (r->index) {
		w[2] = r->index;
	}
}

TEST_F(vfio, every_ioctl_keeps_vfios_argument_rules)
{
	union {
		__u64 align;
		__u32 w[32];
	} a;
	__u32 *arg = a.w;
	void *page = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int native, fd[3], other;
	size_t i;

	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, vfio_connect(self));
	fd[ON_CONTAINER] = self->container;
	fd[ON_GROUP] = self->group;
	fd[ON_DEVICE] = self->dev;
	for (i = 0; i < ARRAY_SIZE(vfio_rules); i++) {
		const struct vfio_rule *r = &vfio_rules[i];

		vfio_rule_arg(r, arg, page);
		EXPECT_EQ(0, ioctl_errno(fd[r->on], r->cmd, arg))
			TH_LOG("%s with a valid argument", r->name);
		if (r->cmd == VFIO_IOMMU_MAP_DMA) {	/* mapped: unmap */
			struct vfio_iommu_type1_dma_unmap u = {
				.argsz = sizeof(u), .iova = 0x400000,
				.size = SZ_4K,
			};

			ASSERT_EQ(0, ioctl_errno(self->container,
						 VFIO_IOMMU_UNMAP_DMA, &u));
		}
		vfio_rule_arg(r, arg, page);
		arg[0] = r->minsz - 1;
		EXPECT_EQ(-EINVAL, ioctl_errno(fd[r->on], r->cmd, arg))
			TH_LOG("%s with argsz %u", r->name, r->minsz - 1);
		if (r->bad_flag) {
			vfio_rule_arg(r, arg, page);
			arg[1] |= r->bad_flag;
			EXPECT_EQ(-EINVAL, ioctl_errno(fd[r->on], r->cmd, arg))
				TH_LOG("%s with flag %#x", r->name, r->bad_flag);
		}
		vfio_rule_arg(r, arg, page);
		other = fd[(r->on + 1) % 3];
		EXPECT_EQ(-ENOTTY, ioctl_errno(other, r->cmd, arg))
			TH_LOG("%s on the wrong kind of fd", r->name);
	}
	/* VFIO's ioctls mean nothing to the native front's fds. */
	close(self->dev);
	self->dev = -1;
	ASSERT_EQ(0, ioctl_errno(self->group, VFIO_GROUP_UNSET_CONTAINER, NULL));
	native = iopass_open(self->bdf);
	ASSERT_LE(0, native);
	for (i = 0; i < ARRAY_SIZE(vfio_rules); i++) {
		vfio_rule_arg(&vfio_rules[i], arg, page);
		EXPECT_EQ(-ENOTTY, ioctl_errno(native, vfio_rules[i].cmd, arg))
			TH_LOG("%s on /dev/iopassN", vfio_rules[i].name);
	}
	close(native);
	munmap(page, SZ_4K);
}

TEST_F(vfio, iommu_info_and_map_unmap_rules)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *cap;
	__u32 argsz = sizeof(*info);
	bool ranges = false, avail = false;
	__u32 next;
	void *buf = mmap(NULL, 4 * SZ_4K, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u64 size;

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, vfio_connect(self));

	/* The argsz dance: too small for the capabilities, then enough. */
	info = calloc(1, 4096);
	info->argsz = argsz;
	ASSERT_EQ(0, ioctl_errno(self->container, VFIO_IOMMU_GET_INFO, info));
	EXPECT_TRUE(info->flags & VFIO_IOMMU_INFO_PGSIZES);
	EXPECT_TRUE(info->flags & VFIO_IOMMU_INFO_CAPS);
	EXPECT_EQ(SZ_4K, info->iova_pgsizes & -info->iova_pgsizes);
	ASSERT_LT(argsz, info->argsz);
	ASSERT_GE(4096, info->argsz);
	ASSERT_EQ(0, ioctl_errno(self->container, VFIO_IOMMU_GET_INFO, info));
	ASSERT_NE(0, info->cap_offset);
	cap = (void *)info + info->cap_offset;
	do {
		if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
			ranges = ((struct vfio_iommu_type1_info_cap_iova_range *)cap)->nr_iovas > 0;
		if (cap->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
			avail = ((struct vfio_iommu_type1_info_dma_avail *)cap)->avail > 0;
		next = cap->next;
		cap = (void *)info + next;
	} while (next);
	EXPECT_TRUE(ranges);
	EXPECT_TRUE(avail);
	free(info);

	ASSERT_EQ(0, vfio_map(self->container, buf, IOVA_BUF, 2 * SZ_4K));
	EXPECT_EQ(-EEXIST, vfio_map(self->container, buf, IOVA_BUF + SZ_4K, SZ_4K));
	EXPECT_EQ(-EINVAL, vfio_map(self->container, buf, IOVA_BUF + 0x10, SZ_4K));
	EXPECT_EQ(-EINVAL, vfio_map(self->container, buf, 0, 0));
	/* type1v2: no cutting through a mapping; nothing there is no error. */
	size = SZ_4K;
	EXPECT_EQ(-EINVAL, vfio_unmap(self->container, IOVA_BUF, &size, 0));
	size = SZ_1M;
	EXPECT_EQ(0, vfio_unmap(self->container, 16 * SZ_1M, &size, 0));
	EXPECT_EQ(0, size);
	ASSERT_EQ(0, vfio_map(self->container, buf + 2 * SZ_4K, IOVA_BUF + 4 * SZ_4K,
			      SZ_4K));
	/* A range over both mappings and the hole between. */
	size = 5 * SZ_4K;
	EXPECT_EQ(0, vfio_unmap(self->container, IOVA_BUF, &size, 0));
	EXPECT_EQ(3 * SZ_4K, size);
	ASSERT_EQ(0, vfio_map(self->container, buf, IOVA_BUF, SZ_4K));
	size = 0;
	EXPECT_EQ(0, vfio_unmap(self->container, 0, &size,
				VFIO_DMA_UNMAP_FLAG_ALL));
	EXPECT_EQ(SZ_4K, size);
	size = SZ_4K;
	EXPECT_EQ(-EINVAL, vfio_unmap(self->container, 0, &size,
				      VFIO_DMA_UNMAP_FLAG_ALL));
	munmap(buf, 4 * SZ_4K);
}

TEST_F(vfio, device_info_regions_and_irqs)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info *ri = calloc(1, 4096);
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };
	struct vfio_region_info_cap_sparse_mmap *sparse;
	__u16 vendor = 0;
	__u32 i;

	ASSERT_EQ(0, vfio_connect(self));
	ASSERT_EQ(0, ioctl_errno(self->dev, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, info.num_irqs);

	ri->argsz = sizeof(*ri);
	ri->index = VFIO_PCI_CONFIG_REGION_INDEX;
	ASSERT_EQ(0, ioctl_errno(self->dev, VFIO_DEVICE_GET_REGION_INFO, ri));
	EXPECT_EQ(region_off(VFIO_PCI_CONFIG_REGION_INDEX), ri->offset);
	EXPECT_LE(256, ri->size);
	ASSERT_EQ(0, cfg_rw(self->dev, 0, &vendor, 2, false));
	EXPECT_EQ(variant->vendor, vendor);
	ri->index = VFIO_PCI_VGA_REGION_INDEX;
	EXPECT_EQ(-EINVAL, ioctl_errno(self->dev, VFIO_DEVICE_GET_REGION_INFO, ri));
	ri->index = VFIO_PCI_NUM_REGIONS;
	EXPECT_EQ(-EINVAL, ioctl_errno(self->dev, VFIO_DEVICE_GET_REGION_INFO, ri));

	ri->index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, ioctl_errno(self->dev, VFIO_DEVICE_GET_REGION_INFO, ri));
	EXPECT_EQ(0, ri->offset);
	EXPECT_TRUE(ri->flags & VFIO_REGION_INFO_FLAG_MMAP);
	if (variant->vendor == NVME_VENDOR) {
		/* The MSI-X table is in BAR 0: ask again with room. */
		ASSERT_TRUE(ri->flags & VFIO_REGION_INFO_FLAG_CAPS);
		ASSERT_LT(sizeof(*ri), ri->argsz);
		ASSERT_GE(4096, ri->argsz);
		ASSERT_EQ(0, ioctl_errno(self->dev, VFIO_DEVICE_GET_REGION_INFO, ri));
		ASSERT_EQ(sizeof(*ri), ri->cap_offset);
		sparse = (void *)ri + ri->cap_offset;
		EXPECT_EQ(VFIO_REGION_INFO_CAP_SPARSE_MMAP, sparse->header.id);
		ASSERT_LE(1, sparse->nr_areas);
		for (i = 0; i < sparse->nr_areas; i++) {
			void *p = mmap(NULL, sparse->areas[i].size, PROT_READ,
				       MAP_SHARED, self->dev, sparse->areas[i].offset);

			EXPECT_NE(MAP_FAILED, p);
			if (p != MAP_FAILED)
				munmap(p, sparse->areas[i].size);
		}
	} else {
		EXPECT_FALSE(ri->flags & VFIO_REGION_INFO_FLAG_CAPS);
	}

	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		irq.index = i;
		ASSERT_EQ(0, ioctl_errno(self->dev, VFIO_DEVICE_GET_IRQ_INFO, &irq));
		EXPECT_TRUE(irq.flags & VFIO_IRQ_INFO_EVENTFD);
		/* INTx: masked by the kernel when it fires, and by the owner. */
		if (i == VFIO_PCI_INTX_IRQ_INDEX)
			EXPECT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
				  VFIO_IRQ_INFO_AUTOMASKED, irq.flags);
	}
	irq.index = VFIO_PCI_NUM_IRQS;
	EXPECT_EQ(-EINVAL, ioctl_errno(self->dev, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	EXPECT_EQ(-ENOTTY, ioctl_errno(self->dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
				       ri));
	free(ri);
}

/* The edu DMAs through the container's mapping and raises MSI. */
TEST_F(vfio, edu_dma_and_msi_through_the_front)
{
	struct {
		struct vfio_irq_set set;
		__s32 fd;
	} irq = {
		.set = {
			.argsz = sizeof(irq),
			.flags = VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_MSI_IRQ_INDEX, .count = 1,
		},
	};
	unsigned char *buf;
	void *bar;
	int efd;

	if (variant->vendor != EDU_VENDOR)
		SKIP(return, "the edu's test");
	buf = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0x5a, 64);
	ASSERT_EQ(0, vfio_connect(self));
	ASSERT_EQ(0, vfio_map(self->container, buf, IOVA_BUF, SZ_4K));
	bar = edu_bar_master(self->dev);
	ASSERT_NE(MAP_FAILED, bar);

	/* RAM -> edu -> RAM, 64 bytes further on. */
	ASSERT_EQ(0, edu_dma(bar, IOVA_BUF, EDU_BUFFER, 64, false));
	ASSERT_EQ(0, edu_dma(bar, EDU_BUFFER, IOVA_BUF + 64, 64, true));
	EXPECT_EQ(0x5a, buf[64]);
	EXPECT_EQ(0x5a, buf[127]);

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	irq.fd = efd;
	ASSERT_EQ(0, ioctl_errno(self->dev, VFIO_DEVICE_SET_IRQS, &irq));
	mmio_write32(bar, EDU_IRQ_RAISE, 1);
	EXPECT_EQ(1, events(efd, 2000));
	mmio_write32(bar, EDU_IRQ_ACK, 1);
	/* An argsz too small for the fds it names: EINVAL, as VFIO. */
	irq.set.argsz = sizeof(irq.set);
	EXPECT_EQ(-EINVAL, ioctl_errno(self->dev, VFIO_DEVICE_SET_IRQS, &irq));
	/* Off: DATA_NONE, count 0. */
	irq.set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq.set.count = 0;
	EXPECT_EQ(0, ioctl_errno(self->dev, VFIO_DEVICE_SET_IRQS, &irq));
	close(efd);
	munmap(bar, EDU_BAR_SIZE);
	munmap(buf, SZ_4K);
}

/* SET_IRQS with one s32 or u8 of data; 0 or -errno. */
static int vfio_irq(int dev, __u32 flags, __u32 index, __u32 start,
		    __u32 count, const void *data, size_t len)
{
	struct {
		struct vfio_irq_set set;
		__u8 data[8];
	} irq = {
		.set = {
			.argsz = sizeof(irq.set) + len, .flags = flags,
			.index = index, .start = start, .count = count,
		},
	};

	memcpy(irq.data, data, len);
	return ioctl_errno(dev, VFIO_DEVICE_SET_IRQS, &irq);
}

/*
 * INTx as QEMU drives it with KVM: masked while it sets up, the unmask
 * eventfd (KVM's resamplefd) handed over, then unmasked; mask and unmask
 * with DATA_NONE and DATA_BOOL.  What iopass does not serve fails with
 * ENOTTY, as in VFIO.
 */
TEST_F(vfio, edu_intx_mask_unmask_and_the_unmask_eventfd)
{
	const __u32 trig = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	const __u32 mask = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK;
	const __u32 unmask = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK;
	const __u32 unmask_fd = VFIO_IRQ_SET_DATA_EVENTFD |
				VFIO_IRQ_SET_ACTION_UNMASK;
	const __u32 unmask_bool = VFIO_IRQ_SET_DATA_BOOL |
				  VFIO_IRQ_SET_ACTION_UNMASK;
	const __u8 no = 0, yes = 1;
	__u64 kick = 1;
	__s32 efd, ufd;
	void *bar;

	if (variant->vendor != EDU_VENDOR)
		SKIP(return, "the edu's test");
	ASSERT_EQ(0, vfio_connect(self));
	bar = edu_bar_master(self->dev);
	ASSERT_NE(MAP_FAILED, bar);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ufd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_LE(0, ufd);

	ASSERT_EQ(0, vfio_irq(self->dev, trig, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
			      &efd, 4));
	ASSERT_EQ(0, vfio_irq(self->dev, mask, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
			      NULL, 0));
	ASSERT_EQ(0, vfio_irq(self->dev, unmask_fd, VFIO_PCI_INTX_IRQ_INDEX, 0,
			      1, &ufd, 4));
	/* Masked: a raise waits for the unmask. */
	mmio_write32(bar, EDU_IRQ_RAISE, 1);
	EXPECT_EQ(0, events(efd, 300));
	/* DATA_BOOL false does nothing; true unmasks (still asserted: fires). */
	ASSERT_EQ(0, vfio_irq(self->dev, unmask_bool, VFIO_PCI_INTX_IRQ_INDEX,
			      0, 1, &no, 1));
	EXPECT_EQ(0, events(efd, 300));
	ASSERT_EQ(0, vfio_irq(self->dev, unmask_bool, VFIO_PCI_INTX_IRQ_INDEX,
			      0, 1, &yes, 1));
	EXPECT_EQ(1, events(efd, 2000));
	/* The guest's EOI, as KVM signals it: acked, unmasked, quiet. */
	mmio_write32(bar, EDU_IRQ_ACK, 1);
	ASSERT_EQ(8, write(ufd, &kick, 8));
	EXPECT_EQ(0, events(efd, 300));
	mmio_write32(bar, EDU_IRQ_RAISE, 1);
	EXPECT_EQ(1, events(efd, 2000));
	mmio_write32(bar, EDU_IRQ_ACK, 1);
	ASSERT_EQ(0, vfio_irq(self->dev, unmask, VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
			      NULL, 0));

	/* Not served, as VFIO: ENOTTY; bad ranges: EINVAL. */
	EXPECT_EQ(-ENOTTY, vfio_irq(self->dev, VFIO_IRQ_SET_DATA_NONE |
				    VFIO_IRQ_SET_ACTION_TRIGGER,
				    VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0));
	EXPECT_EQ(-ENOTTY, vfio_irq(self->dev, VFIO_IRQ_SET_DATA_EVENTFD |
				    VFIO_IRQ_SET_ACTION_MASK,
				    VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &ufd, 4));
	EXPECT_EQ(-ENOTTY, vfio_irq(self->dev, mask, VFIO_PCI_MSI_IRQ_INDEX, 0,
				    1, NULL, 0));
	EXPECT_EQ(-EINVAL, vfio_irq(self->dev, mask, VFIO_PCI_INTX_IRQ_INDEX, 1,
				    1, NULL, 0));
	EXPECT_EQ(-EINVAL, vfio_irq(self->dev, unmask_fd,
				    VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0));
	EXPECT_EQ(-EINVAL, vfio_irq(self->dev, mask | VFIO_IRQ_SET_DATA_BOOL,
				    VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &yes, 1));

	/* INTx off takes the unmask eventfd with it. */
	ASSERT_EQ(0, vfio_irq(self->dev, VFIO_IRQ_SET_DATA_NONE |
			      VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_INTX_IRQ_INDEX, 0, 0, NULL, 0));
	ASSERT_EQ(8, write(ufd, &kick, 8));
	close(ufd);
	close(efd);
	munmap(bar, EDU_BAR_SIZE);
}

/*
 * Two device fds of one device, each with the BAR mapped: an unbind that
 * revokes the device (the owner keeps it past release_timeout_ms) zaps
 * the mappings of both.  Then the session ends with the group fd after
 * the device fds: what iopass zaps through must still be there (KASAN on
 * the debug kernel saw it freed with the last device fd, before the fix).
 */
TEST_F(vfio, edu_unbind_revokes_every_device_fds_mappings)
{
	__u32 *bar_a, *bar_b;
	int efd, dev_b;

	if (variant->vendor != EDU_VENDOR)
		SKIP(return, "the edu's test");
	ASSERT_EQ(0, vfio_connect(self));
	dev_b = ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, self->bdf);
	ASSERT_LE(0, dev_b);
	bar_a = edu_bar_master(self->dev);
	ASSERT_NE(MAP_FAILED, bar_a);
	bar_b = mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		     dev_b, region_off(VFIO_PCI_BAR0_REGION_INDEX));
	ASSERT_NE(MAP_FAILED, bar_b);
	EXPECT_EQ(0x010000ed, mmio_read32(bar_a, 0));
	EXPECT_EQ(0x010000ed, mmio_read32(bar_b, 0));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vfio_irq(self->dev, VFIO_IRQ_SET_DATA_EVENTFD |
			      VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &efd, 4));

	/* Asked to give it back, then revoked. */
	ASSERT_EQ(0, unbind_held(self->bdf, efd, "300"));
	EXPECT_TRUE(read_faults(bar_a));
	EXPECT_TRUE(read_faults(bar_b));
	EXPECT_TRUE(klog_has("kept the device past release_timeout_ms (300): revoked"));

	/* Device fds first, the group fd last: the session ends there. */
	munmap(bar_a, EDU_BAR_SIZE);
	munmap(bar_b, EDU_BAR_SIZE);
	close(dev_b);
	close(self->dev);
	self->dev = -1;
	close(self->group);
	self->group = -1;
	close(efd);
}

/*
 * A session that mapped a BAR and closed its device fd before its group
 * fd, twice: the device is given back whole each time, and (KASAN) the
 * release touches nothing the device fd freed.
 */
TEST_F(vfio, edu_device_fd_closed_before_the_group)
{
	char path[PATH_MAX];
	__u32 *bar;
	int i;

	if (variant->vendor != EDU_VENDOR)
		SKIP(return, "the edu's test");
	snprintf(path, sizeof(path), "/dev/vfio/%d", self->group_id);
	for (i = 0; i < 2; i++) {
		if (i) {	/* a new container, as QEMU opens */
			close(self->container);
			self->container = open("/dev/vfio/vfio",
					       O_RDWR | O_CLOEXEC);
			ASSERT_LE(0, self->container);
			self->group = open(path, O_RDWR | O_CLOEXEC);
			ASSERT_LE(0, self->group);
		}
		ASSERT_EQ(0, vfio_connect(self));
		bar = edu_bar_master(self->dev);
		ASSERT_NE(MAP_FAILED, bar);
		EXPECT_EQ(0x010000ed, mmio_read32(bar, 0));
		munmap(bar, EDU_BAR_SIZE);
		close(self->dev);
		self->dev = -1;
		/*
		 * Let what the device fd freed be freed (RCU): membarrier's
		 * GLOBAL command waits for a grace period.
		 */
		syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
		usleep(100000);
		close(self->group);
		self->group = -1;
	}
}

/*
 * Beside the kernel's vfio (the stock kernel's vfio.ko, loaded here), the
 * front refuses to load, and says why.
 */
TEST(refused_beside_the_kernels_vfio)
{
	int fd, ret;

	fd = open(KERNEL_VFIO_KO, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "no %s on this kernel (the debug kernel's is not installed)",
		     KERNEL_VFIO_KO);
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-EBUSY, vfio_module_load());
	EXPECT_TRUE(klog_has("iopass_vfio: /dev/vfio/vfio belongs to the kernel's vfio module"));
	EXPECT_EQ(0, syscall(SYS_delete_module, "vfio", O_NONBLOCK) ? -errno : 0);
	/* vfio gone, the front loads. */
	EXPECT_EQ(0, vfio_module_load());
	EXPECT_EQ(0, vfio_module_unload());
}

#include "iopass_main.h"
