// SPDX-License-Identifier: GPL-2.0
/*
 * iopass_fuzz: a seeded, reproducible fuzzer of the iopass ioctls, on
 * /dev/iopass contexts and on the fds of mock devices (iopass_mock.ko,
 * loaded by each test with two devices behind two kinds of mock IOMMU).
 *
 * Each step is either an ioctl - every one, the PCI-only ones the mock
 * devices must refuse and numbers that are none - with arguments biased
 * toward the edges (sizes around the struct's, unknown flags, non-zero
 * reserved fields, IOVAs and lengths near 0, 2^32, 2^48, 2^57 and 2^64,
 * unaligned and wrapping values, user memory that is read-only, PROT_NONE,
 * unmapped, hugetlb, shared or in the kernel, argument structs that are
 * read-only, cut short by a guard page or not there at all), or a change
 * around them: memory unmapped under a live mapping, fds closed and
 * reopened, contexts and devices of several owners, a forked child on the
 * inherited fds, an exec'd image on them, a context handed over by a
 * process that then exits, the mock module unloaded (refused while a
 * device fd is open) and loaded again.  A third test races threads on
 * shared fds.
 *
 * The oracle.  Every ioctl must return
 * - 0 or an errno that the "Return:" section of its struct in
 *   include/uapi/linux/iopass.h documents, or one of the conventions'
 *   (EINVAL, E2BIG, EOPNOTSUPP; EFAULT for an argument that cannot be read
 *   and written, or another bad pointer; ENOTTY for the wrong kind of fd;
 *   EBADF; ENODEV once a device is revoked); anything else is an
 *   undocumented errno;
 * - and a result whose documented condition holds in a shadow model of
 *   every context, address space, mapping, attachment and page of user
 *   memory: an error whose condition does not hold, or a success where a
 *   documented error applies, is a failure.  MAP never overlaps a live
 *   mapping and a kernel-chosen IOVA is the lowest free one aligned like
 *   the user address; UNMAP returns exactly the bytes of the mappings in
 *   its range; IOVA_RANGES matches the attached devices' aperture; nothing
 *   is written beyond @size; a failed MAP maps nothing, and a call that
 *   fails with EFAULT on a read-only argument does nothing at all.
 * Every 128 steps and at the end of a test: the pinned pages (system-wide)
 * and this process's pinned_vm are what the model holds, the mock's page
 * tables map what the model says (mapped_pages, domains) and its
 * violations and bad_unmaps counters are 0.  At teardown every fd is
 * closed, pins and pinned_vm are back where they started and the mock
 * module unloads.
 *
 * A failure is reported once per kind, with the step, what the model
 * allowed and the command that replays the run up to that step; the run
 * goes on (the model is resynchronised) to find the other kinds.
 *
 * concurrent_ioctls runs four threads of seeded steps at once on two
 * contexts and both devices, with IDs that collide, contexts replaced
 * under in-flight calls and memory replaced under pins.  Only each
 * thread's steps replay, not their interleaving (run it again to
 * reproduce); its oracle is the documented errnos, and once every fd is
 * closed nothing may be left pinned, charged or mapped (on the debug
 * kernel, the rig's kmemleak scan also sees leaked objects).
 *
 * Usage, in the rig's VM (iopass.ko loaded, /iopass/iopass_mock.ko there):
 *
 *   iopass_fuzz [-t context_and_mock_devices] [-t fork_exec_close_lifecycle]
 *               [-t concurrent_ioctls]
 *
 *   IOPASS_FUZZ_SEED=0x...  the seed (default: from the clock); each test
 *                           prints it first, as "# seed 0x..."
 *   IOPASS_FUZZ_ITERS=N     steps per test (default 9000, 1800 and 16000:
 *                           about 3, 2 and 4 s on the stock kernels under
 *                           TCG, 12, 14 and 10 s on the debug kernel)
 *   IOPASS_FUZZ_VERBOSE=1   print every ioctl and its result
 *
 * A failure prints, for example:
 *
 *   # FAIL [IOAS_UNMAP returned EINVAL, the model allows ENOENT] step 181: ...
 *   # replay: IOPASS_FUZZ_SEED=0x5eed IOPASS_FUZZ_ITERS=182 iopass_fuzz -t NAME
 */
#include <pthread.h>
#include <stdarg.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "iopass_util.h"
#include "kselftest_harness.h"

#define SZ_4K		0x1000ULL
#define SZ_2M		0x200000ULL
#define SZ_1G		0x40000000ULL
#define MAX_MAPPINGS	"/sys/module/iopass/parameters/max_mappings"

#define NR_DEV		2	/* devices=2: hw0 behind IOMMU kind 0, hw1 kind 1 */
#define NR_CTX		4	/* context slots */
#define NR_IOAS		6	/* address spaces the model tracks per context */
#define NR_MAPS		40	/* mappings per address space; max_mappings <= */
#define NR_STALE	8	/* destroyed IDs remembered per context */
#define NR_KINDS	64	/* kinds of failure reported */
#define CHECK_EVERY	128	/* steps between accounting checks */

/* User memory: 16 chunks of 2 MiB, 1 GiB-aligned, between PROT_NONE guards. */
#define CHUNKS		16
#define CHUNK_PAGES	(SZ_2M / SZ_4K)
#define ARENA_SIZE	(CHUNKS * SZ_2M)
#define ARENA_PAGES	(ARENA_SIZE / SZ_4K)
#define GUARD		SZ_1G

/* Argument memory: 2 RW pages, a guard, a read-only page, a guard, RW, guard. */
#define ARG_PAGES	7
#define ARG_RW		0
#define ARG_RW_END	(2 * SZ_4K)
#define ARG_RO		(3 * SZ_4K)
#define ARG_RANGES_END	(6 * SZ_4K)

#define MOCK_LAST	((1ULL << 48) - 1)	/* the mock IOMMUs' aperture */
#define USER_TOP	0x7ffffffff000ULL	/* nothing is ever mapped above */
#define KERNEL_VA	0xffffffff81000000ULL

static inline __u64 umin(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

static inline __u64 umax(__u64 a, __u64 b)
{
	return a > b ? a : b;
}

/* ---- the ioctls and what their kernel-doc says they return ---- */

enum {
	I_GET_INFO, I_ALLOC, I_DESTROY, I_RANGES, I_MAP, I_UNMAP, I_ATTACH,
	I_DETACH, I_REGION, I_IRQ, I_SET_IRQS, I_RESET, NR_IOCTLS
};

/**
 * struct ioctl_desc - one ioctl as the UAPI header describes it
 * @name: its name without IOPASS_
 * @cmd: its number
 * @pci: a PCI function's only: a mock device has none of them
 * @size: sizeof the struct, as this header knows it
 * @min_size: the first version's size (smaller is EINVAL)
 * @valid_flags: the flags it knows (others are EOPNOTSUPP)
 * @rsv: offset and length of its __reserved fields (must be 0)
 * @errs: the errnos of its "Return:" section, 0-terminated
 */
struct ioctl_desc {
	const char *name;
	unsigned long cmd;
	bool pci;
	__u32 size, min_size, valid_flags;
	struct { __u8 off, len; } rsv[3];
	int errs[12];
};

#define RSV(type, field, len)	{ offsetof(struct type, field), len }

static const struct ioctl_desc ioctls[NR_IOCTLS] = {
	[I_GET_INFO] = { "DEVICE_GET_INFO", IOPASS_DEVICE_GET_INFO,
		false, sizeof(struct iopass_device_info),
		offsetof(struct iopass_device_info, device_flags), 0,
		{ RSV(iopass_device_info, __reserved, 2),
		  RSV(iopass_device_info, __reserved2, 4),
		  RSV(iopass_device_info, __reserved3, 4) },
		{ EINVAL, E2BIG, EOPNOTSUPP, EFAULT } },
	[I_ALLOC] = { "IOAS_ALLOC", IOPASS_IOAS_ALLOC,
		false, sizeof(struct iopass_ioas_alloc),
		sizeof(struct iopass_ioas_alloc), 0,
		{ RSV(iopass_ioas_alloc, __reserved, 4) },
		{ ENOMEM, ENOSPC } },
	[I_DESTROY] = { "IOAS_DESTROY", IOPASS_IOAS_DESTROY,
		false, sizeof(struct iopass_ioas_destroy),
		sizeof(struct iopass_ioas_destroy), 0,
		{ RSV(iopass_ioas_destroy, __reserved, 4) },
		{ ENOENT, EBUSY } },
	[I_RANGES] = { "IOAS_IOVA_RANGES", IOPASS_IOAS_IOVA_RANGES,
		false, sizeof(struct iopass_ioas_iova_ranges),
		sizeof(struct iopass_ioas_iova_ranges), 0, {},
		{ ENOENT, EFAULT } },
	[I_MAP] = { "IOAS_MAP", IOPASS_IOAS_MAP,
		false, sizeof(struct iopass_ioas_map),
		sizeof(struct iopass_ioas_map),
		IOPASS_MAP_FIXED_IOVA | IOPASS_MAP_READABLE | IOPASS_MAP_WRITEABLE |
		IOPASS_MAP_LOCAL_NODE,	/* mock devices are on no node: no effect */
		{ RSV(iopass_ioas_map, __reserved, 4) },
		{ EINVAL, EOVERFLOW, EEXIST, ERANGE, EADDRINUSE, EADDRNOTAVAIL,
		  ENOSPC, ENOMEM, EFAULT, EPERM, ENOENT } },
	[I_UNMAP] = { "IOAS_UNMAP", IOPASS_IOAS_UNMAP,
		false, sizeof(struct iopass_ioas_unmap),
		sizeof(struct iopass_ioas_unmap), IOPASS_UNMAP_ALL,
		{ RSV(iopass_ioas_unmap, __reserved, 4) },
		{ EINVAL, EOVERFLOW, ENOENT, EIO } },
	/* A VF token, given or not zero, is EINVAL for a mock device. */
	[I_ATTACH] = { "DEVICE_ATTACH", IOPASS_DEVICE_ATTACH,
		false, sizeof(struct iopass_device_attach),
		offsetof(struct iopass_device_attach, vf_token),
		IOPASS_ATTACH_VF_TOKEN,
		{ RSV(iopass_device_attach, vf_token, 16) },
		{ EBADF, ENOENT, EALREADY, EBUSY, EADDRINUSE, ERANGE, EIO,
		  EINVAL } },
	[I_DETACH] = { "DEVICE_DETACH", IOPASS_DEVICE_DETACH,
		false, sizeof(struct iopass_device_detach),
		sizeof(struct iopass_device_detach), 0, {},
		{ ENOENT } },
	[I_REGION] = { "DEVICE_REGION_INFO", IOPASS_DEVICE_REGION_INFO,
		true, sizeof(struct iopass_region_info),
		sizeof(struct iopass_region_info), 0, {},
		{ EINVAL } },
	[I_IRQ] = { "DEVICE_IRQ_INFO", IOPASS_DEVICE_IRQ_INFO,
		true, sizeof(struct iopass_irq_info),
		sizeof(struct iopass_irq_info), 0,
		{ RSV(iopass_irq_info, __reserved, 4) },
		{ EINVAL } },
	[I_SET_IRQS] = { "DEVICE_SET_IRQS", IOPASS_DEVICE_SET_IRQS,
		true, sizeof(struct iopass_set_irqs),
		sizeof(struct iopass_set_irqs),
		IOPASS_IRQ_SET_EVENTFD | IOPASS_IRQ_SET_UNMASK |
		IOPASS_IRQ_SET_MASK | IOPASS_IRQ_SET_UNMASK_EVENTFD,
		{ RSV(iopass_set_irqs, __reserved, 4) },
		{ EINVAL, EBUSY, EBADF, EFAULT, ENOMEM, ENOSPC, EOPNOTSUPP, EPERM } },
	[I_RESET] = { "DEVICE_RESET", IOPASS_DEVICE_RESET,
		true, sizeof(struct iopass_device_reset),
		sizeof(struct iopass_device_reset), 0, {},
		{ EOPNOTSUPP, EAGAIN, EPERM } },
};

/* The conventions' errnos, which every ioctl may return (see the header). */
static const int common_errs[] = {
	EINVAL, E2BIG, EOPNOTSUPP, EFAULT, ENOTTY, EBADF, ENODEV,
};

static bool documented(const struct ioctl_desc *d, int err)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(common_errs); i++)
		if (common_errs[i] == err)
			return true;
	for (i = 0; d && d->errs[i]; i++)
		if (d->errs[i] == err)
			return true;
	return false;
}

static const char *errname(int err)
{
	const char *s = err ? strerrorname_np(err) : "success";

	return s ? s : "E?";
}

/* ---- the model ---- */

/* A mapping, [iova, iova + len), of user memory at uva. */
struct m_map {
	__u64 iova, len, uva;
};

/**
 * struct m_ioas - an address space
 * @id: its ID in its context
 * @used: the slot holds one, live or a ghost
 * @live: its context lists it; a ghost (context closed, a device still
 *	attached) is reachable by no ID and goes with its last device
 * @users: devices attached
 * @nmaps: mappings, sorted by IOVA
 * @maps: the mappings
 */
struct m_ioas {
	__u32 id;
	bool used, live;
	int users, nmaps;
	struct m_map maps[NR_MAPS];
};

/**
 * struct m_ctx - a context
 * @open: it exists: some process holds an fd
 * @fd: the fd, in the fd table of @fd_pid (and of its forked children)
 * @fd_pid: which process holds @fd
 * @opener: the process that opened it: the only one that may MAP, and the
 *	one its pins are charged to
 * @ioas: its address spaces
 * @stale: IDs of address spaces it destroyed, to try again
 * @nstale: how many (a ring)
 */
