// SPDX-License-Identifier: GPL-2.0
/*
 * No tenant can stall another.  A user can keep the kernel waiting inside a
 * copy from its memory, or a pin of it, for as long as it likes:
 * userfaultfd holds the fault until the user resolves it.  Whatever lock
 * iopass held across that copy or pin, everyone else who needs it would
 * wait as long.  So a MAP pins with no lock that another tenant or another
 * device needs, and the device fd copies from user memory before it takes
 * the device's lock.
 *
 * Each test holds a kernel copy or pin at a fault that only the test
 * resolves, does something that must not wait for it (another tenant's
 * whole life, a DETACH or close on the same address space, an unbind) and
 * checks that it finishes within STALL_BOUND_MS.  The bound is generous, so
 * a slow machine cannot fail it, and finite, so a driver that lets the
 * stall through fails the test instead of hanging it: whatever is still
 * blocked at the deadline is unblocked by resolving the fault, then
 * reported.  Blocking calls run in threads (struct job) or children, which
 * the test can stop waiting for.
 *
 * The last test is about order, not waiting: a write whose copy was held
 * across a DETACH must not reach the device after the DETACH.
 */
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "iopass_util.h"
#include "kselftest_harness.h"

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MASTER	0x4
#define PCI_CACHE_LINE_SIZE	0x0c
#define CFG(off)	(IOPASS_REGION_OFFSET(IOPASS_REGION_CONFIG) + (off))
#define RELEASE_TIMEOUT	"/sys/module/iopass/parameters/release_timeout_ms"
#define IOPASS_UNBIND	"/sys/bus/pci/drivers/iopass-pci/unbind"
#define NO_UFFD		"userfaultfd(): kernel without CONFIG_USERFAULTFD"
#define NO_PIN_STALL	"this kernel fails a long-term pin of a userfaultfd page with EFAULT instead of waiting (6.1)"

/* How long anything that must not wait for a stall may take. */
#define STALL_BOUND_MS		60000
/*
 * A test that fails waits out a bound (the unbind's: release_timeout_ms
 * more), another for the unwinding, then the teardown's.
 */
#define STALL_TEST_TIMEOUT	300

/* ---- memory whose faults the test holds ---- */

/*
 * Pages that stay missing until uffd_resolve(): a copy from them or a pin
 * of them waits at the first fault.  Kernel faults are caught too (no
 * UFFD_USER_MODE_ONLY; the tests run as root).
 */
struct uffd_buf {
	int fd;
	char *mem;
	char *src;	/* what resolving puts in @mem */
	size_t len;
};

