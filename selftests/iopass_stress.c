// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency and life-cycle abuse, bounded in time.  Races: threads
 * mapping and unmapping overlapping IOVAs while a device attaches and
 * detaches (mock page tables check every call; the edu's are VT-d's); the
 * edu DMAing through a range while it is unmapped and remapped to other
 * memory (no write and no read may reach a page once UNMAP returned);
 * interrupts raised while their eventfds are swapped, disabled and enabled
 * again (MSI, and INTx with UNMASK: the CVE-2024-26810..26814 and
 * CVE-2024-27437 classes); a context closed, or its IOAS destroyed, under
 * a MAP; rmmod against opens of /dev/iopass.  Life cycle: SIGKILL in the
 * middle of a large MAP, what a forked child can do with its parent's fds,
 * a context that outlives the process that opened it, exit with live
 * mappings, armed interrupts and a DMA in flight, rmmod with a context open.
 *
 * Each race runs for IOPASS_STRESS_MS milliseconds (default 2000) and
 * checks what every call returned; each test checks that the pins and
 * pinned_vm it took come back.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "iopass_util.h"
#include "kselftest_harness.h"
#include "iopass_edu.h"

#define SZ_4K		0x1000UL
#define SZ_1M		0x100000UL
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64

/* How long each race runs, in milliseconds. */
static long race_ms(void)
{
	const char *s = getenv("IOPASS_STRESS_MS");

	return s ? atol(s) : 2000;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

	nanosleep(&ts, NULL);
}

static void *anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A byte the device may write behind the compiler's back. */
static unsigned char dma_byte(const unsigned char *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Whether all @len bytes at @p are @val. */
static bool all_bytes(const unsigned char *p, size_t len, unsigned char val)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (dma_byte(p + i) != val)
			return false;
	return true;
}

static bool any_byte(const unsigned char *p, size_t len, unsigned char val)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (dma_byte(p + i) == val)
			return true;
	return false;
}

/* Route vector 0 of @index to @fd (-1: off); 0 or -errno. */
static int set_vec0(int dev, __u32 index, __s32 fd)
{
	return set_irqs(dev, IOPASS_IRQ_SET_EVENTFD, index, 0, 1, &fd);
}

static int irq_off(int dev, __u32 index)
{
	return set_irqs(dev, IOPASS_IRQ_SET_EVENTFD, index, 0, 0, NULL);
}

static int intx_unmask(int dev)
{
	return set_irqs(dev, IOPASS_IRQ_SET_UNMASK, IOPASS_IRQ_INTX, 0, 1, NULL);
}

static int unmap_all(int ctx, __u32 ioas, __u64 *unmapped)
{
	struct iopass_ioas_unmap cmd = {
		.size = sizeof(cmd), .flags = IOPASS_UNMAP_ALL, .ioas_id = ioas,
	};
	int ret = ioctl_errno(ctx, IOPASS_IOAS_UNMAP, &cmd);

	*unmapped = cmd.length;
	return ret;
}

static int iova_ranges(int ctx, __u32 ioas, unsigned int *n)
{
	struct iopass_iova_range ranges[16];
	struct iopass_ioas_iova_ranges cmd = {
		.size = sizeof(cmd), .ioas_id = ioas, .num_ranges = 16,
		.allowed_iovas = (uintptr_t)ranges,
	};
	int ret = ioctl_errno(ctx, IOPASS_IOAS_IOVA_RANGES, &cmd);

	*n = cmd.num_ranges;
	return ret;
}

/* ---- threads mapping and unmapping one window of IOVAs ---- */

#define CHURN_THREADS	4
#define CHURN_PAGES	32	/* the IOVA window, from 0, they fight over */
#define CHURN_BUF_PAGES	64

enum churn_op {
	OP_NONE, OP_MAP_FIXED, OP_MAP_ANY, OP_UNMAP, OP_UNMAP_ALL, OP_RANGES,
	OP_DETACH, OP_ATTACH,
};

static const char *const churn_op_names[] = {
	"none", "map at a fixed IOVA", "map at a kernel-chosen IOVA", "unmap",
	"unmap all", "iova ranges", "detach", "attach",
};

/*
 * One thread's view: what it did, and the first result that is not one
 * the UAPI documents for the call.
 */
struct churn {
	pthread_t thread;
	int ctx, dev;
	__u32 ioas;
	char *buf;
	unsigned int seed;
	long long deadline;
	__u64 mapped, unmapped;
	unsigned long map_ok, eexist, unmap_ok, enoent, einval, calls;
	enum churn_op bad_op;
	int bad_ret;
	__u64 bad_iova, bad_len;
};

static void churn_bad(struct churn *c, enum churn_op op, int ret, __u64 iova,
		      __u64 len)
{
	if (c->bad_op)
		return;
	c->bad_op = op;
	c->bad_ret = ret;
	c->bad_iova = iova;
	c->bad_len = len;
}

/* An UNMAP of [@iova, @iova + @len): 0 and whole pages, ENOENT or EINVAL. */
static void churn_unmap(struct churn *c, __u64 iova, __u64 len)
{
	__u64 done = 0;
	int ret = ioas_unmap(c->ctx, c->ioas, iova, len, &done);

	if (!ret && done && done <= len && !(done % SZ_4K)) {
		c->unmap_ok++;
		c->unmapped += done;
	} else if (ret == -ENOENT) {
		c->enoent++;
	} else if (ret == -EINVAL) {
		c->einval++;	/* the range cuts a mapping */
	} else {
		churn_bad(c, OP_UNMAP, ret ? ret : (int)(done >> 12), iova, len);
	}
}

static void *churn_thread(void *arg)
{
	static const __u32 prots[] = {
		IOPASS_MAP_READABLE, IOPASS_MAP_WRITEABLE, MAP_RW,
	};
	struct churn *c = arg;
	unsigned int op, npages, slot, n;
	__u64 iova, len, done;
	char *va;
	int ret;

	while (!c->bad_op && now_ms() < c->deadline) {
		op = rand_r(&c->seed) % 64;
		npages = 1 + rand_r(&c->seed) % 4;
		slot = rand_r(&c->seed) % (CHURN_PAGES - npages + 1);
		va = c->buf + (rand_r(&c->seed) % (CHURN_BUF_PAGES - npages + 1)) *
		     SZ_4K;
		iova = slot * SZ_4K;
		len = npages * SZ_4K;
		c->calls++;
		if (op < 24) {
			ret = ioas_map_fixed(c->ctx, c->ioas, va, len, iova,
					     prots[op % 3]);
			if (!ret) {
				c->map_ok++;
				c->mapped += len;
			} else if (ret == -EEXIST) {
				c->eexist++;
			} else {
				churn_bad(c, OP_MAP_FIXED, ret, iova, len);
			}
		} else if (op < 32) {
			iova = 0;
			ret = ioas_map(c->ctx, c->ioas, va, len, &iova, MAP_RW);
			if (ret) {
				churn_bad(c, OP_MAP_ANY, ret, 0, len);
				continue;
			}
			c->map_ok++;
			c->mapped += len;
			/* Past the window only UNMAP_ALL and we unmap it. */
			if (iova + len > CHURN_PAGES * SZ_4K)
				churn_unmap(c, iova, len);
		} else if (op < 56) {
			npages = 1 + rand_r(&c->seed) % 6;
			slot = rand_r(&c->seed) % (CHURN_PAGES - npages + 1);
			churn_unmap(c, slot * SZ_4K, npages * SZ_4K);
		} else if (op < 63) {
			ret = iova_ranges(c->ctx, c->ioas, &n);
			if (ret || !n)
				churn_bad(c, OP_RANGES, ret, 0, n);
		} else {
			ret = unmap_all(c->ctx, c->ioas, &done);
			if (!ret && !(done % SZ_4K)) {
				c->unmap_ok++;
				c->unmapped += done;
			} else if (ret == -ENOENT) {
				c->enoent++;
			} else {
				churn_bad(c, OP_UNMAP_ALL, ret, 0, done);
			}
		}
	}
	return NULL;
}

