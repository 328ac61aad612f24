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
 *               virtual functions are enabled by another driver, since its
 *               owner's resets and registers would reach them (invariant
 *               9); bound to iopass, its VFs are iopass's and attach only
 *               with the PF owner's VF token
 *   numa        two NUMA nodes, an edu behind a PCIe expander bridge on
 *               node 1: iopass reports the node, counts pins per node,
 *               refuses remote memory when asked, steers MSIs to node 1
 *
 * This file is built once per machine (selftests/Makefile: VARIANT_PT,
 * VARIANT_NOIOMMU, VARIANT_NOINTREMAP, VARIANT_SRIOV, VARIANT_NUMA), each binary holding
 * only the test for its machine; the guest runs variant_$rig_variant.
 */
#include <linux/vfio.h>
#include <stdarg.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

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
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/sriov_drivers_autoprobe",
		 pf);
	ASSERT_EQ(0, sysfs_write(path, "1"));
}

static const __u8 token_a[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
				   0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
static const __u8 token_b[16] = { 0xfe, 0xdc, 0xba, 0x98 };

static int set_vf_token(int dev, const __u8 *token)
{
	struct iopass_vf_token cmd = { .size = sizeof(cmd) };

	memcpy(cmd.vf_token, token, 16);
	return ioctl_errno(dev, IOPASS_DEVICE_SET_VF_TOKEN, &cmd);
}

static __u32 device_flags(int dev)
{
	struct iopass_device_info info = { .size = sizeof(info) };

	return ioctl_errno(dev, IOPASS_DEVICE_GET_INFO, &info) ? 0 :
	       info.device_flags;
}

/* VF @n of @pf's PCI address, into @bdf; -errno if there is none. */
static int vf_of(const char *pf, int n, char *bdf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/virtfn%d", pf, n);
	sysfs_link_name(path, bdf, len);
	return bdf[0] ? 0 : -ENOENT;
}

/*
 * The PF bound to iopass: its owner sets a token and the administrator
 * creates two VFs, which bind to iopass-pci by themselves.  A VF attaches
 * only with the token (EACCES without it or with another); the PF reset,
 * and disabling the VFs, are refused while they are in use; a new PF owner
 * must present the token while a VF is attached, and voids it by attaching
 * without it while none is.
 */
TEST(vfs_of_an_iopass_pf_need_its_token)
{
	char pf[32], vf0[32], vf1[32], drv[64], nvme[32];
	struct iopass_device_reset reset = { .size = sizeof(reset) };
	int pfd, vfd, vfd1, ctx, other, odev;
	__u32 ioas, ioas2;

	ASSERT_EQ(0, sriov_pf(pf, sizeof(pf)));
	ASSERT_EQ(0, set_numvfs(pf, "0"));
	ASSERT_EQ(0, iopass_own(pf, &pfd, &ctx, &ioas));
	EXPECT_TRUE(device_flags(pfd) & IOPASS_DEVICE_FLAGS_SRIOV_PF);
	EXPECT_EQ(0, set_vf_token(pfd, token_a));
	ASSERT_EQ(0, set_numvfs(pf, "2"));
	ASSERT_EQ(0, vf_of(pf, 0, vf0, sizeof(vf0)));
	ASSERT_EQ(0, vf_of(pf, 1, vf1, sizeof(vf1)));
	pci_driver_of(vf0, drv, sizeof(drv));
	EXPECT_STREQ("iopass-pci", drv);	/* captured, not left to nvme */
	pci_driver_of(vf1, drv, sizeof(drv));
	EXPECT_STREQ("iopass-pci", drv);

	/* The VF's owner: another context (another process, in real life). */
	other = ctx_open();
	ASSERT_LE(0, other);
	ASSERT_EQ(0, ioas_alloc(other, &ioas2));
	vfd = iopass_open(vf0);
	ASSERT_LE(0, vfd);
	EXPECT_TRUE(device_flags(vfd) & IOPASS_DEVICE_FLAGS_VF_TOKEN);
	EXPECT_EQ(-EACCES, device_attach_token(vfd, other, ioas2, NULL));
	EXPECT_EQ(-EACCES, device_attach_token(vfd, other, ioas2, token_b));
	EXPECT_TRUE(klog_has("wrong VF token"));
	EXPECT_EQ(-EPERM, dev_command(vfd, 0x2, true));	/* not attached */
	EXPECT_EQ(0, device_attach_token(vfd, other, ioas2, token_a));
	EXPECT_EQ(-ENOTTY, set_vf_token(vfd, token_b));	/* a VF has none */
	/* A token where none applies: the nvme with no SR-IOV. */
	ASSERT_EQ(0, pci_find(NVME_VENDOR, NVME_DEVICE, ALONE_IN_GROUP, 0,
			      nvme, sizeof(nvme)));
	if (strcmp(nvme, pf)) {
		ASSERT_EQ(0, pci_bind(nvme, "iopass-pci"));
		odev = iopass_open(nvme);
		ASSERT_LE(0, odev);
		EXPECT_EQ(-EINVAL, device_attach_token(odev, other, ioas2, token_a));
		close(odev);
		pci_release(nvme);
	}

	/* The PF can neither be reset nor lose its VFs under their owner. */
	EXPECT_EQ(-EBUSY, ioctl_errno(pfd, IOPASS_DEVICE_RESET, &reset));
	EXPECT_EQ(-EBUSY, set_numvfs(pf, "0"));
	EXPECT_TRUE(klog_has("not disabling VFs: 1 attached"));

	/* A new PF owner must show the token the VF trusts. */
	close(pfd);
	pfd = iopass_open(pf);
	ASSERT_LE(0, pfd);
	EXPECT_EQ(-EACCES, device_attach_token(pfd, ctx, ioas, NULL));
	EXPECT_EQ(-EACCES, device_attach_token(pfd, ctx, ioas, token_b));
	EXPECT_EQ(0, device_attach_token(pfd, ctx, ioas, token_a));

	/* The second VF works alike; detached, the VFs can go. */
	vfd1 = iopass_open(vf1);
	ASSERT_LE(0, vfd1);
	EXPECT_EQ(0, device_attach_token(vfd1, other, ioas2, token_a));
	close(vfd1);
	EXPECT_EQ(0, device_detach(vfd));

	/* With no VF attached, a PF owner without the token voids it. */
	close(pfd);
	pfd = iopass_open(pf);
	ASSERT_LE(0, pfd);
	EXPECT_EQ(0, device_attach_token(pfd, ctx, ioas, NULL));
	EXPECT_EQ(-EACCES, device_attach_token(vfd, other, ioas2, token_a));
	EXPECT_EQ(0, set_vf_token(pfd, token_b));
	EXPECT_EQ(0, device_attach_token(vfd, other, ioas2, token_b));
	EXPECT_EQ(0, device_detach(vfd));
	EXPECT_EQ(0, set_numvfs(pf, "0"));
	EXPECT_EQ(-ENOENT, vf_of(pf, 0, vf0, sizeof(vf0)));
	EXPECT_EQ(-ENODEV, device_detach(vfd));	/* revoked with its VF */
	close(vfd);
	close(pfd);
	close(ctx);
	close(other);
	EXPECT_EQ(0, pins_outstanding());
	pci_release(pf);
}

#define TOKEN_A_STR	"12345678-9abc-def0-0123-456789abcdef"	/* token_a */

/*
 * Start nvme-hello with the arguments after @in (NULL-terminated), its
 * output to @out, stdin from @in (or none).
 */
static pid_t hello_start(const char *out, int in, ...)
{
	char *argv[16] = { "nvme-hello" };
	int fd, n = 1;
	va_list ap;
	pid_t pid;

	va_start(ap, in);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	pid = fork();
	if (pid)
		return pid;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
	    dup2(in >= 0 ? in : open("/dev/null", O_RDONLY), 0) < 0)
		_exit(126);
	execvp("nvme-hello", argv);
	_exit(127);
}