struct m_ctx {
	bool open;
	int fd;
	pid_t fd_pid, opener;
	struct m_ioas ioas[NR_IOAS];
	__u32 stale[NR_STALE];
	unsigned int nstale;
};

/**
 * struct m_dev - a mock device
 * @fd: its fd (-1: closed), in the main process
 * @revoked: the mock module went away under the open fd
 * @ctx: context slot of the address space it is attached to, or -1
 * @ioas: that address space's slot
 */
struct m_dev {
	int fd;
	bool revoked;
	int ctx, ioas;
};

/* What a page of the arena is backed by, and how it is protected. */
enum { B_HOLE, B_ANON, B_SHM, B_HUGE };
enum { P_NONE, P_RO, P_RW };

enum op {
	OP_ALLOC, OP_DESTROY, OP_RANGES, OP_MAP, OP_UNMAP, OP_GET_INFO,
	OP_ATTACH, OP_DETACH, OP_PCI, OP_BADCMD,
	OP_CTX_OPEN, OP_CTX_CLOSE, OP_DEV_OPEN, OP_DEV_CLOSE, OP_MEM,
	OP_MAX_MAPPINGS, OP_CHECK, OP_FORK, OP_EXEC, OP_SCM, OP_UNLOAD,
	NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"alloc", "destroy", "iova_ranges", "map", "unmap", "get_info",
	"attach", "detach", "pci_ioctl", "bad_cmd", "ctx_open", "ctx_close",
	"dev_open", "dev_close", "memory", "max_mappings", "check", "fork",
	"exec", "scm", "unload",
};

/* Step weights: ioctls mostly, with the process changing around them. */
static const unsigned char weights_ioctls[NR_OPS] = {
	[OP_ALLOC] = 5, [OP_DESTROY] = 3, [OP_RANGES] = 4, [OP_MAP] = 30,
	[OP_UNMAP] = 16, [OP_GET_INFO] = 3, [OP_ATTACH] = 7, [OP_DETACH] = 4,
	[OP_PCI] = 2, [OP_BADCMD] = 1, [OP_CTX_OPEN] = 2, [OP_CTX_CLOSE] = 1,
	[OP_DEV_OPEN] = 2, [OP_DEV_CLOSE] = 1, [OP_MEM] = 5,
	[OP_MAX_MAPPINGS] = 1, [OP_CHECK] = 1,
};

/* Life cycles: fewer ioctls between forks, execs, hand-overs and closes. */
static const unsigned char weights_lifecycle[NR_OPS] = {
	[OP_ALLOC] = 5, [OP_DESTROY] = 3, [OP_RANGES] = 2, [OP_MAP] = 16,
	[OP_UNMAP] = 8, [OP_GET_INFO] = 1, [OP_ATTACH] = 7, [OP_DETACH] = 4,
	[OP_PCI] = 1, [OP_BADCMD] = 1, [OP_CTX_OPEN] = 4, [OP_CTX_CLOSE] = 4,
	[OP_DEV_OPEN] = 3, [OP_DEV_CLOSE] = 3, [OP_MEM] = 6,
	[OP_MAX_MAPPINGS] = 1, [OP_CHECK] = 1, [OP_FORK] = 4, [OP_EXEC] = 2,
	[OP_SCM] = 3, [OP_UNLOAD] = 1,
};

/* A forked child: ioctls on what it inherited, contexts of its own. */
static const unsigned char weights_child[NR_OPS] = {
	[OP_ALLOC] = 6, [OP_DESTROY] = 3, [OP_RANGES] = 3, [OP_MAP] = 20,
	[OP_UNMAP] = 10, [OP_GET_INFO] = 2, [OP_ATTACH] = 6, [OP_DETACH] = 4,
	[OP_PCI] = 1, [OP_BADCMD] = 1, [OP_CTX_OPEN] = 3, [OP_CTX_CLOSE] = 2,
};

/* What the run did, for its summary. */
enum {
	S_MAP_OK, S_MAP_HUGE, S_MAP_SHM, S_UNMAP_OK, S_EPERM, S_GHOST,
	S_UNMAPPED_LIVE, S_RELOADS, NR_STATS
};

static const char *const stat_names[NR_STATS] = {
	"mappings made", "of hugetlb pages", "of shared memory",
	"unmaps", "MAPs refused to a non-opener (EPERM)",
	"address spaces outliving their context",
	"user pages unmapped while mapped for DMA", "mock module reloads",
};

struct fail_kind {
	char key[160];
	unsigned long step, count;
};

/*
 * struct fuzz - everything a test run shares with its forked children.
 *
 * It lives in MAP_SHARED memory: a child's steps move the same random
 * stream and update the same model, so a run replays exactly.
 */
struct fuzz {
	const char *test;
	__u64 seed, rng;
	unsigned long step, steps, sub;
	pid_t main_pid;
	bool verbose;
	/* the model */
	struct m_ctx ctx[NR_CTX];
	struct m_dev dev[NR_DEV];
	bool mock_loaded;
	unsigned int max_mappings;
	unsigned char backing[ARENA_PAGES], prot[ARENA_PAGES];
	/* memory and helper fds */
	char *arena, *arg;
	int memfd, null_fd, event_fd, bad_fd;
	unsigned long min_addr;
	/* baselines */
	long pins0, locked0, pins_bias, locked_bias;
	char old_max[32];
	/* results */
	struct fail_kind kinds[NR_KINDS];
	int nkinds;
	unsigned long failures, calls, errors, op_count[NR_OPS];
	unsigned long forks, execs, handovers, stats[NR_STATS];
	unsigned long results[NR_IOCTLS + 1][136];	/* by errno, 0 success */
};

/* What only one process knows: who it is, what it closed of its parent's. */
static struct {
	pid_t me;
	bool child;		/* a forked child, running steps on the model */
	int own_ctx;		/* the context a handing-over child sends, or -1 */
	bool closed_ctx[NR_CTX];	/* inherited fds it closed */
} proc = { .own_ctx = -1 };

static __u64 default_seed;

/* fail() from racing threads (concurrent_ioctls). */
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- random numbers: splitmix64, seeded per test ---- */

static __u64 splitmix(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u64 rnd(struct fuzz *f)
{
	return splitmix(&f->rng);
}

static __u32 below(struct fuzz *f, __u32 n)
{
	return n ? rnd(f) % n : 0;
}

static bool chance(struct fuzz *f, __u32 percent)
{
	return below(f, 100) < percent;
}

#define PICK(f, array) ((array)[below(f, sizeof(array) / sizeof((array)[0]))])

/* ---- reporting ---- */

/*
 * Record a failure of kind @key: the first of a kind is printed in full,
 * with the command that replays the run up to this step; later ones are
 * counted.
 */
static void __printf(3, 4)
fail(struct fuzz *f, const char *key, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int i;

	pthread_mutex_lock(&fail_lock);
	f->failures++;
	for (i = 0; i < f->nkinds; i++)
		if (!strcmp(f->kinds[i].key, key))
			break;
	if (i < f->nkinds || i == NR_KINDS) {
		if (i < f->nkinds)
			f->kinds[i].count++;
		pthread_mutex_unlock(&fail_lock);
		return;
	}
	snprintf(f->kinds[i].key, sizeof(f->kinds[i].key), "%s", key);
	f->kinds[i].step = f->step;
	f->kinds[i].count = 1;
	f->nkinds++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (proc.child)
		printf("# FAIL [%s] step %lu (a child's step %lu): %s\n", key,
		       f->step, f->sub, msg);
	else
		printf("# FAIL [%s] step %lu: %s\n", key, f->step, msg);
	printf("# replay: IOPASS_FUZZ_SEED=%#llx IOPASS_FUZZ_ITERS=%lu %s -t %s\n",
	       f->seed, f->step + 1, program_invocation_name, f->test);
	fflush(stdout);
	pthread_mutex_unlock(&fail_lock);
}

/* ---- sysfs of the mock ---- */

/* A context fd the exec'd image inherits (no O_CLOEXEC). */
static int ctx_open_inheritable(void)
{
	int fd = open("/dev/iopass", O_RDWR);

	return fd < 0 ? -errno : fd;
}

static long hugepages_free(void)
{
	char line[128];
	long val = 0;
	FILE *fp = fopen("/proc/meminfo", "r");

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, "HugePages_Free:", 15))
			val = atol(line + 15);
	fclose(fp);
	return val;
}

/* ---- the model's queries and updates ---- */

static bool ctx_usable(struct fuzz *f, int c)
{
	struct m_ctx *x = &f->ctx[c];

	if (!x->open || x->fd < 0)
		return false;
	if (x->fd_pid == proc.me)
		return true;
	/* A forked child has its parent's fds, until it closes them. */
	return proc.child && x->fd_pid == f->main_pid && !proc.closed_ctx[c];
}

/* A device fd this process has (its fds are the main process's). */
static bool dev_usable(struct fuzz *f, int d)
{
	return f->dev[d].fd >= 0;
}

/* The live address space @id of context @c, or NULL. */
static struct m_ioas *ioas_of(struct fuzz *f, int c, __u32 id)
{
	int i;

	if (c < 0)
		return NULL;
	for (i = 0; i < NR_IOAS; i++) {
		struct m_ioas *io = &f->ctx[c].ioas[i];

		if (io->used && io->live && io->id == id)
			return io;
	}
	return NULL;
}

static __u64 pages_of(const struct m_ioas *io)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < io->nmaps; i++)
		n += io->maps[i].len / SZ_4K;
	return n;
}

/* The last IOVA MAP may use: the mock IOMMUs' once a device is attached. */
static __u64 ap_last(const struct m_ioas *io)
{
	return io->users ? MOCK_LAST : ~0ULL;
}

/* Does [iova, iova + len) wrap past 2^64? */
static bool wraps(__u64 iova, __u64 len)
{
	return len && iova + (len - 1) < iova;
}

static bool overlaps(const struct m_ioas *io, __u64 iova, __u64 len)
{
	__u64 last = iova + len - 1;
	int i;

	for (i = 0; i < io->nmaps; i++)
		if (io->maps[i].iova <= last &&
		    iova <= io->maps[i].iova + io->maps[i].len - 1)
			return true;
	return false;
}

static void map_insert(struct m_ioas *io, __u64 iova, __u64 len, __u64 uva)
{
	int i = io->nmaps;

	while (i > 0 && io->maps[i - 1].iova > iova) {
		io->maps[i] = io->maps[i - 1];
		i--;
	}
	io->maps[i].iova = iova;
	io->maps[i].len = len;
	io->maps[i].uva = uva;
	io->nmaps++;
}

static void ioas_release(struct m_ioas *io)
{
	io->used = false;
	io->live = false;
	io->nmaps = 0;
	io->users = 0;
}

/*
 * The lowest IOVA aligned to @align where @len bytes fit below @last
 * without touching a mapping: where MAP puts a mapping of its own choosing.
 */
static bool lowest_free(const struct m_ioas *io, __u64 from, __u64 len,
			__u64 align, __u64 last, __u64 *out)
{
	__u64 cand = from, end;
	int i;

	for (;;) {
		if (wraps(cand, len))
			return false;
		end = cand + len - 1;
		if (end > last)
			return false;
		for (i = 0; i < io->nmaps; i++)
			if (io->maps[i].iova <= end &&
			    cand <= io->maps[i].iova + io->maps[i].len - 1)
				break;
		if (i == io->nmaps) {
			*out = cand;
			return true;
		}
		end = io->maps[i].iova + io->maps[i].len;	/* past it */
		if (!end)
			return false;
		cand = (end + align - 1) & ~(align - 1);
		if (cand < end)
			return false;
	}
}

/* The alignment MAP gives a kernel-chosen IOVA: like @uva, up to @len. */
static __u64 map_align(__u64 uva, __u64 len)
{
	__u64 a = uva ? uva & -uva : 1ULL << 63;
	__u64 l = len >> 63 ? 1ULL << 63 : 1ULL << (63 - __builtin_clzll(len));

	a = a < l ? a : l;
	return a < SZ_4K ? SZ_4K : a;
}

/* Detach device @d in the model; a ghost address space may go with it. */
static void model_detach(struct fuzz *f, int d)
{
	struct m_dev *dv = &f->dev[d];
	struct m_ioas *io;

	if (dv->ctx < 0)
		return;
	io = &f->ctx[dv->ctx].ioas[dv->ioas];
	io->users--;
	if (!io->live && !io->users)
		ioas_release(io);
	dv->ctx = -1;
	dv->ioas = -1;
}

/* A context is closed: its address spaces go, or stay as ghosts. */
static void model_ctx_close(struct fuzz *f, int c)
{
	struct m_ctx *x = &f->ctx[c];
	int i;

	for (i = 0; i < NR_IOAS; i++) {
		struct m_ioas *io = &x->ioas[i];

		if (!io->used)
			continue;
		io->live = false;
		if (!io->users)
			ioas_release(io);
		else
			f->stats[S_GHOST]++;
	}
	x->open = false;
	x->fd = -1;
}

/* A free context slot: closed, and no ghost left in it. */
static int ctx_free_slot(struct fuzz *f)
{
	int c, i;

	for (c = 0; c < NR_CTX; c++) {
		if (f->ctx[c].open)
			continue;
		for (i = 0; i < NR_IOAS; i++)
			if (f->ctx[c].ioas[i].used)
				break;
		if (i == NR_IOAS)
			return c;
	}
	return -1;
}

static void model_ctx_opened(struct fuzz *f, int c, int fd)
{
	struct m_ctx *x = &f->ctx[c];

	memset(x, 0, sizeof(*x));
	x->open = true;
	x->fd = fd;
	x->fd_pid = proc.me;
	x->opener = proc.me;
}

/* ---- an ioctl call: its argument, where it lives, what may come back ---- */

