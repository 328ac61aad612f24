// SPDX-License-Identifier: GPL-2.0
/*
 * The argument rules of every ioctl, one test instance per ioctl and rule
 * (the conventions at the top of include/uapi/linux/iopass.h):
 *
 *   size smaller than the first version    EINVAL
 *   longer, with a non-zero byte past it   E2BIG
 *   longer, the tail zero                  works as with the exact size
 *   an unknown flag                        EOPNOTSUPP
 *   a non-zero __reserved field            EINVAL
 *   on the wrong kind of fd                ENOTTY
 *
 * Device ioctls run on the rig's nvme (it can be reset), attached to an
 * address space of a context that holds the context ioctls.
 */
#include <sys/eventfd.h>

#include "iopass_util.h"
#include "kselftest_harness.h"

#define SZ_4K		0x1000UL
#define ARG_MAX_BYTES	256

FIXTURE(rules) {
	char bdf[32];
	int dev, ctx, efd;
	__u32 ioas;
	char *buf;
	__u64 arg[ARG_MAX_BYTES / 8];	/* the argument, with room for a tail */
};

/* One ioctl: how to build a valid argument, and what its rules are. */
struct rule_case {
	unsigned long cmd;
	bool on_ctx;			/* a context ioctl, else a device one */
	size_t size;			/* the struct today */
	size_t min_size;		/* the first version */
	__u32 bad_flag;			/* a flag it does not know */
	ssize_t reserved;		/* offset of a __reserved field, or -1 */
	/* Fill a valid argument (size and flags too); 0 or -errno. */
	int (*fill)(struct _test_data_rules *self, void *arg);
};

static void hdr(void *arg, __u32 size, __u32 flags)
{
	((__u32 *)arg)[0] = size;
	((__u32 *)arg)[1] = flags;
}

static int fill_info(struct _test_data_rules *self, void *arg)
{
	hdr(arg, sizeof(struct iopass_device_info), 0);
	return 0;
}

static int fill_alloc(struct _test_data_rules *self, void *arg)
{
	hdr(arg, sizeof(struct iopass_ioas_alloc), 0);
	return 0;
}

static int fill_destroy(struct _test_data_rules *self, void *arg)
{
	struct iopass_ioas_destroy *c = arg;

	hdr(arg, sizeof(*c), 0);
	return ioas_alloc(self->ctx, &c->ioas_id);
}

static int fill_ranges(struct _test_data_rules *self, void *arg)
{
	struct iopass_ioas_iova_ranges *c = arg;

	hdr(arg, sizeof(*c), 0);
	c->ioas_id = self->ioas;
	return 0;
}

static int fill_map(struct _test_data_rules *self, void *arg)
{
	struct iopass_ioas_map *c = arg;

	hdr(arg, sizeof(*c), IOPASS_MAP_READABLE);
	c->ioas_id = self->ioas;
	c->user_va = (uintptr_t)self->buf;
	c->length = SZ_4K;
	return 0;
}

static int fill_unmap(struct _test_data_rules *self, void *arg)
{
	struct iopass_ioas_unmap *c = arg;
	__u64 iova = 0;

	hdr(arg, sizeof(*c), IOPASS_UNMAP_ALL);
	c->ioas_id = self->ioas;
	return ioas_map(self->ctx, self->ioas, self->buf, SZ_4K, &iova,
			IOPASS_MAP_READABLE);
}

static int fill_attach(struct _test_data_rules *self, void *arg)
{
	struct iopass_device_attach *c = arg;

	hdr(arg, sizeof(*c), 0);
	c->ctx_fd = self->ctx;
	c->ioas_id = self->ioas;
	return device_detach(self->dev);
}

static int fill_detach(struct _test_data_rules *self, void *arg)
{
	hdr(arg, sizeof(struct iopass_device_detach), 0);
	return 0;
}

static int fill_region(struct _test_data_rules *self, void *arg)
{
	hdr(arg, sizeof(struct iopass_region_info), 0);
	return 0;				/* index 0: BAR0 */
}