/* Detach @c->dev and attach it again: each attach fills a new domain. */
static void *attach_thread(void *arg)
{
	struct churn *c = arg;
	int ret;

	while (!c->bad_op && now_ms() < c->deadline) {
		ret = device_detach(c->dev);
		if (ret) {
			churn_bad(c, OP_DETACH, ret, 0, 0);
			break;
		}
		ret = device_attach(c->dev, c->ctx, c->ioas);
		if (ret)
			churn_bad(c, OP_ATTACH, ret, 0, 0);
		c->calls++;
	}
	return NULL;
}

/*
 * CHURN_THREADS threads map, unmap, unmap everything and read the ranges
 * of one IOAS for race_ms(), over CHURN_PAGES pages of IOVA, while
 * @attach_dev (if not -1) is detached and attached again in a loop.  Every
 * call must return 0 or an errno the UAPI documents for the overlap, and
 * the threads must have collided in each of those ways.  Returns the bytes
 * that must be left mapped: what was mapped less what was unmapped.
 */
static __u64 churn(struct __test_metadata *_metadata, int ctx, __u32 ioas,
		   int attach_dev)
{
	struct churn c[CHURN_THREADS + 1];
	unsigned long map_ok = 0, eexist = 0, unmap_ok = 0, enoent = 0;
	unsigned long einval = 0, calls = 0;
	__u64 mapped = 0, unmapped = 0;
	long long deadline = now_ms() + race_ms();
	int want = CHURN_THREADS + (attach_dev >= 0), started, i;
	char *buf = anon(CHURN_BUF_PAGES * SZ_4K);

	EXPECT_NE(NULL, buf);
	if (!buf)
		return 0;
	memset(buf, 0x42, CHURN_BUF_PAGES * SZ_4K);
	memset(c, 0, sizeof(c));
	for (started = 0; started < want; started++) {
		c[started].ctx = ctx;
		c[started].ioas = ioas;
		c[started].dev = attach_dev;
		c[started].buf = buf;
		c[started].seed = 1 + started;
		c[started].deadline = deadline;
		if (pthread_create(&c[started].thread, NULL,
				   started < CHURN_THREADS ? churn_thread :
				   attach_thread, &c[started]))
			break;
	}
	for (i = 0; i < started; i++) {
		pthread_join(c[i].thread, NULL);
		EXPECT_EQ(OP_NONE, c[i].bad_op)
			TH_LOG("thread %d: %s of [%#llx, +%#llx) returned %d", i,
			       churn_op_names[c[i].bad_op],
			       (unsigned long long)c[i].bad_iova,
			       (unsigned long long)c[i].bad_len, c[i].bad_ret);
		mapped += c[i].mapped;
		unmapped += c[i].unmapped;
		map_ok += c[i].map_ok;
		eexist += c[i].eexist;
		unmap_ok += c[i].unmap_ok;
		enoent += c[i].enoent;
		einval += c[i].einval;
		calls += c[i].calls;
	}
	EXPECT_EQ(want, started);
	TH_LOG("%lu calls: %lu maps, %lu EEXIST, %lu unmaps, %lu ENOENT, %lu EINVAL; %lu attaches",
	       calls, map_ok, eexist, unmap_ok, enoent, einval,
	       attach_dev >= 0 ? c[CHURN_THREADS].calls : 0);
	/* The threads did collide, in every way the UAPI describes. */
	EXPECT_LT(0, map_ok);
	EXPECT_LT(0, eexist);
	EXPECT_LT(0, unmap_ok);
	EXPECT_LT(0, enoent);
	EXPECT_LT(0, einval);
	if (attach_dev >= 0)
		EXPECT_LT(0, c[CHURN_THREADS].calls);
	EXPECT_LE(unmapped, mapped);
	munmap(buf, CHURN_BUF_PAGES * SZ_4K);
	return mapped - unmapped;
}

/* One unmap-all takes exactly @left bytes: nothing lost, nothing twice. */
static void unmap_all_left(struct __test_metadata *_metadata, int ctx,
			   __u32 ioas, __u64 left)
{
	__u64 done;
	int ret = unmap_all(ctx, ioas, &done);

	/* Nothing left is not an error for "all": 0 bytes. */
	EXPECT_EQ(0, ret);
	EXPECT_EQ(left, done);
}

/* Two mock devices behind two kinds of IOMMU, both domains checking. */
FIXTURE(mock) {
	int dev[2];
	int ctx;
	__u32 ioas;
	long pins, pinned_kb;
};

FIXTURE_SETUP(mock)
{
	self->dev[0] = -1;
	self->dev[1] = -1;
	self->ctx = -1;
	self->pins = pins_outstanding();
	self->pinned_kb = pinned_vm_kb();
	ASSERT_EQ(0, mock_module_load("devices=2 iommu_classes=2"));
	self->dev[0] = mock_open(0);
	self->dev[1] = mock_open(1);
	ASSERT_LE(0, self->dev[0]);
	ASSERT_LE(0, self->dev[1]);
	self->ctx = ctx_open();
	ASSERT_LE(0, self->ctx);
	ASSERT_EQ(0, ioas_alloc(self->ctx, &self->ioas));
}

FIXTURE_TEARDOWN(mock)
{
	close(self->dev[0]);
	close(self->dev[1]);
	close(self->ctx);
	EXPECT_EQ(0, mock_counter("violations"));
	EXPECT_EQ(0, mock_counter("bad_unmaps"));
	EXPECT_EQ(0, syscall(SYS_delete_module, "iopass_mock", O_NONBLOCK));
	EXPECT_EQ(self->pins, pins_outstanding());
	EXPECT_EQ(self->pinned_kb, pinned_vm_kb());
}

/*
 * The mock page tables check every call (an unmap that cuts a map call, a
 * page unpinned while reachable: a WARN, fatal in the rig).  The class-1
 * device is detached and attached again all along: each attach fills a new
 * domain from the tree while the other threads map and unmap.
 */
TEST_F(mock, threads_map_and_unmap_overlapping_ranges)
{
	__u64 left;

	ASSERT_EQ(0, device_attach(self->dev[0], self->ctx, self->ioas));
	ASSERT_EQ(0, device_attach(self->dev[1], self->ctx, self->ioas));
	left = churn(_metadata, self->ctx, self->ioas, self->dev[1]);
	/* Both domains map exactly what is left, then nothing. */
	EXPECT_EQ(2 * left / SZ_4K, mock_counter("mapped_pages"));
	unmap_all_left(_metadata, self->ctx, self->ioas, left);
	EXPECT_EQ(0, mock_counter("mapped_pages"));
}

/* ---- a context closed, or its IOAS destroyed, under a MAP ---- */

#define CLOSE_MAP_LEN	(8 * SZ_1M)

struct closer {
	int fd;
	__u32 ioas;
	char *buf;
	unsigned long maps;
	int ret;	/* what ended the loop */
	__u64 bad_len;	/* an unmap-all that took the wrong amount */
};

static void *map_until_gone(void *arg)
{
	struct closer *c = arg;
	__u64 iova, done;
	int n = 0;

	for (;;) {
		iova = 0;
		c->ret = ioas_map(c->fd, c->ioas, c->buf, CLOSE_MAP_LEN, &iova,
				  MAP_RW);
		if (c->ret)
			break;
		c->maps++;
		if (++n < 4)
			continue;
		c->ret = unmap_all(c->fd, c->ioas, &done);
		if (c->ret)
			break;
		if (done != 4 * CLOSE_MAP_LEN)
			c->bad_len = done;
		n = 0;
	}
	return NULL;
}

/*
 * A thread maps 8 MiB at a time (unmapping all after every fourth) while
 * the main thread, after a random delay, destroys the IOAS or closes the
 * context: dup2() of /dev/null over it, so that the number stays valid
 * and the next call fails with ENOTTY.  The MAP in flight holds the IOAS,
 * and what it mapped goes when its last reference does.  Every other time
 * a mock device is attached to the IOAS, which keeps it, and its pins,
 * until the device detaches.
 */
