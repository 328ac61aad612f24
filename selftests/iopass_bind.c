// SPDX-License-Identifier: GPL-2.0
/*
 * Binding a PCI function to iopass, checked from user space: the function
 * ends up in a translated IOMMU domain that iopass owns, its group's
 * viability is enforced both ways, and unbind and rmmod give everything
 * back.  Needs the rig's VM: an edu alone in its IOMMU group and an edu
 * sharing a group with an e1000.
 */
#include "iopass_util.h"
#include "kselftest_harness.h"

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x2
#define PCI_COMMAND_MASTER	0x4

static int bdf_parse(const char *bdf, unsigned int *seg, unsigned int *bus,
		     unsigned int *dev, unsigned int *fn)
{
	return sscanf(bdf, "%x:%x:%x.%x", seg, bus, dev, fn) == 4 ? 0 : -1;
}

static int get_info(int fd, struct iopass_device_info *info)
{
	return ioctl(fd, IOPASS_DEVICE_GET_INFO, info) ? -errno : 0;
}

static void iopass_attr(const char *name, const char *attr, char *buf,
			size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), IOPASS_DEVICES "/%s/%s", name, attr);
	if (sysfs_read(path, buf, len))
		buf[0] = 0;
}

FIXTURE(bind) {
	char bdf[32];
};

FIXTURE_SETUP(bind)
{
	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, ALONE_IN_GROUP, 0, self->bdf,
			      sizeof(self->bdf)))
		TH_LOG("no edu device alone in its IOMMU group");
	ASSERT_EQ(0, pci_release(self->bdf));
}

FIXTURE_TEARDOWN(bind)
{
	pci_release(self->bdf);
}

TEST_F(bind, lands_in_iopass_paging_domain)
{
	char drv[64], name[64], buf[64], path[PATH_MAX];
	int group = pci_iommu_group(self->bdf);

	ASSERT_LE(0, group);
	ASSERT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
	pci_driver_of(self->bdf, drv, sizeof(drv));
	ASSERT_STREQ("iopass-pci", drv);

	/* It is on the iopass bus, as a child of the PCI function. */
	ASSERT_EQ(0, iopass_dev_of(self->bdf, name, sizeof(name)));
	snprintf(path, sizeof(path), IOPASS_DEVICES "/%s", name);
	ASSERT_EQ(0, readlink(path, buf, sizeof(buf)) < 0 ? -errno : 0);
	snprintf(path, sizeof(path), "/dev/%s", name);
	ASSERT_EQ(0, access(path, R_OK | W_OK));

	iopass_attr(name, "iommu_group", buf, sizeof(buf));
	ASSERT_EQ(group, atoi(buf));
	/* The IOMMU core says the device is in iopass's translated domain. */
	iopass_attr(name, "domain_type", buf, sizeof(buf));
	ASSERT_STREQ("paging", buf);

	/* And the kernel's own default domain for the group is not identity. */
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", group);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	ASSERT_STRNE("identity", buf);
}

/*
 * The domain is translated, not identity: the function's DMA, aimed at an
 * address nothing is mapped at, is stopped by the IOMMU, which reports a
 * fault.  The DMA reads RAM into the device, so even an identity mapping
 * would corrupt nothing.  BAR0 is reached through sysfs here; iopass's
 * own region access comes later.
 */
