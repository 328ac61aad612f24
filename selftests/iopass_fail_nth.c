// SPDX-License-Identifier: GPL-2.0
/*
 * Fail-nth sweeps: every step of every iopass operation, made to fail.
 *
 * For an operation (an ioctl, a bind, an mmap, a close), run it with
 * /proc/self/task/<tid>/fail-nth set to 1, 2, 3, ...: the nth call in this
 * task that can be made to fail does fail.  Those calls are every slab
 * allocation (failslab), every page allocation (fail_page_alloc) and
 * iopass's own fault points (fail_iopass: a pin batch, pinned_vm
 * accounting, IOMMU map and attach, an interrupt type and vector).  The
 * sweep ends at the first n the operation never reaches.
 *
 * After each injected failure: the operation returned an errno its
 * ioctl documents (ENOMEM), the objects are still usable (the operation
 * succeeds when run again, and does what it should), and nothing leaked:
 * pinned pages and pinned_vm are back where they were, the mock IOMMU saw
 * no violation, and (debug kernel) kmemleak finds nothing at the end.
 *
 * Needs a kernel with fault injection (the rig's debug kernel); on others
 * every sweep is skipped, and the rig counts a skip as neither a pass nor
 * a failure.
 */
#include <linux/vfio.h>
#include <poll.h>
#include <sys/eventfd.h>

#include "iopass_util.h"
#include "kselftest_harness.h"

#define SZ_4K		0x1000UL
#define NPAGES		16
#define IOVA		0x100000UL
#define MAX_NTH		2000
#define DBG		"/sys/kernel/debug"

static int nth_fd = -1;

/*
 * Make every fault site injectable by fail-nth, quietly (a stack dump per
 * injection would flood the console): failslab and fail_page_alloc also
 * for allocations that may sleep, and iopass's fail_iopass.  (iopass asks
 * should_fail() itself: fail_function's kprobes run in int3 context, where
 * fail-nth and task filters never apply.)  False if the kernel has no
 * fault injection.
 */
static bool fault_injection_setup(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", gettid());
	nth_fd = open(path, O_RDWR | O_CLOEXEC);
	if (nth_fd < 0 || access(DBG "/fail_iopass/probability", W_OK))
		return false;
	return !sysfs_write(DBG "/failslab/ignore-gfp-wait", "N") &&
	       !sysfs_write(DBG "/failslab/verbose", "0") &&
	       !sysfs_write(DBG "/fail_page_alloc/ignore-gfp-wait", "N") &&
	       !sysfs_write(DBG "/fail_page_alloc/ignore-gfp-highmem", "N") &&
	       !sysfs_write(DBG "/fail_page_alloc/min-order", "0") &&
	       !sysfs_write(DBG "/fail_page_alloc/verbose", "0") &&
	       !sysfs_write(DBG "/fail_iopass/verbose", "0");
}

static void nth_arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, len, 0) != len)
		abort();
}

/* Disarm; whether the armed failure was injected. */
static bool nth_disarm(void)
{
	char buf[16] = "";
	bool injected;

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	injected = atoi(buf) == 0;
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		abort();
	return injected;
}

/* ---- the state an operation runs on ---- */

struct st {
	int ctx;
	__u32 ioas;
	int dev[2];		/* mock devices, or dev[0] the edu */
	char *buf;		/* NPAGES of anonymous memory */
	int efd;
	void *bar;
	char bdf[32];		/* the edu, for the sweeps that need one */
	int container, group, vdev;	/* the VFIO front's fds */
};

static int map(struct st *s, __u64 iova, unsigned int npages)
{
	return ioas_map_fixed(s->ctx, s->ioas, s->buf, npages * SZ_4K, iova,
			      MAP_RW);
}

/* Unmap [IOVA, +NPAGES): the bytes unmapped, or -errno. */
static long unmap_all(struct st *s)
{
	__u64 len;
	int ret = ioas_unmap(s->ctx, s->ioas, IOVA, NPAGES * SZ_4K, &len);

	return ret ? ret : (long)len;
}

static int ctx_and_ioas(struct st *s)
{
	s->ctx = ctx_open();
	if (s->ctx < 0)
		return s->ctx;
	return ioas_alloc(s->ctx, &s->ioas);
}