TEST_F(mock, context_closed_or_ioas_destroyed_under_a_map)
{
	long long deadline = now_ms() + race_ms();
	unsigned long iters = 0, late = 0, destroys = 0;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	char *buf = anon(CLOSE_MAP_LEN);
	unsigned int seed = 7;
	bool attached, destroy;
	struct closer c;
	pthread_t t;
	int ret;

	ASSERT_LE(0, null);
	ASSERT_NE(NULL, buf);
	memset(buf, 0x33, CLOSE_MAP_LEN);
	while (now_ms() < deadline) {
		memset(&c, 0, sizeof(c));
		c.buf = buf;
		c.fd = ctx_open();
		ASSERT_LE(0, c.fd);
		ASSERT_EQ(0, ioas_alloc(c.fd, &c.ioas));
		attached = iters % 2;
		destroy = !attached && rand_r(&seed) % 2;
		if (attached)
			ASSERT_EQ(0, device_attach(self->dev[0], c.fd, c.ioas));
		ASSERT_EQ(0, pthread_create(&t, NULL, map_until_gone, &c));
		sleep_us(rand_r(&seed) % 4000);
		ret = destroy ? ioas_destroy(c.fd, c.ioas) :
		      dup2(null, c.fd) < 0 ? -errno : 0;
		ASSERT_EQ(0, ret);
		pthread_join(t, NULL);
		EXPECT_EQ(destroy ? -ENOENT : -ENOTTY, c.ret)
			TH_LOG("iteration %lu (%s%s): after %lu maps", iters,
			       destroy ? "destroy" : "close",
			       attached ? ", attached" : "", c.maps);
		EXPECT_EQ(0, c.bad_len);
		close(c.fd);
		if (attached)
			EXPECT_EQ(0, device_detach(self->dev[0]));
		late += c.maps > 0;
		destroys += destroy;
		iters++;
		if (_metadata->exit_code)
			break;
	}
	TH_LOG("%lu iterations (%lu IOAS destroys), %lu after maps had begun",
	       iters, destroys, late);
	EXPECT_LT(0, late);
	EXPECT_EQ(0, mock_counter("mapped_pages"));
	munmap(buf, CLOSE_MAP_LEN);
	close(null);
}

/* ---- the edu: real VT-d page tables, real DMA, real interrupts ---- */

/*
 * The same churn on intel-iommu's page tables and IOTLB flushes, the edu
 * detached (its group back to the empty domain, its domain freed) and
 * attached (a new domain filled from the tree) all along.
 */
TEST_F(edu, threads_map_and_unmap_overlapping_ranges)
{
	char name[64], path[PATH_MAX], val[64];
	__u64 left;

	left = churn(_metadata, self->ctx, self->ioas, self->dev);
	ASSERT_EQ(0, iopass_dev_of(self->bdf, name, sizeof(name)));
	snprintf(path, sizeof(path), IOPASS_DEVICES "/%s/pinned_pages", name);
	ASSERT_EQ(0, sysfs_read(path, val, sizeof(val)));
	EXPECT_EQ(left / SZ_4K, atol(val));
	unmap_all_left(_metadata, self->ctx, self->ioas, left);
}

/* ---- DMA while the range is unmapped and remapped ---- */

#define IOVA_PAT	0x100000UL	/* the pattern the edu writes */
#define IOVA_W		0x200000UL	/* 2 pages mapped and unmapped all along */
#define IOVA_R		0x300000UL	/* where the edu puts what it read */
#define STALE_LEG	64
#define EBUF_IN		EDU_BUFFER
#define EBUF_OUT	(EDU_BUFFER + 0x800)
#define PATTERN		0x5a
#define CANARY		0xc3

/*
 * The DMA thread's side.  @state is the mapper's: (generation << 1) | 1
 * while IOVA_W is unmapped, so a DMA that started and ended in one
 * generation with the bit set ran wholly inside an unmapped window.
 */
struct stale {
	void *bar;
	unsigned char *r;
	int stop;
	int state;
	unsigned long cycles, in_window;
	int err;		/* a DMA timed out */
	bool stale_read;	/* what the edu read carried a canary */
};

static bool stale_leg(struct stale *s, __u64 src, __u64 dst, bool to_ram)
{
	int before = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

	s->err = edu_dma(s->bar, src, dst, STALE_LEG, to_ram);
	if (s->err)
		return false;
	if ((before & 1) && before == __atomic_load_n(&s->state, __ATOMIC_ACQUIRE))
		s->in_window++;
	return true;
}

/*
 * Each cycle reads the first page of IOVA_W into the edu, writes that out
 * to IOVA_R (checked for the canary), and writes the pattern to the second
 * page of IOVA_W: 100 ms a DMA.  Reads and writes have a page each, so a
 * stale write cannot hide a stale read.
 */
static void *stale_dma_thread(void *arg)
{
	struct stale *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		if (!stale_leg(s, IOVA_W, EBUF_IN, false))
			break;
		s->err = edu_dma(s->bar, EBUF_IN, IOVA_R, STALE_LEG, true);
		if (s->err)
			break;
		if (any_byte(s->r, STALE_LEG, CANARY)) {
			s->stale_read = true;
			break;
		}
		if (!stale_leg(s, EBUF_OUT, IOVA_W + SZ_4K, true))
			break;
		s->cycles++;
	}
	return NULL;
}

/*
 * How long each of four cycles keeps IOVA_W mapped, then unmapped: long
 * (a whole DMA cycle fits, so the IOTLB caches the translation, or the
 * DMAs fault) or short (random, up to 150 ms: the DMAs race the calls).
 * The first cycle caches the translation, then DMAs through it once it is
 * gone: the stale-IOTLB case.
 */
static const bool stale_long[4][2] = {
	{ true, true }, { false, true }, { true, false }, { false, false },
};

static long stale_hold_us(bool long_hold, unsigned int *seed)
{
	return (long_hold ? 420 + rand_r(seed) % 60 : rand_r(seed) % 150) * 1000;
}

/*
 * The edu DMAs to and from IOVA_W in a loop while the main thread maps it,
 * unmaps it, and maps it again to the other of two buffers.  Once UNMAP
 * returned the old buffer is set to a canary and must keep it until it is
 * mapped again, two cycles later: a write through a stale translation
 * would land there; a read through one would carry the canary to IOVA_R.
 * The DMAs that fault are expected (the rig's "expect dmar" window).
 */