enum place {
	PL_NORMAL, PL_UNALIGNED, PL_TIGHT, PL_SHORT, PL_RO, PL_HALF,
	PL_NULL, PL_GUARD, PL_KERNEL, PL_NONCANON,
};

static const char *const place_names[] = {
	"", " at an odd address", " against a guard page",
	" cut short by a guard page", " in a read-only page",
	" straddling a guard page", " at NULL", " in a PROT_NONE page",
	" at a kernel address", " at a non-canonical address",
};

enum target { T_OK, T_WRONG, T_BADF, T_REVOKED };

/**
 * struct call - one ioctl
 * @d: which, or NULL for a number that is none
 * @cmd: the number (@d's unless a bad one)
 * @fd: the fd it goes to
 * @target: whether @fd is the right kind, another kind, closed or revoked
 * @size: the @size field
 * @tail: a non-zero byte beyond what the kernel knows, within @size
 * @tail_at: where
 * @place: where the argument lives
 * @p: the argument's address
 * @avail: bytes readable from there
 * @st: the struct as the kernel sees it (zero beyond @size)
 * @out: the struct as it is in memory after the call (zero beyond @size)
 * @what: what is called, for messages
 */
struct call {
	const struct ioctl_desc *d;
	unsigned long cmd;
	int fd;
	enum target target;
	__u32 size;
	bool tail;
	size_t tail_at;
	enum place place;
	char *p;
	size_t avail;
	union {
		unsigned char st[64];
		__u64 st_aligned;
	};
	union {
		unsigned char out[64];
		__u64 out_aligned;
	};
	char what[256];
};

/**
 * struct expect - what the model allows a call to return
 * @ok: success
 * @bits: errnos, as a bitmap
 */
struct expect {
	bool ok;
	__u64 bits[3];
};

/* @err must be possible, and success no longer is: its condition holds. */
static void must(struct expect *e, int err)
{
	e->ok = false;
	e->bits[err / 64] |= 1ULL << (err % 64);
}

/* @err is possible, success still too. */
static void may(struct expect *e, int err)
{
	e->bits[err / 64] |= 1ULL << (err % 64);
}

static bool allowed(const struct expect *e, int err)
{
	return err > 0 && err < 192 && (e->bits[err / 64] >> (err % 64)) & 1;
}

static void expect_names(const struct expect *e, char *buf, size_t len)
{
	size_t n = 0;
	int err;

	buf[0] = 0;
	if (e->ok)
		n += snprintf(buf + n, len - n, "success");
	for (err = 1; err < 192 && n < len; err++)
		if (allowed(e, err))
			n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
				      errname(err));
}

/* Choose the fd of a context ioctl; its slot, or -1 for another fd. */
static int target_ctx(struct fuzz *f, struct call *c)
{
	int slots[NR_CTX], n = 0, i;

	for (i = 0; i < NR_CTX; i++)
		if (ctx_usable(f, i))
			slots[n++] = i;
	if (n && chance(f, 94)) {
		i = slots[below(f, n)];
		/* A child that hands its context over works mostly in it. */
		if (proc.own_ctx >= 0 && ctx_usable(f, proc.own_ctx) && chance(f, 60))
			i = proc.own_ctx;
		c->fd = f->ctx[i].fd;
		c->target = T_OK;
		return i;
	}
	i = below(f, NR_DEV);
	if (chance(f, 50) && dev_usable(f, i)) {
		c->fd = f->dev[i].fd;
		c->target = f->dev[i].revoked ? T_REVOKED : T_WRONG;
	} else {
		c->fd = f->bad_fd;
		c->target = T_BADF;
	}
	return -1;
}

/* Choose the fd of a device ioctl; its slot, or -1 for another fd. */
static int target_dev(struct fuzz *f, struct call *c)
{
	int slots[NR_DEV], n = 0, i;

	for (i = 0; i < NR_DEV; i++)
		if (dev_usable(f, i))
			slots[n++] = i;
	if (n && chance(f, 94)) {
		i = slots[below(f, n)];
		c->fd = f->dev[i].fd;
		c->target = f->dev[i].revoked ? T_REVOKED : T_OK;
		return i;
	}
	i = below(f, NR_CTX);
	if (chance(f, 50) && ctx_usable(f, i)) {
		c->fd = f->ctx[i].fd;
		c->target = T_WRONG;
	} else {
		c->fd = f->bad_fd;
		c->target = T_BADF;
	}
	return -1;
}

/* An address space ID to name: mostly a live one of context @c. */
static __u32 pick_id(struct fuzz *f, int c)
{
	static const __u32 odd[] = {
		0, 1, 2, 0x7ffffffe, 0x7fffffff, 0x80000000, 0xffffffff,
	};
	__u32 live[NR_CTX * NR_IOAS];
	int n = 0, i, j, r = below(f, 100);

	for (i = 0; i < NR_CTX; i++)
		for (j = 0; j < NR_IOAS; j++)
			if ((r < 75 ? i == c : true) && f->ctx[i].ioas[j].used &&
			    f->ctx[i].ioas[j].live)
				live[n++] = f->ctx[i].ioas[j].id;
	if (r < 85 && n)
		return live[below(f, n)];
	if (r < 92 && c >= 0 && f->ctx[c].nstale)
		return f->ctx[c].stale[below(f, umin(f->ctx[c].nstale, NR_STALE))];
	return r < 97 ? PICK(f, odd) : (__u32)rnd(f);
}

/* Where the argument goes; sets @c->avail, the bytes readable from there. */
static char *arg_address(struct fuzz *f, struct call *c)
{
	size_t n = c->size < 4 ? 4 : c->size > ARG_RW_END ? ARG_RW_END : c->size;
	char *rw = f->arg + ARG_RW;

	switch (c->place) {
	case PL_NORMAL:
		c->avail = ARG_RW_END;
		return rw;
	case PL_UNALIGNED:
		c->avail = ARG_RW_END - 3;
		return rw + 3;
	case PL_TIGHT:
		c->avail = n;
		return rw + ARG_RW_END - n;
	case PL_SHORT:
		c->avail = n - 1 - (n > 8 ? below(f, 4) : 0);
		return rw + ARG_RW_END - c->avail;
	case PL_RO:
		c->avail = SZ_4K;
		return f->arg + ARG_RO;
	case PL_HALF:
		c->avail = 2;
		return rw + ARG_RW_END - 2;
	case PL_NULL:
		c->avail = 0;
		return NULL;
	case PL_GUARD:
		c->avail = 0;
		return rw + ARG_RW_END;
	case PL_KERNEL:
		c->avail = 0;
		return (char *)KERNEL_VA;
	default:
		c->avail = 0;
		return (char *)(1ULL << 47);
	}
}

/*
 * Break the argument the way a buggy or hostile caller does: its size
 * (short, between versions, longer with a zero or non-zero tail, huge), an
 * unknown flag, a reserved field, where it lives.
 */
static void mutate(struct fuzz *f, struct call *c)
{
	const struct ioctl_desc *d = c->d;
	__u32 *hdr = (__u32 *)c->st, bit;
	int r = below(f, 100), i;
	size_t n;

	c->size = d->size;
	if (r < 45) {
		/* Half of the calls keep a well-formed argument. */
		hdr[0] = c->size;
		c->place = PL_NORMAL;
		c->p = arg_address(f, c);
		return;
	}
	r = below(f, 55);
	if (r < 3) {
		c->size = below(f, 8);
	} else if (r < 7) {
		c->size = d->min_size - 1 - below(f, 4);
	} else if (r < 10 && d->min_size < d->size) {
		c->size = d->min_size + below(f, d->size - d->min_size);
	} else if (r < 20) {
		c->size = d->size + 1 + below(f, 64);
		c->tail = r >= 15;
	} else if (r < 22) {
		c->size = d->size + SZ_4K + below(f, 2 * SZ_4K);
	} else if (r < 23) {
		c->size = chance(f, 50) ? 0xffffffff : 0x80000000;
	}
	hdr[0] = c->size;

	if (chance(f, 6)) {
		do {
			bit = 1U << below(f, 32);
		} while (bit & d->valid_flags);
		hdr[1] |= bit;
	}
	if (chance(f, 6) && d->rsv[0].len) {
		for (i = 0; i < 3 && d->rsv[i].len; i++)
			;
		i = below(f, i);	/* one of the reserved fields */
		c->st[d->rsv[i].off + below(f, d->rsv[i].len)] = 1 + below(f, 255);
	}

	r = below(f, 100);
	c->place = r < 60 ? PL_NORMAL : r < 68 ? PL_UNALIGNED :
		   r < 76 ? PL_TIGHT : r < 80 ? PL_SHORT : r < 92 ? PL_RO :
		   PL_HALF + below(f, PL_NONCANON - PL_HALF + 1);

	/* The kernel sees zeros beyond @size. */
	if (c->size < d->size)
		memset(c->st + umax(c->size, 4), 0, d->size - umax(c->size, 4));
	c->p = arg_address(f, c);
	/* The non-zero byte of the tail, where the kernel can read it. */
	n = umin(c->size, c->avail);
	if (c->tail && n > d->size)
		c->tail_at = d->size + below(f, n - d->size);
	else
		c->tail = false;
}

/*
 * The conventions of every ioctl: the kind of fd, the argument's size,
 * flags, reserved fields and address.  Returns whether the ioctl's own
 * rules apply too (a malformed argument is refused for any reason that
 * holds, in an order the UAPI does not fix).
 */
static bool expect_args(struct fuzz *f, struct call *c, struct expect *e)
{
	const struct ioctl_desc *d = c->d;
	__u32 flags = ((__u32 *)c->st)[1];
	bool rsv = false;
	int i, k;

	memset(e, 0, sizeof(*e));
	e->ok = true;
	if (c->target == T_BADF) {
		must(e, EBADF);
		return false;
	}
	if (c->target == T_REVOKED) {
		must(e, ENODEV);
		return false;
	}
	if (c->target == T_WRONG || !d || d->pci) {
		/* Another kind of fd; a mock device is not a PCI function. */
		must(e, ENOTTY);
		return false;
	}
	if (c->avail < 4) {
		must(e, EFAULT);	/* not even @size can be read */
		return false;
	}
	if (c->size < d->min_size) {
		must(e, EINVAL);
	} else {
		if (c->size > c->avail)
			must(e, EFAULT);
		if (c->tail)
			must(e, E2BIG);
		if (flags & ~d->valid_flags)
			must(e, EOPNOTSUPP);
	}
	for (i = 0; i < 3; i++)
		for (k = 0; k < d->rsv[i].len; k++)
			rsv |= c->st[d->rsv[i].off + k];
	if (rsv)
		must(e, EINVAL);
	/* The argument must be writable too: EFAULT, and nothing done. */
	if (c->place == PL_RO)
		must(e, EFAULT);
	return true;
}

/* Make the call: lay the argument out in memory, run it, read it back. */
static int do_call(struct fuzz *f, struct call *c)
{
	size_t ksize = c->d ? c->d->size : 0, len, i;
	unsigned char img[3 * SZ_4K];
	char *p = c->p;
	int ret;

	/* The struct, a canary where the kernel must neither read nor write, the tail. */
	len = umin(umax(c->size, ksize), c->avail);
	memset(img, 0, sizeof(img));
	memcpy(img, c->st, umin(ksize, sizeof(c->st)));
	for (i = umax(c->size, 4); i < ksize; i++)
		img[i] = 0xa5;
	if (c->tail)
		img[c->tail_at] = 0x5a;
	if (p && c->avail) {
		if (c->place == PL_RO)
			mprotect(f->arg + ARG_RO, SZ_4K, PROT_READ | PROT_WRITE);
		memcpy(p, img, len);
		if (c->place == PL_RO)
			mprotect(f->arg + ARG_RO, SZ_4K, PROT_READ);
	}

	f->calls++;
	ret = ioctl(c->fd, c->cmd, p) ? -errno : 0;
	if (ret)
		f->errors++;
	f->results[c->d ? c->d - ioctls : NR_IOCTLS][umin(-ret, 135)]++;

	memset(c->out, 0, sizeof(c->out));
	if (p && c->avail) {
		memcpy(c->out, p, umin(umin(ksize, c->size), len));
		/* Written back for at most @size bytes (the header's conventions). */
		for (i = umax(c->size, 4); c->d && i < len; i++) {
			if ((unsigned char)p[i] != img[i]) {
				fail(f, "written beyond @size",
				     "%s: byte %zu of the argument changed (size %u)",
				     c->what, i, c->size);
				break;
			}
		}
	}
	if (f->verbose)
		printf("# %lu.%lu %s size %u%s -> %s\n", f->step, f->sub, c->what,
		       c->size, place_names[c->place], errname(-ret));
	return ret;
}

/* Judge a result: documented at all, and consistent with the model. */
static bool judge(struct fuzz *f, struct call *c, const struct expect *e,
		  int ret)
{
	const char *name = c->d ? c->d->name : "an unknown ioctl number";
	char key[160], want[128];

	if (ret && !documented(c->d, -ret)) {
		snprintf(key, sizeof(key), "%s returned %s, undocumented", name,
			 errname(-ret));
		fail(f, key, "%s (size %u%s) returned %s, which its kernel-doc does not list",
		     c->what, c->size, place_names[c->place], errname(-ret));
		return false;
	}
	if (ret ? allowed(e, -ret) : e->ok)
		return true;
	/* A kind: what came back where the model allowed what. */
	expect_names(e, want, sizeof(want));
	snprintf(key, sizeof(key), "%s returned %s, the model allows %s", name,
		 errname(-ret), want);
	fail(f, key, "%s (size %u%s%s)", c->what, c->size,
	     place_names[c->place], c->tail ? ", non-zero tail" : "");
	return false;
}