static int fill_irq_info(struct _test_data_rules *self, void *arg)
{
	struct iopass_irq_info *c = arg;

	hdr(arg, sizeof(*c), 0);
	c->index = IOPASS_IRQ_MSIX;
	return 0;
}

static int fill_set_irqs(struct _test_data_rules *self, void *arg)
{
	struct iopass_set_irqs *c = arg;

	hdr(arg, sizeof(*c), IOPASS_IRQ_SET_EVENTFD);
	c->index = IOPASS_IRQ_MSIX;
	c->count = 1;
	c->eventfds = (uintptr_t)&self->efd;
	return 0;
}

static int fill_reset(struct _test_data_rules *self, void *arg)
{
	hdr(arg, sizeof(struct iopass_device_reset), 0);
	return 0;
}

#define RESERVED(s)	offsetof(struct s, __reserved)

FIXTURE_VARIANT(rules) {
	struct rule_case c;
};

FIXTURE_VARIANT_ADD(rules, device_get_info) {
	.c = { IOPASS_DEVICE_GET_INFO, false, sizeof(struct iopass_device_info),
	       offsetof(struct iopass_device_info, device_flags), 1,
	       RESERVED(iopass_device_info), fill_info },
};

FIXTURE_VARIANT_ADD(rules, ioas_alloc) {
	.c = { IOPASS_IOAS_ALLOC, true, sizeof(struct iopass_ioas_alloc),
	       sizeof(struct iopass_ioas_alloc), 1,
	       RESERVED(iopass_ioas_alloc), fill_alloc },
};

FIXTURE_VARIANT_ADD(rules, ioas_destroy) {
	.c = { IOPASS_IOAS_DESTROY, true, sizeof(struct iopass_ioas_destroy),
	       sizeof(struct iopass_ioas_destroy), 1,
	       RESERVED(iopass_ioas_destroy), fill_destroy },
};

FIXTURE_VARIANT_ADD(rules, ioas_iova_ranges) {
	.c = { IOPASS_IOAS_IOVA_RANGES, true,
	       sizeof(struct iopass_ioas_iova_ranges),
	       sizeof(struct iopass_ioas_iova_ranges), 1, -1, fill_ranges },
};

FIXTURE_VARIANT_ADD(rules, ioas_map) {
	.c = { IOPASS_IOAS_MAP, true, sizeof(struct iopass_ioas_map),
	       sizeof(struct iopass_ioas_map), 1 << 4,
	       RESERVED(iopass_ioas_map), fill_map },
};

FIXTURE_VARIANT_ADD(rules, ioas_unmap) {
	.c = { IOPASS_IOAS_UNMAP, true, sizeof(struct iopass_ioas_unmap),
	       sizeof(struct iopass_ioas_unmap), 1 << 1,
	       RESERVED(iopass_ioas_unmap), fill_unmap },
};

FIXTURE_VARIANT_ADD(rules, device_attach) {
	.c = { IOPASS_DEVICE_ATTACH, false, sizeof(struct iopass_device_attach),
	       offsetof(struct iopass_device_attach, vf_token), 1 << 1, -1,
	       fill_attach },
};

FIXTURE_VARIANT_ADD(rules, device_detach) {
	.c = { IOPASS_DEVICE_DETACH, false, sizeof(struct iopass_device_detach),
	       sizeof(struct iopass_device_detach), 1, -1, fill_detach },
};

FIXTURE_VARIANT_ADD(rules, device_region_info) {
	.c = { IOPASS_DEVICE_REGION_INFO, false,
	       sizeof(struct iopass_region_info),
	       offsetof(struct iopass_region_info, num_areas), 1,
	       RESERVED(iopass_region_info), fill_region },
};

FIXTURE_VARIANT_ADD(rules, device_irq_info) {
	.c = { IOPASS_DEVICE_IRQ_INFO, false, sizeof(struct iopass_irq_info),
	       sizeof(struct iopass_irq_info), 1,
	       RESERVED(iopass_irq_info), fill_irq_info },
};