TEST_F(edu, dma_while_the_range_is_unmapped_and_remapped)
{
	long long deadline = now_ms() + race_ms() * 3 / 2;
	unsigned char *w[2], *pat, *cur;
	unsigned long landed = 0, k;
	unsigned int seed = 3;
	struct stale s = { .bar = self->bar };
	__u64 done;
	pthread_t t;
	int ret, gen = 0;

	pat = anon(SZ_4K);
	w[0] = anon(2 * SZ_4K);
	w[1] = anon(2 * SZ_4K);
	s.r = anon(SZ_4K);
	ASSERT_TRUE(pat && w[0] && w[1] && s.r);
	memset(pat, PATTERN, SZ_4K);
	memset(s.r, 0, SZ_4K);
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, pat, SZ_4K, IOVA_PAT,
				    IOPASS_MAP_READABLE));
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, s.r, SZ_4K,
				    IOVA_R, IOPASS_MAP_WRITEABLE));
	/* The edu's outgoing half holds the pattern throughout. */
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_PAT, EBUF_OUT, STALE_LEG, false));

	/* Both directions work while IOVA_W is mapped. */
	memset(w[0], PATTERN, SZ_4K);
	memset(w[0] + SZ_4K, 0, SZ_4K);
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, w[0], 2 * SZ_4K,
				    IOVA_W, MAP_RW));
	ASSERT_EQ(0, edu_dma(self->bar, EBUF_OUT, IOVA_W + SZ_4K, STALE_LEG,
			     true));
	ASSERT_TRUE(all_bytes(w[0] + SZ_4K, STALE_LEG, PATTERN));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_W, EBUF_IN, STALE_LEG, false));
	ASSERT_EQ(0, edu_dma(self->bar, EBUF_IN, IOVA_R, STALE_LEG, true));
	ASSERT_TRUE(all_bytes(s.r, STALE_LEG, PATTERN));
	ASSERT_EQ(0, ioas_unmap(self->ctx, self->ioas, IOVA_W, 2 * SZ_4K,
				&done));

	klog_mark("iopass-rig: expect dmar\n");
	s.state = 1;
	ASSERT_EQ(0, pthread_create(&t, NULL, stale_dma_thread, &s));
	for (k = 0; now_ms() < deadline || k < 4; k++) {
		cur = w[k % 2];
		/* Unmapped two cycles ago, untouched since. */
		if (k >= 2 && !all_bytes(cur, 2 * SZ_4K, CANARY)) {
			EXPECT_TRUE(all_bytes(cur, 2 * SZ_4K, CANARY))
				TH_LOG("cycle %lu: a write after UNMAP returned", k - 2);
			break;
		}
		memset(cur, 0, 2 * SZ_4K);
		__atomic_store_n(&s.state, ++gen << 1, __ATOMIC_RELEASE);
		ret = ioas_map_fixed(self->ctx, self->ioas, cur, 2 * SZ_4K,
				     IOVA_W, MAP_RW);
		if (ret) {
			EXPECT_EQ(0, ret);
			break;
		}
		sleep_us(stale_hold_us(stale_long[k % 4][0], &seed));
		ret = ioas_unmap(self->ctx, self->ioas, IOVA_W, 2 * SZ_4K,
				 &done);
		if (ret || done != 2 * SZ_4K) {
			EXPECT_EQ(0, ret);
			EXPECT_EQ(2 * SZ_4K, done);
			break;
		}
		landed += dma_byte(cur + SZ_4K) == PATTERN;
		memset(cur, CANARY, 2 * SZ_4K);
		__atomic_store_n(&s.state, ++gen << 1 | 1, __ATOMIC_RELEASE);
		sleep_us(stale_hold_us(stale_long[k % 4][1], &seed));
		if (!all_bytes(cur, 2 * SZ_4K, CANARY)) {
			EXPECT_TRUE(all_bytes(cur, 2 * SZ_4K, CANARY))
				TH_LOG("cycle %lu: a write after UNMAP returned", k);
			break;
		}
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	/* The last two buffers were never mapped again. */
	if (k >= 2) {
		EXPECT_TRUE(all_bytes(w[0], 2 * SZ_4K, CANARY));
		EXPECT_TRUE(all_bytes(w[1], 2 * SZ_4K, CANARY));
	}
	/* Let the last faults reach the log inside the window. */
	sleep_us(300 * 1000);
	klog_mark("iopass-rig: expect-end\n");

	TH_LOG("%lu map cycles, %lu DMA cycles, %lu landed, %lu wholly while unmapped",
	       k, s.cycles, landed, s.in_window);
	EXPECT_EQ(0, s.err);
	EXPECT_FALSE(s.stale_read)
		TH_LOG("the edu read a buffer after UNMAP returned");
	EXPECT_LT(0, landed);
	EXPECT_LT(0, s.in_window);
}

/* ---- interrupts raised while their vectors are reconfigured ---- */

struct raiser {
	void *bar;
	int stop;
	long hold_us;	/* between raise and ack */
	unsigned long raises;
};

static void *raise_thread(void *arg)
{
	struct raiser *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		mmio_write32(r->bar, EDU_IRQ_RAISE, 1);
		if (r->hold_us)
			sleep_us(r->hold_us);
		mmio_write32(r->bar, EDU_IRQ_ACK, 1);
		r->raises++;
		sleep_us(20);
	}
	return NULL;
}

struct unmasker {
	int dev;
	int stop;
	unsigned long calls;
	int bad_ret;
};

static void *unmask_thread(void *arg)
{
	struct unmasker *u = arg;

	while (!__atomic_load_n(&u->stop, __ATOMIC_ACQUIRE)) {
		u->bad_ret = intx_unmask(u->dev);
		if (u->bad_ret)
			break;
		u->calls++;
		sleep_us(50);
	}
	return NULL;
}

/*
 * The edu raises MSI in a loop (raise, ack) while the vector is routed to
 * one eventfd, another, -1 and a fresh eventfd closed at once, MSI is
 * turned off and on, INTx is tried (EBUSY while MSI is on), and INTx is
 * unmasked (a no-op for MSI).  Every call returns 0 or, for INTx, EBUSY
 * exactly when MSI is on.  A vector routed to -1 has its message cleared
 * and writes to IOVA 0: a page mapped there takes those writes.  After
 * the storm the vector delivers to the eventfd it was last given, and to
 * nothing else.
 */
TEST_F(edu, msi_raised_while_the_vector_is_swapped_and_toggled)
{
	static const char *const what[] = {
		"route to eventfd A", "route to eventfd B", "route to -1",
		"MSI off", "route to an eventfd and close it", "INTx on and off",
		"INTx unmask",
	};
	long long deadline = now_ms() + race_ms();
	int efd[2] = {
		eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
		eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
	};
	struct raiser r = { .bar = self->bar };
	unsigned long calls = 0;
	unsigned int seed = 5, a;
	void *sink = anon(SZ_4K);
	bool msi_on = false;
	__u64 storm = 0;
	int ret, want, tmp;
	pthread_t t;

	ASSERT_LE(0, efd[0]);
	ASSERT_LE(0, efd[1]);
	ASSERT_NE(NULL, sink);
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, sink, SZ_4K, 0,
				    IOPASS_MAP_WRITEABLE));
	ASSERT_EQ(0, pthread_create(&t, NULL, raise_thread, &r));
	while (now_ms() < deadline) {
		a = rand_r(&seed) % ARRAY_SIZE(what);
		want = 0;
		switch (a) {
		case 0:
		case 1:
			ret = set_vec0(self->dev, IOPASS_IRQ_MSI, efd[a]);
			msi_on = true;
			break;
		case 2:
			ret = set_vec0(self->dev, IOPASS_IRQ_MSI, -1);
			msi_on = true;
			break;
		case 3:
			ret = irq_off(self->dev, IOPASS_IRQ_MSI);
			msi_on = false;
			break;
		case 4:
			tmp = eventfd(0, EFD_CLOEXEC);
			ret = set_vec0(self->dev, IOPASS_IRQ_MSI, tmp);
			close(tmp);
			msi_on = true;
			break;
		case 5:
			want = msi_on ? -EBUSY : 0;
			ret = set_vec0(self->dev, IOPASS_IRQ_INTX, efd[0]);
			if (!ret && !msi_on)
				ret = irq_off(self->dev, IOPASS_IRQ_INTX);
			break;
		default:
			ret = intx_unmask(self->dev);
			break;
		}
		calls++;
		if (ret != want) {
			EXPECT_EQ(want, ret)
				TH_LOG("call %lu: %s", calls, what[a]);
			break;
		}
		if (!(calls % 16))
			storm += events(efd[0], 0) + events(efd[1], 0);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	sleep_us(50 * 1000);
	storm += events(efd[0], 0) + events(efd[1], 0);
	TH_LOG("%lu SET_IRQS calls, %lu raises, %llu events", calls, r.raises,
	       (unsigned long long)storm);
	EXPECT_LT(0, storm);

	ASSERT_EQ(0, set_vec0(self->dev, IOPASS_IRQ_MSI, efd[1]));
	events(efd[0], 0);
	events(efd[1], 0);
	mmio_write32(self->bar, EDU_IRQ_ACK, ~0U);
	mmio_write32(self->bar, EDU_IRQ_RAISE, 1);
	EXPECT_EQ(1, events(efd[1], 2000));
	EXPECT_EQ(0, events(efd[0], 200));
	mmio_write32(self->bar, EDU_IRQ_ACK, 1);
	EXPECT_EQ(0, irq_off(self->dev, IOPASS_IRQ_MSI));
	/* With MSI off the edu signals INTx: leave its line low. */
	mmio_write32(self->bar, EDU_IRQ_ACK, ~0U);
	EXPECT_EQ(0, mmio_read32(self->bar, EDU_IRQ_STATUS));
	close(efd[0]);
	close(efd[1]);
}

/*
 * INTx, raised and held for a while then acked, in a loop, while one
 * thread unmasks it and another routes it to one eventfd, another, -1
 * and a fresh eventfd closed at once, and turns it off and on.  Every
 * call returns 0.  After the storm it is quiet until raised, signals
 * once, stays masked while asserted, and is quiet again once acked and
 * unmasked.
 */