TEST_F(bind, device_dma_is_stopped_by_the_iommu)
{
	char path[PATH_MAX], want[128];
	unsigned short cmd;
	void *bar;
	struct timespec ts = { 0, 1000 * 1000 };
	int fd, i;

	ASSERT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
	ASSERT_EQ(0, pci_config_rw16(self->bdf, PCI_COMMAND, &cmd, false));
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	ASSERT_EQ(0, pci_config_rw16(self->bdf, PCI_COMMAND, &cmd, true));

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource0", self->bdf);
	fd = open(path, O_RDWR | O_SYNC);
	ASSERT_LE(0, fd);
	bar = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, bar);
	ASSERT_EQ(0x010000ed, mmio_read32(bar, EDU_ID))
		TH_LOG("BAR0 does not look like an edu");

	klog_mark("iopass-rig: expect dmar\n");
	mmio_write64(bar, EDU_DMA_SRC, 0x100000);
	mmio_write64(bar, EDU_DMA_DST, EDU_BUFFER);
	mmio_write64(bar, EDU_DMA_COUNT, 8);
	mmio_write64(bar, EDU_DMA_CMD, EDU_DMA_START);	/* RAM to device */
	for (i = 0; i < 2000 && (mmio_read64(bar, EDU_DMA_CMD) & EDU_DMA_START); i++)
		nanosleep(&ts, NULL);
	EXPECT_EQ(0, mmio_read64(bar, EDU_DMA_CMD) & EDU_DMA_START);

	snprintf(want, sizeof(want), "Request device [%s] fault addr 0x100000",
		 self->bdf + 5);
	EXPECT_TRUE(klog_wait(want, 5000))
		TH_LOG("no DMAR fault for the DMA: is the device translated?");
	klog_mark("iopass-rig: expect-end\n");
	munmap(bar, 1 << 20);
	close(fd);
}

TEST_F(bind, get_info_describes_the_device)
{
	struct iopass_device_info info = { .size = sizeof(info) };
	unsigned int seg, bus, dev, fn;
	int fd;

	ASSERT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
	fd = iopass_open(self->bdf);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, get_info(fd, &info));
	ASSERT_EQ(0, bdf_parse(self->bdf, &seg, &bus, &dev, &fn));
	EXPECT_EQ(pci_iommu_group(self->bdf), (int)info.iommu_group);
	EXPECT_EQ(IOPASS_DOMAIN_PAGING, info.domain_type);
	EXPECT_EQ(seg, info.pci_segment);
	EXPECT_EQ(bus, info.pci_bus);
	EXPECT_EQ((dev << 3) | fn, info.pci_devfn);
	EXPECT_EQ(sizeof(info), info.size);
	close(fd);
}

TEST_F(bind, get_info_size_and_flag_rules)
{
	struct {
		struct iopass_device_info info;
		__u64 tail;
	} big;
	struct iopass_device_info info;
	int fd;

	ASSERT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
	fd = iopass_open(self->bdf);
	ASSERT_LE(0, fd);

	memset(&info, 0, sizeof(info));
	info.size = offsetof(struct iopass_device_info, __reserved);
	EXPECT_EQ(-EINVAL, get_info(fd, &info));
	info.size = 0;
	EXPECT_EQ(-EINVAL, get_info(fd, &info));

	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	EXPECT_EQ(0, get_info(fd, &big.info));
	EXPECT_EQ(IOPASS_DOMAIN_PAGING, big.info.domain_type);
	EXPECT_EQ(0, big.tail);
	big.tail = 1;
	EXPECT_EQ(-E2BIG, get_info(fd, &big.info));

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, get_info(fd, &info));
	info.flags = 0;
	info.__reserved = 1;
	EXPECT_EQ(-EINVAL, get_info(fd, &info));

	EXPECT_EQ(-1, ioctl(fd, _IO(IOPASS_TYPE, IOPASS_CMD_BASE + 0x3f), &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, IOPASS_DEVICE_GET_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
}

TEST_F(bind, unbind_revokes_open_fd)
{
	struct iopass_device_info info = { .size = sizeof(info) };
	char name[64], path[PATH_MAX];
	int fd;

	ASSERT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
	ASSERT_EQ(0, iopass_dev_of(self->bdf, name, sizeof(name)));
	fd = iopass_open(self->bdf);
	ASSERT_LE(0, fd);

	ASSERT_EQ(0, pci_release(self->bdf));
	EXPECT_EQ(-ENODEV, get_info(fd, &info));
	snprintf(path, sizeof(path), IOPASS_DEVICES "/%s", name);
	EXPECT_NE(0, access(path, F_OK));
	snprintf(path, sizeof(path), "/dev/%s", name);
	EXPECT_NE(0, access(path, F_OK));
	close(fd);
}

TEST_F(bind, unbind_quiesces_and_returns_ownership)
{
	unsigned short cmd;

	ASSERT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
	ASSERT_EQ(0, pci_config_rw16(self->bdf, PCI_COMMAND, &cmd, false));
	cmd |= PCI_COMMAND_MASTER;
	ASSERT_EQ(0, pci_config_rw16(self->bdf, PCI_COMMAND, &cmd, true));

	ASSERT_EQ(0, pci_release(self->bdf));
	ASSERT_EQ(0, pci_config_rw16(self->bdf, PCI_COMMAND, &cmd, false));
	EXPECT_EQ(0, cmd & PCI_COMMAND_MASTER);
}

TEST_F(bind, rebinds_after_unbind)
{
	char name[64], buf[64];
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
		ASSERT_EQ(0, iopass_dev_of(self->bdf, name, sizeof(name)));
		iopass_attr(name, "domain_type", buf, sizeof(buf));
		ASSERT_STREQ("paging", buf);
		ASSERT_EQ(0, pci_release(self->bdf));
	}
}

