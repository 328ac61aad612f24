// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-hello: the smallest useful NVMe driver, in user space, over iopass.
 *
 * It takes a PCI function that is bound to iopass-pci, attaches it to an
 * IOMMU address space of its own, maps the controller's registers, brings
 * up an admin queue pair with completions signalled on an MSI-X eventfd,
 * identifies the controller and namespace 1, creates one I/O queue pair,
 * writes a block and reads it back, then takes everything down again.
 *
 * SR-IOV (Documentation/sriov.rst): with -V N it is the physical
 * function's owner instead: it sets the VF token (-t), creates N virtual
 * functions and brings their secondary controllers online (NVMe
 * Virtualization Management), then holds them until its input ends.  Each
 * VF is then driven by another nvme-hello, in a process and an address
 * space of its own, attaching with the same token.
 *
 * Only libc and <linux/iopass.h>: read it top to bottom as a tutorial.
 * NVMe references are to the NVM Express Base Specification.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iopass.h>

#define PAGE_SZ		4096UL
#define CMD_TIMEOUT_MS	5000		/* per command, interrupt included */
#define QUEUE_DEPTH	32		/* entries, admin and I/O queues */
#define IOVA_BASE	0x10000000ULL	/* where our DMA pages appear */

/* Controller registers (BAR0) */
#define NVME_REG_CAP	0x00		/* capabilities, 64 bit */
#define NVME_REG_VS	0x08		/* version */
#define NVME_REG_CC	0x14		/* controller configuration */
#define NVME_REG_CSTS	0x1c		/* controller status */
#define NVME_REG_AQA	0x24		/* admin queue attributes */
#define NVME_REG_ASQ	0x28		/* admin SQ base, 64 bit */
#define NVME_REG_ACQ	0x30		/* admin CQ base, 64 bit */
#define NVME_REG_DBS	0x1000		/* first doorbell */

/* CC: IOCQES 16 B (2^4), IOSQES 64 B (2^6), 4 KiB pages, NVM set, EN */
#define NVME_CC_ENABLE	(4 << 20 | 6 << 16 | 1)
#define NVME_CSTS_RDY	0x1
#define NVME_CSTS_CFS	0x2		/* controller fatal status */

/* Opcodes: admin, then NVM I/O */
#define ADMIN_DELETE_SQ	0x00
#define ADMIN_CREATE_SQ	0x01
#define ADMIN_DELETE_CQ	0x04
#define ADMIN_CREATE_CQ	0x05
#define ADMIN_IDENTIFY	0x06
#define ADMIN_NS_ATTACH	0x15
#define ADMIN_VIRT_MGMT	0x1c
#define NVM_WRITE	0x01
#define NVM_READ	0x02

/* PCI command register */
#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x2
#define PCI_COMMAND_MASTER	0x4

/* A submission queue entry (64 bytes) and a completion queue entry (16). */
struct nvme_sqe {
	__u8 opcode;
	__u8 flags;
	__u16 cid;
	__u32 nsid;
	__u64 rsvd;
	__u64 mptr;
	__u64 prp1;
	__u64 prp2;
	__u32 cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nvme_cqe {
	__u32 result;
	__u32 rsvd;
	__u16 sq_head;
	__u16 sq_id;
	__u16 cid;
	__u16 status;			/* bit 0: phase; then SC, SCT, ... */
};

static_assert(sizeof(struct nvme_sqe) == 64, "SQ entries are 64 bytes");
static_assert(sizeof(struct nvme_cqe) == 16, "CQ entries are 16 bytes");

/* One submission/completion queue pair, and where we are in it. */
struct nvme_queue {
	const char *name;
	__u16 qid;
	struct nvme_sqe *sq;
	struct nvme_cqe *cq;
	__u64 sq_iova, cq_iova;
	__u32 *sq_doorbell, *cq_doorbell;
	__u16 sq_tail;			/* next SQ slot we fill */
	__u16 cq_head;			/* next CQ slot the controller fills */
	__u16 phase;			/* phase bit that marks a new CQE */
	__u16 next_cid;
};

/* The DMA pages: one anonymous mapping, each page put in the IOAS alone. */
enum { ASQ, ACQ, IOSQ, IOCQ, IDENT, WBUF, RBUF, NR_PAGES };

static const __u32 page_prot[NR_PAGES] = {
	/* What the device may do with each page: no more than it needs. */
	[ASQ] = IOPASS_MAP_READABLE,	[ACQ] = IOPASS_MAP_WRITEABLE,
	[IOSQ] = IOPASS_MAP_READABLE,	[IOCQ] = IOPASS_MAP_WRITEABLE,
	[IDENT] = IOPASS_MAP_WRITEABLE,	[WBUF] = IOPASS_MAP_READABLE,
	[RBUF] = IOPASS_MAP_WRITEABLE,
};

static int ctx_fd = -1, dev_fd = -1, irq_fd = -1;
static unsigned int pf_mode;		/* -V: VFs to bring up, as the PF's owner */
static __u32 ioas_id;
static __u64 iova_base = IOVA_BASE;
static const char *tag;			/* -p: the pattern's name for itself */
static __u8 vf_token[16];		/* -t */
static bool has_token;
static void *regs;			/* BAR0: registers and doorbells */
static size_t regs_len;
static unsigned int to_ms, dstrd;	/* from CAP */
static unsigned char *dma;		/* NR_PAGES pages */

#define page_va(i)	((void *)(dma + (i) * PAGE_SZ))
#define page_iova(i)	(iova_base + (i) * PAGE_SZ)

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nvme-hello: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	/*
	 * Closing the device fd (at exit) is enough to quiesce it: iopass
	 * turns interrupts and bus mastering off and resets the function.
	 */
	exit(1);
}