TEST_F(edu, intx_raised_while_unmasked_swapped_and_toggled)
{
	static const char *const what[] = {
		"route to eventfd A", "route to eventfd B", "route to -1",
		"INTx off", "route to an eventfd and close it",
	};
	long long deadline = now_ms() + race_ms();
	int efd[2] = {
		eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
		eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
	};
	struct raiser r = { .bar = self->bar, .hold_us = 200 };
	struct unmasker u = { .dev = self->dev };
	unsigned long calls = 0;
	unsigned int seed = 9, a;
	pthread_t tr, tu;
	__u64 storm = 0;
	int ret, tmp;

	ASSERT_LE(0, efd[0]);
	ASSERT_LE(0, efd[1]);
	ASSERT_EQ(0, set_vec0(self->dev, IOPASS_IRQ_INTX, efd[0]));
	ASSERT_EQ(0, pthread_create(&tr, NULL, raise_thread, &r));
	ASSERT_EQ(0, pthread_create(&tu, NULL, unmask_thread, &u));
	while (now_ms() < deadline) {
		a = rand_r(&seed) % ARRAY_SIZE(what);
		switch (a) {
		case 0:
		case 1:
			ret = set_vec0(self->dev, IOPASS_IRQ_INTX, efd[a]);
			break;
		case 2:
			ret = set_vec0(self->dev, IOPASS_IRQ_INTX, -1);
			break;
		case 3:
			ret = irq_off(self->dev, IOPASS_IRQ_INTX);
			break;
		default:
			tmp = eventfd(0, EFD_CLOEXEC);
			ret = set_vec0(self->dev, IOPASS_IRQ_INTX, tmp);
			close(tmp);
			break;
		}
		calls++;
		if (ret) {
			EXPECT_EQ(0, ret)
				TH_LOG("call %lu: %s", calls, what[a]);
			break;
		}
		sleep_us(rand_r(&seed) % 300);
		if (!(calls % 16))
			storm += events(efd[0], 0) + events(efd[1], 0);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&u.stop, 1, __ATOMIC_RELEASE);
	pthread_join(tr, NULL);
	pthread_join(tu, NULL);
	storm += events(efd[0], 0) + events(efd[1], 0);
	TH_LOG("%lu SET_IRQS calls, %lu unmasks, %lu raises, %llu events",
	       calls, u.calls, r.raises, (unsigned long long)storm);
	EXPECT_EQ(0, u.bad_ret);
	EXPECT_LT(0, storm);

	mmio_write32(self->bar, EDU_IRQ_ACK, ~0U);
	ASSERT_EQ(0, set_vec0(self->dev, IOPASS_IRQ_INTX, efd[1]));
	ASSERT_EQ(0, intx_unmask(self->dev));
	sleep_us(50 * 1000);
	events(efd[0], 0);
	events(efd[1], 0);
	EXPECT_EQ(0, events(efd[1], 200));
	mmio_write32(self->bar, EDU_IRQ_RAISE, 1);
	EXPECT_EQ(1, events(efd[1], 2000));
	EXPECT_EQ(0, events(efd[1], 300));	/* masked, still asserted */
	mmio_write32(self->bar, EDU_IRQ_ACK, 1);
	EXPECT_EQ(0, intx_unmask(self->dev));
	EXPECT_EQ(0, events(efd[1], 300));
	EXPECT_EQ(0, events(efd[0], 0));
	EXPECT_EQ(0, irq_off(self->dev, IOPASS_IRQ_INTX));
	close(efd[0]);
	close(efd[1]);
}

struct command_writer {
	int dev;
	int stop;
	unsigned long writes;
	int bad_ret;
};

/* Write PCI_COMMAND as fast as the owner can, flipping SERR each time. */
static void *command_thread(void *arg)
{
	struct command_writer *w = arg;
	unsigned short cmd;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		w->bad_ret = dev_cfg_rw(w->dev, 0x04, &cmd, 2, false);
		if (!w->bad_ret) {
			cmd ^= 0x100;		/* PCI_COMMAND_SERR */
			w->bad_ret = dev_cfg_rw(w->dev, 0x04, &cmd, 2, true);
		}
		if (w->bad_ret)
			break;
		w->writes++;
	}
	return NULL;
}

/*
 * The INTx handler masks the line in PCI_COMMAND; the owner's writes of
 * PCI_COMMAND are read-modify-writes of the same register.  Unordered, a
 * write that read the register just before the handler masked it writes
 * the old INTx disable bit back: the line is unmasked while iopass thinks
 * it masked, the still-asserting edu storms a handler that ignores it,
 * and the IRQ core disables the (shared) line.  Raised while a thread
 * writes the command register nonstop, every INTx must be found masked in
 * the device (sysfs, the host's view) until it is unmasked.
 */
TEST_F(edu, command_writes_never_unmask_a_masked_intx)
{
	struct command_writer w = { .dev = self->dev };
	long long deadline = now_ms() + race_ms();
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	unsigned long rounds = 0, unmasked = 0;
	unsigned short cmd;
	pthread_t t;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_vec0(self->dev, IOPASS_IRQ_INTX, efd));
	ASSERT_EQ(0, pthread_create(&t, NULL, command_thread, &w));
	while (now_ms() < deadline) {
		mmio_write32(self->bar, EDU_IRQ_RAISE, 1);
		if (events(efd, 2000) != 1) {
			EXPECT_TRUE(false)
				TH_LOG("round %lu: the INTx did not arrive", rounds);
			break;
		}
		/* Masked, and still asserted: any unmask would be a storm. */
		sleep_us(200);
		ASSERT_EQ(0, pci_config_rw16(self->bdf, 0x04, &cmd, false));
		if (!(cmd & 0x400))
			unmasked++;
		mmio_write32(self->bar, EDU_IRQ_ACK, 1);
		ASSERT_EQ(0, intx_unmask(self->dev));
		rounds++;
	}
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	TH_LOG("%lu INTx rounds, %lu command writes", rounds, w.writes);
	EXPECT_EQ(0, w.bad_ret);
	EXPECT_LT(0, rounds);
	EXPECT_EQ(0, unmasked)
		TH_LOG("%lu of %lu masked INTx found unmasked in the device",
		       unmasked, rounds);
	EXPECT_FALSE(klog_has("nobody cared"));
	EXPECT_EQ(0, irq_off(self->dev, IOPASS_IRQ_INTX));
	close(efd);
}

/* ---- life cycle ---- */

/*
 * SIGKILL while the MAP of 256 MiB (small pages, not yet faulted in) is
 * pinning: the MAP gives up, and the exit releases the device and
 * every pin.  A few tries, with longer delays, so at least one lands in
 * the middle of the MAP (the child never reports it returned).
 */
TEST(sigkill_in_the_middle_of_a_large_map)
{
	static const int delay_ms[] = { 10, 25, 50, 100 };
	const size_t len = 256 * SZ_1M;
	long pins = pins_outstanding(), kb = pinned_vm_kb();
	int go[2], done[2], status, fd, mid = 0;
	unsigned int i;
	char bdf[32], c;
	pid_t pid;

	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, ALONE_IN_GROUP, 0, bdf,
			      sizeof(bdf)));
	ASSERT_EQ(0, pci_bind(bdf, "iopass-pci"));
	for (i = 0; i < ARRAY_SIZE(delay_ms); i++) {
		ASSERT_EQ(0, pipe(go));
		ASSERT_EQ(0, pipe(done));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			char *buf = anon(len);
			int dev = iopass_open(bdf), ctx = ctx_open();
			__u64 iova = 0;
			__u32 id;

			if (!buf || dev < 0 || ctx < 0 || ioas_alloc(ctx, &id) ||
			    device_attach(dev, ctx, id) ||
			    madvise(buf, len, MADV_NOHUGEPAGE) ||
			    write(go[1], "g", 1) != 1)
				_exit(1);
			c = ioas_map(ctx, id, buf, len, &iova, MAP_RW) ? 'e' : 'd';
			if (write(done[1], &c, 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
		close(go[1]);
		close(done[1]);
		if (read(go[0], &c, 1) == 1)
			sleep_us(delay_ms[i] * 1000);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status))
			TH_LOG("the child failed to set up (exit %d)",
			       WEXITSTATUS(status));
		/* Nothing written: it died inside the MAP. */
		if (read(done[0], &c, 1) == 0)
			mid++;
		else
			EXPECT_EQ('d', c);
		close(go[0]);
		close(done[0]);
		EXPECT_EQ(pins, pins_outstanding());
		fd = iopass_open(bdf);
		EXPECT_LE(0, fd);
		close(fd);
	}
	TH_LOG("%d of %zu kills landed inside the MAP", mid, ARRAY_SIZE(delay_ms));
	EXPECT_LE(1, mid);
	EXPECT_EQ(kb, pinned_vm_kb());
	pci_release(bdf);
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -errno;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/*
 * The context a child made with @make (an fd, or negative on error),
 * sent here over SCM_RIGHTS by the child, which has exited.  Negative:
 * -EIO if the child failed, else the errno of what failed here.
 */