FIXTURE_VARIANT_ADD(rules, device_set_irqs) {
	.c = { IOPASS_DEVICE_SET_IRQS, false, sizeof(struct iopass_set_irqs),
	       sizeof(struct iopass_set_irqs), 1 << 4,
	       RESERVED(iopass_set_irqs), fill_set_irqs },
};

FIXTURE_VARIANT_ADD(rules, device_reset) {
	.c = { IOPASS_DEVICE_RESET, false, sizeof(struct iopass_device_reset),
	       sizeof(struct iopass_device_reset), 1, -1, fill_reset },
};

FIXTURE_SETUP(rules)
{
	ASSERT_EQ(0, pci_find(NVME_VENDOR, NVME_DEVICE, ANY_GROUP, 0, self->bdf,
			      sizeof(self->bdf)));
	ASSERT_EQ(0, iopass_own(self->bdf, &self->dev, &self->ctx, &self->ioas));
	self->efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	self->buf = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->arg, 0, sizeof(self->arg));
	ASSERT_EQ(0, variant->c.fill(self, self->arg));
}

FIXTURE_TEARDOWN(rules)
{
	close(self->efd);
	close(self->dev);
	close(self->ctx);
	munmap(self->buf, SZ_4K);
	pci_release(self->bdf);
}

static int call(struct _test_data_rules *self, const struct rule_case *c)
{
	return ioctl_errno(c->on_ctx ? self->ctx : self->dev, c->cmd, self->arg);
}

static __u32 *size_of(struct _test_data_rules *self)
{
	return (__u32 *)self->arg;
}

TEST_F(rules, exact_size_works)
{
	EXPECT_EQ(0, call(self, &variant->c));
}

TEST_F(rules, smaller_than_the_first_version_is_einval)
{
	*size_of(self) = variant->c.min_size - 1;
	EXPECT_EQ(-EINVAL, call(self, &variant->c));
	*size_of(self) = 0;
	EXPECT_EQ(-EINVAL, call(self, &variant->c));
}

TEST_F(rules, a_longer_struct_with_a_non_zero_tail_is_e2big)
{
	*size_of(self) = variant->c.size + 16;
	((char *)self->arg)[variant->c.size + 13] = 1;
	EXPECT_EQ(-E2BIG, call(self, &variant->c));
}

TEST_F(rules, a_longer_struct_with_a_zero_tail_works)
{
	*size_of(self) = ARG_MAX_BYTES;
	EXPECT_EQ(0, call(self, &variant->c));
	/* The kernel wrote no more than its struct. */
	EXPECT_EQ(0, self->arg[ARG_MAX_BYTES / 8 - 1]);
}

TEST_F(rules, an_unknown_flag_is_eopnotsupp)
{
	((__u32 *)self->arg)[1] |= variant->c.bad_flag;
	EXPECT_EQ(-EOPNOTSUPP, call(self, &variant->c));
	((__u32 *)self->arg)[1] |= 1U << 31;
	EXPECT_EQ(-EOPNOTSUPP, call(self, &variant->c));
}

TEST_F(rules, a_non_zero_reserved_field_is_einval)
{
	if (variant->c.reserved < 0)
		SKIP(return, "this struct has no __reserved field");
	((char *)self->arg)[variant->c.reserved] = 1;
	EXPECT_EQ(-EINVAL, call(self, &variant->c));
	if (variant->c.cmd == IOPASS_DEVICE_GET_INFO) {
		/* And the second one, of the 40-byte version. */
		((char *)self->arg)[variant->c.reserved] = 0;
		((char *)self->arg)[offsetof(struct iopass_device_info,
					     __reserved2)] = 1;
		EXPECT_EQ(-EINVAL, call(self, &variant->c));
	}
}

TEST_F(rules, the_wrong_kind_of_fd_is_enotty)
{
	int other = variant->c.on_ctx ? self->dev : self->ctx;

	EXPECT_EQ(-ENOTTY, ioctl_errno(other, variant->c.cmd, self->arg));
	EXPECT_EQ(-ENOTTY, ioctl_errno(self->efd, variant->c.cmd, self->arg));
}

#include "iopass_main.h"