/*
 * An edu that shares its IOMMU group with another endpoint (its "mate"): in
 * the rig both sit behind a PCIe-to-PCI bridge, which is in the group too.
 * The mate is an e1000, whose driver uses the kernel's DMA API: while it is
 * bound the group is not viable.  (pci-stub would not do: it declares that
 * it does no DMA, so the IOMMU core lets the group be claimed.)
 */
#define MATE_DRIVER "e1000"
FIXTURE(group) {
	char bdf[32];
	char mate[32];
	int group;
};

FIXTURE_SETUP(group)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, SHARED_GROUP, 0, self->bdf,
			      sizeof(self->bdf)))
		TH_LOG("no edu device sharing its IOMMU group");
	self->group = pci_iommu_group(self->bdf);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
		 self->group);
	dir = opendir(path);
	ASSERT_NE(NULL, dir);
	self->mate[0] = 0;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, self->bdf))
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/class", de->d_name);
		if (sysfs_read_ul(path) >> 8 == 0x0604)	/* a PCI bridge */
			continue;
		snprintf(self->mate, sizeof(self->mate), "%s", de->d_name);
	}
	closedir(dir);
	ASSERT_NE(0, self->mate[0]);
	ASSERT_EQ(0, pci_release(self->bdf));
	ASSERT_EQ(0, pci_release(self->mate));
}

FIXTURE_TEARDOWN(group)
{
	pci_release(self->bdf);
	pci_release(self->mate);
}