static int ctx_from_exited_child(int (*make)(void))
{
	int sv[2], status, ctx;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (!pid) {
		ctx = make();
		_exit(ctx < 0 || send_fd(sv[1], ctx));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		ctx = -ECHILD;
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		ctx = -EIO;
	else
		ctx = recv_fd(sv[0]);
	close(sv[0]);
	close(sv[1]);
	return ctx;
}

/* A context whose IOAS 1 maps 16 pages at 0x100000 and 8 at 0x200000. */
static int ctx_with_24_pages(void)
{
	char *mem = anon(24 * SZ_4K);
	int c = ctx_open();
	__u32 i;

	if (!mem || c < 0 || ioas_alloc(c, &i) || i != 1 ||
	    ioas_map_fixed(c, i, mem, 16 * SZ_4K, 0x100000, MAP_RW) ||
	    ioas_map_fixed(c, i, mem + 16 * SZ_4K, 8 * SZ_4K, 0x200000, MAP_RW))
		return -1;
	return c;
}

/*
 * A context sent (SCM_RIGHTS) to another process by one that then exits:
 * the pages of the dead process stay pinned while the context lives, and
 * charged to its user (below), but to no living process's VmPin.  The
 * receiver can list ranges, allocate an IOAS and unmap; it can never map
 * (its memory is not the opener's).  Unmapping and closing give back
 * every pin.
 */
TEST(a_context_outlives_the_process_that_opened_it)
{
	long pins = pins_outstanding(), kb = pinned_vm_kb();
	void *buf = anon(SZ_4K);
	__u64 iova = 0, done;
	unsigned int n;
	__u32 id;
	int ctx;

	ctx = ctx_from_exited_child(ctx_with_24_pages);
	ASSERT_LE(0, ctx);
	EXPECT_EQ(pins + 24, pins_outstanding());
	EXPECT_EQ(kb, pinned_vm_kb());

	EXPECT_EQ(0, iova_ranges(ctx, 1, &n));
	EXPECT_EQ(-EPERM, ioas_map(ctx, 1, buf, SZ_4K, &iova, MAP_RW));
	EXPECT_EQ(0, ioas_alloc(ctx, &id));
	EXPECT_EQ(-EPERM, ioas_map(ctx, id, buf, SZ_4K, &iova, MAP_RW));
	EXPECT_EQ(0, ioas_unmap(ctx, 1, 0x100000, 16 * SZ_4K, &done));
	EXPECT_EQ(16 * SZ_4K, done);
	EXPECT_EQ(pins + 8, pins_outstanding());
	EXPECT_EQ(kb, pinned_vm_kb());
	close(ctx);
	EXPECT_EQ(pins, pins_outstanding());
	munmap(buf, SZ_4K);
}

/*
 * A context of IOAS 1, opened as root, then run as nobody (a user of its
 * own, without CAP_IPC_LOCK) with RLIMIT_MEMLOCK at 16 pages; -1 on error.
 */
static int ctx_as_nobody(void)
{
	struct rlimit lim = { 16 * SZ_4K, 16 * SZ_4K };
	int c = ctx_open();
	__u32 id;

	if (c < 0 || setrlimit(RLIMIT_MEMLOCK, &lim) ||
	    setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534) ||
	    ioas_alloc(c, &id) || id != 1)
		return -1;
	return c;
}

/* In a child as nobody: map @pages pages; its exit code is the errno. */
static int map_as_nobody(int pages)
{
	int status, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		void *mem = anon(pages * SZ_4K);
		int c = ctx_as_nobody();
		__u64 iova = 0;

		if (!mem || c < 0)
			_exit(255);
		ret = ioas_map(c, 1, mem, pages * SZ_4K, &iova, MAP_RW);
		_exit(-ret);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* As nobody: a context whose IOAS 1 maps 12 pages. */
static int ctx_of_nobody_with_12_pages(void)
{
	void *mem = anon(12 * SZ_4K);
	int c = ctx_as_nobody();
	__u64 iova = 0;

	if (!mem || c < 0 || ioas_map(c, 1, mem, 12 * SZ_4K, &iova, MAP_RW))
		return -1;
	return c;
}

/*
 * RLIMIT_MEMLOCK holds per user: the pins of a context that outlives its
 * process (sent on by an opener that then exits) still count against the
 * user who made them, so a user cannot pin more than its limit by cycling
 * processes.  Once the context is closed, the user may pin again.
 */
TEST(pins_of_a_dead_opener_still_count_against_its_user)
{
	long pins = pins_outstanding();
	int ctx;

	ctx = ctx_from_exited_child(ctx_of_nobody_with_12_pages);
	ASSERT_LE(0, ctx);
	EXPECT_EQ(pins + 12, pins_outstanding());

	/* 12 of nobody's 16 pages are taken by a process that is gone. */
	EXPECT_EQ(ENOMEM, map_as_nobody(8));
	EXPECT_EQ(0, map_as_nobody(4));
	close(ctx);
	EXPECT_EQ(pins, pins_outstanding());
	EXPECT_EQ(0, map_as_nobody(16));
	EXPECT_EQ(ENOMEM, map_as_nobody(17));
}

#define IOVA_SRC	0x100000UL
#define IOVA_A		0x400000UL
#define IOVA_B		0x800000UL

/* What a forked child saw; the parent checks it. */
struct fork_report {
	int ranges, map_fixed, map_any, alloc, map_new, destroy_new;
	int info, attach_again, msi_set, msi_off, dma, unmap;
	__u32 bar_id;
	__u64 msi_events, unmapped;
	unsigned char child_copy, own_byte;
	long kb_before, kb_after;
	int detach, own_ctx, own_alloc, own_attach, own_map, own_dma;
	int own_detach, reattach;
};

/* The child's side: every call on the parent's fds, in order. */
static void fork_child(struct fork_report *rep, int dev, int ctx, __u32 ioas,
		       void *bar, unsigned char *dst)
{
	struct iopass_device_info info = { .size = sizeof(info) };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), c2;
	unsigned char *mine = anon(2 * SZ_4K);
	__u64 iova = 0;
	unsigned int n;
	__u32 id = 0;

	rep->kb_before = pinned_vm_kb();
	/* The parent's context. */
	rep->ranges = iova_ranges(ctx, ioas, &n);
	rep->map_fixed = ioas_map_fixed(ctx, ioas, mine, SZ_4K, IOVA_B, MAP_RW);
	rep->map_any = ioas_map(ctx, ioas, mine, SZ_4K, &iova, MAP_RW);
	rep->alloc = ioas_alloc(ctx, &id);
	rep->map_new = ioas_map_fixed(ctx, id, mine, SZ_4K, IOVA_B, MAP_RW);
	rep->destroy_new = ioas_destroy(ctx, id);

	/* The parent's device: the same open file, attached to its IOAS. */
	rep->info = ioctl_errno(dev, IOPASS_DEVICE_GET_INFO, &info);
	rep->attach_again = device_attach(dev, ctx, ioas);
	rep->bar_id = mmio_read32(bar, EDU_ID);	/* the inherited mapping */
	rep->msi_set = set_vec0(dev, IOPASS_IRQ_MSI, efd);
	mmio_write32(bar, EDU_IRQ_RAISE, 1);
	rep->msi_events = events(efd, 2000);
	mmio_write32(bar, EDU_IRQ_ACK, 1);
	rep->msi_off = irq_off(dev, IOPASS_IRQ_MSI);
	rep->dma = edu_dma(bar, IOVA_SRC, EDU_BUFFER, 64, false);
	if (!rep->dma)
		rep->dma = edu_dma(bar, EDU_BUFFER, IOVA_A, 64, true);
	rep->child_copy = dst[0];
	rep->unmap = ioas_unmap(ctx, ioas, IOVA_A, 4 * SZ_4K, &rep->unmapped);
	rep->kb_after = pinned_vm_kb();

	/* The device, moved into an address space of the child's own. */
	rep->detach = device_detach(dev);
	c2 = ctx_open();
	rep->own_ctx = c2 < 0 ? c2 : 0;
	rep->own_alloc = ioas_alloc(c2, &id);
	rep->own_attach = device_attach(dev, c2, id);
	memset(mine, 0x99, SZ_4K);
	memset(mine + SZ_4K, 0, SZ_4K);
	rep->own_map = ioas_map_fixed(c2, id, mine, 2 * SZ_4K, IOVA_B, MAP_RW);
	rep->own_dma = dev_command(dev, 0x4, true);
	if (!rep->own_dma)
		rep->own_dma = edu_dma(bar, IOVA_B, EDU_BUFFER, 64, false);
	if (!rep->own_dma)
		rep->own_dma = edu_dma(bar, EDU_BUFFER, IOVA_B + SZ_4K, 64, true);
	rep->own_byte = mine[SZ_4K];
	rep->own_detach = device_detach(dev);
	close(c2);
	/* And back into the parent's. */
	rep->reattach = device_attach(dev, ctx, ioas);
}