/* A well-formed ioctl the fuzzer needs done (resync, probes); -errno. */
static int plain_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/*
 * Unmap everything from address space @io of context @c, so that the
 * model and the kernel agree again; the bytes unmapped.
 */
static __u64 resync_ioas(struct fuzz *f, int c, struct m_ioas *io)
{
	struct iopass_ioas_unmap cmd = {
		.size = sizeof(cmd), .flags = IOPASS_UNMAP_ALL, .ioas_id = io->id,
	};

	if (c >= 0 && ctx_usable(f, c) && io->live &&
	    plain_ioctl(f->ctx[c].fd, IOPASS_IOAS_UNMAP, &cmd))
		cmd.length = 0;
	io->nmaps = 0;
	return cmd.length;
}

/* ---- user memory ---- */

/* How a page can be pinned: 0 not at all, 1 for reading, 2 for writing too; -1 unknown. */
static int page_access(struct fuzz *f, __u64 va, bool *huge)
{
	__u64 base = (uintptr_t)f->arena, i;

	if (va >= base && va < base + ARENA_SIZE) {
		i = (va - base) / SZ_4K;
		if (f->backing[i] == B_HOLE || f->prot[i] == P_NONE)
			return 0;
		*huge |= f->backing[i] == B_HUGE;
		return f->prot[i] == P_RW ? 2 : 1;
	}
	if (va >= base - GUARD && va < base + ARENA_SIZE + GUARD)
		return 0;
	if (va < f->min_addr || va >= USER_TOP)
		return 0;
	return -1;
}

/*
 * Whether MAP can pin [@uva, @uva + @len): 1 yes, 0 no (EFAULT), -1 the
 * fuzzer does not know.  Pinning goes page by page and stops at the first
 * bad one, so a walk that leaves the arena meets its guard first.
 */
static int memory_ok(struct fuzz *f, __u64 uva, __u64 len, bool write,
		     bool *huge)
{
	__u64 va;
	int a;

	for (va = uva; va - uva < len; va += SZ_4K) {
		a = page_access(f, va, huge);
		if (a < 0)
			return -1;
		if (a < (write ? 2 : 1))
			return 0;
		if (va + SZ_4K < va)
			break;
	}
	return 1;
}

static void arena_protect(struct fuzz *f, __u64 first, __u64 n, int prot)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE };
	__u64 i, run;

	/* Only pages with memory behind them: a hole stays a hole. */
	for (i = first; i < first + n; i += run) {
		for (run = 0; i + run < first + n &&
		     (f->backing[i + run] == B_HOLE) == (f->backing[i] == B_HOLE); run++)
			;
		if (f->backing[i] == B_HOLE)
			continue;
		if (!mprotect(f->arena + i * SZ_4K, run * SZ_4K, prots[prot]))
			memset(f->prot + i, prot, run);
	}
}

/*
 * Unmap pages (pins keep what is mapped into an address space) and
 * reserve the range again at once, PROT_NONE, so that no other mapping of
 * this process can land there: a hole stays unmapped memory.
 */
static void arena_unmap(struct fuzz *f, __u64 first, __u64 n)
{
	char *p = f->arena + first * SZ_4K;
	__u64 lo = (uintptr_t)p, hi = lo + n * SZ_4K;
	int c, i, k;

	for (c = 0; c < NR_CTX; c++)
		for (i = 0; i < NR_IOAS; i++)
			for (k = 0; k < f->ctx[c].ioas[i].nmaps; k++) {
				struct m_map *m = &f->ctx[c].ioas[i].maps[k];

				if (m->uva < hi && lo < m->uva + m->len)
					f->stats[S_UNMAPPED_LIVE]++;
			}
	munmap(p, n * SZ_4K);
	if (mmap(p, n * SZ_4K, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0) != p)
		fail(f, "the fuzzer's memory", "cannot reserve the hole again: %s",
		     strerror(errno));
	memset(f->backing + first, B_HOLE, n);
	memset(f->prot + first, P_NONE, n);
}

/* Fill chunk @ch with fresh memory of @kind (B_ANON, B_SHM, B_HUGE). */
static void arena_fill(struct fuzz *f, int ch, int kind)
{
	__u64 first = ch * CHUNK_PAGES;
	char *p = f->arena + first * SZ_4K;
	int flags = MAP_FIXED_NOREPLACE | MAP_PRIVATE | MAP_ANONYMOUS, fd = -1;

	arena_unmap(f, first, CHUNK_PAGES);
	munmap(p, SZ_2M);
	if (kind == B_SHM) {
		flags = MAP_FIXED_NOREPLACE | MAP_SHARED;
		fd = f->memfd;
	} else if (kind == B_HUGE) {
		flags |= MAP_HUGETLB;
	}
	if (mmap(p, SZ_2M, PROT_READ | PROT_WRITE, flags, fd,
		 kind == B_SHM ? ch * SZ_2M : 0) != p) {
		arena_unmap(f, first, CHUNK_PAGES);	/* hugetlb may fail */
		return;
	}
	/* Touch every page: pins of never-touched pages are not counted. */
	memset(p, 0x11 * ch, SZ_2M);
	memset(f->backing + first, kind, CHUNK_PAGES);
	memset(f->prot + first, P_RW, CHUNK_PAGES);
}

/* ---- the steps: ioctls ---- */

static void op_alloc(struct fuzz *f)
{
	struct call c = { .d = &ioctls[I_ALLOC], .cmd = IOPASS_IOAS_ALLOC };
	struct iopass_ioas_alloc *a = (void *)c.st, *out = (void *)c.out;
	struct expect e;
	int cs, ret, i;

	cs = target_ctx(f, &c);
	a->size = sizeof(*a);
	a->out_ioas_id = chance(f, 20) ? (__u32)rnd(f) : 0;	/* ignored */
	mutate(f, &c);
	snprintf(c.what, sizeof(c.what), "IOAS_ALLOC(ctx %d)", cs);
	if (expect_args(f, &c, &e))
		may(&e, ENOMEM);
	ret = do_call(f, &c);
	judge(f, &c, &e, ret);
	if (cs < 0)
		return;
	if (ret == -EFAULT && c.place == PL_RO) {
		/* The IOAS may exist though its ID could not be written. */
		for (i = 1; i < 64; i++) {
			struct iopass_ioas_destroy d = {
				.size = sizeof(d), .ioas_id = i,
			};

			if (!ioas_of(f, cs, i) &&
			    !plain_ioctl(c.fd, IOPASS_IOAS_DESTROY, &d))
				fail(f, "IOAS_ALLOC: EFAULT (read-only argument) but allocated",
				     "%s: address space %d exists though the call failed",
				     c.what, i);
		}
		return;
	}
	if (ret)
		return;
	if (ioas_of(f, cs, out->out_ioas_id) || out->out_ioas_id >> 31)
		fail(f, "IOAS_ALLOC returned a bad ID",
		     "%s returned ID %u (live already, or beyond 2^31 - 1)",
		     c.what, out->out_ioas_id);
	for (i = 0; i < NR_IOAS; i++) {
		struct m_ioas *io = &f->ctx[cs].ioas[i];

		if (!io->used) {
			memset(io, 0, sizeof(*io));
			io->used = true;
			io->live = true;
			io->id = out->out_ioas_id;
			return;
		}
	}
	/* No room in the model: give it back. */
	{
		struct iopass_ioas_destroy d = {
			.size = sizeof(d), .ioas_id = out->out_ioas_id,
		};

		if (plain_ioctl(c.fd, IOPASS_IOAS_DESTROY, &d))
			fail(f, "IOAS_DESTROY of a new address space failed",
			     "ID %u", out->out_ioas_id);
	}
}

static void op_destroy(struct fuzz *f)
{
	struct call c = { .d = &ioctls[I_DESTROY], .cmd = IOPASS_IOAS_DESTROY };
	struct iopass_ioas_destroy *d = (void *)c.st;
	struct m_ioas *io;
	struct expect e;
	int cs, ret;

	cs = target_ctx(f, &c);
	d->size = sizeof(*d);
	d->ioas_id = pick_id(f, cs);
	mutate(f, &c);
	io = ioas_of(f, cs, d->ioas_id);
	snprintf(c.what, sizeof(c.what), "IOAS_DESTROY(ctx %d, ioas %u)", cs,
		 d->ioas_id);
	if (expect_args(f, &c, &e)) {
		if (!io)
			must(&e, ENOENT);
		else if (io->users)
			must(&e, EBUSY);
	}
	ret = do_call(f, &c);
	judge(f, &c, &e, ret);
	if (ret == -EFAULT && c.place == PL_RO && io) {
		struct iopass_ioas_iova_ranges r = {
			.size = sizeof(r), .ioas_id = io->id,
		};

		/* Did it happen anyway?  Then the model follows. */
		if (plain_ioctl(c.fd, IOPASS_IOAS_IOVA_RANGES, &r) == -ENOENT) {
			fail(f, "IOAS_DESTROY: EFAULT (read-only argument) but destroyed",
			     "%s: the address space is gone though the call failed", c.what);
			ret = 0;
		}
	}
	if (ret || !io)
		return;
	f->ctx[cs].stale[f->ctx[cs].nstale++ % NR_STALE] = io->id;
	ioas_release(io);
}

static void op_ranges(struct fuzz *f)
{
	static const __u32 counts[] = { 0, 1, 1, 1, 2, 3, 16, 0xffffffff };
	struct call c = { .d = &ioctls[I_RANGES], .cmd = IOPASS_IOAS_IOVA_RANGES };
	struct iopass_ioas_iova_ranges *r = (void *)c.st, *out = (void *)c.out;
	struct iopass_iova_range *ranges;
	unsigned int room, writes, i;
	struct m_ioas *io;
	struct expect e;
	int cs, ret, where = below(f, 100);
	bool writable;

	cs = target_ctx(f, &c);
	r->size = sizeof(*r);
	r->ioas_id = pick_id(f, cs);
	r->num_ranges = PICK(f, counts);
	/* Room for 0-4 entries before a guard page, or a bad pointer. */
	room = below(f, 5);
	ranges = (void *)(f->arg + ARG_RANGES_END - room * sizeof(*ranges));
	memset(f->arg + ARG_RANGES_END - SZ_4K, 0xa5, SZ_4K);
	writable = true;
	if (where < 85) {
		r->allowed_iovas = (uintptr_t)ranges;
	} else if (where < 90) {
		r->allowed_iovas = (uintptr_t)(f->arg + ARG_RO);
		room = 0;
		writable = false;
	} else {
		r->allowed_iovas = where < 95 ? 0 : KERNEL_VA;
		room = 0;
		writable = false;
	}
	r->out_iova_alignment = chance(f, 20) ? rnd(f) : 0;	/* ignored */
	mutate(f, &c);
	io = ioas_of(f, cs, r->ioas_id);
	snprintf(c.what, sizeof(c.what),
		 "IOAS_IOVA_RANGES(ctx %d, ioas %u, num_ranges %u, room %u%s)",
		 cs, r->ioas_id, r->num_ranges, room,
		 writable ? "" : ", unwritable");
	/* One range: the whole space, or the mock IOMMUs' aperture. */
	writes = umin(r->num_ranges, 1);
	if (expect_args(f, &c, &e)) {
		if (!io)
			must(&e, ENOENT);
		else if (writes > room || (writes && !writable))
			must(&e, EFAULT);
	}
	ret = do_call(f, &c);
	judge(f, &c, &e, ret);
	if (ret || !io)
		return;
	if (out->num_ranges != 1 || out->out_iova_alignment != SZ_4K ||
	    (writes && (ranges[0].start || ranges[0].last != ap_last(io))))
		fail(f, "IOAS_IOVA_RANGES disagrees with the model",
		     "%s: %u ranges, alignment %#llx, first [%#llx, %#llx]; want 1 range [0, %#llx], alignment 0x1000",
		     c.what, out->num_ranges, (unsigned long long)out->out_iova_alignment,
		     writes ? (unsigned long long)ranges[0].start : 0ULL,
		     writes ? (unsigned long long)ranges[0].last : 0ULL,
		     (unsigned long long)ap_last(io));
	for (i = writes; i < room; i++)
		if (ranges[i].start != 0xa5a5a5a5a5a5a5a5ULL)
			fail(f, "IOAS_IOVA_RANGES wrote beyond num_ranges",
			     "%s: entry %u written", c.what, i);
}

static __u64 gen_uva(struct fuzz *f)
{
	static const __u64 bad[] = {
		0, SZ_4K, 0x10000 - SZ_4K, USER_TOP, 1ULL << 47,
		(1ULL << 47) - SZ_4K, 1ULL << 56, (1ULL << 57) - SZ_4K,
		0xffff888000000000ULL, KERNEL_VA, 0xfffffffffffff000ULL,
	};
	__u64 uva, base = (uintptr_t)f->arena;
	int r = below(f, 100), i;
	bool huge = false;

	if (r < 50) {
		/* A page that can be pinned for writing, if one turns up. */
		for (i = 0; i < 8; i++) {
			uva = below(f, ARENA_PAGES);
			if (f->backing[uva] != B_HOLE && f->prot[uva] == P_RW)
				break;
		}
		return base + uva * SZ_4K;
	}
	if (r < 82) {
		uva = below(f, CHUNKS) * SZ_2M;
		if (chance(f, 60))
			uva += below(f, CHUNK_PAGES) * SZ_4K;
		uva += base;
		if (chance(f, 3))
			uva += PICK(f, ((const __u64[]){ 1, 0x800, 0xfff }));
		return uva;
	}
	if (r < 86)
		return base - SZ_4K * (1 + below(f, 4));	/* the guard below */
	if (r < 96)
		return PICK(f, bad);
	uva = rnd(f) & ~(SZ_4K - 1);
	return page_access(f, uva, &huge) < 0 ? 1ULL << 63 : uva;
}