static int open_mocks(struct st *s)
{
	s->dev[0] = mock_open(0);
	s->dev[1] = mock_open(1);
	return s->dev[0] < 0 ? s->dev[0] : s->dev[1] < 0 ? s->dev[1] : 0;
}

static void close_all(struct st *s)
{
	if (s->bar)
		munmap(s->bar, EDU_BAR_SIZE);
	if (s->vdev >= 0)
		close(s->vdev);
	if (s->group >= 0)
		close(s->group);
	if (s->container >= 0)
		close(s->container);
	s->vdev = -1;
	s->group = -1;
	s->container = -1;
	if (s->efd >= 0)
		close(s->efd);
	if (s->dev[0] >= 0)
		close(s->dev[0]);
	if (s->dev[1] >= 0)
		close(s->dev[1]);
	if (s->ctx >= 0)
		close(s->ctx);
	s->bar = NULL;
	s->efd = -1;
	s->dev[0] = -1;
	s->dev[1] = -1;
	s->ctx = -1;
}

static int set_msi(int dev, int efd)
{
	struct iopass_set_irqs cmd = {
		.size = sizeof(cmd), .flags = IOPASS_IRQ_SET_EVENTFD,
		.index = IOPASS_IRQ_MSI, .start = 0, .count = efd >= 0,
		.eventfds = (uintptr_t)&efd,
	};

	return ioctl_errno(dev, IOPASS_DEVICE_SET_IRQS, &cmd);
}

/* ---- the operations ---- */

/*
 * An operation: @setup builds the state (no injection), @op is what is
 * swept, @verify checks that the op's effect is there once it succeeded.
 * Everything is torn down by close_all() (and, for the edu, unbinding).
 */
struct sweep {
	const char *name;
	bool vfio;		/* through iopass_vfio.ko */
	int also;		/* an errno besides ENOMEM its ioctl documents */
	bool atomic_only;	/* sleeping allocations are not failed */
	bool allocates;		/* so the sweep must inject something */
	bool edu;		/* a real device: the edu */
	bool nvme;		/* ... or the nvme (it can be reset) */
	bool bound;		/* bound to iopass before setup */
	int (*setup)(struct st *s);
	int (*op)(struct st *s);
	int (*verify)(struct st *s);
};

static int none(struct st *s)
{
	return 0;
}

/* IOAS_ALLOC on a fresh context. */
static int alloc_setup(struct st *s)
{
	s->ctx = ctx_open();
	return s->ctx < 0 ? s->ctx : 0;
}

static int alloc_op(struct st *s)
{
	return ioas_alloc(s->ctx, &s->ioas);
}

static int alloc_verify(struct st *s)
{
	return map(s, IOVA, NPAGES);
}

/* MAP into an IOAS with two mock domains (two kinds of IOMMU). */
static int map_setup(struct st *s)
{
	return ctx_and_ioas(s) ?: open_mocks(s) ?:
	       device_attach(s->dev[0], s->ctx, s->ioas) ?:
	       device_attach(s->dev[1], s->ctx, s->ioas);
}

static int map_op(struct st *s)
{
	return map(s, IOVA, NPAGES);
}

static int map_verify(struct st *s)
{
	return unmap_all(s) == NPAGES * SZ_4K ? 0 : -EIO;
}

/* UNMAP of several mappings from two mock domains. */
static int unmap_setup(struct st *s)
{
	int i, ret = map_setup(s);

	for (i = 0; i < 4 && !ret; i++)
		ret = ioas_map_fixed(s->ctx, s->ioas, s->buf + i * 4 * SZ_4K,
				     4 * SZ_4K, IOVA + i * 4 * SZ_4K, MAP_RW);
	return ret;
}

static int unmap_op(struct st *s)
{
	long ret = unmap_all(s);

	return ret < 0 ? ret : ret == NPAGES * SZ_4K ? 0 : -EIO;
}

static int unmap_verify(struct st *s)
{
	return map(s, IOVA, NPAGES);	/* the range is free again */
}