/*
 * What a forked child can do with the fds it inherits (asserted as
 * observed):
 *
 * - the parent's context: everything but MAP (EPERM, into any IOAS of it,
 *   even one the child allocates: the pins would be the parent's memory
 *   charged for a process that did not ask), so IOVA_RANGES, IOAS_ALLOC,
 *   IOAS_DESTROY and UNMAP of the parent's mappings work; an UNMAP from the
 *   child gives the pages back to the parent's pinned_vm (the child's own
 *   pinned_vm is 0 and stays so);
 * - the parent's device: it is the same open file, so every device ioctl,
 *   region access and the inherited BAR mapping work, and the device's DMA
 *   reaches the parent's pinned pages, not the child's copies of them (fork
 *   copies pinned pages for the child); the child can detach the device
 *   and attach it to a context of its own, map its own memory there and
 *   DMA into it, and attach it back to the parent's.
 */
TEST_F(edu, what_a_forked_child_can_do_with_the_parents_fds)
{
	struct fork_report *rep;
	unsigned char *src = anon(SZ_4K), *dst = anon(4 * SZ_4K);
	__u64 done;
	int status;
	pid_t pid;

	rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	ASSERT_TRUE(src && dst);
	memset(src, 0x77, SZ_4K);
	memset(dst, 0x11, 4 * SZ_4K);
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, src, SZ_4K, IOVA_SRC,
				    IOPASS_MAP_READABLE));
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, dst, 4 * SZ_4K,
				    IOVA_A, MAP_RW));
	memset(rep, 0xff, sizeof(*rep));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fork_child(rep, self->dev, self->ctx, self->ioas, self->bar, dst);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));

	EXPECT_EQ(0, rep->ranges);
	EXPECT_EQ(-EPERM, rep->map_fixed);
	EXPECT_EQ(-EPERM, rep->map_any);
	EXPECT_EQ(0, rep->alloc);
	EXPECT_EQ(-EPERM, rep->map_new);
	EXPECT_EQ(0, rep->destroy_new);
	EXPECT_EQ(0, rep->info);
	EXPECT_EQ(-EALREADY, rep->attach_again);
	EXPECT_EQ(0x010000ed, rep->bar_id);
	EXPECT_EQ(0, rep->msi_set);
	EXPECT_EQ(1, rep->msi_events);
	EXPECT_EQ(0, rep->msi_off);
	EXPECT_EQ(0, rep->dma);
	/* The DMA the child drove landed in the parent's page, not its copy. */
	EXPECT_EQ(0x11, rep->child_copy);
	EXPECT_TRUE(all_bytes(dst, 64, 0x77));
	/* The child's UNMAP took the parent's mapping and its pinned_vm. */
	EXPECT_EQ(0, rep->unmap);
	EXPECT_EQ(4 * SZ_4K, rep->unmapped);
	EXPECT_EQ(0, rep->kb_before);
	EXPECT_EQ(0, rep->kb_after);
	EXPECT_EQ(-ENOENT, ioas_unmap(self->ctx, self->ioas, IOVA_A, 4 * SZ_4K,
				      &done));
	EXPECT_EQ(self->pinned_kb + 4, pinned_vm_kb());
	EXPECT_EQ(self->pins + 1, pins_outstanding());
	/* Its own context, and back. */
	EXPECT_EQ(0, rep->detach);
	EXPECT_EQ(0, rep->own_ctx);
	EXPECT_EQ(0, rep->own_alloc);
	EXPECT_EQ(0, rep->own_attach);
	EXPECT_EQ(0, rep->own_map);
	EXPECT_EQ(0, rep->own_dma);
	EXPECT_EQ(0x99, rep->own_byte);
	EXPECT_EQ(0, rep->own_detach);
	EXPECT_EQ(0, rep->reattach);

	/* The parent drives it again (the detach turned bus mastering off). */
	ASSERT_EQ(0, dev_command(self->dev, 0x4, true));
	memset(dst, 0, 4 * SZ_4K);
	ASSERT_EQ(0, ioas_map_fixed(self->ctx, self->ioas, dst, 4 * SZ_4K,
				    IOVA_A, MAP_RW));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_SRC, EDU_BUFFER, 64, false));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_BUFFER, IOVA_A, 64, true));
	EXPECT_TRUE(all_bytes(dst, 64, 0x77));
	munmap(rep, sizeof(*rep));
}

/* What the child got to before it exited. */
struct exit_report {
	int step;
	long long dma_started_ms;
};

/* The child: owns the edu, sets everything up, leaves a DMA running, exits. */
static int exit_child(const char *bdf, unsigned char *shared,
		      struct exit_report *rep)
{
	unsigned char *s = anon(SZ_4K), *more = anon(64 * SZ_4K);
	int dev = iopass_open(bdf), ctx = ctx_open(), efd[3], i;
	__u64 iova = 0;
	void *bar;
	__u32 id;

	rep->step = 1;
	if (!s || !more || dev < 0 || ctx < 0 || ioas_alloc(ctx, &id) ||
	    device_attach(dev, ctx, id))
		return 1;
	rep->step = 2;
	bar = dev_edu_bar(dev);
	memset(s, 0x66, SZ_4K);
	if (!bar || ioas_map_fixed(ctx, id, s, SZ_4K, IOVA_SRC,
				   IOPASS_MAP_READABLE) ||
	    ioas_map_fixed(ctx, id, shared, SZ_4K, IOVA_W, MAP_RW) ||
	    ioas_map(ctx, id, more, 64 * SZ_4K, &iova, MAP_RW))
		return 1;
	rep->step = 3;
	for (i = 0; i < 3; i++)
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (set_vec0(dev, IOPASS_IRQ_MSI, efd[0]) ||
	    set_vec0(dev, IOPASS_IRQ_ERR, efd[1]) ||
	    set_vec0(dev, IOPASS_IRQ_REQ, efd[2]))
		return 1;
	rep->step = 4;
	if (edu_dma(bar, IOVA_SRC, EDU_BUFFER, 64, false))
		return 1;
	mmio_write32(bar, EDU_IRQ_RAISE, 1);	/* never acked */
	if (events(efd[0], 2000) != 1)
		return 1;
	rep->step = 5;
	/* A DMA to the shared page, left running: it lands 100 ms later. */
	mmio_write64(bar, EDU_DMA_SRC, EDU_BUFFER);
	mmio_write64(bar, EDU_DMA_DST, IOVA_W);
	mmio_write64(bar, EDU_DMA_COUNT, 64);
	mmio_write64(bar, EDU_DMA_CMD, EDU_DMA_START | EDU_DMA_TO_RAM);
	rep->dma_started_ms = now_ms();
	rep->step = 0;
	return 0;
}

/*
 * A process exits without closing anything: mappings live, MSI, ERR and
 * REQ eventfds armed, an MSI raised and never acked, a DMA in flight into
 * memory it shares with its parent.  The exit stops the device before it
 * lets go of the pages: if the process was gone before the DMA was due
 * (not on the debug kernel, whose exit is slower than the edu's 100 ms),
 * the DMA never lands; a DMA started afterwards faults.  Every pin comes
 * back and the next owner finds the device working: a DMA round trip and
 * an MSI.
 */