/* Lengths: mostly a few pages; edges; never in (2^34, 2^41) (see below). */
static __u64 gen_len(struct fuzz *f)
{
	static const __u64 edge[] = {
		0, 1, SZ_4K - 1, SZ_4K + 1, SZ_2M, SZ_1G, 1ULL << 32,
		(1ULL << 32) - SZ_4K, 1ULL << 34, 1ULL << 41, 1ULL << 48,
		1ULL << 57, 1ULL << 63, 0xfffffffffffff000ULL, ~0ULL,
	};
	int r = below(f, 100);

	if (r < 70)
		return (1 + below(f, 8)) * SZ_4K;
	if (r < 86)
		return (1 + below(f, 2 * CHUNK_PAGES)) * SZ_4K;
	if (r < 89)
		return (1 + below(f, 8)) * SZ_4K + 1 + below(f, SZ_4K - 1);
	return PICK(f, edge);
}

/*
 * Keep a MAP's length out of (2^34, 2^41): there the kernel allocates a
 * page array of 32 MiB to 4 GiB before it pins anything (above, the
 * allocation is refused at once), which a 2 GiB VM may not survive.
 */
static __u64 sane_len(__u64 len)
{
	if (len > (1ULL << 34) && len < (1ULL << 41))
		return len < (1ULL << 37) ? 1ULL << 34 : 1ULL << 41;
	return len;
}

static __u64 gen_iova(struct fuzz *f, const struct m_ioas *io, __u64 len)
{
	static const __u64 edge[] = {
		0, SZ_4K, SZ_2M, 1ULL << 32, (1ULL << 47), 1ULL << 48,
		1ULL << 57, 1ULL << 63, 0, 0,
	};
	const struct m_map *m;
	int r = below(f, 100);
	__u64 iova;

	if (io && io->nmaps && r < 30) {
		m = &io->maps[below(f, io->nmaps)];
		switch (below(f, 5)) {
		case 0:
			return m->iova;
		case 1:
			return m->iova + m->len;
		case 2:
			return m->iova - len;
		case 3:
			return m->iova + SZ_4K;
		default:
			return m->iova - SZ_4K;
		}
	}
	if (io && r < 45 &&
	    lowest_free(io, 0, len ? len : SZ_4K, SZ_4K, ap_last(io), &iova))
		return iova;
	if (r < 75)
		return below(f, 1024) * SZ_4K;
	if (r < 95) {
		iova = PICK(f, edge);
		switch (below(f, 3)) {
		case 0:
			return iova;
		case 1:
			return iova - len;	/* ending exactly there */
		default:
			return iova - SZ_4K;
		}
	}
	return chance(f, 50) ? rnd(f) : rnd(f) & ~(SZ_4K - 1);
}

static void op_map(struct fuzz *f)
{
	static const __u32 prots[] = {
		IOPASS_MAP_READABLE | IOPASS_MAP_WRITEABLE,
		IOPASS_MAP_READABLE | IOPASS_MAP_WRITEABLE,
		IOPASS_MAP_READABLE | IOPASS_MAP_WRITEABLE,
		IOPASS_MAP_READABLE | IOPASS_MAP_WRITEABLE,
		IOPASS_MAP_READABLE, IOPASS_MAP_READABLE,
		IOPASS_MAP_WRITEABLE, IOPASS_MAP_WRITEABLE, 0,
	};
	struct call c = { .d = &ioctls[I_MAP], .cmd = IOPASS_IOAS_MAP };
	struct iopass_ioas_map *m = (void *)c.st, *out = (void *)c.out;
	__u64 want = 0, len, iova, align;
	bool fixed, lowest = false, huge = false;
	struct m_ioas *io;
	struct expect e;
	long pins = 0;
	int cs, ret, mem;

	cs = target_ctx(f, &c);
	m->size = sizeof(*m);
	m->flags = PICK(f, prots) | (chance(f, 50) ? IOPASS_MAP_FIXED_IOVA : 0);
	m->ioas_id = pick_id(f, cs);
	io = ioas_of(f, cs, m->ioas_id);
	m->user_va = gen_uva(f);
	m->length = sane_len(chance(f, 3) ? -m->user_va : gen_len(f));
	m->iova = m->flags & IOPASS_MAP_FIXED_IOVA ? gen_iova(f, io, m->length) :
		  chance(f, 30) ? rnd(f) : 0;	/* ignored */
	mutate(f, &c);
	m->length = sane_len(m->length);
	io = ioas_of(f, cs, m->ioas_id);
	fixed = m->flags & IOPASS_MAP_FIXED_IOVA;
	len = m->length;
	snprintf(c.what, sizeof(c.what),
		 "IOAS_MAP(ctx %d, ioas %u, flags %#x, user_va %#llx (arena%+lld), length %#llx, iova %#llx)",
		 cs, m->ioas_id, m->flags, (unsigned long long)m->user_va,
		 (long long)(m->user_va - (uintptr_t)f->arena),
		 (unsigned long long)len, (unsigned long long)m->iova);

	if (expect_args(f, &c, &e)) {
		if (!(m->flags & (IOPASS_MAP_READABLE | IOPASS_MAP_WRITEABLE)))
			must(&e, EINVAL);
		if (!io)
			must(&e, ENOENT);
		if (f->ctx[cs].opener != proc.me)
			must(&e, EPERM);
		if (!len || (len | m->user_va) % SZ_4K ||
		    (fixed && m->iova % SZ_4K))
			must(&e, EINVAL);
		if (wraps(m->user_va, len) || (fixed && wraps(m->iova, len)))
			must(&e, EOVERFLOW);
		/*
		 * User memory that ends at 2^64 is the kernel's, but "@user_va +
		 * @length wraps" to 0 too.  (An IOVA range ending there does not
		 * wrap: IOVA_RANGES offers the last page.)
		 */
		if (len && m->user_va + len == 0)
			may(&e, EOVERFLOW);
		if (io && len && !(len % SZ_4K) && !(fixed && wraps(m->iova, len))) {
			if (io->nmaps >= (int)f->max_mappings)
				must(&e, ENOSPC);
			if (fixed && m->iova + len - 1 > ap_last(io))
				must(&e, ERANGE);
			if (fixed && overlaps(io, m->iova, len))
				must(&e, EEXIST);
			if (!fixed) {
				/* Never IOVA 0: the first aligned one above. */
				align = map_align(m->user_va, len);
				lowest = lowest_free(io, align, len, align,
						     ap_last(io), &want);
				if (!lowest)
					must(&e, EADDRNOTAVAIL);
			}
		}
		if (len && !((len | m->user_va) % SZ_4K) && !wraps(m->user_va, len)) {
			mem = memory_ok(f, m->user_va, len,
					m->flags & IOPASS_MAP_WRITEABLE, &huge);
			if (!mem)
				must(&e, EFAULT);
			if (mem < 0 || (huge && proc.child)) {
				/* Unknown memory; a child's copy of a huge page. */
				may(&e, EFAULT);
				may(&e, ENOMEM);
			}
		}
		if (len >= SZ_1G)
			may(&e, ENOMEM);	/* the page array */
	}
	if (c.place == PL_RO && c.target == T_OK)
		pins = pins_outstanding();
	ret = do_call(f, &c);
	judge(f, &c, &e, ret);
	if (ret == -EPERM)
		f->stats[S_EPERM]++;

	if (ret == -EFAULT && c.place == PL_RO && c.target == T_OK && io &&
	    pins_outstanding() != pins) {
		fail(f, "IOAS_MAP: EFAULT (read-only argument) but mapped",
		     "%s: the call failed, the header says nothing is mapped then, but %ld pages were pinned",
		     c.what, pins_outstanding() - pins);
		resync_ioas(f, cs, io);
		return;
	}
	if (ret || cs < 0)
		return;
	iova = out->iova;
	if (!io) {
		fail(f, "IOAS_MAP succeeded on no address space", "%s", c.what);
		return;
	}
	if ((fixed && iova != m->iova) || (!fixed && lowest && iova != want) ||
	    iova % SZ_4K || wraps(iova, len) || iova + len - 1 > ap_last(io) ||
	    overlaps(io, iova, len)) {
		fail(f, "IOAS_MAP put a mapping where the model says it cannot go",
		     "%s mapped at %#llx; the model wants %#llx (free, aligned, lowest if kernel-chosen, within [0, %#llx])",
		     c.what, (unsigned long long)iova,
		     (unsigned long long)(fixed ? m->iova : want),
		     (unsigned long long)ap_last(io));
		resync_ioas(f, cs, io);
		return;
	}
	if (io->nmaps == NR_MAPS) {
		resync_ioas(f, cs, io);
		return;
	}
	map_insert(io, iova, len, m->user_va);
	f->stats[S_MAP_OK]++;
	if (huge)
		f->stats[S_MAP_HUGE]++;
	if (m->user_va - (uintptr_t)f->arena < ARENA_SIZE &&
	    f->backing[(m->user_va - (uintptr_t)f->arena) / SZ_4K] == B_SHM)
		f->stats[S_MAP_SHM]++;
}

static void op_unmap(struct fuzz *f)
{
	static const __u64 odd_iovas[] = {
		0, 1, SZ_4K - 1, 0xfffffffffffff000ULL, 1ULL << 48, ~0ULL,
	};
	/* Lengths; 2 stands for "up to 2^64 exactly". */
	static const __u64 odd_lens[] = {
		0, 1, 2, SZ_4K, 2 * SZ_4K, SZ_4K + 1, ~0ULL,
	};
	struct call c = { .d = &ioctls[I_UNMAP], .cmd = IOPASS_IOAS_UNMAP };
	struct iopass_ioas_unmap *u = (void *)c.st, *out = (void *)c.out;
	__u64 sum = 0, last;
	const struct m_map *m;
	struct m_ioas *io;
	struct expect e;
	int cs, ret, i, r, inside = 0;
	bool all, cut = false;

	cs = target_ctx(f, &c);
	u->size = sizeof(*u);
	u->ioas_id = pick_id(f, cs);
	io = ioas_of(f, cs, u->ioas_id);
	r = below(f, 100);
	if (r < 5) {
		u->flags = IOPASS_UNMAP_ALL;
		if (chance(f, 20))
			u->iova = SZ_4K;
		if (chance(f, 20))
			u->length = SZ_4K;
	} else if (io && io->nmaps && r < 70) {
		/* One mapping exactly, a run of them, with slack, or cut. */
		i = below(f, io->nmaps);
		m = &io->maps[i];
		u->iova = m->iova;
		u->length = m->len;
		switch (below(f, 6)) {
		case 0:
			r = i + below(f, io->nmaps - i);
			u->length = io->maps[r].iova + io->maps[r].len - m->iova;
			break;
		case 1:
			u->iova -= SZ_4K * below(f, 4);
			u->length += SZ_4K * (below(f, 4) + 4);
			break;
		case 2:
			u->iova += SZ_4K;
			break;
		case 3:
			u->length += SZ_4K;
			break;
		default:
			break;
		}
	} else if (r < 75) {
		u->iova = 0;
		u->length = chance(f, 50) ? 0xfffffffffffff000ULL : 1ULL << 48;
	} else if (r < 90) {
		u->iova = below(f, 1024) * SZ_4K;
		u->length = (1 + below(f, 64)) * SZ_4K;
	} else {
		u->iova = PICK(f, odd_iovas);
		u->length = PICK(f, odd_lens);
		if (u->length == 2)
			u->length = -u->iova;
	}
	if (chance(f, 4))
		u->flags |= 1U << (1 + below(f, 31));
	mutate(f, &c);
	io = ioas_of(f, cs, u->ioas_id);
	all = u->flags & IOPASS_UNMAP_ALL;
	snprintf(c.what, sizeof(c.what),
		 "IOAS_UNMAP(ctx %d, ioas %u, flags %#x, iova %#llx, length %#llx)",
		 cs, u->ioas_id, u->flags, (unsigned long long)u->iova,
		 (unsigned long long)u->length);

	if (expect_args(f, &c, &e)) {
		if (!io)
			must(&e, ENOENT);
		if (all) {
			/* An empty IOAS is not an error for "all". */
			if (u->iova || u->length)
				must(&e, EINVAL);
			for (i = 0; io && i < io->nmaps; i++)
				sum += io->maps[i].len;
		} else if (!u->length || (u->length | u->iova) % SZ_4K) {
			must(&e, EINVAL);
		} else if (wraps(u->iova, u->length)) {
			must(&e, EOVERFLOW);
		} else if (io) {
			/* The header's rules: whole mappings only, at least one. */
			last = u->iova + u->length - 1;
			for (i = 0; i < io->nmaps; i++) {
				m = &io->maps[i];
				if (m->iova > last || m->iova + m->len - 1 < u->iova)
					continue;
				if (m->iova < u->iova || m->iova + m->len - 1 > last)
					cut = true;
				sum += m->len;
				inside++;
			}
			if (cut)
				must(&e, EINVAL);
			else if (!inside)
				must(&e, ENOENT);
		}
	}
	ret = do_call(f, &c);
	judge(f, &c, &e, ret);
	if (ret == -EFAULT && c.place == PL_RO && io) {
		for (i = 0, last = 0; i < io->nmaps; i++)
			last += io->maps[i].len;
		if (resync_ioas(f, cs, io) < last)
			fail(f, "IOAS_UNMAP: EFAULT (read-only argument) but unmapped",
			     "%s: mappings are gone though the call failed", c.what);
		return;
	}
	if (ret || !io)
		return;
	if (out->length != sum || cut) {
		fail(f, "IOAS_UNMAP unmapped what the model does not have",
		     "%s unmapped %#llx bytes; the model has %#llx in the range%s",
		     c.what, (unsigned long long)out->length,
		     (unsigned long long)sum, cut ? ", and it cuts a mapping" : "");
		resync_ioas(f, cs, io);
		return;
	}
	/* Drop what lay in the range. */
	f->stats[S_UNMAP_OK]++;
	last = all ? ~0ULL : u->iova + u->length - 1;
	for (i = 0; i < io->nmaps; i++) {
		m = &io->maps[i];
		if ((all || m->iova >= u->iova) && m->iova + m->len - 1 <= last) {
			memmove(&io->maps[i], &io->maps[i + 1],
				(io->nmaps - i - 1) * sizeof(*m));
			io->nmaps--;
			i--;
		}
	}
}