/* ATTACH of a device whose IOAS already has mappings: a domain is filled. */
static int attach_setup(struct st *s)
{
	return ctx_and_ioas(s) ?: open_mocks(s) ?:
	       device_attach(s->dev[0], s->ctx, s->ioas) ?: map(s, IOVA, NPAGES);
}

static int attach_op(struct st *s)
{
	return device_attach(s->dev[1], s->ctx, s->ioas);
}

static int attach_verify(struct st *s)
{
	/* The mock checks each domain unmaps exactly what it mapped. */
	return map_verify(s);
}

static int detach_setup(struct st *s)
{
	return attach_setup(s) ?: attach_op(s);
}

static int detach_op(struct st *s)
{
	return device_detach(s->dev[1]);
}

static int detach_op0(struct st *s)
{
	return device_detach(s->dev[0]);
}

static int detach_verify(struct st *s)
{
	return attach_op(s) ?: map_verify(s);
}

static int ranges_op(struct st *s)
{
	struct iopass_iova_range r[4];
	struct iopass_ioas_iova_ranges cmd = {
		.size = sizeof(cmd), .ioas_id = s->ioas, .num_ranges = 4,
		.allowed_iovas = (uintptr_t)r,
	};

	return ioctl_errno(s->ctx, IOPASS_IOAS_IOVA_RANGES, &cmd);
}

static int destroy_setup(struct st *s)
{
	return ctx_and_ioas(s) ?: map(s, IOVA, NPAGES);
}

static int destroy_op(struct st *s)
{
	return ioas_destroy(s->ctx, s->ioas);
}

static int destroy_verify(struct st *s)
{
	return ranges_op(s) == -ENOENT ? 0 : -EIO;
}

static int info_op(struct st *s)
{
	struct iopass_device_info info = { .size = sizeof(info) };

	return ioctl_errno(s->dev[0], IOPASS_DEVICE_GET_INFO, &info);
}

static char mock_node[PATH_MAX];

/* The node of mock device 0, found before the sweep (readdir allocates). */
static int open_setup(struct st *s)
{
	char name[64];
	int ret = iopass_child_of(MOCK_SYSFS "/hw0", name, sizeof(name));

	snprintf(mock_node, sizeof(mock_node), "/dev/%s", name);
	return ret;
}

/* Opening a device node (the backend's open runs then). */
static int open_op(struct st *s)
{
	s->dev[0] = open(mock_node, O_RDWR | O_CLOEXEC);
	return s->dev[0] < 0 ? -errno : 0;
}

/* Closing a context with live mappings and an attached device. */
static int close_op(struct st *s)
{
	int ret = close(s->ctx);

	s->ctx = -1;
	return ret ? -errno : 0;
}

static int close_verify(struct st *s)
{
	/* The IOAS outlived its context; the device can leave it and join a new one. */
	return device_detach(s->dev[0]) ?: ctx_and_ioas(s) ?:
	       device_attach(s->dev[0], s->ctx, s->ioas);
}

/* ---- on the edu: a real IOMMU domain, real interrupts, the BAR ---- */

static int edu_setup(struct st *s)
{
	s->dev[0] = iopass_open(s->bdf);
	if (s->dev[0] < 0)
		return s->dev[0];
	return ctx_and_ioas(s);
}

/* ATTACH to the real VT-d domain, with a mapping to fill in. */
static int edu_attach_setup(struct st *s)
{
	return edu_setup(s) ?: map(s, IOVA, NPAGES);
}

static int edu_attach_op(struct st *s)
{
	return device_attach(s->dev[0], s->ctx, s->ioas);
}

/* The edu at s->bar copies 64 bytes RAM -> edu -> RAM through IOVA. */
static int dma_round_trip(struct st *s)
{
	memset(s->buf, 0x3c, 64);
	memset(s->buf + SZ_4K, 0, 64);
	if (edu_dma(s->bar, IOVA, EDU_BUFFER, 64, false) ||
	    edu_dma(s->bar, EDU_BUFFER, IOVA + SZ_4K, 64, true))
		return -ETIMEDOUT;
	return memcmp(s->buf, s->buf + SZ_4K, 64) ? -EIO : 0;
}