/* 0 or -errno; see uffd_absent(). */
static int uffd_setup(struct uffd_buf *u, int npages)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	void *p;

	u->len = npages * getpagesize();
	u->fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u->fd < 0)
		return -errno;
	if (ioctl(u->fd, UFFDIO_API, &api))
		return -errno;
	p = mmap(NULL, u->len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	u->src = p;
	memset(u->src, 0, u->len);
	p = mmap(NULL, u->len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	u->mem = p;
	reg.range.start = (uintptr_t)u->mem;
	reg.range.len = u->len;
	return ioctl(u->fd, UFFDIO_REGISTER, &reg) ? -errno : 0;
}

/*
 * The kernel has no userfaultfd() at all: built without CONFIG_USERFAULTFD,
 * which also takes away its sysctl.  Any other failure is the test's.
 */
static bool uffd_absent(int ret)
{
	return ret && access("/proc/sys/vm/unprivileged_userfaultfd", F_OK);
}

/*
 * Put every page still missing in place, waking whatever waits on it.
 * Safe to repeat: a page already there is left alone.  0 or -errno.
 */
static int uffd_resolve(struct uffd_buf *u)
{
	size_t ps = getpagesize(), off;
	int ret, tries;

	if (u->fd < 0 || !u->mem)
		return 0;
	for (off = 0; off < u->len; off += ps) {
		struct uffdio_copy copy = {
			.dst = (uintptr_t)u->mem + off,
			.src = (uintptr_t)u->src + off,
			.len = ps,
		};

		tries = 100;
		do
			ret = ioctl(u->fd, UFFDIO_COPY, &copy) ? -errno : 0;
		while (ret == -EAGAIN && --tries);
		if (ret && ret != -EEXIST)
			return ret;
	}
	return 0;
}

static void uffd_teardown(struct uffd_buf *u)
{
	if (u->fd >= 0)
		close(u->fd);
	if (u->mem)
		munmap(u->mem, u->len);
	if (u->src)
		munmap(u->src, u->len);
}

/* ---- calls that may block, in threads ---- */

struct job {
	const char *what;
	long (*fn)(struct job *j);
	int fd;
	void *buf;
	size_t len;
	off_t pos;
	struct iopass_ioas_map map;
	pthread_t thread;
	int done;		/* eventfd: readable once @fn returned */
	bool started, joined;
	long ret;		/* what @fn returned, and errno; once joined */
	int err;
};

static void *job_thread(void *arg)
{
	struct job *j = arg;

	j->ret = j->fn(j);
	j->err = errno;
	eventfd_write(j->done, 1);
	return NULL;
}

static int job_start(struct job *j, const char *what, long (*fn)(struct job *))
{
	int ret;

	j->what = what;
	j->fn = fn;
	j->done = eventfd(0, EFD_CLOEXEC);
	if (j->done < 0)
		return -errno;
	ret = pthread_create(&j->thread, NULL, job_thread, j);
	if (ret) {
		close(j->done);
		return -ret;
	}
	j->started = true;
	return 0;
}

/* Whether @j has returned by @deadline (now_ms()); joined if it has. */
static bool job_wait(struct job *j, long long deadline)
{
	struct pollfd p = { .fd = j->done, .events = POLLIN };
	long long left;

	if (!j->started || j->joined)
		return true;
	do {
		left = deadline - now_ms();
		if (poll(&p, 1, left > 0 ? left : 0) == 1) {
			pthread_join(j->thread, NULL);
			close(j->done);
			j->joined = true;
			return true;
		}
	} while (left > 0);
	return false;
}

/* Still inside its call: the stall is in effect. */
static bool job_blocked(struct job *j)
{
	struct pollfd p = { .fd = j->done, .events = POLLIN };

	return j->started && !j->joined && poll(&p, 1, 0) == 0;
}

/*
 * Wait up to STALL_BOUND_MS for @j.  Still blocked then, it waits for the
 * stall: resolve the fault so everything unwinds, give it another bound to
 * do so, and report it.
 */
static bool job_finishes(struct __test_metadata *_metadata, struct job *j,
			 struct uffd_buf *u)
{
	long long t0 = now_ms();

	if (job_wait(j, t0 + STALL_BOUND_MS)) {
		TH_LOG("%s: returned after %lld ms", j->what, now_ms() - t0);
		return true;
	}
	TH_LOG("%s: still blocked after %d ms; resolving the fault", j->what,
	       STALL_BOUND_MS);
	uffd_resolve(u);
	if (!job_wait(j, now_ms() + STALL_BOUND_MS))
		TH_LOG("%s: still blocked with the fault resolved", j->what);
	return false;
}

/*
 * Wait for @j to fault on @u: true once its page-fault message is read,
 * the fault then held until uffd_resolve().  False if @j returned
 * instead, or nothing came.
 */
static bool fault_held(struct __test_metadata *_metadata, struct uffd_buf *u,
		       struct job *j)
{
	struct pollfd p[2] = {
		{ .fd = u->fd, .events = POLLIN },
		{ .fd = j->done, .events = POLLIN },
	};
	long long deadline = now_ms() + STALL_BOUND_MS, left;
	struct uffd_msg msg;
	__u64 off;

	while ((left = deadline - now_ms()) > 0) {
		if (poll(p, 2, left) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			if (read(u->fd, &msg, sizeof(msg)) != sizeof(msg))
				continue;
			off = msg.arg.pagefault.address - (uintptr_t)u->mem;
			if (msg.event == UFFD_EVENT_PAGEFAULT && off < u->len)
				return true;
			TH_LOG("%s: unexpected uffd event %#x at %#llx", j->what,
			       msg.event, (unsigned long long)msg.arg.pagefault.address);
			return false;
		}
		if (p[1].revents & POLLIN) {
			job_wait(j, deadline);
			TH_LOG("%s: returned %ld (%s) without faulting", j->what,
			       j->ret, strerror(j->err));
			return false;
		}
	}
	TH_LOG("%s: no fault within %d ms", j->what, STALL_BOUND_MS);
	return false;
}

/*
 * 6.1 pins a missing page of a long-term pin with no "locked" to drop
 * (mm/gup.c: __gup_longterm_unlocked() passes NULL), so the fault cannot
 * be retried and userfaultfd answers it with SIGBUS: the MAP fails with
 * EFAULT at once.  Such a kernel cannot hold a pin at a userfaultfd fault
 * (a FUSE page still could), and this test has nothing to show there.
 * 6.12 waits.  Kernels between were not checked: an early EFAULT is
 * excused before 6.12 only, and fails the test on 6.12 and later.
 */
static bool pin_cannot_stall(struct job *j)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (j->ret != -1 || j->err != EFAULT || uname(&u) ||
	    sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major < 6 || (major == 6 && minor < 12);
}

static long do_map(struct job *j)
{
	return ioctl(j->fd, IOPASS_IOAS_MAP, &j->map);
}

static long do_pwrite(struct job *j)
{
	return pwrite(j->fd, j->buf, j->len, j->pos);
}

static long do_detach(struct job *j)
{
	struct iopass_device_detach cmd = { .size = sizeof(cmd) };

	return ioctl(j->fd, IOPASS_DEVICE_DETACH, &cmd);
}

/* ---- other processes ---- */

/*
 * Fork a child that runs @fn(@arg) once child_go() says so and exits with
 * what it returns.  It never uses the harness: an ASSERT there would run
 * the fixture's teardown in the child.
 */
static int child_start(pid_t *pid, int *go, int (*fn)(const char *),
		       const char *arg)
{
	int p[2], ret;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	*pid = fork();
	if (*pid < 0) {
		ret = -errno;
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (!*pid) {
		close(p[1]);
		/* End of file: the test gave up before it said go. */
		_exit(read(p[0], &c, 1) == 1 ? fn(arg) : 0);
	}
	close(p[0]);
	*go = p[1];
	return 0;
}

static void child_go(int *go)
{
	if (write(*go, "g", 1) != 1)
		perror("child_go");
	close(*go);
	*go = -1;
}

/* Whether @pid has exited by @deadline; reaped into *@status if so. */
static bool child_wait(pid_t pid, long long deadline, int *status)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, status, WNOHANG);
		if (ret == pid)
			return true;
		if (ret < 0 && errno != EINTR) {
			*status = 255 << 8;
			return true;
		}
		if (now_ms() >= deadline)
			return false;
		nanosleep(&ts, NULL);
	}
}