TEST(exit_with_live_mappings_armed_interrupts_and_a_dma_in_flight)
{
	long pins = pins_outstanding();
	unsigned char *shared, *src = anon(SZ_4K), *dst = anon(SZ_4K);
	int status, dev, ctx, fd, efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	char bdf[32], path[PATH_MAX];
	struct exit_report *rep;
	unsigned short cmd;
	long long reaped;
	__u32 ioas;
	void *bar;
	pid_t pid;

	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, ALONE_IN_GROUP, 0, bdf,
			      sizeof(bdf)));
	ASSERT_EQ(0, pci_bind(bdf, "iopass-pci"));
	shared = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	ASSERT_NE(MAP_FAILED, rep);
	memset(shared, 0x11, SZ_4K);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(exit_child(bdf, shared, rep));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	reaped = now_ms();
	ASSERT_EQ(0, WEXITSTATUS(status))
		TH_LOG("the child failed at step %d", rep->step);
	sleep_us(300 * 1000);
	if (reaped - rep->dma_started_ms < 60) {
		EXPECT_TRUE(all_bytes(shared, SZ_4K, 0x11))
			TH_LOG("the DMA landed after its owner was gone");
	} else {
		TH_LOG("the exit took %lld ms: the DMA was due before it ended",
		       reaped - rep->dma_started_ms);
	}
	EXPECT_EQ(pins, pins_outstanding());

	/*
	 * The exit turned bus mastering off and took the group out of the
	 * dead owner's address space: turned on again behind iopass's back
	 * (sysfs), the edu's DMA to the IOVA the owner had mapped faults.
	 */
	ASSERT_EQ(0, pci_config_rw16(bdf, 0x04, &cmd, false));
	EXPECT_EQ(0, cmd & 0x4);
	cmd |= 0x6;
	ASSERT_EQ(0, pci_config_rw16(bdf, 0x04, &cmd, true));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	ASSERT_LE(0, fd);
	bar = mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, bar);
	klog_mark("iopass-rig: expect dmar\n");
	EXPECT_EQ(0, edu_dma(bar, EDU_BUFFER, IOVA_W, 64, true));
	sleep_us(100 * 1000);
	klog_mark("iopass-rig: expect-end\n");
	EXPECT_TRUE(all_bytes(shared, SZ_4K, 0x11));
	cmd &= ~0x4;
	EXPECT_EQ(0, pci_config_rw16(bdf, 0x04, &cmd, true));
	munmap(bar, EDU_BAR_SIZE);
	close(fd);

	ASSERT_EQ(0, iopass_own(bdf, &dev, &ctx, &ioas));
	bar = dev_edu_bar(dev);
	ASSERT_NE(NULL, bar);
	memset(src, 0x44, SZ_4K);
	memset(dst, 0, SZ_4K);
	ASSERT_EQ(0, ioas_map_fixed(ctx, ioas, src, SZ_4K, IOVA_SRC,
				    IOPASS_MAP_READABLE));
	ASSERT_EQ(0, ioas_map_fixed(ctx, ioas, dst, SZ_4K, IOVA_A, MAP_RW));
	ASSERT_EQ(0, edu_dma(bar, IOVA_SRC, EDU_BUFFER, EDU_DMA_MAX, false));
	ASSERT_EQ(0, edu_dma(bar, EDU_BUFFER, IOVA_A, EDU_DMA_MAX, true));
	EXPECT_TRUE(all_bytes(dst, EDU_DMA_MAX, 0x44));
	mmio_write32(bar, EDU_IRQ_ACK, ~0U);
	ASSERT_EQ(0, set_vec0(dev, IOPASS_IRQ_MSI, efd));
	mmio_write32(bar, EDU_IRQ_RAISE, 1);
	EXPECT_EQ(1, events(efd, 2000));
	mmio_write32(bar, EDU_IRQ_ACK, 1);
	EXPECT_EQ(0, irq_off(dev, IOPASS_IRQ_MSI));
	mmio_write32(bar, EDU_IRQ_ACK, ~0U);
	munmap(bar, EDU_BAR_SIZE);
	close(dev);
	close(ctx);
	close(efd);
	pci_release(bdf);
	EXPECT_EQ(pins, pins_outstanding());
}

/* ---- rmmod ---- */

/*
 * An open context holds the module, as an open device fd does
 * (iopass_bind's rmmod test): rmmod fails with EWOULDBLOCK and the
 * context still works; once it is closed rmmod succeeds, with every pin
 * back.  The module is loaded again for what follows.
 */
TEST(rmmod_is_refused_while_a_context_is_open)
{
	long pins = pins_outstanding();
	void *buf = anon(16 * SZ_4K);
	__u64 iova = 0;
	int ctx;
	__u32 id;

	syscall(SYS_delete_module, "iopass_mock", O_NONBLOCK);
	ctx = ctx_open();
	ASSERT_LE(0, ctx);
	ASSERT_EQ(0, ioas_alloc(ctx, &id));
	ASSERT_EQ(0, ioas_map(ctx, id, buf, 16 * SZ_4K, &iova, MAP_RW));
	EXPECT_EQ(-EWOULDBLOCK, iopass_module_unload());
	EXPECT_EQ(0, ioas_alloc(ctx, &id));
	EXPECT_EQ(pins + 16, pins_outstanding());
	close(ctx);
	EXPECT_EQ(pins, pins_outstanding());
	ASSERT_EQ(0, iopass_module_unload());
	EXPECT_NE(0, access("/dev/iopass", F_OK));
	ASSERT_EQ(0, iopass_module_load());
	ctx = ctx_open();
	EXPECT_LE(0, ctx);
	close(ctx);
	munmap(buf, SZ_4K * 16);
}

struct opener {
	int stop;
	unsigned long opens, refused;
	int bad;
	void *buf;
};

/* Open /dev/iopass, map a page, close, in a loop, as the module comes and goes. */
static void *open_thread(void *arg)
{
	struct opener *o = arg;
	__u64 iova;
	int fd, ret;
	__u32 id;

	while (!__atomic_load_n(&o->stop, __ATOMIC_ACQUIRE)) {
		fd = ctx_open();
		if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO) {
			o->refused++;
			continue;
		}
		if (fd < 0) {
			o->bad = fd;
			break;
		}
		iova = 0;
		ret = ioas_alloc(fd, &id);
		if (!ret)
			ret = ioas_map(fd, id, o->buf, SZ_4K, &iova, MAP_RW);
		close(fd);
		if (ret) {
			o->bad = ret;
			break;
		}
		o->opens++;
	}
	return NULL;
}

/*
 * rmmod and insmod in a loop while a thread opens /dev/iopass, maps and
 * closes it: rmmod succeeds or fails with EWOULDBLOCK, an open succeeds
 * (and then the context works) or fails because the device is gone.
 */
TEST(rmmod_races_opens_of_dev_iopass)
{
	long long deadline = now_ms() + race_ms();
	unsigned long unloads = 0, busy = 0;
	struct opener o = { .buf = anon(SZ_4K) };
	long pins = pins_outstanding();
	pthread_t t;
	int ret;

	ASSERT_NE(NULL, o.buf);
	syscall(SYS_delete_module, "iopass_mock", O_NONBLOCK);
	ASSERT_EQ(0, pthread_create(&t, NULL, open_thread, &o));
	while (now_ms() < deadline && unloads < 20) {
		ret = iopass_module_unload();
		if (!ret) {
			unloads++;
			ret = iopass_module_load();
			ASSERT_EQ(0, ret);
		} else if (ret == -EWOULDBLOCK) {
			busy++;
		} else {
			EXPECT_EQ(0, ret);
			break;
		}
		sleep_us(1000);
	}
	__atomic_store_n(&o.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	if (access("/dev/iopass", F_OK))
		EXPECT_EQ(0, iopass_module_load());
	TH_LOG("%lu unloads, %lu refused (busy); %lu opens, %lu refused",
	       unloads, busy, o.opens, o.refused);
	EXPECT_EQ(0, o.bad);
	EXPECT_LT(0, unloads);
	EXPECT_LT(0, o.opens);
	EXPECT_EQ(pins, pins_outstanding());
}

#include "iopass_main.h"