/* The device reaches the mapping: a DMA round trip through it. */
static int edu_dma_verify(struct st *s)
{
	s->bar = dev_edu_bar(s->dev[0]);
	return s->bar ? dma_round_trip(s) : -EIO;
}

static int edu_map_setup(struct st *s)
{
	return edu_setup(s) ?: device_attach(s->dev[0], s->ctx, s->ioas);
}

static int edu_irq_setup(struct st *s)
{
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return edu_map_setup(s) ?: dev_command(s->dev[0], 0x6, true);
}

static int edu_irq_op(struct st *s)
{
	return set_msi(s->dev[0], s->efd);
}

/* An MSI raised by the edu arrives on the eventfd. */
static int edu_irq_verify(struct st *s)
{
	struct pollfd pfd = { .fd = s->efd, .events = POLLIN };
	__u32 one = 1;
	__u64 n;

	if (pwrite(s->dev[0], &one, 4, IOPASS_REGION_OFFSET(0) + 0x60) != 4 ||
	    poll(&pfd, 1, 2000) != 1 || read(s->efd, &n, 8) != 8)
		return -EIO;
	pwrite(s->dev[0], &one, 4, IOPASS_REGION_OFFSET(0) + 0x64);
	return set_msi(s->dev[0], -1) ?: 0;
}

static int edu_mmap_op(struct st *s)
{
	s->bar = mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      s->dev[0], IOPASS_REGION_OFFSET(0));
	if (s->bar == MAP_FAILED) {
		s->bar = NULL;
		return -errno;
	}
	return 0;
}

static int edu_mmap_verify(struct st *s)
{
	/* Touched outside the injection: the fault path maps the BAR. */
	if (dev_command(s->dev[0], 0x2, true))
		return -EIO;
	return mmio_read32(s->bar, EDU_ID) == 0x010000ed ? 0 : -EIO;
}

/* Binding: iopass-pci's probe (DMA ownership, the empty domain). */
static int edu_bind_setup(struct st *s)
{
	char path[PATH_MAX];

	pci_unbind(s->bdf);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", s->bdf);
	return sysfs_write(path, "iopass-pci");
}

static int edu_bind_op(struct st *s)
{
	return sysfs_write("/sys/bus/pci/drivers/iopass-pci/bind", s->bdf);
}

static int edu_bind_verify(struct st *s)
{
	char name[64], path[PATH_MAX], dom[32];

	if (iopass_dev_of(s->bdf, name, sizeof(name)))
		return -ENODEV;
	snprintf(path, sizeof(path), IOPASS_DEVICES "/%s/domain_type", name);
	if (sysfs_read(path, dom, sizeof(dom)) || strcmp(dom, "paging"))
		return -EIO;
	/* And it works: owned, attached, DMAing through a mapping. */
	return edu_attach_setup(s) ?: edu_attach_op(s) ?: edu_dma_verify(s);
}

/* ---- through the VFIO front: what QEMU and DPDK do, step by step ---- */

/* The container and the edu's group, joined. */
static int vfio_setup(struct st *s)
{
	char path[PATH_MAX];

	s->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), "/dev/vfio/%d", pci_iommu_group(s->bdf));
	s->group = open(path, O_RDWR | O_CLOEXEC);
	if (s->container < 0 || s->group < 0)
		return -errno;
	return ioctl_errno(s->group, VFIO_GROUP_SET_CONTAINER, &s->container);
}

/* SET_IOMMU: the group's devices opened and attached to a new domain. */
static int vfio_iommu_op(struct st *s)
{
	return ioctl_errno(s->container, VFIO_SET_IOMMU,
			   (void *)VFIO_TYPE1v2_IOMMU);
}

static int vfio_fd_op(struct st *s)
{
	s->vdev = ioctl(s->group, VFIO_GROUP_GET_DEVICE_FD, s->bdf);
	return s->vdev < 0 ? -errno : 0;
}

static int vfio_map_op(struct st *s)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)s->buf, .iova = IOVA,
		.size = NPAGES * SZ_4K,
	};

	return ioctl_errno(s->container, VFIO_IOMMU_MAP_DMA, &map);
}

static int vfio_fd_setup(struct st *s)
{
	return vfio_setup(s) ?: vfio_iommu_op(s);
}