/* child_wait() for up to @bound ms; then as job_finishes(). */
static bool child_finishes(struct __test_metadata *_metadata, pid_t *pid,
			   long long bound, struct uffd_buf *u,
			   const char *what, int *status)
{
	long long t0 = now_ms();
	bool ok = child_wait(*pid, t0 + bound, status);

	if (ok) {
		TH_LOG("%s: done after %lld ms", what, now_ms() - t0);
	} else {
		TH_LOG("%s: still blocked after %lld ms; resolving the fault",
		       what, bound);
		uffd_resolve(u);
		if (!child_wait(*pid, now_ms() + STALL_BOUND_MS, status)) {
			TH_LOG("%s: still blocked with the fault resolved", what);
			return false;
		}
	}
	*pid = -1;
	return ok;
}

/*
 * Tenant B's whole life with its own device, context and address space.
 * In a child: 0, or 1 with the step that failed on stderr.
 */
static int tenant_life(const char *bdf)
{
	size_t len = getpagesize();
	const char *step = "mmap";
	int dev = -1, ctx = -1, ret;
	__u64 iova = 0;
	__u32 ioas;
	char *buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ret = buf == MAP_FAILED ? -errno : 0;
	if (ret)
		goto out;
	step = "open the device";
	dev = iopass_open(bdf);
	ret = dev < 0 ? dev : 0;
	if (ret)
		goto out;
	step = "open /dev/iopass";
	ctx = ctx_open();
	ret = ctx < 0 ? ctx : 0;
	if (ret)
		goto out;
	step = "IOAS_ALLOC";
	ret = ioas_alloc(ctx, &ioas);
	if (ret)
		goto out;
	step = "ATTACH";
	ret = device_attach(dev, ctx, ioas);
	if (ret)
		goto out;
	step = "MAP";
	ret = ioas_map(ctx, ioas, buf, len, &iova, MAP_RW);
	if (ret)
		goto out;
	step = "UNMAP";
	ret = ioas_unmap(ctx, ioas, iova, len, NULL);
	if (ret)
		goto out;
	step = "DETACH";
	ret = device_detach(dev);
out:
	if (ret)
		fprintf(stderr, "# tenant B: %s: %s\n", step, strerror(-ret));
	if (dev >= 0)
		close(dev);
	if (ctx >= 0)
		close(ctx);
	return !!ret;
}