/* ioctl() that dies with the errno of a failed step. */
static void xioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(fd, cmd, arg))
		die("%s: %s (errno %d)", what, strerror(errno), errno);
}

/*
 * MMIO: always single, naturally aligned 32-bit accesses.  64-bit
 * registers are accessed as two halves, low first (NVMe allows this).
 */
static __u32 readl(unsigned int off)
{
	return __atomic_load_n((__u32 *)((char *)regs + off), __ATOMIC_RELAXED);
}

static void writel(unsigned int off, __u32 val)
{
	__atomic_store_n((__u32 *)((char *)regs + off), val, __ATOMIC_RELAXED);
}

static __u64 readq(unsigned int off)
{
	return readl(off) | (__u64)readl(off + 4) << 32;
}

static void writeq(unsigned int off, __u64 val)
{
	writel(off, (__u32)val);
	writel(off + 4, val >> 32);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Config space is region IOPASS_REGION_CONFIG of the device fd. */
static void pci_command_set(__u16 bits, bool on)
{
	off_t pos = IOPASS_REGION_OFFSET(IOPASS_REGION_CONFIG) + PCI_COMMAND;
	__u16 cmd;

	if (pread(dev_fd, &cmd, 2, pos) != 2)
		die("reading the PCI command register: %s", strerror(errno));
	cmd = on ? cmd | bits : cmd & ~bits;
	if (pwrite(dev_fd, &cmd, 2, pos) != 2)
		die("writing the PCI command register: %s", strerror(errno));
}

/*
 * The node of @bdf's iopass device: /dev/<name of the iopassN child of the
 * PCI device in sysfs>.  It exists only while iopass-pci is the driver.
 */
static void find_device_node(const char *bdf, char *node, size_t len)
{
	char path[PATH_MAX], drv[PATH_MAX] = "";
	const char *name;
	glob_t g;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	if (readlink(path, drv, sizeof(drv) - 1) < 0 && errno != ENOENT)
		die("%s: %s", path, strerror(errno));
	name = strrchr(drv, '/') ? strrchr(drv, '/') + 1 : "none";
	if (strcmp(name, "iopass-pci")) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
		if (access(path, F_OK))
			fprintf(stderr, "nvme-hello: no PCI device %s\n", bdf);
		else
			fprintf(stderr,
				"nvme-hello: %s is not bound to iopass-pci (driver: %s); "
				"bind it first: iopassctl bind %s\n", bdf, name, bdf);
		exit(2);
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iopass[0-9]*", bdf);
	if (glob(path, 0, NULL, &g) || !g.gl_pathc)
		die("%s is bound to iopass-pci but has no iopass device", bdf);
	snprintf(node, len, "/dev/%s", strrchr(g.gl_pathv[0], '/') + 1);
	globfree(&g);
}

/* ---- queues and commands ---- */

/* Offset of SQ @qid's tail doorbell, or of CQ @qid's head doorbell. */
static unsigned int doorbell(unsigned int qid, bool cq)
{
	return NVME_REG_DBS + (2 * qid + cq) * (4U << dstrd);
}

static void queue_init(struct nvme_queue *q, const char *name, __u16 qid,
		       int sq_page, int cq_page)
{
	memset(q, 0, sizeof(*q));
	q->name = name;
	q->qid = qid;
	q->sq = page_va(sq_page);
	q->cq = page_va(cq_page);
	q->sq_iova = page_iova(sq_page);
	q->cq_iova = page_iova(cq_page);
	q->sq_doorbell = (__u32 *)((char *)regs + doorbell(qid, false));
	q->cq_doorbell = (__u32 *)((char *)regs + doorbell(qid, true));
	q->phase = 1;		/* the CQ is zeroed: phase 1 marks new entries */
	memset(q->sq, 0, PAGE_SZ);
	memset(q->cq, 0, PAGE_SZ);
}

/*
 * Put @cmd in the next SQ slot and ring the tail doorbell; returns its
 * command ID.  We wait for each command before the next, so the SQ never
 * fills; a driver with many in flight would track SQ head from the CQEs.
 */
static __u16 submit(struct nvme_queue *q, struct nvme_sqe *cmd)
{
	cmd->cid = q->next_cid++;
	q->sq[q->sq_tail] = *cmd;
	q->sq_tail = (q->sq_tail + 1) % QUEUE_DEPTH;
	/* The entry must be in memory before the device hears of it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(q->sq_doorbell, q->sq_tail, __ATOMIC_RELAXED);
	return cmd->cid;
}

/*
 * Wait for the completion of command @cid: sleep on the MSI-X eventfd,
 * then look at the CQ slot at our head.  The controller has written a new
 * entry there when its phase bit differs from the last pass's.  One vector
 * serves every queue, so a wakeup may be for another; count the timeout
 * across wakeups.  Returns the CQE's status, its result dword (DW0) in
 * @result.
 */
static __u16 complete(struct nvme_queue *q, __u16 cid, const char *what,
		      __u32 *result)
{
	struct pollfd pfd = { .fd = irq_fd, .events = POLLIN };
	long deadline = now_ms() + CMD_TIMEOUT_MS, left;
	struct nvme_cqe *cqe = &q->cq[q->cq_head];
	__u64 events;
	__u16 status;
	int ret;

	for (;;) {
		left = deadline - now_ms();
		ret = poll(&pfd, 1, left > 0 ? left : 0);
		if (ret < 0 && errno != EINTR)
			die("%s: poll: %s", what, strerror(errno));
		if (ret == 0) {
			status = __atomic_load_n(&cqe->status, __ATOMIC_ACQUIRE);
			die("%s: %s on the %s queue within %d ms (CSTS 0x%x)",
			    what, (status & 1) == q->phase ?
			    "a completion but no interrupt" : "no completion",
			    q->name, CMD_TIMEOUT_MS, readl(NVME_REG_CSTS));
		}
		if (ret > 0 && read(irq_fd, &events, 8) != 8)
			die("%s: reading the eventfd: %s", what, strerror(errno));
		status = __atomic_load_n(&cqe->status, __ATOMIC_ACQUIRE);
		if ((status & 1) == q->phase)
			break;
	}

	/* Consume the entry, flipping the phase when the CQ wraps. */
	if (++q->cq_head == QUEUE_DEPTH) {
		q->cq_head = 0;
		q->phase ^= 1;
	}
	__atomic_store_n(q->cq_doorbell, q->cq_head, __ATOMIC_RELAXED);

	if (cqe->cid != cid || cqe->sq_id != q->qid)
		die("%s: completion for command %u on SQ %u, expected %u on %u",
		    what, cqe->cid, cqe->sq_id, cid, q->qid);
	*result = cqe->result;
	return (status >> 1) & 0x7ff;		/* SC in 7:0, SCT in 10:8 */
}

/* Submit @cmd on @q and wait for its completion; its status (0: success). */
static __u16 run_cmd_status(struct nvme_queue *q, struct nvme_sqe cmd,
			    const char *what, __u32 *result)
{
	return complete(q, submit(q, &cmd), what, result);
}

/* Submit @cmd on @q and wait for its successful completion. */
static __u32 run_cmd(struct nvme_queue *q, struct nvme_sqe cmd,
		     const char *what)
{
	__u32 result;
	__u16 st = run_cmd_status(q, cmd, what, &result);

	if (st)
		die("%s failed: NVMe status SCT 0x%x SC 0x%02x", what, st >> 8,
		    st & 0xff);
	return result;
}

/* Wait (up to CAP.TO) for CSTS.RDY to become @ready. */
static void wait_ready(bool ready)
{
	struct timespec ms = { 0, 1000000 };
	long deadline = now_ms() + to_ms;
	__u32 csts;

	for (;;) {
		csts = readl(NVME_REG_CSTS);
		if (csts == 0xffffffff || (ready && (csts & NVME_CSTS_CFS)))
			die("the controller failed (CSTS 0x%x)", csts);
		if (!!(csts & NVME_CSTS_RDY) == ready)
			return;
		if (now_ms() > deadline)
			die("CSTS.RDY did not become %d within CAP.TO (%u ms)",
			    ready, to_ms);
		nanosleep(&ms, NULL);
	}
}

/* Copy a space-padded identify string, trailing blanks removed. */
static void id_string(char *out, const unsigned char *in, size_t len)
{
	memcpy(out, in, len);
	out[len] = 0;
	while (len && (out[len - 1] == ' ' || out[len - 1] == 0))
		out[--len] = 0;
}

/* ---- the steps ---- */

/* A context holding one IO address space; the device, attached to it. */
static void iopass_open(const char *bdf, const char *node)
{
	struct iopass_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iopass_device_attach attach = { .size = sizeof(attach) };
	struct iopass_device_info info = { .size = sizeof(info) };

	ctx_fd = open("/dev/iopass", O_RDWR | O_CLOEXEC);
	if (ctx_fd < 0)
		die("open /dev/iopass: %s", strerror(errno));
	printf("opened /dev/iopass (context)\n");
	xioctl(ctx_fd, IOPASS_IOAS_ALLOC, &alloc, "IOPASS_IOAS_ALLOC");
	ioas_id = alloc.out_ioas_id;
	printf("allocated IOAS %u\n", ioas_id);

	/* Only one fd of a device is open at a time: it is the owner. */
	dev_fd = open(node, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0)
		die("open %s: %s", node, strerror(errno));
	printf("opened %s (PCI %s)\n", node, bdf);
	attach.ctx_fd = ctx_fd;
	attach.ioas_id = ioas_id;
	/* A VF of a PF owned through iopass attaches with the PF owner's token. */
	if (has_token && !pf_mode) {
		attach.flags = IOPASS_ATTACH_VF_TOKEN;
		memcpy(attach.vf_token, vf_token, sizeof(vf_token));
	}
	if (ioctl(dev_fd, IOPASS_DEVICE_ATTACH, &attach))
		die("IOPASS_DEVICE_ATTACH: %s%s", strerror(errno),
		    errno == EACCES ? " (a VF of a PF owned through iopass: -t with "
		    "the PF owner's token)" : "");
	xioctl(dev_fd, IOPASS_DEVICE_GET_INFO, &info, "IOPASS_DEVICE_GET_INFO");
	printf("attached to IOAS %u (IOMMU group %u, %u regions, %u IRQ indexes)\n",
	       ioas_id, info.iommu_group, info.num_regions, info.num_irqs);
}

/*
 * BAR0 holds the registers, then the doorbells, then (on most devices,
 * QEMU's included) the MSI-X table and PBA: the "hole" iopass never lets
 * us write or map.  Map what comes before it; that is all a driver needs.
 */
static void map_registers(void)
{
	struct iopass_region_info bar0 = { .size = sizeof(bar0),
					   .index = IOPASS_REGION_BAR0 };
	unsigned int mqes;
	__u64 cap;
	__u32 vs;

	xioctl(dev_fd, IOPASS_DEVICE_REGION_INFO, &bar0,
	       "IOPASS_DEVICE_REGION_INFO");
	if (!(bar0.region_flags & IOPASS_REGION_MMAP))
		die("BAR0 cannot be mapped (flags 0x%x)", bar0.region_flags);
	regs_len = bar0.hole_size ? bar0.hole_offset : bar0.region_size;
	printf("BAR0: %llu bytes, MSI-X hole at 0x%llx (+0x%llx)\n",
	       bar0.region_size, bar0.hole_offset, bar0.hole_size);
	if (regs_len <= NVME_REG_DBS)
		die("BAR0 has only 0x%zx bytes before the MSI-X table", regs_len);

	/* Config space is a region too: turn on decode and DMA. */
	pci_command_set(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, true);
	printf("PCI command register: memory decode and bus mastering on\n");

	regs = mmap(NULL, regs_len, PROT_READ | PROT_WRITE, MAP_SHARED, dev_fd,
		    bar0.offset);
	if (regs == MAP_FAILED)
		die("mmap of BAR0: %s", strerror(errno));
	cap = readq(NVME_REG_CAP);
	vs = readl(NVME_REG_VS);
	mqes = (cap & 0xffff) + 1;		/* max queue entries, 0's based */
	to_ms = ((cap >> 24) & 0xff) * 500;	/* CAP.TO, in 500 ms units */
	dstrd = (cap >> 32) & 0xf;		/* doorbells are 4 << DSTRD apart */
	printf("mapped 0x%zx bytes of registers: NVMe %u.%u, CAP 0x%016llx "
	       "(MQES %u, DSTRD %u, TO %u ms)\n",
	       regs_len, vs >> 16, (vs >> 8) & 0xff, cap, mqes, dstrd, to_ms);
	if (!(cap & (1ULL << 37)) || (cap >> 48) & 0xf)
		die("the controller lacks the NVM command set or 4 KiB pages");
	if (mqes < QUEUE_DEPTH)
		die("the controller's queues hold only %u entries", mqes);
	/* The last doorbell we ring, I/O CQ 1's head, must be mapped. */
	if (doorbell(1, true) + 4 > regs_len)
		die("the doorbells (stride %u) reach the MSI-X table", 4 << dstrd);
}

/*
 * DMA memory: anonymous pages, pinned and mapped into the IOAS at fixed
 * IOVAs, each readable or writeable by the device as its use requires.
 * Touch every page first: a page never written is the shared zero page,
 * and a later write would copy it away from under the pinned mapping.
 */
static void map_dma(void)
{
	int i;

	dma = mmap(NULL, NR_PAGES * PAGE_SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dma == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(dma, 0, NR_PAGES * PAGE_SZ);
	for (i = 0; i < NR_PAGES; i++) {
		struct iopass_ioas_map map = {
			.size = sizeof(map), .ioas_id = ioas_id,
			.flags = IOPASS_MAP_FIXED_IOVA | page_prot[i],
			.user_va = (uintptr_t)page_va(i), .length = PAGE_SZ,
			.iova = page_iova(i),
		};

		xioctl(ctx_fd, IOPASS_IOAS_MAP, &map, "IOPASS_IOAS_MAP");
	}
	printf("mapped %d DMA pages at IOVA 0x%llx-0x%llx\n", NR_PAGES,
	       page_iova(0), page_iova(NR_PAGES) - 1);
}

/* MSI-X vector 0 signals an eventfd (@on), or the whole index is off. */
static void set_msix(bool on)
{
	struct iopass_irq_info info = { .size = sizeof(info),
					.index = IOPASS_IRQ_MSIX };
	struct iopass_set_irqs set = {
		.size = sizeof(set), .flags = IOPASS_IRQ_SET_EVENTFD,
		.index = IOPASS_IRQ_MSIX, .start = 0, .count = on,
		.eventfds = on ? (uintptr_t)&irq_fd : 0,
	};

	if (!on) {
		xioctl(dev_fd, IOPASS_DEVICE_SET_IRQS, &set, "MSI-X off");
		close(irq_fd);
		return;
	}
	xioctl(dev_fd, IOPASS_DEVICE_IRQ_INFO, &info, "IOPASS_DEVICE_IRQ_INFO");
	if (!info.count)
		die("the device has no MSI-X vectors");
	irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (irq_fd < 0)
		die("eventfd: %s", strerror(errno));
	xioctl(dev_fd, IOPASS_DEVICE_SET_IRQS, &set, "IOPASS_DEVICE_SET_IRQS");
	printf("MSI-X vector 0 (of %u) signals eventfd %d\n", info.count, irq_fd);
}

/* Reset the controller, hand it the admin queues, enable it. */
static void enable_controller(struct nvme_queue *admin)
{
	writel(NVME_REG_CC, 0);
	wait_ready(false);
	queue_init(admin, "admin", 0, ASQ, ACQ);
	writel(NVME_REG_AQA, (QUEUE_DEPTH - 1) << 16 | (QUEUE_DEPTH - 1));
	writeq(NVME_REG_ASQ, admin->sq_iova);
	writeq(NVME_REG_ACQ, admin->cq_iova);
	writel(NVME_REG_CC, NVME_CC_ENABLE);
	wait_ready(true);
	printf("controller enabled: admin queues of %d entries at IOVA 0x%llx (SQ), 0x%llx (CQ)\n",
	       QUEUE_DEPTH, admin->sq_iova, admin->cq_iova);
}

/* Identify the controller and namespace 1; returns its LBA size. */
static unsigned int identify_ctrl_and_ns(struct nvme_queue *admin,
					 unsigned long long lba)
{
	unsigned char *id = page_va(IDENT);
	char model[41], serial[21], fw[9];
	unsigned int lba_size, fmt;
	__u64 nsze;

	run_cmd(admin, (struct nvme_sqe){ .opcode = ADMIN_IDENTIFY,
		.prp1 = page_iova(IDENT), .cdw10 = 1 },		/* CNS 1 */
		"Identify Controller");
	id_string(serial, id + 4, 20);
	id_string(model, id + 24, 40);
	id_string(fw, id + 64, 8);
	printf("identify controller: model \"%s\", serial \"%s\", firmware \"%s\"\n",
	       model, serial, fw);

	memset(id, 0, PAGE_SZ);
	run_cmd(admin, (struct nvme_sqe){ .opcode = ADMIN_IDENTIFY, .nsid = 1,
		.prp1 = page_iova(IDENT), .cdw10 = 0 },		/* CNS 0 */
		"Identify Namespace 1");
	memcpy(&nsze, id, 8);				/* NSZE, in blocks */
	/* FLBAS bits 3:0 (and 6:5, the high bits) pick the LBA format. */
	fmt = (id[26] & 0xf) | ((id[26] >> 5) & 0x3) << 4;
	lba_size = 1U << id[128 + 4 * fmt + 2];		/* LBAF[fmt].LBADS */
	printf("namespace 1: %llu blocks of %u bytes (LBA format %u)\n",
	       nsze, lba_size, fmt);
	if (!nsze)
		die("namespace 1 is not active");
	if (lba_size > PAGE_SZ || lba_size < 512)
		die("an LBA size of %u is not supported here", lba_size);
	if (lba >= nsze)
		die("block %llu is past the end of namespace 1", lba);
	return lba_size;
}

/* Create I/O CQ 1 (interrupts on vector 0), then I/O SQ 1 feeding it. */
static void create_io_queues(struct nvme_queue *admin, struct nvme_queue *io)
{
	queue_init(io, "I/O", 1, IOSQ, IOCQ);
	run_cmd(admin, (struct nvme_sqe){ .opcode = ADMIN_CREATE_CQ,
		.prp1 = io->cq_iova, .cdw10 = (QUEUE_DEPTH - 1) << 16 | io->qid,
		.cdw11 = 0 << 16 | 1 << 1 | 1 },	/* IV 0, IEN, PC */
		"Create I/O Completion Queue");
	run_cmd(admin, (struct nvme_sqe){ .opcode = ADMIN_CREATE_SQ,
		.prp1 = io->sq_iova, .cdw10 = (QUEUE_DEPTH - 1) << 16 | io->qid,
		.cdw11 = (__u32)io->qid << 16 | 1 },	/* CQID, PC */
		"Create I/O Submission Queue");
	printf("created I/O CQ %u and SQ %u (%d entries, MSI-X vector 0)\n",
	       io->qid, io->qid, QUEUE_DEPTH);
}

/*
 * Write block @lba with a pattern no earlier run wrote (it holds our pid
 * and the time), read it back into a zeroed buffer, compare.
 */
static void write_read_back(struct nvme_queue *io, unsigned long long lba,
			    unsigned int lba_size)
{
	unsigned char *wbuf = page_va(WBUF), *rbuf = page_va(RBUF);
	struct timespec ts;
	char pattern[128];
	unsigned int i, len;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (tag)	/* -p: a pattern the host can look for in the image */
		len = snprintf(pattern, sizeof(pattern),
			       "nvme-hello %s wrote LBA %llu | ", tag, lba);
	else
		len = snprintf(pattern, sizeof(pattern),
			       "nvme-hello pid %d at %lld.%09ld wrote LBA %llu | ",
			       (int)getpid(), (long long)ts.tv_sec, ts.tv_nsec, lba);
	for (i = 0; i < lba_size; i++)
		wbuf[i] = pattern[i % len];
	memset(rbuf, 0, PAGE_SZ);

	/* One block: NLB (CDW12) is 0's based. */
	run_cmd(io, (struct nvme_sqe){ .opcode = NVM_WRITE, .nsid = 1,
		.prp1 = page_iova(WBUF), .cdw10 = (__u32)lba,
		.cdw11 = lba >> 32, .cdw12 = 0 }, "Write");
	run_cmd(io, (struct nvme_sqe){ .opcode = NVM_READ, .nsid = 1,
		.prp1 = page_iova(RBUF), .cdw10 = (__u32)lba,
		.cdw11 = lba >> 32, .cdw12 = 0 }, "Read");
	if (memcmp(wbuf, rbuf, lba_size))
		die("write/read-back of LBA %llu: MISMATCH (read \"%.48s\")",
		    lba, (char *)rbuf);
	printf("write/read-back of LBA %llu: OK (%u bytes verified)\n", lba,
	       lba_size);
}

/*
 * A read of block @lba into @iova, an IOVA this process never mapped (the
 * one another VF's owner uses, say): the IOMMU must stop the device's
 * write and record a fault.  A real controller then completes the command
 * with an error; QEMU's nvme drops a blocked transfer without one, so the
 * IOMMU's fault log (the kernel's "DMAR: ... fault addr") is the proof.
 */
static void dma_outside(struct nvme_queue *io, unsigned long long lba,
			__u64 iova)
{
	__u32 result;
	__u16 st;

	st = run_cmd_status(io, (struct nvme_sqe){ .opcode = NVM_READ, .nsid = 1,
			    .prp1 = iova, .cdw10 = (__u32)lba, .cdw11 = lba >> 32 },
			    "Read into an unmapped IOVA", &result);
	printf("read into IOVA 0x%llx, not mapped here: NVMe status SCT 0x%x SC 0x%02x%s\n",
	       iova, st >> 8, st & 0xff, st ? " (the transfer failed)" :
	       " (no error reported: see the IOMMU's fault log)");
}

/* ---- SR-IOV: the physical function's owner ---- */

/* Virtualization Management (admin 0x1c): actions and resource types. */
enum { VM_OFFLINE = 0x7, VM_ASSIGN = 0x8, VM_ONLINE = 0x9 };
enum { RT_VQ = 0, RT_VI = 1 };		/* queues, interrupts */

static void virt_mgmt(struct nvme_queue *admin, unsigned int act,
		      unsigned int rt, __u16 cntlid, __u16 nr, const char *what)
{
	run_cmd(admin, (struct nvme_sqe){ .opcode = ADMIN_VIRT_MGMT,
		.cdw10 = (__u32)cntlid << 16 | rt << 8 | act, .cdw11 = nr }, what);
}

static void sysfs_numvfs(const char *bdf, unsigned int n)
{
	char path[PATH_MAX], val[16];
	int fd, len;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_numvfs", bdf);
	len = snprintf(val, sizeof(val), "%u", n);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, len) != len)
		die("writing %u to %s: %s%s", n, path, strerror(errno),
		    errno == EBUSY ? " (VFs still attached by their owners?)" : "");
	close(fd);
}

/* One entry of the Secondary Controller List (Identify CNS 0x15). */
struct sec_ctrl {
	__u16 scid, pcid;		/* its controller ID, its primary's */
	__u8 scs, rsvd[3];		/* bit 0: online */
	__u16 vfn, nvq, nvi;		/* VF number (from 1), queues, interrupts */
	__u8 rsvd2[18];
};

static_assert(sizeof(struct sec_ctrl) == 32, "entries are 32 bytes");

#define MAX_SEC		127		/* entries a list page holds */

/* The secondary controllers, copied into @list; how many there are. */
static unsigned int secondary_list(struct nvme_queue *admin,
				   struct sec_ctrl *list)
{
	unsigned char *id = page_va(IDENT);

	memset(id, 0, PAGE_SZ);
	run_cmd(admin, (struct nvme_sqe){ .opcode = ADMIN_IDENTIFY,
		.prp1 = page_iova(IDENT), .cdw10 = 0x15 },
		"Identify Secondary Controller List");
	memcpy(list, id + 32, id[0] * sizeof(*list));
	return id[0];
}

/*
 * Give the VFs' secondary controllers what they need to run.  The VFs are
 * created first (sriov_numvfs): a secondary can only go online once its VF
 * exists.  Each is assigned two queues (admin and one I/O) and one
 * interrupt from the flexible pool, put online, and given namespace 1
 * (a shared namespace is attached to them already).  The primary holds no
 * flexible resources after a reset (a controller that does would first
 * give them up: Primary Flexible Allocation, then a reset), and must not
 * be reset from here on: that takes its secondaries offline.
 */
static void sriov_up(const char *bdf, struct nvme_queue *admin, unsigned int n)
{
	struct iopass_vf_token tok = { .size = sizeof(tok) };
	struct sec_ctrl sc[MAX_SEC];
	unsigned int i, nr, up = 0;
	__u32 result;
	__u16 st;

	memcpy(tok.vf_token, vf_token, sizeof(vf_token));
	xioctl(dev_fd, IOPASS_DEVICE_SET_VF_TOKEN, &tok, "IOPASS_DEVICE_SET_VF_TOKEN");
	printf("VF token set: the VFs' owners attach with it\n");
	sysfs_numvfs(bdf, n);
	printf("%u VFs created\n", n);

	nr = secondary_list(admin, sc);
	for (i = 0; i < nr && up < n; i++) {
		if (!sc[i].vfn || sc[i].vfn > n)
			continue;
		if (sc[i].scs & 1)
			virt_mgmt(admin, VM_OFFLINE, RT_VQ, sc[i].scid, 0, "Secondary Offline");
		virt_mgmt(admin, VM_ASSIGN, RT_VQ, sc[i].scid, 2, "Secondary Assign (VQ)");
		virt_mgmt(admin, VM_ASSIGN, RT_VI, sc[i].scid, 1, "Secondary Assign (VI)");
		virt_mgmt(admin, VM_ONLINE, RT_VQ, sc[i].scid, 0, "Secondary Online");
		/* Namespace Attachment, select 0 (attach): a controller list. */
		memset(page_va(IDENT), 0, PAGE_SZ);
		((__u16 *)page_va(IDENT))[0] = 1;
		((__u16 *)page_va(IDENT))[1] = sc[i].scid;
		st = run_cmd_status(admin, (struct nvme_sqe){ .opcode = ADMIN_NS_ATTACH,
				    .nsid = 1, .prp1 = page_iova(IDENT), .cdw10 = 0 },
				    "Namespace Attachment", &result);
		if (st && st != 0x118)	/* 0x118: Namespace Already Attached */
			die("Namespace Attachment of controller %u failed: NVMe status "
			    "SCT 0x%x SC 0x%02x", sc[i].scid, st >> 8, st & 0xff);
		printf("secondary controller %u (VF %u): 2 queues, 1 interrupt, online, "
		       "namespace 1 %s\n", sc[i].scid, sc[i].vfn,
		       st ? "(attached already)" : "attached");
		up++;
	}
	if (up < n)
		die("only %u of %u VFs have a secondary controller", up, n);
	printf("%u VFs online: the PF's owner holds them until its input ends\n", n);
}

/* Input ended: the secondaries go offline, then the VFs. */
static void sriov_down(const char *bdf, struct nvme_queue *admin, unsigned int n)
{
	struct sec_ctrl sc[MAX_SEC];
	unsigned int i, nr;

	nr = secondary_list(admin, sc);
	for (i = 0; i < nr; i++)
		if (sc[i].vfn && sc[i].vfn <= n && (sc[i].scs & 1))
			virt_mgmt(admin, VM_OFFLINE, RT_VQ, sc[i].scid, 0, "Secondary Offline");
	sysfs_numvfs(bdf, 0);
	printf("secondary controllers offline, VFs removed\n");
}

/* Everything undone, in the reverse order, each step checked. */
static void teardown(struct nvme_queue *admin, struct nvme_queue *io)
{
	struct iopass_device_detach detach = { .size = sizeof(detach) };
	struct iopass_ioas_destroy destroy = { .size = sizeof(destroy),
					       .ioas_id = ioas_id };
	int i;

	if (io) {
		run_cmd(admin, (struct nvme_sqe){ .opcode = ADMIN_DELETE_SQ,
			.cdw10 = io->qid }, "Delete I/O Submission Queue");
		run_cmd(admin, (struct nvme_sqe){ .opcode = ADMIN_DELETE_CQ,
			.cdw10 = io->qid }, "Delete I/O Completion Queue");
		printf("deleted I/O SQ %u and CQ %u\n", io->qid, io->qid);
	}
	writel(NVME_REG_CC, 0);
	wait_ready(false);
	printf("controller disabled\n");

	set_msix(false);
	munmap(regs, regs_len);
	pci_command_set(PCI_COMMAND_MASTER, false);
	printf("MSI-X off, BAR0 unmapped, bus mastering off\n");

	for (i = 0; i < NR_PAGES; i++) {
		struct iopass_ioas_unmap unmap = {
			.size = sizeof(unmap), .ioas_id = ioas_id,
			.iova = page_iova(i), .length = PAGE_SZ,
		};

		xioctl(ctx_fd, IOPASS_IOAS_UNMAP, &unmap, "IOPASS_IOAS_UNMAP");
	}
	munmap(dma, NR_PAGES * PAGE_SZ);
	printf("unmapped %d DMA pages\n", NR_PAGES);

	xioctl(dev_fd, IOPASS_DEVICE_DETACH, &detach, "IOPASS_DEVICE_DETACH");
	xioctl(ctx_fd, IOPASS_IOAS_DESTROY, &destroy, "IOPASS_IOAS_DESTROY");
	close(dev_fd);
	close(ctx_fd);
	printf("detached, IOAS %u destroyed, fds closed: all done\n", ioas_id);
}

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: nvme-hello [-b BLOCK] [-p TAG] [-t UUID] [-I IOVA] [-x IOVA] PCI_BDF\n"
		"       nvme-hello -V N -t UUID PCI_BDF\n"
		"Drive the NVMe controller at PCI_BDF (e.g. 0000:00:04.0), bound\n"
		"to iopass-pci, from user space: identify it, then write block\n"
		"BLOCK (default 0) of namespace 1 and read it back.\n"
		"The block's contents are overwritten.\n"
		"  -p TAG    write \"nvme-hello TAG wrote LBA BLOCK | \" over and over\n"
		"            (default: the pid and the time instead of TAG)\n"
		"  -t UUID   the VF token: for a VF of a PF owned through iopass, or\n"
		"            with -V the token to set\n"
		"  -I IOVA   map the DMA pages from IOVA (default 0x%llx)\n"
		"  -x IOVA   then read into IOVA, not mapped here: the IOMMU must\n"
		"            block it (and log a fault)\n"
		"  -V N      be the SR-IOV PF's owner: create N VFs, bring their\n"
		"            secondary controllers online, hold them until end of input\n",
		IOVA_BASE);
}