/* Its exit code (128 + signal if it was killed); its output as comments. */
static int hello_wait(pid_t pid, const char *out)
{
	char line[256];
	FILE *f;
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	f = fopen(out, "r");
	while (f && fgets(line, sizeof(line), f))
		printf("# %s: %s", out, line);
	if (f)
		fclose(f);
	printf("# %s: exit status 0x%x\n", out, st);
	fflush(stdout);		/* the harness's test process ends in _exit() */
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Has it exited?  (It stays a zombie for hello_wait().) */
static bool hello_exited(pid_t pid)
{
	siginfo_t si = { 0 };

	return !waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
	       si.si_pid == pid;
}

static bool file_has(const char *path, const char *needle)
{
	char buf[8192];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return strstr(buf, needle);
}

/*
 * tools/examples/nvme-hello, three processes, three address spaces: the
 * PF's owner sets the token, creates two VFs and brings their secondary
 * controllers online; each VF's owner writes its own block and reads it
 * back, at the same time, with its DMA pages at IOVAs of its own.  A VF
 * owner without the token is refused.  Then each VF's owner, in turn, aims
 * a read at the other's admin queue IOVA: the IOMMU blocks it and logs a
 * fault for that VF at that address.  The host then finds both blocks in
 * the backing image (run.sh: sriov-host).
 */
TEST(two_vfs_two_owners_do_nvme_io)
{
	static const struct {
		const char *lba, *base, *iova;	/* the other's admin SQ */
	} probe[2] = { { "101", "0x10000000", "0x20000000" },
		       { "201", "0x20000000", "0x10000000" } };
	char pf[32], vf[2][32], fault[96];
	pid_t pfp, a, b;
	long long end;
	int in[2], i;

	ASSERT_EQ(0, sriov_pf(pf, sizeof(pf)));
	ASSERT_EQ(0, set_numvfs(pf, "0"));
	ASSERT_EQ(0, pci_bind(pf, "iopass-pci"));
	ASSERT_EQ(0, pipe2(in, O_CLOEXEC));
	pfp = hello_start("/tmp/pf.out", in[0], "-V", "2", "-t", TOKEN_A_STR, pf,
			  NULL);
	close(in[0]);
	for (end = now_ms() + 60000; now_ms() < end; usleep(50000))
		if (file_has("/tmp/pf.out", "VFs online") || hello_exited(pfp))
			break;
	if (!file_has("/tmp/pf.out", "VFs online")) {
		close(in[1]);
		kill(pfp, SIGKILL);
		hello_wait(pfp, "/tmp/pf.out");
	}
	ASSERT_TRUE(file_has("/tmp/pf.out", "VFs online"));
	ASSERT_EQ(0, vf_of(pf, 0, vf[0], sizeof(vf[0])));
	ASSERT_EQ(0, vf_of(pf, 1, vf[1], sizeof(vf[1])));

	EXPECT_EQ(1, hello_wait(hello_start("/tmp/notoken.out", -1, "-b", "1",
					    vf[0], NULL), "/tmp/notoken.out"));
	EXPECT_TRUE(file_has("/tmp/notoken.out", "Permission denied"));

	a = hello_start("/tmp/vf0.out", -1, "-t", TOKEN_A_STR, "-p", "vf0",
			"-b", "100", vf[0], NULL);
	b = hello_start("/tmp/vf1.out", -1, "-t", TOKEN_A_STR, "-p", "vf1",
			"-b", "200", "-I", "0x20000000", vf[1], NULL);
	EXPECT_EQ(0, hello_wait(a, "/tmp/vf0.out"));
	EXPECT_EQ(0, hello_wait(b, "/tmp/vf1.out"));
	EXPECT_TRUE(file_has("/tmp/vf0.out", "write/read-back of LBA 100: OK"));
	EXPECT_TRUE(file_has("/tmp/vf1.out", "write/read-back of LBA 200: OK"));

	/* One at a time: the IOMMU records one fault at a time. */
	klog_mark("iopass-rig: expect dmar\n");
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, hello_wait(hello_start("/tmp/probe.out", -1, "-t",
						    TOKEN_A_STR, "-b", probe[i].lba,
						    "-I", probe[i].base, "-x",
						    probe[i].iova, vf[i], NULL),
					"/tmp/probe.out"));
		snprintf(fault, sizeof(fault), "Request device [%s] fault addr %s",
			 vf[i] + 5, probe[i].iova);
		EXPECT_TRUE(klog_wait(fault, 2000)) TH_LOG("no \"%s\"", fault);
	}
	klog_mark("iopass-rig: expect-end\n");

	close(in[1]);			/* the PF's owner takes the VFs down */
	EXPECT_EQ(0, hello_wait(pfp, "/tmp/pf.out"));
	EXPECT_TRUE(file_has("/tmp/pf.out", "VFs removed"));
	EXPECT_EQ(0, pins_outstanding());
	pci_release(pf);
}