/* Its exit closes what it inherited. */
static int child_exits(const char *unused)
{
	return 0;
}

/* The unbind an administrator does: 0, or its errno. */
static int child_unbinds(const char *bdf)
{
	return -sysfs_write(IOPASS_UNBIND, bdf);
}

/* ---- the tests ---- */

/* Tenant A: an edu alone in its group, bound, open, attached. */
FIXTURE(stall) {
	char bdf[32];
	char nvme[32];		/* tenant B's device, "" unless bound */
	int dev, ctx;
	__u32 ioas;
	long pins;
	struct uffd_buf uf;
	struct job stalled;	/* the call held at the fault */
	struct job other;	/* what must not wait for it */
	pid_t child;
	int go;
};

FIXTURE_SETUP(stall)
{
	self->dev = -1;
	self->ctx = -1;
	self->uf.fd = -1;
	self->go = -1;
	self->child = -1;
	self->pins = pins_outstanding();
	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, ALONE_IN_GROUP, 0,
			      self->bdf, sizeof(self->bdf)))
		TH_LOG("no edu alone in its IOMMU group");
	ASSERT_EQ(0, iopass_own(self->bdf, &self->dev, &self->ctx, &self->ioas));
}

FIXTURE_TEARDOWN(stall)
{
	int status;

	/* A test that failed mid-stall: unblock everything, then wait. */
	uffd_resolve(&self->uf);
	job_wait(&self->stalled, now_ms() + STALL_BOUND_MS);
	job_wait(&self->other, now_ms() + STALL_BOUND_MS);
	if (self->go >= 0)
		close(self->go);	/* a child never told to go exits */
	if (self->child > 0 &&
	    !child_wait(self->child, now_ms() + STALL_BOUND_MS, &status)) {
		kill(self->child, SIGKILL);
		child_wait(self->child, now_ms() + STALL_BOUND_MS, &status);
	}
	uffd_teardown(&self->uf);
	if (self->dev >= 0)
		close(self->dev);
	if (self->ctx >= 0)
		close(self->ctx);
	pci_release(self->bdf);
	if (self->nvme[0])
		pci_release(self->nvme);
	EXPECT_EQ(self->pins, pins_outstanding());
}

/* A's MAP of all of @u into @ioas. */
static int map_start(struct job *j, int ctx, __u32 ioas, struct uffd_buf *u)
{
	j->fd = ctx;
	j->map = (struct iopass_ioas_map){
		.size = sizeof(j->map), .flags = MAP_RW, .ioas_id = ioas,
		.user_va = (uintptr_t)u->mem, .length = u->len,
	};
	return job_start(j, "A's MAP", do_map);
}

/* The owner's pwrite of @len bytes from @u to config space at @off. */
static int pwrite_start(struct job *j, int dev, struct uffd_buf *u, off_t off,
			size_t len)
{
	j->fd = dev;
	j->buf = u->mem;
	j->len = len;
	j->pos = CFG(off);
	return job_start(j, "the owner's pwrite", do_pwrite);
}

/*
 * The held MAP was held throughout; released, it maps (the address space
 * was never stuck) and unmaps exactly what it mapped.
 */
static void map_completes(struct __test_metadata *_metadata,
			  struct _test_data_stall *self)
{
	__u64 unmapped = 0;

	EXPECT_TRUE(job_blocked(&self->stalled))
		TH_LOG("the MAP was not held throughout: this proved nothing");
	ASSERT_EQ(0, uffd_resolve(&self->uf));
	ASSERT_TRUE(job_finishes(_metadata, &self->stalled, &self->uf));
	ASSERT_EQ(0, self->stalled.ret)
		TH_LOG("MAP: %s", strerror(self->stalled.err));
	EXPECT_EQ(0, ioas_unmap(self->ctx, self->ioas, self->stalled.map.iova,
				self->uf.len, &unmapped));
	EXPECT_EQ(self->uf.len, unmapped);
}