TEST_F(group, refused_while_a_group_mate_has_a_driver)
{
	char drv[64], name[64], msg[128];
	int ret;

	ASSERT_EQ(0, pci_bind(self->mate, MATE_DRIVER));
	ret = pci_bind(self->bdf, "iopass-pci");
	EXPECT_TRUE(ret == -EPERM || ret == -EBUSY)
		TH_LOG("bind returned %d", ret);
	pci_driver_of(self->bdf, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
	EXPECT_EQ(-ENOENT, iopass_dev_of(self->bdf, name, sizeof(name)));
	snprintf(msg, sizeof(msg), "iopass: IOMMU group %d is not viable",
		 self->group);
	EXPECT_TRUE(klog_has(msg));

	/* Once the mate lets go, the bind works. */
	ASSERT_EQ(0, pci_release(self->mate));
	EXPECT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
}

TEST_F(group, a_driver_cannot_join_an_owned_group)
{
	char drv[64];

	ASSERT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
	EXPECT_EQ(-EBUSY, pci_bind(self->mate, MATE_DRIVER));
	pci_driver_of(self->mate, drv, sizeof(drv));
	EXPECT_STREQ("", drv);

	/* Unbinding gives ownership back: the driver can bind now. */
	ASSERT_EQ(0, pci_release(self->bdf));
	EXPECT_EQ(0, pci_bind(self->mate, MATE_DRIVER));
}

TEST_F(group, both_functions_share_the_group)
{
	struct iopass_device_info a = { .size = sizeof(a) };
	struct iopass_device_info b = { .size = sizeof(b) };
	int fa, fb;

	ASSERT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
	ASSERT_EQ(0, pci_bind(self->mate, "iopass-pci"));
	fa = iopass_open(self->bdf);
	fb = iopass_open(self->mate);
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	ASSERT_EQ(0, get_info(fa, &a));
	ASSERT_EQ(0, get_info(fb, &b));
	EXPECT_EQ(self->group, (int)a.iommu_group);
	EXPECT_EQ(a.iommu_group, b.iommu_group);
	EXPECT_EQ(IOPASS_DOMAIN_PAGING, a.domain_type);
	EXPECT_EQ(IOPASS_DOMAIN_PAGING, b.domain_type);

	/* The group stays owned while one of its devices is still bound. */
	ASSERT_EQ(0, pci_release(self->mate));
	ASSERT_EQ(0, get_info(fa, &a));
	EXPECT_EQ(IOPASS_DOMAIN_PAGING, a.domain_type);
	EXPECT_EQ(-EBUSY, pci_bind(self->mate, MATE_DRIVER));
	close(fa);
	close(fb);
}

/* The IOMMU cannot tell a group's devices apart: one address space for all. */
TEST_F(group, devices_of_a_group_share_one_address_space)
{
	int fa, fb, ctx;
	__u32 a, b;

	ASSERT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
	ASSERT_EQ(0, pci_bind(self->mate, "iopass-pci"));
	fa = iopass_open(self->bdf);
	fb = iopass_open(self->mate);
	ctx = ctx_open();
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	ASSERT_LE(0, ctx);
	ASSERT_EQ(0, ioas_alloc(ctx, &a));
	ASSERT_EQ(0, ioas_alloc(ctx, &b));
	ASSERT_EQ(0, device_attach(fa, ctx, a));
	EXPECT_EQ(-EBUSY, device_attach(fb, ctx, b));
	EXPECT_EQ(0, device_attach(fb, ctx, a));
	/* The group stays in A's domain until its last device detaches. */
	EXPECT_EQ(0, device_detach(fa));
	EXPECT_EQ(-EBUSY, device_attach(fa, ctx, b));
	EXPECT_EQ(-EBUSY, ioas_destroy(ctx, a));
	EXPECT_EQ(0, device_detach(fb));
	EXPECT_EQ(0, device_attach(fa, ctx, b));
	EXPECT_EQ(0, ioas_destroy(ctx, a));
	close(fa);
	close(fb);
	close(ctx);
}

TEST(rmmod_waits_for_fds_then_releases_everything)
{
	char bdf[32], drv[64];
	int fd;

	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, ALONE_IN_GROUP, 0, bdf, sizeof(bdf)));
	ASSERT_EQ(0, pci_bind(bdf, "iopass-pci"));
	fd = iopass_open(bdf);
	ASSERT_LE(0, fd);

	/* An open device fd pins the module. */
	EXPECT_EQ(-EWOULDBLOCK, iopass_module_unload());
	close(fd);

	ASSERT_EQ(0, iopass_module_unload());
	pci_driver_of(bdf, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
	EXPECT_NE(0, access(IOPASS_DEVICES, F_OK));

	ASSERT_EQ(0, iopass_module_load());
	EXPECT_EQ(0, pci_bind(bdf, "iopass-pci"));
	pci_release(bdf);
}

#include "iopass_main.h"