static int vfio_map_setup(struct st *s)
{
	return vfio_fd_setup(s) ?: vfio_fd_op(s);
}

/*
 * It all works: the device fd (taken if the op did not), the mapping
 * (made likewise), and the edu DMAing through it, BAR mmapped.
 */
static int vfio_dma_verify(struct st *s)
{
	off_t cfg = (off_t)VFIO_PCI_CONFIG_REGION_INDEX << 40;
	__u16 cmd;
	int ret;

	ret = s->vdev < 0 ? vfio_fd_op(s) : 0;
	if (ret)
		return ret;
	ret = vfio_map_op(s);
	if (ret && ret != -EEXIST)
		return ret;
	s->bar = mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      s->vdev, 0);
	if (s->bar == MAP_FAILED) {
		s->bar = NULL;
		return -errno;
	}
	if (pread(s->vdev, &cmd, 2, cfg + 4) != 2)
		return -EIO;
	cmd |= 0x6;
	if (pwrite(s->vdev, &cmd, 2, cfg + 4) != 2)
		return -EIO;
	return dma_round_trip(s);
}

FIXTURE(fail_nth) {
	struct st s;
	long pins, pinned_kb;
	bool mock;
};

FIXTURE_VARIANT(fail_nth) {
	struct sweep sw;
};