/*
 * A's MAP is held at a fault in its pin.  Meanwhile A's own device leaves
 * the address space being mapped into, and B, another process with its
 * own device and context, lives its whole life.
 */
TEST_F_TIMEOUT(stall, map_stall_other_tenant, STALL_TEST_TIMEOUT)
{
	int ret, status;

	ret = uffd_setup(&self->uf, 2);
	if (uffd_absent(ret))
		SKIP(return, NO_UFFD);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, pci_find(NVME_VENDOR, NVME_DEVICE, ALONE_IN_GROUP, 0,
			      self->nvme, sizeof(self->nvme)))
		TH_LOG("no nvme alone in its IOMMU group");
	ASSERT_EQ(0, pci_bind(self->nvme, "iopass-pci"));
	/* Forked before any thread: B shares nothing but this test with A. */
	ASSERT_EQ(0, child_start(&self->child, &self->go, tenant_life,
				 self->nvme));
	ASSERT_EQ(0, map_start(&self->stalled, self->ctx, self->ioas,
			       &self->uf));
	if (!fault_held(_metadata, &self->uf, &self->stalled) &&
	    pin_cannot_stall(&self->stalled))
		SKIP(return, NO_PIN_STALL);
	ASSERT_TRUE(job_blocked(&self->stalled));

	/*
	 * A's DETACH first: had it to wait for the MAP, it would do so
	 * holding the lock of every group, and B's ATTACH would wait behind
	 * it.  Give it time to get there before B starts.
	 */
	self->other.fd = self->dev;
	ASSERT_EQ(0, job_start(&self->other, "A's DETACH", do_detach));
	usleep(200 * 1000);
	child_go(&self->go);
	ASSERT_TRUE(child_finishes(_metadata, &self->child, STALL_BOUND_MS,
				   &self->uf, "tenant B's life", &status));
	EXPECT_EQ(0, status)
		TH_LOG("tenant B: wait status %#x", status);
	ASSERT_TRUE(job_finishes(_metadata, &self->other, &self->uf));
	EXPECT_EQ(0, self->other.ret)
		TH_LOG("DETACH: %s", strerror(self->other.err));

	map_completes(_metadata, self);
}

/*
 * A's MAP is held; the last reference to the device attached to that
 * address space goes away in a child's exit.  Releasing the fd detaches
 * the device from the address space being mapped into: it must not wait
 * for the MAP, or neither could the exit.
 */
TEST_F_TIMEOUT(stall, map_stall_same_ioas_close, STALL_TEST_TIMEOUT)
{
	int ret, status;

	ret = uffd_setup(&self->uf, 2);
	if (uffd_absent(ret))
		SKIP(return, NO_UFFD);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, child_start(&self->child, &self->go, child_exits, NULL));
	ASSERT_EQ(0, close(self->dev));	/* the child's copy is the last */
	self->dev = -1;
	ASSERT_EQ(0, map_start(&self->stalled, self->ctx, self->ioas,
			       &self->uf));
	if (!fault_held(_metadata, &self->uf, &self->stalled) &&
	    pin_cannot_stall(&self->stalled))
		SKIP(return, NO_PIN_STALL);
	ASSERT_TRUE(job_blocked(&self->stalled));

	child_go(&self->go);
	ASSERT_TRUE(child_finishes(_metadata, &self->child, STALL_BOUND_MS,
				   &self->uf, "the device's close in a child's exit",
				   &status));
	EXPECT_EQ(0, status)
		TH_LOG("child: wait status %#x", status);
	/* Released, not only closed: the device can be opened again. */
	self->dev = iopass_open(self->bdf);
	EXPECT_LE(0, self->dev)
		TH_LOG("open after the release: %s", strerror(-self->dev));

	map_completes(_metadata, self);
}

/*
 * The owner's pwrite is held in its copy from user memory when the device
 * is unbound.  Unbinding waits release_timeout_ms for the owner to close
 * the fd, then revokes it; it must not also wait for the copy.  Once the
 * copy completes, the write finds the device gone.
 */