/* /dev/vfio/vfio with @bdf's group in it, IOMMU set: 0, fds in *@c, *@g. */
static int vfio_session(const char *bdf, int *c, int *g)
{
	char path[PATH_MAX];

	*c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), "/dev/vfio/%d", pci_iommu_group(bdf));
	*g = open(path, O_RDWR | O_CLOEXEC);
	if (*c < 0 || *g < 0)
		return -ENOENT;
	if (ioctl(*g, VFIO_GROUP_SET_CONTAINER, c) ||
	    ioctl(*c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	return 0;
}

/* VFIO_GROUP_GET_DEVICE_FD of "@bdf@opts": the fd or -errno. */
static int vfio_device(int g, const char *bdf, const char *opts)
{
	char name[128];
	int fd;

	snprintf(name, sizeof(name), "%s%s", bdf, opts);
	fd = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name);
	return fd < 0 ? -errno : fd;
}

/* VFIO_DEVICE_FEATURE_PCI_VF_TOKEN with @flags (and @token for SET). */
static int vfio_vf_token(int dev, __u32 flags, const __u8 *token)
{
	struct {
		struct vfio_device_feature f;
		__u8 uuid[16];
	} arg = { .f = { .argsz = sizeof(arg),
			 .flags = flags | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN } };

	if (token)
		memcpy(arg.uuid, token, 16);
	return ioctl_errno(dev, VFIO_DEVICE_FEATURE, &arg);
}

