// SPDX-License-Identifier: GPL-2.0
/*
 * What iopass does on machines it must not trust as they are, each booted
 * by the rig for this program alone (rig_variant= on the kernel command
 * line; tools/testing/vm/run.sh):
 *
 *   pt          identity default domains (iommu=pt): iopass must replace
 *               the identity mapping, never leave it on (invariant 3)
 *   noiommu     no IOMMU: iopass cannot isolate the device and refuses it,
 *               and the device stays unusable (invariant 3)
 *   nointremap  no interrupt remapping: refused, unless the unsafe module
 *               parameter says otherwise, which taints the kernel
 *               (invariant 5)
 *   sriov       an nvme physical function with SR-IOV: refused while its
 *               virtual functions are enabled, since its owner's resets
 *               and registers would reach them (invariant 9)
 *
 * This file is built once per machine (selftests/Makefile: VARIANT_PT,
 * VARIANT_NOIOMMU, VARIANT_NOINTREMAP, VARIANT_SRIOV), each binary holding
 * only the test for its machine; the guest runs variant_$rig_variant.
 */
#include "iopass_util.h"
#include "kselftest_harness.h"

#define SZ_4K		0x1000UL
#define TAINT_USER	0x40UL	/* bit 6 of /proc/sys/kernel/tainted */

static inline void edu_alone(char *bdf, size_t len)
{
	if (pci_find(EDU_VENDOR, EDU_DEVICE, ALONE_IN_GROUP, 0, bdf, len))
		pci_find(EDU_VENDOR, EDU_DEVICE, ANY_GROUP, 0, bdf, len);
}

static inline int reload_iopass(const char *params)
{
	const char *ko = getenv("IOPASS_KO");
	int fd, ret;

	ret = iopass_module_unload();
	if (ret && ret != -ENOENT)
		return ret;
	fd = open(ko ? ko : "/iopass/iopass.ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

#ifdef VARIANT_PT
/* pt: the group's default domain is identity; the bound device is not. */
TEST(pt_identity_default_domain_is_replaced)
{
	char bdf[32], path[PATH_MAX], type[32], name[64], want[96];
	unsigned char *buf;
	void *bar;
	int dev, ctx, group;
	__u64 iova = 0x100000;
	__u32 ioas;

	edu_alone(bdf, sizeof(bdf));
	group = pci_iommu_group(bdf);
	ASSERT_LE(0, group);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", group);
	ASSERT_EQ(0, sysfs_read(path, type, sizeof(type)));
	ASSERT_STREQ("identity", type);

	ASSERT_EQ(0, pci_bind(bdf, "iopass-pci"));
	ASSERT_EQ(0, iopass_dev_of(bdf, name, sizeof(name)));
	snprintf(path, sizeof(path), IOPASS_DEVICES "/%s/domain_type", name);
	ASSERT_EQ(0, sysfs_read(path, type, sizeof(type)));
	EXPECT_STREQ("paging", type);

	/* DMA to what is not mapped faults: identity is not left on. */
	buf = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0, SZ_4K);
	dev = iopass_open(bdf);
	ctx = ctx_open();
	ASSERT_LE(0, dev);
	ASSERT_LE(0, ctx);
	ASSERT_EQ(0, ioas_alloc(ctx, &ioas));
	ASSERT_EQ(0, device_attach(dev, ctx, ioas));
	bar = dev_edu_bar(dev);
	ASSERT_NE(NULL, bar);
	klog_mark("iopass-rig: expect dmar\n");
	ASSERT_EQ(0, edu_dma(bar, 0x200000, EDU_BUFFER, 64, false));
	snprintf(want, sizeof(want), "Request device [%s] fault addr 0x200000",
		 bdf + 5);
	EXPECT_TRUE(klog_wait(want, 5000));
	klog_mark("iopass-rig: expect-end\n");

	/* And what is mapped is reached through the IOMMU. */
	ASSERT_EQ(0, ioas_map_fixed(ctx, ioas, buf, SZ_4K, iova, MAP_RW));
	ASSERT_EQ(0, edu_dma(bar, EDU_BUFFER, iova, 64, true));
	munmap(bar, EDU_BAR_SIZE);
	close(dev);
	close(ctx);

	/* Unbound, the group goes back to its identity default domain. */
	ASSERT_EQ(0, pci_release(bdf));
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", group);
	ASSERT_EQ(0, sysfs_read(path, type, sizeof(type)));
	EXPECT_STREQ("identity", type);
}
#endif

#ifdef VARIANT_NOIOMMU
/* noiommu: nothing can confine the device's DMA, so iopass refuses it. */
TEST(noiommu_device_is_refused_and_stays_unusable)
{
	char bdf[32], drv[64], name[64];

	edu_alone(bdf, sizeof(bdf));
	ASSERT_EQ(-1, pci_iommu_group(bdf));
	EXPECT_EQ(-ENODEV, pci_bind(bdf, "iopass-pci"));
	pci_driver_of(bdf, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
	EXPECT_EQ(-ENOENT, iopass_dev_of(bdf, name, sizeof(name)));
	EXPECT_TRUE(klog_has("iopass: no IOMMU translates this device's DMA"));
	/* No device node appeared for it. */
	EXPECT_NE(0, access("/dev/iopass0", F_OK));
	pci_release(bdf);
}
#endif

#ifdef VARIANT_NOINTREMAP
/* nointremap: MSIs could be forged; refused unless the admin says so. */
TEST(nointremap_refused_unless_unsafe_parameter)
{
	char bdf[32], drv[64], taint[32];

	edu_alone(bdf, sizeof(bdf));
	EXPECT_EQ(-EPERM, pci_bind(bdf, "iopass-pci"));
	pci_driver_of(bdf, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
	EXPECT_TRUE(klog_has("iopass: no interrupt remapping isolates this device's MSIs"));
	ASSERT_EQ(0, sysfs_read("/proc/sys/kernel/tainted", taint, sizeof(taint)));
	EXPECT_EQ(0, strtoul(taint, NULL, 0) & TAINT_USER);

	pci_release(bdf);
	ASSERT_EQ(0, reload_iopass("allow_unsafe_interrupts=1"));
	EXPECT_EQ(0, pci_bind(bdf, "iopass-pci"));
	ASSERT_EQ(0, sysfs_read("/proc/sys/kernel/tainted", taint, sizeof(taint)));
	EXPECT_NE(0, strtoul(taint, NULL, 0) & TAINT_USER);
	pci_release(bdf);
	ASSERT_EQ(0, reload_iopass(""));
}
#endif

#ifdef VARIANT_SRIOV
/* The physical function that offers virtual functions; -ENOENT if none. */
static int sriov_pf(char *bdf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *dir;

	dir = opendir(PCI_DEVICES);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		unsigned long total;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/sriov_totalvfs",
			 de->d_name);
		total = sysfs_read_ul(path);	/* ULONG_MAX: no such file */
		if (total && total != ULONG_MAX) {
			snprintf(bdf, len, "%s", de->d_name);
			ret = 0;
			break;
		}
	}
	closedir(dir);
	return ret;
}

static int set_numvfs(const char *pf, const char *n)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/sriov_numvfs", pf);
	return sysfs_write(path, n);
}