TEST_F_TIMEOUT(stall, unbind_with_stalled_pwrite, STALL_TEST_TIMEOUT)
{
	struct iopass_device_info info = { .size = sizeof(info) };
	unsigned long timeout = sysfs_read_ul(RELEASE_TIMEOUT);
	int ret, status, fd;
	__u32 val;

	ASSERT_NE(ULONG_MAX, timeout);
	ret = uffd_setup(&self->uf, 1);
	if (uffd_absent(ret))
		SKIP(return, NO_UFFD);
	ASSERT_EQ(0, ret);
	/* The registers' own values: harmless should the write land after all. */
	ASSERT_EQ(0, dev_cfg_rw(self->dev, PCI_CACHE_LINE_SIZE, &val, 4, false));
	memcpy(self->uf.src, &val, 4);
	ASSERT_EQ(0, pwrite_start(&self->stalled, self->dev, &self->uf,
				  PCI_CACHE_LINE_SIZE, 4));
	ASSERT_TRUE(fault_held(_metadata, &self->uf, &self->stalled));

	ASSERT_EQ(0, child_start(&self->child, &self->go, child_unbinds,
				 self->bdf));
	child_go(&self->go);
	ASSERT_TRUE(child_finishes(_metadata, &self->child,
				   timeout + STALL_BOUND_MS, &self->uf,
				   "unbind", &status));
	EXPECT_EQ(0, status)
		TH_LOG("unbind: %s", strerror(WEXITSTATUS(status)));

	EXPECT_TRUE(job_blocked(&self->stalled))
		TH_LOG("the pwrite was not held throughout: this proved nothing");
	ASSERT_EQ(0, uffd_resolve(&self->uf));
	ASSERT_TRUE(job_finishes(_metadata, &self->stalled, &self->uf));
	EXPECT_EQ(-1, self->stalled.ret);
	EXPECT_EQ(ENODEV, self->stalled.err)
		TH_LOG("pwrite: %s", strerror(self->stalled.err));

	/* Bound again, the device works: the revocation left nothing behind. */
	ASSERT_EQ(0, pci_bind(self->bdf, "iopass-pci"));
	fd = iopass_open(self->bdf);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ioctl_errno(fd, IOPASS_DEVICE_GET_INFO, &info));
	EXPECT_EQ(IOPASS_DOMAIN_PAGING, info.domain_type);
	close(fd);
}

/*
 * A write of the command register that turns bus mastering on is held in
 * its copy while the device is detached.  When the copy completes the
 * device is not attached any more: the write must be refused, not land
 * and let a detached device master the bus.
 */
TEST_F_TIMEOUT(stall, detach_vs_command_write, STALL_TEST_TIMEOUT)
{
	unsigned short cmd, hw;
	int ret;

	ret = uffd_setup(&self->uf, 1);
	if (uffd_absent(ret))
		SKIP(return, NO_UFFD);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, dev_command(self->dev, PCI_COMMAND_MASTER, false));
	ASSERT_EQ(0, dev_cfg_rw(self->dev, PCI_COMMAND, &cmd, 2, false));
	ASSERT_EQ(0, pci_config_rw16(self->bdf, PCI_COMMAND, &hw, false));
	ASSERT_EQ(0, hw & PCI_COMMAND_MASTER);
	cmd |= PCI_COMMAND_MASTER;
	memcpy(self->uf.src, &cmd, 2);
	ASSERT_EQ(0, pwrite_start(&self->stalled, self->dev, &self->uf,
				  PCI_COMMAND, 2));
	ASSERT_TRUE(fault_held(_metadata, &self->uf, &self->stalled));

	self->other.fd = self->dev;
	ASSERT_EQ(0, job_start(&self->other, "DETACH", do_detach));
	ASSERT_TRUE(job_finishes(_metadata, &self->other, &self->uf));
	EXPECT_EQ(0, self->other.ret)
		TH_LOG("DETACH: %s", strerror(self->other.err));

	EXPECT_TRUE(job_blocked(&self->stalled))
		TH_LOG("the pwrite was not held throughout: this proved nothing");
	ASSERT_EQ(0, uffd_resolve(&self->uf));
	ASSERT_TRUE(job_finishes(_metadata, &self->stalled, &self->uf));
	EXPECT_EQ(-1, self->stalled.ret);
	EXPECT_EQ(EPERM, self->stalled.err)
		TH_LOG("pwrite: %s", strerror(self->stalled.err));
	ASSERT_EQ(0, pci_config_rw16(self->bdf, PCI_COMMAND, &hw, false));
	EXPECT_EQ(0, hw & PCI_COMMAND_MASTER)
		TH_LOG("bus mastering on after DETACH: COMMAND %#x", hw);
}

#include "iopass_main.h"