static void op_get_info(struct fuzz *f)
{
	struct call c = { .d = &ioctls[I_GET_INFO], .cmd = IOPASS_DEVICE_GET_INFO };
	struct iopass_device_info *in = (void *)c.st, *out = (void *)c.out;
	struct expect e;
	int ds, ret;

	ds = target_dev(f, &c);
	in->size = sizeof(*in);
	if (chance(f, 20)) {
		/* Input in the output fields: the kernel must overwrite it. */
		in->iommu_group = rnd(f);
		in->domain_type = rnd(f);
		in->device_flags = rnd(f);
		in->num_regions = rnd(f);
		in->num_irqs = rnd(f);
	}
	mutate(f, &c);
	snprintf(c.what, sizeof(c.what), "DEVICE_GET_INFO(dev %d)", ds);
	expect_args(f, &c, &e);
	ret = do_call(f, &c);
	judge(f, &c, &e, ret);
	if (ret || c.target != T_OK)
		return;
	/* What the header says of a mock device (fields within @size only). */
	if (out->iommu_group != 0xffffffff || out->domain_type != IOPASS_DOMAIN_PAGING ||
	    (out->device_flags & IOPASS_DEVICE_FLAGS_PCI) ||
	    (c.size >= offsetof(struct iopass_device_info, __reserved2) &&
	     (out->num_regions || out->num_irqs)))
		fail(f, "DEVICE_GET_INFO describes a mock device wrongly",
		     "%s: iommu_group %#x, domain_type %u, device_flags %#x, %u regions, %u irqs",
		     c.what, out->iommu_group, out->domain_type, out->device_flags,
		     out->num_regions, out->num_irqs);
}

/* Does DEVICE_DETACH find @d attached?  (It is not, afterward.) */
static bool probe_attached(struct fuzz *f, int d)
{
	struct iopass_device_detach cmd = { .size = sizeof(cmd) };

	return !plain_ioctl(f->dev[d].fd, IOPASS_DEVICE_DETACH, &cmd);
}

static void op_attach(struct fuzz *f)
{
	struct call c = { .d = &ioctls[I_ATTACH], .cmd = IOPASS_DEVICE_ATTACH };
	struct iopass_device_attach *a = (void *)c.st;
	struct m_ioas *io = NULL;
	struct expect e;
	int ds, cs = -1, ret, r, i, kind;

	ds = target_dev(f, &c);
	a->size = sizeof(*a);
	r = below(f, 100);
	i = below(f, NR_CTX);
	if (r < 80 && ctx_usable(f, i)) {
		cs = i;
		a->ctx_fd = f->ctx[i].fd;
	} else {
		kind = below(f, 6);
		a->ctx_fd = kind == 0 ? f->bad_fd : kind == 1 ? -1 :
			    kind == 2 ? f->null_fd : kind == 3 ? f->event_fd :
			    kind == 4 ? INT_MAX : f->dev[below(f, NR_DEV)].fd;
		if (a->ctx_fd < 0 && kind == 5)
			a->ctx_fd = INT_MIN;
	}
	a->ioas_id = pick_id(f, cs);
	mutate(f, &c);
	/* The view may have lost the fields to a short @size. */
	if (cs >= 0 && a->ctx_fd != f->ctx[cs].fd)
		cs = -1;
	io = ioas_of(f, cs, a->ioas_id);
	snprintf(c.what, sizeof(c.what),
		 "DEVICE_ATTACH(dev %d, ctx_fd %d (ctx %d), ioas %u)", ds,
		 a->ctx_fd, cs, a->ioas_id);
	if (expect_args(f, &c, &e)) {
		if (cs < 0)
			must(&e, EBADF);
		else if (!io)
			must(&e, ENOENT);
		if (f->dev[ds].ctx >= 0)
			must(&e, EALREADY);
		for (i = 0; io && !io->users && i < io->nmaps; i++)
			if (io->maps[i].iova + io->maps[i].len - 1 > MOCK_LAST)
				must(&e, ERANGE);
		if (a->flags & IOPASS_ATTACH_VF_TOKEN)
			must(&e, EINVAL);
	}
	ret = do_call(f, &c);
	judge(f, &c, &e, ret);
	if (ret == -EFAULT && c.place == PL_RO && c.target == T_OK &&
	    f->dev[ds].ctx < 0 && probe_attached(f, ds)) {
		fail(f, "DEVICE_ATTACH: EFAULT (read-only argument) but attached",
		     "%s: the device was attached though the call failed (detached again)",
		     c.what);
		return;
	}
	if (ret || c.target != T_OK || !io)
		return;
	for (i = 0; i < NR_IOAS; i++)
		if (&f->ctx[cs].ioas[i] == io)
			break;
	f->dev[ds].ctx = cs;
	f->dev[ds].ioas = i;
	io->users++;
}

static void op_detach(struct fuzz *f)
{
	struct call c = { .d = &ioctls[I_DETACH], .cmd = IOPASS_DEVICE_DETACH };
	struct expect e;
	int ds, ret;

	ds = target_dev(f, &c);
	((struct iopass_device_detach *)c.st)->size = sizeof(struct iopass_device_detach);
	mutate(f, &c);
	snprintf(c.what, sizeof(c.what), "DEVICE_DETACH(dev %d)", ds);
	if (expect_args(f, &c, &e) && f->dev[ds].ctx < 0)
		must(&e, ENOENT);
	ret = do_call(f, &c);
	judge(f, &c, &e, ret);
	if (ret == -EFAULT && c.place == PL_RO && c.target == T_OK &&
	    f->dev[ds].ctx >= 0) {
		/* Still attached, as it should be?  The probe detaches it. */
		if (!probe_attached(f, ds))
			fail(f, "DEVICE_DETACH: EFAULT (read-only argument) but detached",
			     "%s: the device was detached though the call failed",
			     c.what);
		ret = 0;
	}
	if (!ret && c.target == T_OK)
		model_detach(f, ds);
}

/* The PCI-only ioctls: a mock device is no PCI function (ENOTTY). */
static void op_pci(struct fuzz *f)
{
	static const int which[] = { I_REGION, I_IRQ, I_SET_IRQS, I_RESET };
	struct call c;
	struct expect e;
	unsigned int i;
	int ds, ret;

	memset(&c, 0, sizeof(c));
	c.d = &ioctls[PICK(f, which)];
	c.cmd = c.d->cmd;
	ds = target_dev(f, &c);
	for (i = 0; i < sizeof(c.st); i++)
		c.st[i] = chance(f, 70) ? 0 : rnd(f);
	((__u32 *)c.st)[0] = c.d->size;
	if (c.d == &ioctls[I_SET_IRQS] && chance(f, 50))
		((struct iopass_set_irqs *)c.st)->eventfds = (uintptr_t)&f->event_fd;
	mutate(f, &c);
	snprintf(c.what, sizeof(c.what), "%s(dev %d)", c.d->name, ds);
	expect_args(f, &c, &e);
	ret = do_call(f, &c);
	judge(f, &c, &e, ret);
}

/* A number in iopass's range, or near it, that is no iopass ioctl. */
static void op_badcmd(struct fuzz *f)
{
	struct call c;
	struct expect e;
	unsigned int i;
	int ret;

	memset(&c, 0, sizeof(c));
	for (;;) {
		c.cmd = _IOC(below(f, 4), IOPASS_TYPE,
			     chance(f, 70) ? IOPASS_CMD_BASE - 8 + below(f, 32) : below(f, 256),
			     chance(f, 50) ? 0 : below(f, 128));
		for (i = 0; i < NR_IOCTLS; i++)
			if (ioctls[i].cmd == c.cmd)
				break;
		if (i == NR_IOCTLS)
			break;
	}
	if (chance(f, 50))
		target_ctx(f, &c);
	else
		target_dev(f, &c);
	((__u32 *)c.st)[0] = 8 * below(f, 8);
	c.size = ((__u32 *)c.st)[0];
	c.p = arg_address(f, &c);
	snprintf(c.what, sizeof(c.what), "ioctl %#lx", c.cmd);
	expect_args(f, &c, &e);
	ret = do_call(f, &c);
	judge(f, &c, &e, ret);
}

/* ---- the steps: the process around the ioctls ---- */

static void op_ctx_open(struct fuzz *f)
{
	int c = ctx_free_slot(f), fd, i;

	if (c < 0)
		return;
	fd = ctx_open_inheritable();
	if (fd < 0) {
		fail(f, "open(/dev/iopass) failed", "%s", strerror(-fd));
		return;
	}
	model_ctx_opened(f, c, fd);
	/* Mostly with an address space or two to work on. */
	for (i = below(f, 3); i > 0; i--) {
		if (ioas_alloc(fd, &f->ctx[c].ioas[i].id)) {
			fail(f, "IOAS_ALLOC in a new context failed", "ctx %d", c);
			return;
		}
		f->ctx[c].ioas[i].used = true;
		f->ctx[c].ioas[i].live = true;
	}
}

static void op_ctx_close(struct fuzz *f)
{
	int c = below(f, NR_CTX);

	if (!ctx_usable(f, c) || c == proc.own_ctx)
		return;
	close(f->ctx[c].fd);
	if (f->ctx[c].fd_pid == proc.me)
		model_ctx_close(f, c);
	else
		proc.closed_ctx[c] = true;	/* the parent still has it */
}

/* Reopen a closed device; an open one must refuse a second opener. */
static void op_dev_open(struct fuzz *f)
{
	int d = below(f, NR_DEV), fd;

	if (!f->mock_loaded || f->dev[d].revoked)
		return;
	fd = mock_open(d);
	if (f->dev[d].fd >= 0) {
		if (fd != -EBUSY)
			fail(f, "a second open of a device fd did not fail with EBUSY",
			     "open of hw%d returned %s", d, fd < 0 ? errname(-fd) : "an fd");
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd < 0) {
		fail(f, "a device cannot be reopened", "hw%d: %s", d, errname(-fd));
		return;
	}
	f->dev[d].fd = fd;
}

/* Closing a device fd detaches the device. */
static void op_dev_close(struct fuzz *f)
{
	int d = below(f, NR_DEV);

	if (f->dev[d].fd < 0)
		return;
	close(f->dev[d].fd);
	f->dev[d].fd = -1;
	model_detach(f, d);
}

/* Change user memory, also under live mappings (the pins keep the pages). */
static void op_mem(struct fuzz *f)
{
	int ch = below(f, CHUNKS), r = below(f, 100);
	__u64 first = ch * CHUNK_PAGES, n = CHUNK_PAGES;

	if (f->backing[first] != B_HUGE && r >= 30 && r < 75) {
		/* A run of pages of the chunk. */
		first += below(f, CHUNK_PAGES);
		n = 1 + below(f, umin(64, (ch + 1) * CHUNK_PAGES - first));
	}
	if (r < 25)
		arena_fill(f, ch, B_ANON);
	else if (r < 30)
		arena_unmap(f, first, n);
	else if (r < 42)
		arena_protect(f, first, n, P_RO);
	else if (r < 50)
		arena_protect(f, first, n, P_NONE);
	else if (r < 62)
		arena_protect(f, first, n, P_RW);
	else if (r < 75)
		arena_unmap(f, first, n);
	else if (r < 87)
		arena_fill(f, ch, B_SHM);
	else if (hugepages_free() >= 16)	/* enough for a fork to copy pinned ones */
		arena_fill(f, ch, B_HUGE);
	else
		arena_fill(f, ch, B_ANON);
}

static void set_max_mappings(struct fuzz *f, unsigned int n)
{
	char val[16];

	snprintf(val, sizeof(val), "%u", n);
	if (sysfs_write(MAX_MAPPINGS, val))
		fail(f, "cannot set max_mappings", "%s", val);
	else
		f->max_mappings = n;
}

static void op_max_mappings(struct fuzz *f)
{
	set_max_mappings(f, chance(f, 50) ? NR_MAPS : 1 + below(f, 8));
}

/*
 * Pins, pinned_vm and the mock's page tables against the model.  A
 * mismatch is reported once, then the baseline moves so the next check
 * looks at what follows.
 */