int main(int argc, char **argv)
{
	unsigned long long lba = 0, bad_iova = 0, v;
	struct nvme_queue admin, io;
	unsigned int lba_size;
	char node[PATH_MAX], *end;
	int opt, i;

	while ((opt = getopt(argc, argv, "b:p:t:I:x:V:h")) != -1) {
		switch (opt) {
		case 'b':
		case 'I':
		case 'x':
		case 'V':
			errno = 0;
			v = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg || *optarg == '-' ||
			    (opt == 'I' && (v & (PAGE_SZ - 1))) ||
			    (opt == 'V' && (!v || v > 255))) {
				fprintf(stderr, "nvme-hello: bad -%c '%s'\n", opt,
					optarg);
				return 2;
			}
			if (opt == 'b')
				lba = v;
			else if (opt == 'I')
				iova_base = v;
			else if (opt == 'x')
				bad_iova = v;
			else
				pf_mode = v;
			break;
		case 'p':
			tag = optarg;
			break;
		case 't':
			/* 01234567-89ab-cdef-0123-456789abcdef, 16 bytes in order */
			for (i = 0, end = optarg; i < 16; i++) {
				if (*end == '-' && (i == 4 || i == 6 || i == 8 || i == 10))
					end++;
				if (sscanf(end, "%2hhx", &vf_token[i]) != 1 ||
				    !isxdigit((unsigned char)end[0]) ||
				    !isxdigit((unsigned char)end[1]))
					break;
				end += 2;
			}
			if (i != 16 || *end) {
				fprintf(stderr, "nvme-hello: bad VF token '%s': a UUID\n",
					optarg);
				return 2;
			}
			has_token = true;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			print_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || (pf_mode && !has_token)) {
		print_usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	find_device_node(argv[optind], node, sizeof(node));

	iopass_open(argv[optind], node);
	map_registers();
	map_dma();
	set_msix(true);
	enable_controller(&admin);
	if (pf_mode) {
		identify_ctrl_and_ns(&admin, 0);
		sriov_up(argv[optind], &admin, pf_mode);
		while ((opt = getchar()) != EOF)
			;
		sriov_down(argv[optind], &admin, pf_mode);
		teardown(&admin, NULL);
		return 0;
	}
	lba_size = identify_ctrl_and_ns(&admin, lba);
	create_io_queues(&admin, &io);
	write_read_back(&io, lba, lba_size);
	if (bad_iova)
		dma_outside(&io, lba, bad_iova);
	teardown(&admin, &io);
	return 0;
}