/*
 * VFs are enabled by a host driver (pci-pf-stub), which is then unbound,
 * leaving them enabled: iopass must refuse the PF, as vfio-pci does.
 * With the VFs disabled again, the same PF binds.
 */
TEST(pf_with_vfs_enabled_is_refused)
{
	static const char *const refused =
		"iopass: refusing a physical function with virtual functions enabled";
	char pf[32], path[PATH_MAX], drv[64];

	ASSERT_EQ(0, sriov_pf(pf, sizeof(pf)))
		TH_LOG("no SR-IOV physical function on this machine");
	/* The VFs' secondary controllers are offline: no driver for them. */
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/sriov_drivers_autoprobe",
		 pf);
	ASSERT_EQ(0, sysfs_write(path, "0"));
	ASSERT_EQ(0, pci_bind(pf, "pci-pf-stub"));
	ASSERT_EQ(0, set_numvfs(pf, "1"));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/virtfn0", pf);
	ASSERT_EQ(0, access(path, F_OK));
	ASSERT_EQ(0, pci_unbind(pf));		/* the VF stays */
	ASSERT_EQ(0, access(path, F_OK));

	EXPECT_EQ(-EBUSY, pci_bind(pf, "iopass-pci"));
	pci_driver_of(pf, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
	EXPECT_TRUE(klog_has(refused));

	ASSERT_EQ(0, pci_bind(pf, "pci-pf-stub"));
	ASSERT_EQ(0, set_numvfs(pf, "0"));
	EXPECT_EQ(0, pci_bind(pf, "iopass-pci"));
	pci_driver_of(pf, drv, sizeof(drv));
	EXPECT_STREQ("iopass-pci", drv);
	pci_release(pf);
}
#endif

#include "iopass_main.h"