static void check_accounting(struct fuzz *f)
{
	long pins = 0, locked = 0, mapped = 0, domains = NR_DEV, got;
	int c, i, d, classes;

	for (c = 0; c < NR_CTX; c++) {
		for (i = 0; i < NR_IOAS; i++) {
			struct m_ioas *io = &f->ctx[c].ioas[i];

			if (!io->used)
				continue;
			pins += pages_of(io);
			if (f->ctx[c].opener == f->main_pid)
				locked += pages_of(io) * SZ_4K / 1024;
			/* One domain per kind of IOMMU attached; the devices are kinds 0, 1. */
			classes = 0;
			for (d = 0; d < NR_DEV; d++)
				if (f->dev[d].ctx == c && f->dev[d].ioas == i)
					classes++;
			mapped += classes * pages_of(io);
			domains += classes;
		}
	}
	got = pins_outstanding() - f->pins0 - f->pins_bias;
	if (got != pins) {
		fail(f, "pinned pages differ from the model",
		     "%ld pages pinned since the start, the model's mappings hold %ld",
		     got, pins);
		f->pins_bias += got - pins;
	}
	got = pinned_vm_kb() - f->locked0 - f->locked_bias;
	if (got != locked) {
		fail(f, "pinned_vm differs from the model",
		     "pinned_vm grew by %ld kB, the model's mappings of this process hold %ld kB",
		     got, locked);
		f->locked_bias += got - locked;
	}
	if (!f->mock_loaded)
		return;
	if (mock_counter("mapped_pages") != mapped ||
	    mock_counter("domains") != domains)
		fail(f, "the mock's page tables differ from the model",
		     "mapped_pages %ld, domains %ld; the model: %ld, %ld",
		     mock_counter("mapped_pages"), mock_counter("domains"),
		     mapped, domains);
	if (mock_counter("violations") || mock_counter("bad_unmaps"))
		fail(f, "the mock counted violations",
		     "violations %ld, bad_unmaps %ld", mock_counter("violations"),
		     mock_counter("bad_unmaps"));
}

static void step(struct fuzz *f, const unsigned char *weights);

/* Wait for a child; then its own contexts are closed, unless handed over. */
static void wait_child(struct fuzz *f, pid_t pid, const char *what)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		fail(f, "waitpid", "%s", strerror(errno));
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail(f, "a child process failed",
		     "the %s child %s %d", what,
		     WIFEXITED(status) ? "exited with" : "was killed by signal",
		     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static void reap_child(struct fuzz *f, pid_t pid)
{
	int c;

	for (c = 0; c < NR_CTX; c++)
		if (f->ctx[c].open && f->ctx[c].fd_pid == pid)
			model_ctx_close(f, c);
	f->sub = 0;
}

/*
 * A forked child runs steps on the fds it inherited (MAP must fail with
 * EPERM there: not the opener) and on contexts it opens itself.
 */
static void op_fork(struct fuzz *f)
{
	int n = 5 + below(f, 40);
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fail(f, "fork", "%s", strerror(errno));
		return;
	}
	if (!pid) {
		proc.me = getpid();
		proc.child = true;
		for (f->sub = 1; f->sub <= (unsigned long)n; f->sub++)
			step(f, weights_child);
		fflush(stdout);
		_exit(0);
	}
	f->forks++;
	wait_child(f, pid, "forked");
	reap_child(f, pid);
}

/*
 * A child opens a context, maps its own memory, may attach the devices it
 * inherited, then sends the context to the parent and exits: an address
 * space that outlives the process whose pages it pins (MAP is EPERM now).
 */
static void op_scm(struct fuzz *f)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int sv[2], c, n = 5 + below(f, 30), fd;
	pid_t pid;

	c = ctx_free_slot(f);
	if (c < 0 || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		return;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (!pid) {
		proc.me = getpid();
		proc.child = true;
		fd = ctx_open_inheritable();
		if (fd < 0)
			_exit(1);
		model_ctx_opened(f, c, fd);
		proc.own_ctx = c;
		f->sub = 1;
		op_alloc(f);
		for (f->sub = 2; f->sub <= (unsigned long)n; f->sub++)
			step(f, weights_child);
		memset(cbuf, 0, sizeof(cbuf));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		if (sendmsg(sv[1], &msg, 0) != 1)
			_exit(2);
		fflush(stdout);
		_exit(0);
	}
	close(sv[1]);
	/* The context waits in the socket while its process is gone. */
	wait_child(f, pid, "handing-over");
	fd = -1;
	if (recvmsg(sv[0], &msg, MSG_DONTWAIT) == 1) {
		cm = CMSG_FIRSTHDR(&msg);
		if (cm && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	}
	close(sv[0]);
	if (fd >= 0 && f->ctx[c].open && f->ctx[c].fd_pid == pid) {
		f->ctx[c].fd = fd;
		f->ctx[c].fd_pid = proc.me;
		f->handovers++;
	} else if (fd >= 0) {
		close(fd);
	}
	reap_child(f, pid);
}

/*
 * An exec'd image on the inherited fds: its memory is not the opener's,
 * so MAP is EPERM there; everything else works, and it can open and map
 * a context of its own.  It checks itself (exec_child() below).
 */
static void op_exec(struct fuzz *f)
{
	char spec[512] = "", *argv[] = { "iopass_fuzz", NULL };
	size_t n = 0;
	int c, i, d;
	pid_t pid;

	for (c = 0; c < NR_CTX; c++) {
		if (!ctx_usable(f, c))
			continue;
		n += snprintf(spec + n, sizeof(spec) - n, "c%d", f->ctx[c].fd);
		for (i = 0; i < NR_IOAS; i++)
			if (f->ctx[c].ioas[i].used && f->ctx[c].ioas[i].live)
				n += snprintf(spec + n, sizeof(spec) - n, ":%u",
					      f->ctx[c].ioas[i].id);
		n += snprintf(spec + n, sizeof(spec) - n, " ");
	}
	for (d = 0; d < NR_DEV; d++)
		if (dev_usable(f, d) && !f->dev[d].revoked)
			n += snprintf(spec + n, sizeof(spec) - n, "d%d ", f->dev[d].fd);
	if (f->verbose)
		printf("# %lu exec: %s\n", f->step, spec);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		for (d = 0; d < NR_DEV; d++)
			if (f->dev[d].fd >= 0)
				fcntl(f->dev[d].fd, F_SETFD, 0);
		setenv("IOPASS_FUZZ_EXEC", spec, 1);
		execv("/proc/self/exe", argv);
		_exit(126);
	}
	f->execs++;
	wait_child(f, pid, "exec'd");
}

/*
 * Unload iopass_mock.ko, or load it again.  An open device fd holds the
 * module: unloading fails with EWOULDBLOCK then (concepts.rst, "rmmod").
 * Once it is gone, contexts and their address spaces stay; the devices come
 * back with the module, to be opened again.
 */
static void op_unload(struct fuzz *f)
{
	bool open = false;
	int d, ret;

	if (f->mock_loaded) {
		check_accounting(f);
		for (d = 0; d < NR_DEV; d++)
			open |= f->dev[d].fd >= 0;
		ret = syscall(SYS_delete_module, "iopass_mock", O_NONBLOCK) ? -errno : 0;
		if (ret != (open ? -EWOULDBLOCK : 0)) {
			fail(f, "delete_module(iopass_mock) disagrees with the open device fds",
			     "%s with %s device fd open", errname(-ret),
			     open ? "a" : "no");
			if (ret)
				return;
		}
		if (ret)
			return;
		f->mock_loaded = false;
		/* Were an fd open, it would be revoked: ENODEV from now on. */
		for (d = 0; d < NR_DEV; d++) {
			model_detach(f, d);
			f->dev[d].revoked = f->dev[d].fd >= 0;
		}
		return;
	}
	for (d = 0; d < NR_DEV; d++)
		if (f->dev[d].fd >= 0)
			return;		/* reload once the revoked fds are closed */
	ret = mock_module_load("devices=2 iommu_classes=2");
	if (ret) {
		fail(f, "iopass_mock does not load again", "%s", errname(-ret));
		return;
	}
	f->mock_loaded = true;
	f->stats[S_RELOADS]++;
	for (d = 0; d < NR_DEV; d++)
		f->dev[d].revoked = false;
}

static void (*const op_fns[NR_OPS])(struct fuzz *f) = {
	[OP_ALLOC] = op_alloc, [OP_DESTROY] = op_destroy,
	[OP_RANGES] = op_ranges, [OP_MAP] = op_map, [OP_UNMAP] = op_unmap,
	[OP_GET_INFO] = op_get_info, [OP_ATTACH] = op_attach,
	[OP_DETACH] = op_detach, [OP_PCI] = op_pci, [OP_BADCMD] = op_badcmd,
	[OP_CTX_OPEN] = op_ctx_open, [OP_CTX_CLOSE] = op_ctx_close,
	[OP_DEV_OPEN] = op_dev_open, [OP_DEV_CLOSE] = op_dev_close,
	[OP_MEM] = op_mem, [OP_MAX_MAPPINGS] = op_max_mappings,
	[OP_CHECK] = check_accounting, [OP_FORK] = op_fork, [OP_EXEC] = op_exec,
	[OP_SCM] = op_scm, [OP_UNLOAD] = op_unload,
};

static void step(struct fuzz *f, const unsigned char *weights)
{
	unsigned int total = 0, r, i;

	for (i = 0; i < NR_OPS; i++)
		total += weights[i];
	r = below(f, total);
	for (i = 0; r >= weights[i]; i++)
		r -= weights[i];
	f->op_count[i]++;
	op_fns[i](f);
}

/* ---- the exec'd image ---- */

static int exec_check(const char *what, int got, int want)
{
	if (got == want)
		return 0;
	printf("# exec child: %s returned %s, want %s\n", what, errname(-got),
	       errname(-want));
	return 1;
}

/*
 * The image op_exec() runs, before main(): IOPASS_FUZZ_EXEC lists the
 * contexts ("c<fd>:<id>:<id>") and devices ("d<fd>") it inherited.
 */