/*
 * Through iopass_vfio.ko, as DPDK and VFIO users do it: a VF of a PF owned
 * through iopass joins a container, but its device fd comes only with
 * "vf_token=<uuid>" after its name (EACCES without or with another,
 * EINVAL for a malformed option); then the VF is attached and holds off
 * disabling the VFs.  The PF's owner, through the front too, sets the
 * token with VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, which a native VF owner
 * then presents.
 */
TEST(vfio_front_vf_needs_vf_token_in_its_name)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int pfd, ctx, c, g, vfd, c2, g2, pfv, nvfd, other;
	char pf[32], vf0[32], opts[64];
	__u32 ioas, ioas2;

	ASSERT_EQ(0, sriov_pf(pf, sizeof(pf)));
	ASSERT_EQ(0, set_numvfs(pf, "0"));
	ASSERT_EQ(0, vfio_front_load(""));
	ASSERT_EQ(0, iopass_own(pf, &pfd, &ctx, &ioas));
	ASSERT_EQ(0, set_vf_token(pfd, token_a));
	ASSERT_EQ(0, set_numvfs(pf, "1"));
	ASSERT_EQ(0, vf_of(pf, 0, vf0, sizeof(vf0)));

	ASSERT_EQ(0, vfio_session(vf0, &c, &g));	/* claimed, not attached */
	EXPECT_EQ(-EACCES, vfio_device(g, vf0, ""));
	EXPECT_EQ(-EACCES, vfio_device(g, vf0, " vf_token=fedcba98-0000-0000-0000-000000000000"));
	EXPECT_EQ(-EINVAL, vfio_device(g, vf0, " vf_token=not-a-uuid"));
	EXPECT_EQ(-EINVAL, vfio_device(g, vf0, " colour=blue"));
	snprintf(opts, sizeof(opts), " vf_token=%s", TOKEN_A_STR);
	vfd = vfio_device(g, vf0, opts);
	ASSERT_LE(0, vfd);
	EXPECT_EQ(0, ioctl_errno(vfd, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_EQ(-ENOTTY, vfio_vf_token(vfd, VFIO_DEVICE_FEATURE_PROBE |
					 VFIO_DEVICE_FEATURE_SET, NULL));
	EXPECT_EQ(-EBUSY, set_numvfs(pf, "0"));	/* attached, through the front */
	close(vfd);
	close(g);
	close(c);
	EXPECT_EQ(0, set_numvfs(pf, "0"));
	close(pfd);

	/* The PF through the front: it sets the token a native VF presents. */
	ASSERT_EQ(0, vfio_session(pf, &c2, &g2));
	pfv = vfio_device(g2, pf, "");
	ASSERT_LE(0, pfv);
	EXPECT_EQ(0, vfio_vf_token(pfv, VFIO_DEVICE_FEATURE_PROBE |
				   VFIO_DEVICE_FEATURE_SET, NULL));
	EXPECT_EQ(-EINVAL, vfio_vf_token(pfv, VFIO_DEVICE_FEATURE_GET, NULL));
	EXPECT_EQ(0, vfio_vf_token(pfv, VFIO_DEVICE_FEATURE_SET, token_b));
	ASSERT_EQ(0, set_numvfs(pf, "1"));
	other = ctx_open();
	ASSERT_LE(0, other);
	ASSERT_EQ(0, ioas_alloc(other, &ioas2));
	nvfd = iopass_open(vf0);
	ASSERT_LE(0, nvfd);
	EXPECT_EQ(-EACCES, device_attach_token(nvfd, other, ioas2, token_a));
	EXPECT_EQ(0, device_attach_token(nvfd, other, ioas2, token_b));
	close(nvfd);
	close(other);
	EXPECT_EQ(0, set_numvfs(pf, "0"));
	close(pfv);
	close(g2);
	close(c2);
	close(ctx);
	EXPECT_EQ(0, vfio_front_unload());
	EXPECT_EQ(0, pins_outstanding());
	pci_release(pf);
}

/*
 * Unbinding the PF with a VF owner attached: the VFs are disabled first,
 * their owners asked to release and then revoked (ENODEV), then the PF's
 * owner; nothing stays pinned.
 */
TEST(pf_unbind_revokes_the_vf_owners)
{
	char pf[32], vf0[32], path[PATH_MAX];
	int pfd, vfd, ctx, other, efd;
	__u32 ioas, ioas2;
	__u64 iova = 0;
	void *buf;
	__s32 fd;

	ASSERT_EQ(0, sriov_pf(pf, sizeof(pf)));
	ASSERT_EQ(0, set_numvfs(pf, "0"));
	ASSERT_EQ(0, iopass_own(pf, &pfd, &ctx, &ioas));
	EXPECT_EQ(0, set_vf_token(pfd, token_b));
	ASSERT_EQ(0, set_numvfs(pf, "1"));
	ASSERT_EQ(0, vf_of(pf, 0, vf0, sizeof(vf0)));
	other = ctx_open();
	ASSERT_LE(0, other);
	ASSERT_EQ(0, ioas_alloc(other, &ioas2));
	vfd = iopass_open(vf0);
	ASSERT_LE(0, vfd);
	ASSERT_EQ(0, device_attach_token(vfd, other, ioas2, token_b));
	buf = mmap(NULL, 4 * SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	EXPECT_EQ(0, ioas_map(other, ioas2, buf, 4 * SZ_4K, &iova, MAP_RW));
	efd = eventfd(0, EFD_CLOEXEC);
	fd = efd;
	EXPECT_EQ(0, set_irqs(vfd, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_REQ, 0, 1,
			      &fd));

	klog_mark("pf_unbind_revokes_the_vf_owners");
	EXPECT_EQ(0, pci_unbind(pf));		/* waits release_timeout_ms */
	EXPECT_TRUE(klog_has("disabling 1 VFs before the PF unbinds"));
	EXPECT_EQ(1, events(efd, 0));		/* the VF's owner was asked */
	EXPECT_EQ(-ENODEV, device_detach(vfd));
	EXPECT_EQ(-ENODEV, device_detach(pfd));
	EXPECT_EQ(-ENOENT, vf_of(pf, 0, vf0, sizeof(vf0)));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/sriov_numvfs", pf);
	EXPECT_EQ(0, sysfs_read_ul(path));
	close(vfd);
	close(pfd);
	close(ctx);
	close(other);
	close(efd);
	munmap(buf, 4 * SZ_4K);
	EXPECT_EQ(0, pins_outstanding());
	pci_release(pf);
}
#endif

#ifdef VARIANT_NUMA
/* The edu alone in its group whose PCI node is @node; -ENOENT if none. */
static int edu_on_node(int node, char *bdf, size_t len)
{
	char path[PATH_MAX];
	int nth;

	for (nth = 0; !pci_find(EDU_VENDOR, EDU_DEVICE, ALONE_IN_GROUP, nth,
				bdf, len); nth++) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/numa_node", bdf);
		if ((int)sysfs_read_ul(path) == node)
			return 0;
	}
	return -ENOENT;
}

/* @len bytes of anonymous memory bound to @node (MPOL_BIND), touched. */
static void *alloc_on_node(size_t len, int node)
{
	unsigned long mask = 1UL << node;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* MPOL_BIND (2), MPOL_MF_STRICT (1) */
	if (syscall(SYS_mbind, p, len, 2, &mask, sizeof(mask) * 8, 1)) {
		munmap(p, len);
		return NULL;
	}
	memset(p, 0x5a, len);
	return p;
}

/* The iopass device's sysfs attribute @attr, into @buf. */
static int dev_attr(const char *bdf, const char *attr, char *buf, size_t len)
{
	char name[32], path[PATH_MAX];
	int ret = iopass_dev_of(bdf, name, sizeof(name));

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/iopass/devices/%s/%s", name, attr);
	return sysfs_read(path, buf, len);
}

/*
 * The edu behind the node-1 expander bridge: GET_INFO and sysfs say node
 * 1 and its CPU; memory bound to node 0 counts as node 0's and is refused
 * by IOPASS_MAP_LOCAL_NODE, memory on node 1 is taken; an MSI vector's
 * affinity is node 1's CPU.  An edu DMA through the node-1 mapping works.
 */
TEST(numa_node_reported_and_remote_memory_refused)
{
	struct iopass_device_info info = { .size = sizeof(info) };
	char bdf[32], buf[256], path[PATH_MAX];
	__u64 iova0 = 0, iova1 = 0;
	int dev, ctx, efd, irq;
	void *m0, *m1, *bar;
	__u32 ioas;
	long pins;
	__s32 fd;

	ASSERT_EQ(0, edu_on_node(1, bdf, sizeof(bdf)))
		TH_LOG("no edu on NUMA node 1: is this the numa machine?");
	ASSERT_EQ(0, iopass_own(bdf, &dev, &ctx, &ioas));
	ASSERT_EQ(0, ioctl_errno(dev, IOPASS_DEVICE_GET_INFO, &info));
	EXPECT_EQ(1, info.numa_node);
	ASSERT_EQ(0, dev_attr(bdf, "numa_node", buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
	ASSERT_EQ(0, dev_attr(bdf, "local_cpus", buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);		/* -numa node,nodeid=1,cpus=1 */

	m0 = alloc_on_node(16 * SZ_4K, 0);
	m1 = alloc_on_node(16 * SZ_4K, 1);
	ASSERT_NE(NULL, m0);
	ASSERT_NE(NULL, m1);
	/* Refused with the flag; nothing pinned or mapped by the refusal. */
	pins = pins_outstanding();
	EXPECT_EQ(-EREMOTE, ioas_map(ctx, ioas, m0, 16 * SZ_4K, &iova0,
				     MAP_RW | IOPASS_MAP_LOCAL_NODE));
	EXPECT_EQ(pins, pins_outstanding());
	ASSERT_EQ(0, dev_attr(bdf, "pinned_pages_by_node", buf, sizeof(buf)));
	EXPECT_STREQ("N0=0 N1=0", buf);
	EXPECT_EQ(0, ioas_map(ctx, ioas, m1, 16 * SZ_4K, &iova1,
			      MAP_RW | IOPASS_MAP_LOCAL_NODE));
	/* Without the flag remote memory maps, and is counted as node 0's. */
	EXPECT_EQ(0, ioas_map(ctx, ioas, m0, 16 * SZ_4K, &iova0, MAP_RW));
	ASSERT_EQ(0, dev_attr(bdf, "pinned_pages_by_node", buf, sizeof(buf)));
	EXPECT_STREQ("N0=16 N1=16", buf);

	/* The device reads node-1 memory and writes node-0 memory. */
	bar = dev_edu_bar(dev);
	ASSERT_NE(NULL, bar);
	EXPECT_EQ(0, edu_dma(bar, iova1, EDU_BUFFER, 1024, false));
	memset(m0, 0, 1024);
	EXPECT_EQ(0, edu_dma(bar, EDU_BUFFER, iova0, 1024, true));
	EXPECT_EQ(0x5a, ((unsigned char *)m0)[1023]);

	/* MSI: the vector's affinity is the device's node's CPU. */
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	fd = efd;
	ASSERT_EQ(0, set_irqs(dev, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_MSI, 0,
			      1, &fd));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/irq", bdf);
	irq = sysfs_read_ul(path);	/* with MSI on: its first vector */
	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("1", buf) TH_LOG("IRQ %d", irq);
	snprintf(path, sizeof(path), "/proc/irq/%d/affinity_hint", irq);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_EQ(2, strtoul(buf, NULL, 16));	/* CPU 1 */

	EXPECT_EQ(0, ioas_unmap(ctx, ioas, iova0, 16 * SZ_4K, NULL));
	ASSERT_EQ(0, dev_attr(bdf, "pinned_pages_by_node", buf, sizeof(buf)));
	EXPECT_STREQ("N0=0 N1=16", buf);
	close(efd);
	munmap(bar, EDU_BAR_SIZE);	/* a mapping holds the device fd */
	close(dev);
	close(ctx);
	EXPECT_EQ(pins, pins_outstanding())
		TH_LOG("acquired %ld, released %ld",
		       vmstat_read("nr_foll_pin_acquired"),
		       vmstat_read("nr_foll_pin_released"));
	munmap(m0, 16 * SZ_4K);
	munmap(m1, 16 * SZ_4K);
	pci_release(bdf);
}

/* A device on no known node: LOCAL_NODE refuses nothing. */
TEST(local_node_refuses_nothing_without_a_known_node)
{
	char bdf[32];
	__u64 iova = 0;
	int dev, ctx;
	__u32 ioas;
	void *m;

	ASSERT_EQ(0, edu_on_node(-1, bdf, sizeof(bdf)))
		TH_LOG("no edu on an unknown node");
	ASSERT_EQ(0, iopass_own(bdf, &dev, &ctx, &ioas)) TH_LOG("%s", bdf);
	m = alloc_on_node(4 * SZ_4K, 0);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(0, ioas_map(ctx, ioas, m, 4 * SZ_4K, &iova,
			      MAP_RW | IOPASS_MAP_LOCAL_NODE));
	close(dev);
	close(ctx);
	EXPECT_EQ(0, pins_outstanding());
	munmap(m, 4 * SZ_4K);
	pci_release(bdf);
}
#endif

#include "iopass_main.h"