FIXTURE_VARIANT_ADD(fail_nth, ioas_alloc) {
	.sw = {
		.name = "ioas_alloc",
		.allocates = true,
		.setup = alloc_setup,
		.op = alloc_op,
		.verify = alloc_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, ioas_map) {
	.sw = {
		.name = "ioas_map",
		.allocates = true,
		.setup = map_setup,
		.op = map_op,
		.verify = map_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, ioas_unmap) {
	.sw = {
		.name = "ioas_unmap",
		.setup = unmap_setup,
		.op = unmap_op,
		.verify = unmap_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, ioas_iova_ranges) {
	.sw = {
		.name = "ioas_iova_ranges",
		.setup = map_setup,
		.op = ranges_op,
		.verify = none,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, ioas_destroy) {
	.sw = {
		.name = "ioas_destroy",
		.setup = destroy_setup,
		.op = destroy_op,
		.verify = destroy_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, device_attach) {
	.sw = {
		.name = "device_attach",
		.allocates = true,
		.setup = attach_setup,
		.op = attach_op,
		.verify = attach_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, device_detach) {
	.sw = {
		.name = "device_detach",
		.setup = detach_setup,
		.op = detach_op,
		.verify = detach_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, device_get_info) {
	.sw = {
		.name = "device_get_info",
		.setup = open_mocks,
		.op = info_op,
		.verify = none,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, device_open) {
	.sw = {
		.name = "device_open",
		.allocates = true,
		.setup = open_setup,
		.op = open_op,
		.verify = info_op,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, context_close) {
	.sw = {
		.name = "context_close",
		.setup = detach_setup,
		.op = close_op,
		.verify = close_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, edu_bind) {
	.sw = {
		.name = "edu_bind",
		.allocates = true,
		.edu = true,
		.setup = edu_bind_setup,
		.op = edu_bind_op,
		.verify = edu_bind_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, edu_attach) {
	.sw = {
		.name = "edu_attach",
		.allocates = true,
		.edu = true,
		.bound = true,
		.setup = edu_attach_setup,
		.op = edu_attach_op,
		.verify = edu_dma_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, edu_map) {
	.sw = {
		.name = "edu_map",
		.allocates = true,
		.edu = true,
		.bound = true,
		.setup = edu_map_setup,
		.op = map_op,
		.verify = edu_dma_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, edu_set_irqs) {
	.sw = {
		.name = "edu_set_irqs",
		/*
		 * request_irq()'s /proc and sysfs entries: the IRQ core
		 * carries on when their allocations fail, then WARNs when
		 * it removes them (remove_proc_entry: 'affinity_hint'), a
		 * core weakness, not iopass's.  So this sweep fails only
		 * non-sleeping allocations and iopass's own fault points,
		 * which cover each of SET_IRQS's steps failing as a whole.
		 */
		.atomic_only = true,
		/* pci_alloc_irq_vectors() turns its failures into ENOSPC. */
		.also = ENOSPC,
		.allocates = true,
		.edu = true,
		.bound = true,
		.setup = edu_irq_setup,
		.op = edu_irq_op,
		.verify = edu_irq_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, edu_mmap) {
	.sw = {
		.name = "edu_mmap",
		.edu = true,
		.bound = true,
		.setup = edu_map_setup,
		.op = edu_mmap_op,
		.verify = edu_mmap_verify,
	},
};

static int region_info_op(struct st *s)
{
	struct iopass_region_info r = { .size = sizeof(r), .index = 0 };

	return ioctl_errno(s->dev[0], IOPASS_DEVICE_REGION_INFO, &r);
}

static int irq_info_op(struct st *s)
{
	struct iopass_irq_info r = { .size = sizeof(r), .index = IOPASS_IRQ_MSI };

	return ioctl_errno(s->dev[0], IOPASS_DEVICE_IRQ_INFO, &r);
}

static int reset_op(struct st *s)
{
	struct iopass_device_reset r = { .size = sizeof(r) };

	return ioctl_errno(s->dev[0], IOPASS_DEVICE_RESET, &r);
}

/* After a reset the nvme answers and is at power-on. */
static int reset_verify(struct st *s)
{
	void *regs = dev_command(s->dev[0], 0x2, true) ? NULL :
		     mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, s->dev[0],
			  IOPASS_REGION_OFFSET(0));
	int ret;

	if (!regs || regs == MAP_FAILED)
		return -EIO;
	/* Alive (CAP reads, not all-ones) and at power-on (CC.EN = 0). */
	ret = mmio_read32(regs, 0) == 0xffffffff ||
	      (mmio_read32(regs, 0x14) & 1) ? -EIO : 0;
	munmap(regs, SZ_4K);
	return ret;
}

static int edu_detach_setup(struct st *s)
{
	return edu_attach_setup(s) ?: edu_attach_op(s);
}

/* Detached: back in the group's empty domain (or, failing, blocked). */
static int edu_detach_verify(struct st *s)
{
	return edu_attach_op(s) ?: edu_dma_verify(s);
}

FIXTURE_VARIANT_ADD(fail_nth, edu_detach) {
	.sw = {
		.name = "edu_detach",
		.edu = true,
		.bound = true,
		.setup = edu_detach_setup,
		.op = detach_op0,
		.verify = edu_detach_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, edu_region_info) {
	.sw = {
		.name = "edu_region_info",
		.edu = true,
		.bound = true,
		.setup = edu_map_setup,
		.op = region_info_op,
		.verify = none,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, edu_irq_info) {
	.sw = {
		.name = "edu_irq_info",
		.edu = true,
		.bound = true,
		.setup = edu_map_setup,
		.op = irq_info_op,
		.verify = none,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, nvme_reset) {
	.sw = {
		.name = "nvme_reset",
		.edu = true,
		.nvme = true,
		.bound = true,
		.setup = edu_map_setup,
		.op = reset_op,
		.verify = reset_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, vfio_set_iommu) {
	.sw = {
		.name = "vfio_set_iommu",
		/*
		 * SET_IOMMU opens the group's devices: pci_enable_device()
		 * evaluates the ACPI _PRT, and ACPICA, made to fail an
		 * allocation there, frees an object still referenced (KASAN
		 * saw the use-after-free at the next disable), a core
		 * weakness, not iopass's.  So, as for SET_IRQS, non-sleeping
		 * allocations and iopass's own fault points only.
		 */
		.atomic_only = true,
		.allocates = true,
		.edu = true,
		.bound = true,
		.vfio = true,
		.setup = vfio_setup,
		.op = vfio_iommu_op,
		.verify = vfio_dma_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, vfio_get_device_fd) {
	.sw = {
		.name = "vfio_get_device_fd",
		.allocates = true,
		.edu = true,
		.bound = true,
		.vfio = true,
		.setup = vfio_fd_setup,
		.op = vfio_fd_op,
		.verify = vfio_dma_verify,
	},
};

FIXTURE_VARIANT_ADD(fail_nth, vfio_map_dma) {
	.sw = {
		.name = "vfio_map_dma",
		.allocates = true,
		.edu = true,
		.bound = true,
		.vfio = true,
		.setup = vfio_map_setup,
		.op = vfio_map_op,
		.verify = vfio_dma_verify,
	},
};

FIXTURE_SETUP(fail_nth)
{
	self->s.buf = NULL;
	if (!fault_injection_setup())
		SKIP(return, "no fault injection in this kernel");
	self->s.buf = mmap(NULL, NPAGES * SZ_4K, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->s.buf);
	memset(self->s.buf, 0x5a, NPAGES * SZ_4K);
	self->s.bar = NULL;
	self->s.efd = -1;
	self->s.container = -1;
	self->s.group = -1;
	self->s.vdev = -1;
	close_all(&self->s);
	self->mock = !variant->sw.edu;
	if (self->mock) {
		ASSERT_EQ(0, mock_module_load("devices=2 iommu_classes=2"));
	} else {
		int ret = variant->sw.nvme ?
			  pci_find(0x1b36, 0x0010, ANY_GROUP, 0, self->s.bdf,
				   sizeof(self->s.bdf)) :
			  pci_find(EDU_VENDOR, EDU_DEVICE, ALONE_IN_GROUP, 0,
				   self->s.bdf, sizeof(self->s.bdf));

		ASSERT_EQ(0, ret);
		if (variant->sw.bound)
			ASSERT_EQ(0, pci_bind(self->s.bdf, "iopass-pci"));
		if (variant->sw.vfio)
			ASSERT_EQ(0, vfio_front_load(""));
	}
	self->pins = pins_outstanding();
	self->pinned_kb = pinned_vm_kb();
}

FIXTURE_TEARDOWN(fail_nth)
{
	if (!self->s.buf)
		return;
	close_all(&self->s);
	munmap(self->s.buf, NPAGES * SZ_4K);
	sysfs_write(DBG "/failslab/ignore-gfp-wait", "N");
	sysfs_write(DBG "/fail_page_alloc/ignore-gfp-wait", "N");
	if (self->mock) {
		EXPECT_EQ(0, sysfs_read_ul(MOCK_SYSFS "/violations"));
		EXPECT_EQ(0, sysfs_read_ul(MOCK_SYSFS "/bad_unmaps"));
		EXPECT_EQ(0, syscall(SYS_delete_module, "iopass_mock", O_NONBLOCK));
	} else {
		if (variant->sw.vfio)
			EXPECT_EQ(0, vfio_front_unload());
		pci_release(self->s.bdf);
	}
}

/* Seconds since the last call: where a sweep's time goes. */
static double lap(void)
{
	static long long last;
	long long now = now_ms(), ms = now - last;

	last = now;
	return ms / 1e3;
}

TEST_F_TIMEOUT(fail_nth, sweep, 900)
{
	const struct sweep *sw = &variant->sw;
	unsigned int nth, injections = 0;
	double t_setup = 0, t_op = 0, t_verify = 0, t_teardown = 0;
	bool injected = true;
	int ret;

	if (sw->atomic_only) {
		ASSERT_EQ(0, sysfs_write(DBG "/failslab/ignore-gfp-wait", "Y"));
		ASSERT_EQ(0, sysfs_write(DBG "/fail_page_alloc/ignore-gfp-wait", "Y"));
	}
	for (nth = 1; injected && nth <= MAX_NTH; nth++) {
		progress(sw->name, nth, 0);
		lap();
		ASSERT_EQ(0, sw->setup(&self->s)) TH_LOG("setup, nth %u", nth);
		t_setup += lap();
		nth_arm(nth);
		ret = sw->op(&self->s);
		injected = nth_disarm();
		injections += injected;
		if (ret) {
			/* Only an injected failure, and only out of memory. */
			ASSERT_TRUE(injected) TH_LOG("nth %u: %s", nth, strerror(-ret));
			ASSERT_TRUE(ret == -ENOMEM || (sw->also && ret == -sw->also))
				TH_LOG("nth %u: %s", nth, strerror(-ret));
			/* Nothing is broken: it works the second time. */
			ASSERT_EQ(0, sw->op(&self->s)) TH_LOG("retry after nth %u", nth);
		}
		t_op += lap();
		ASSERT_EQ(0, sw->verify(&self->s)) TH_LOG("verify after nth %u", nth);
		t_verify += lap();
		close_all(&self->s);
		if (sw->edu && !sw->bound)
			pci_release(self->s.bdf);
		ASSERT_EQ(self->pins, pins_outstanding()) TH_LOG("pins after nth %u", nth);
		ASSERT_EQ(self->pinned_kb, pinned_vm_kb()) TH_LOG("pinned_vm, nth %u", nth);
		t_teardown += lap();
	}
	ASSERT_FALSE(injected) TH_LOG("still failing after %u", MAX_NTH);
	if (sw->allocates)
		ASSERT_LT(0, injections);
	printf("# %s: %u failure points, each unwound cleanly\n",
	       sw->name, injections);
	printf("# %s: seconds in setup %.1f, op %.1f, verify %.1f, teardown %.1f\n",
	       sw->name, t_setup, t_op, t_verify, t_teardown);
}

/*
 * fail_iopass is live on each operation that has fault points: made to
 * fail (probability 100, once, this task only), the first point the
 * operation reaches fails it with ENOMEM; then it works.  Without this a
 * point compiled out or never reached would silently drop out of the
 * sweeps above.
 */
FIXTURE(point) {
	struct st s;
};

FIXTURE_VARIANT(point) {
	int (*prep)(struct st *s);
	int (*op)(struct st *s);
};

/* A new, empty address space: attaching to it attaches a new domain. */
static int point_attach_prep(struct st *s)
{
	return device_detach(s->dev[0]) ?: ioas_alloc(s->ctx, &s->ioas);
}

static int point_irq(struct st *s)
{
	return set_msi(s->dev[0], s->efd);
}

FIXTURE_VARIANT_ADD(point, map) {
	.op = map_op,
};

FIXTURE_VARIANT_ADD(point, attach) {
	.prep = point_attach_prep,
	.op = edu_attach_op,
};

FIXTURE_VARIANT_ADD(point, set_irqs) {
	.op = point_irq,
};

FIXTURE_SETUP(point)
{
	self->s.bar = NULL;
	self->s.efd = -1;
	self->s.container = -1;
	self->s.group = -1;
	self->s.vdev = -1;
	self->s.buf = NULL;
	close_all(&self->s);
	if (!fault_injection_setup())
		SKIP(return, "no fault injection in this kernel");
	self->s.buf = mmap(NULL, NPAGES * SZ_4K, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->s.buf);
	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, ALONE_IN_GROUP, 0,
			      self->s.bdf, sizeof(self->s.bdf)));
	ASSERT_EQ(0, pci_bind(self->s.bdf, "iopass-pci"));
	self->s.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_EQ(0, edu_map_setup(&self->s));
	if (variant->prep)
		ASSERT_EQ(0, variant->prep(&self->s));
	ASSERT_EQ(0, sysfs_write("/proc/self/make-it-fail", "1"));
	ASSERT_EQ(0, sysfs_write(DBG "/fail_iopass/task-filter", "Y"));
	ASSERT_EQ(0, sysfs_write(DBG "/fail_iopass/times", "1"));
}

FIXTURE_TEARDOWN(point)
{
	if (!self->s.buf)
		return;
	sysfs_write(DBG "/fail_iopass/probability", "0");
	sysfs_write(DBG "/fail_iopass/task-filter", "N");
	sysfs_write("/proc/self/make-it-fail", "0");
	close_all(&self->s);
	munmap(self->s.buf, NPAGES * SZ_4K);
	pci_release(self->s.bdf);
}

TEST_F(point, fails_the_operation_then_lets_it_work)
{
	ASSERT_EQ(0, sysfs_write(DBG "/fail_iopass/probability", "100"));
	EXPECT_EQ(-ENOMEM, variant->op(&self->s));
	ASSERT_EQ(0, sysfs_write(DBG "/fail_iopass/probability", "0"));
	EXPECT_EQ(0, variant->op(&self->s));
}

#include "iopass_main.h"