static void __attribute__((constructor)) exec_child(void)
{
	const char *spec = getenv("IOPASS_FUZZ_EXEC");
	struct iopass_iova_range ranges[4];
	int bad = 0, fd, own;
	__u64 iova;
	__u32 id;
	char *tok, *end, *buf;

	if (!spec)
		return;
	buf = mmap(NULL, 4 * SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	for (tok = (char *)spec; *tok; tok = end) {
		while (*tok == ' ')
			tok++;
		if (!*tok)
			break;
		fd = strtol(tok + 1, &end, 10);
		if (*tok == 'd') {
			struct iopass_device_info info = { .size = sizeof(info) };

			bad += exec_check("DEVICE_GET_INFO",
					  plain_ioctl(fd, IOPASS_DEVICE_GET_INFO, &info), 0);
			continue;
		}
		while (*end == ':') {
			struct iopass_ioas_iova_ranges r = {
				.size = sizeof(r), .num_ranges = 4,
				.allowed_iovas = (uintptr_t)ranges,
			};

			r.ioas_id = strtoul(end + 1, &end, 10);
			bad += exec_check("IOAS_IOVA_RANGES",
					  plain_ioctl(fd, IOPASS_IOAS_IOVA_RANGES, &r), 0);
			iova = 0;
			bad += exec_check("IOAS_MAP (not the opener's memory)",
					  ioas_map(fd, r.ioas_id, buf, SZ_4K, &iova, MAP_RW),
					  -EPERM);
			bad += exec_check("IOAS_MAP fixed (not the opener's memory)",
					  ioas_map_fixed(fd, r.ioas_id, buf, SZ_4K, 1ULL << 40,
							 IOPASS_MAP_READABLE), -EPERM);
		}
		if (!exec_check("IOAS_ALLOC", ioas_alloc(fd, &id), 0))
			bad += exec_check("IOAS_DESTROY", ioas_destroy(fd, id), 0);
		else
			bad++;
	}
	/* A context of its own: this image opened it, so it may map. */
	own = ctx_open();
	if (own < 0 || ioas_alloc(own, &id)) {
		bad++;
	} else {
		iova = 0;
		bad += exec_check("IOAS_MAP into its own context",
				  ioas_map(own, id, buf, 4 * SZ_4K, &iova, MAP_RW), 0);
	}
	fflush(stdout);
	_exit(bad);		/* everything it holds goes with it */
}

/* ---- the tests ---- */

static void __attribute__((constructor)) pick_seed(void)
{
	const char *s = getenv("IOPASS_FUZZ_SEED");
	struct timespec ts;
	__u64 st;

	if (s) {
		default_seed = strtoull(s, NULL, 0);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	st = ts.tv_sec * 1000000000ULL + ts.tv_nsec + getpid();
	default_seed = splitmix(&st);
}

FIXTURE(fuzz) {
	struct fuzz *f;
};

FIXTURE_SETUP(fuzz)
{
	const char *iters = getenv("IOPASS_FUZZ_ITERS");
	unsigned long default_steps;
	struct fuzz *f;
	char *p;
	int d, c;
	__u64 h = 0xcbf29ce484222325ULL;
	const char *n;

	f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f);
	self->f = f;
	proc.me = getpid();
	f->main_pid = proc.me;
	f->test = _metadata->name;
	f->seed = default_seed;
	for (n = f->test; *n; n++)
		h = (h ^ (unsigned char)*n) * 0x100000001b3ULL;
	f->rng = f->seed ^ h;
	default_steps = !strcmp(f->test, "context_and_mock_devices") ? 9000 :
			!strcmp(f->test, "concurrent_ioctls") ? 16000 : 1800;
	f->steps = iters ? strtoul(iters, NULL, 0) : default_steps;
	f->verbose = getenv("IOPASS_FUZZ_VERBOSE");
	printf("# seed %#llx\n", f->seed);
	printf("# %s: %lu steps (IOPASS_FUZZ_SEED=%#llx IOPASS_FUZZ_ITERS=%lu)\n",
	       f->test, f->steps, f->seed, f->steps);
	fflush(stdout);

	f->pins0 = pins_outstanding();
	f->locked0 = pinned_vm_kb();
	f->min_addr = sysfs_read_ul("/proc/sys/vm/mmap_min_addr");
	if (f->min_addr < SZ_4K || f->min_addr == ULONG_MAX)
		f->min_addr = SZ_4K;
	ASSERT_EQ(0, sysfs_read(MAX_MAPPINGS, f->old_max, sizeof(f->old_max)));
	ASSERT_EQ(0, mock_module_load("devices=2 iommu_classes=2"));
	f->mock_loaded = true;

	/* Helper fds, and a number that is never open. */
	f->null_fd = open("/dev/null", O_RDWR);
	f->event_fd = eventfd(0, 0);
	f->bad_fd = 1000;
	ASSERT_LE(0, f->null_fd);
	ASSERT_LE(0, f->event_fd);
	ASSERT_EQ(-1, fcntl(f->bad_fd, F_GETFD));

	/* Argument memory. */
	f->arg = mmap(NULL, ARG_PAGES * SZ_4K, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f->arg);
	ASSERT_EQ(0, mprotect(f->arg + ARG_RW_END, SZ_4K, PROT_NONE));
	ASSERT_EQ(0, mprotect(f->arg + ARG_RO, SZ_4K, PROT_READ));
	ASSERT_EQ(0, mprotect(f->arg + ARG_RO + SZ_4K, SZ_4K, PROT_NONE));
	ASSERT_EQ(0, mprotect(f->arg + ARG_RANGES_END, SZ_4K, PROT_NONE));

	/* The arena: 1 GiB-aligned, so that a replay aligns like the run. */
	p = mmap(NULL, ARENA_SIZE + 4 * GUARD, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	f->arena = (char *)(((uintptr_t)p + 2 * GUARD - 1) & ~(GUARD - 1));
	f->memfd = memfd_create("iopass_fuzz", MFD_CLOEXEC);
	ASSERT_LE(0, f->memfd);
	ASSERT_EQ(0, ftruncate(f->memfd, ARENA_SIZE));
	for (c = 0; c < CHUNKS; c++)
		arena_fill(f, c, c == 12 ? B_SHM : c == 13 ? B_HUGE : B_ANON);
	arena_protect(f, 14 * CHUNK_PAGES, CHUNK_PAGES, P_RO);
	arena_unmap(f, 15 * CHUNK_PAGES, CHUNK_PAGES);

	set_max_mappings(f, NR_MAPS);
	for (d = 0; d < NR_DEV; d++) {
		f->dev[d].fd = mock_open(d);
		ASSERT_LE(0, f->dev[d].fd);
		f->dev[d].ctx = -1;
		f->dev[d].ioas = -1;
	}
	/* Two contexts with an address space each, to begin with. */
	for (c = 0; c < 2; c++) {
		op_ctx_open(f);
		ASSERT_TRUE(f->ctx[c].open);
		ASSERT_EQ(0, ioas_alloc(f->ctx[c].fd, &f->ctx[c].ioas[0].id));
		f->ctx[c].ioas[0].used = true;
		f->ctx[c].ioas[0].live = true;
	}
}

FIXTURE_TEARDOWN(fuzz)
{
	struct fuzz *f = self->f;
	char path[64], target[PATH_MAX];
	int c, d, fd, ret;
	ssize_t n;

	if (!f)
		return;
	for (c = 0; c < NR_CTX; c++)
		if (f->ctx[c].open && f->ctx[c].fd_pid == proc.me)
			close(f->ctx[c].fd);
	for (d = 0; d < NR_DEV; d++)
		if (f->dev[d].fd >= 0)
			close(f->dev[d].fd);
	close(f->null_fd);
	close(f->event_fd);
	close(f->memfd);

	/* No fd of ours is left on an iopass file. */
	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		EXPECT_EQ(NULL, strstr(target, "iopass")) TH_LOG("fd %d: %s", fd, target);
	}
	/* Everything pinned and charged is back; the mock saw no violation. */
	EXPECT_EQ(f->pins0, pins_outstanding());
	EXPECT_EQ(f->locked0, pinned_vm_kb());
	if (f->mock_loaded) {
		EXPECT_EQ(0, mock_counter("violations"));
		EXPECT_EQ(0, mock_counter("bad_unmaps"));
		EXPECT_EQ(0, mock_counter("mapped_pages"));
		ret = syscall(SYS_delete_module, "iopass_mock", O_NONBLOCK) ? -errno : 0;
		EXPECT_EQ(0, ret) TH_LOG("delete_module(iopass_mock): %s", errname(-ret));
	}
	EXPECT_EQ(0, sysfs_write(MAX_MAPPINGS, f->old_max));
}

/* ---- racing threads ---- */

#define NR_RACERS	4

/**
 * struct racer - a thread of concurrent_ioctls
 * @f: the run
 * @rng: its own random stream, from the seed and its number
 * @n: its number
 * @steps: how many steps it takes
 */
struct racer {
	struct fuzz *f;
	__u64 rng;
	int n;
	unsigned long steps;
};

static __u32 rbelow(struct racer *r, __u32 n)
{
	return n ? splitmix(&r->rng) % n : 0;
}

/* Whatever the interleaving, only what the header documents comes back. */
static void race_check(struct racer *r, int which, int ret, unsigned long i)
{
	char key[160];

	__atomic_fetch_add(&r->f->calls, 1, __ATOMIC_RELAXED);
	if (!ret || documented(&ioctls[which], -ret))
		return;
	snprintf(key, sizeof(key), "%s returned %s, undocumented (racing)",
		 ioctls[which].name, errname(-ret));
	fail(r->f, key, "thread %d, its step %lu", r->n, i);
}

/*
 * One thread's steps, on the contexts and devices all of them share: IDs
 * from a small set so that they collide, a context replaced under the
 * others (dup2() of a new one onto its number), memory replaced under
 * their pins.
 */
static void *racer_main(void *arg)
{
	struct racer *r = arg;
	struct fuzz *f = r->f;
	unsigned long i;
	int op, ret, k;

	for (i = 0; i < r->steps; i++) {
		int c = f->ctx[rbelow(r, 4) ? 0 : 1].fd, d = f->dev[rbelow(r, NR_DEV)].fd;
		__u64 iova = rbelow(r, 64) * SZ_4K, len = (1 + rbelow(r, 8)) * SZ_4K;
		char *va = f->arena + rbelow(r, ARENA_PAGES - 8) * SZ_4K;
		__u32 id = 1 + rbelow(r, 4), new_id;

		if (!r->n)
			progress(f->test, i, r->steps);
		op = rbelow(r, 100);
		if (op < 20) {
			/* A new address space with a page in it: a leak shows in the pins. */
			ret = ioas_alloc(c, &new_id);
			race_check(r, I_ALLOC, ret, i);
			if (!ret)
				race_check(r, I_MAP, ioas_map(c, new_id, va, SZ_4K,
							      &iova, MAP_RW), i);
		} else if (op < 40) {
			race_check(r, I_DESTROY, ioas_destroy(c, id), i);
		} else if (op < 52) {
			ret = ioas_map(c, id, va, len, &iova, MAP_RW |
				       (op & 1 ? IOPASS_MAP_FIXED_IOVA : 0));
			race_check(r, I_MAP, ret, i);
		} else if (op < 60) {
			race_check(r, I_UNMAP, ioas_unmap(c, id, iova, 4 * len, NULL), i);
		} else if (op < 66) {
			struct iopass_ioas_unmap u = {
				.size = sizeof(u), .flags = IOPASS_UNMAP_ALL, .ioas_id = id,
			};

			race_check(r, I_UNMAP, plain_ioctl(c, IOPASS_IOAS_UNMAP, &u), i);
		} else if (op < 76) {
			race_check(r, I_ATTACH, device_attach(d, c, id), i);
		} else if (op < 84) {
			race_check(r, I_DETACH, device_detach(d), i);
		} else if (op < 90) {
			struct iopass_iova_range ranges[2];
			struct iopass_ioas_iova_ranges q = {
				.size = sizeof(q), .ioas_id = id, .num_ranges = 2,
				.allowed_iovas = (uintptr_t)ranges,
			};

			race_check(r, I_RANGES, plain_ioctl(c, IOPASS_IOAS_IOVA_RANGES, &q), i);
		} else if (op < 94) {
			struct iopass_device_info info = { .size = sizeof(info) };

			race_check(r, I_GET_INFO, plain_ioctl(d, IOPASS_DEVICE_GET_INFO, &info), i);
		} else if (op < 97) {
			/* The context goes once the others' calls on it return. */
			k = ctx_open_inheritable();
			if (k >= 0) {
				dup2(k, c);
				close(k);
			}
		} else {
			/* Fresh pages where others may be pinning the old ones. */
			va = f->arena + rbelow(r, CHUNKS) * SZ_2M;
			if (mmap(va, SZ_2M, PROT_READ | PROT_WRITE, MAP_FIXED |
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == va)
				memset(va, r->n, SZ_2M);
		}
	}
	return NULL;
}

/*
 * Threads racing on shared fds.  The interleaving is not reproducible,
 * only each thread's steps are; the oracle is the documented errnos, and
 * once every fd is closed: nothing pinned, charged or mapped is left.
 */
static void race(struct __test_metadata *_metadata, struct fuzz *f)
{
	struct racer racers[NR_RACERS];
	pthread_t threads[NR_RACERS];
	struct timespec t0, t1;
	int i;

	/* Plain, writable memory everywhere; a failure replays all the steps. */
	for (i = 0; i < CHUNKS; i++)
		arena_fill(f, i, B_ANON);
	f->step = f->steps ? f->steps - 1 : 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < NR_RACERS; i++) {
		racers[i].f = f;
		racers[i].n = i;
		racers[i].rng = f->rng ^ (0x9e3779b97f4a7c15ULL * (i + 1));
		racers[i].steps = f->steps / NR_RACERS;
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, racer_main,
					    &racers[i]));
	}
	for (i = 0; i < NR_RACERS; i++)
		pthread_join(threads[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	/* Close everything: the address spaces go, and with them every pin. */
	for (i = 0; i < NR_CTX; i++) {
		if (f->ctx[i].open)
			close(f->ctx[i].fd);
		f->ctx[i].open = false;
		f->ctx[i].fd = -1;
	}
	for (i = 0; i < NR_DEV; i++) {
		close(f->dev[i].fd);
		f->dev[i].fd = -1;
	}
	printf("# %d threads, %lu ioctls in %.1f s\n", NR_RACERS, f->calls,
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (pins_outstanding() != f->pins0 || pinned_vm_kb() != f->locked0)
		fail(f, "pins or pinned_vm left after closing every fd (racing)",
		     "%ld pages pinned, %ld kB locked beyond the start: an address space leaked",
		     pins_outstanding() - f->pins0, pinned_vm_kb() - f->locked0);
	if (mock_counter("mapped_pages") || mock_counter("domains") != NR_DEV ||
	    mock_counter("violations") || mock_counter("bad_unmaps"))
		fail(f, "the mock's page tables are not empty after closing every fd (racing)",
		     "mapped_pages %ld, domains %ld, violations %ld, bad_unmaps %ld",
		     mock_counter("mapped_pages"), mock_counter("domains"),
		     mock_counter("violations"), mock_counter("bad_unmaps"));
	for (i = 0; i < f->nkinds; i++)
		printf("# failure kind %d: [%s] %lu times\n", i + 1,
		       f->kinds[i].key, f->kinds[i].count);
	EXPECT_EQ(0, f->failures);
}

/* Run the steps; print what was done and every kind of failure found. */
static void run(struct __test_metadata *_metadata, struct fuzz *f,
		const unsigned char *weights)
{
	struct timespec t0, t1;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (f->step = 0; f->step < f->steps; f->step++) {
		progress(f->test, f->step, f->steps);
		step(f, weights);
		if (f->step % CHECK_EVERY == CHECK_EVERY - 1)
			check_accounting(f);
	}
	f->step = f->steps ? f->steps - 1 : 0;
	check_accounting(f);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	printf("# %lu steps in %.1f s: %lu ioctls (%lu failed)\n", f->steps,
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       f->calls, f->errors);
	printf("# %lu forks, %lu execs, %lu contexts handed over\n", f->forks,
	       f->execs, f->handovers);
	printf("#");
	for (i = 0; i < NR_STATS; i++)
		printf("%s %lu %s", i ? "," : "", f->stats[i], stat_names[i]);
	printf("\n");
	for (i = 0; i <= NR_IOCTLS; i++) {
		int err;

		printf("# %s:", i < NR_IOCTLS ? ioctls[i].name : "unknown numbers");
		for (err = 0; err < 136; err++)
			if (f->results[i][err])
				printf(" %s %lu", errname(err), f->results[i][err]);
		printf("\n");
	}
	printf("# steps:");
	for (i = 0; i < NR_OPS; i++)
		if (f->op_count[i])
			printf(" %s %lu", op_names[i], f->op_count[i]);
	printf("\n");
	for (i = 0; i < f->nkinds; i++)
		printf("# failure kind %d: [%s] first at step %lu, %lu times\n",
		       i + 1, f->kinds[i].key, f->kinds[i].step, f->kinds[i].count);
	if (f->nkinds)
		printf("# replay: IOPASS_FUZZ_SEED=%#llx IOPASS_FUZZ_ITERS=%lu %s -t %s\n",
		       f->seed, f->kinds[0].step + 1, program_invocation_name, f->test);
	fflush(stdout);
	EXPECT_EQ(0, f->failures);
}

/* Random ioctl sequences on two to four contexts and both mock devices. */
TEST_F_TIMEOUT(fuzz, context_and_mock_devices, 300)
{
	run(_metadata, self->f, weights_ioctls);
}

/* The same, with forks, execs, hand-overs and closes in between. */
TEST_F_TIMEOUT(fuzz, fork_exec_close_lifecycle, 300)
{
	run(_metadata, self->f, weights_lifecycle);
}

/* Threads racing ioctls, closes and munmaps on shared contexts and devices. */
/*
 * It found IOAS_DESTROY racing DESTROY + ALLOC of the same ID erase (and
 * leak, pins and all) the new IOAS (seed 0xf120c1135534ed2e); fixed.
 */
TEST_F_TIMEOUT(fuzz, concurrent_ioctls, 300)
{
	race(_metadata, self->f);
}

#include "iopass_main.h"
