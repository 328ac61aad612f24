// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the ioctl argument rules (ioctl.c), run against real user
 * memory so that copy_struct_from_user() and the copy back behave as they
 * do for a process.  The argument is a made-up struct with two versions: v1
 * ends at @a, v2 adds @b and @c.
 */
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include "../iopass.h"

struct test_arg {
	u32 size;
	u32 flags;
	u64 a;
	u32 b;		/* v2 */
	u32 c;		/* v2 */
};

#define TEST_CMD	_IO('x', 1)
#define TEST_CMD_COE	_IO('x', 3)	/* copies back on error too (UNMAP) */
#define TEST_FLAG	1
#define V1_SIZE		offsetofend(struct test_arg, a)
#define SENTINEL	0x5a

struct test_ctx {
	int calls;
	int ret;
	struct test_arg seen;
};

static int test_execute(void *priv, void *arg)
{
	struct test_ctx *ctx = priv;
	struct test_arg *t = arg;

	ctx->calls++;
	ctx->seen = *t;
	t->a = 0xaaaa;
	t->b = 0xbbbb;
	return ctx->ret;
}

static const struct iopass_ioctl_op test_ops[] = {
	IOPASS_IOCTL_OP(TEST_CMD, test_execute, struct test_arg, a, TEST_FLAG),
	{
		.cmd = TEST_CMD_COE,
		.size = sizeof(struct test_arg),
		.min_size = V1_SIZE,
		.copy_on_error = true,
		.execute = test_execute,
	},
};

/**
 * struct dispatch_case - one call of the dispatcher
 * @name: the case's name
 * @user_size: what the caller puts in @size, and how much it provides
 * @flags: what it puts in @flags
 * @tail: a byte to put beyond sizeof(struct test_arg), 0 for none
 * @handler_ret: what the handler returns
 * @cmd: the ioctl number (0: TEST_CMD)
 * @want_ret: the dispatcher's expected result
 * @want_calls: how often the handler must run (0 or 1)
 */
struct dispatch_case {
	const char *name;
	u32 user_size;
	u32 flags;
	u8 tail;
	int handler_ret;
	unsigned int cmd;
	int want_ret;
	int want_calls;
};

static const struct dispatch_case dispatch_cases[] = {
	{ "v2 caller", sizeof(struct test_arg), 0, 0, 0, 0, 0, 1 },
	{ "v1 caller", V1_SIZE, 0, 0, 0, 0, 0, 1 },
	{ "size below v1", V1_SIZE - 1, 0, 0, 0, 0, -EINVAL, 0 },
	{ "size 0", 0, 0, 0, 0, 0, -EINVAL, 0 },
	{ "newer caller, zero tail", sizeof(struct test_arg) + 16, 0, 0, 0, 0, 0, 1 },
	{ "newer caller, non-zero tail", sizeof(struct test_arg) + 16, 0, 1, 0, 0, -E2BIG, 0 },
	{ "known flag", sizeof(struct test_arg), TEST_FLAG, 0, 0, 0, 0, 1 },
	{ "unknown flag", sizeof(struct test_arg), 2, 0, 0, 0, -EOPNOTSUPP, 0 },
	{ "handler fails", sizeof(struct test_arg), 0, 0, -EIO, 0, -EIO, 1 },
	{ "handler fails, copy on error", sizeof(struct test_arg), 0, 0, -EIO,
	  TEST_CMD_COE, -EIO, 1 },
	{ "copy on error, success", sizeof(struct test_arg), 0, 0, 0,
	  TEST_CMD_COE, 0, 1 },
	{ "unknown ioctl", sizeof(struct test_arg), 0, 0, 0, _IO('x', 2), -ENOTTY, 0 },
};

static void dispatch_case_desc(const struct dispatch_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dispatch, dispatch_cases, dispatch_case_desc);

static void iopass_ioctl_dispatch_test(struct kunit *test)
{
	const struct dispatch_case *c = test->param_value;
	u8 image[sizeof(struct test_arg) + 32], after[sizeof(image)];
	struct test_arg *arg = (void *)image;
	struct test_ctx ctx = { .ret = c->handler_ret };
	unsigned long uaddr;
	u32 written;
	long ret;

	uaddr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, uaddr, 0, "no user memory");

	/* What the caller does not pass holds a sentinel the kernel must keep. */
	memset(image, SENTINEL, sizeof(image));
	memset(image, 0, min_t(u32, c->user_size, sizeof(image)));
	arg->size = c->user_size;
	arg->flags = c->flags;
	arg->a = 1;
	if (c->tail)
		image[sizeof(struct test_arg) + 8] = c->tail;
	KUNIT_ASSERT_EQ(test, 0, copy_to_user((void __user *)uaddr, image,
					      sizeof(image)));

	ret = iopass_ioctl_dispatch(test_ops, ARRAY_SIZE(test_ops), &ctx,
				    c->cmd ?: TEST_CMD, (void __user *)uaddr);
	KUNIT_EXPECT_EQ(test, ret, c->want_ret);
	KUNIT_EXPECT_EQ(test, ctx.calls, c->want_calls);
	KUNIT_ASSERT_EQ(test, 0, copy_from_user(after, (void __user *)uaddr,
						sizeof(after)));

	if (ctx.calls) {
		/* The handler saw the caller's fields, and zeros past them. */
		KUNIT_EXPECT_EQ(test, ctx.seen.a, 1);
		KUNIT_EXPECT_EQ(test, ctx.seen.flags, c->flags);
		if (c->user_size < sizeof(struct test_arg)) {
			KUNIT_EXPECT_EQ(test, ctx.seen.b, 0);
			KUNIT_EXPECT_EQ(test, ctx.seen.c, 0);
		}
	}
	if (ret && c->cmd != TEST_CMD_COE) {
		/* A failed call writes nothing back. */
		KUNIT_EXPECT_MEMEQ(test, after, image, sizeof(image));
		return;
	}
	/* Success writes back exactly min(caller's size, kernel's size). */
	written = min_t(u32, c->user_size, sizeof(struct test_arg));
	KUNIT_EXPECT_EQ(test, ((struct test_arg *)after)->a, 0xaaaa);
	if (written > offsetof(struct test_arg, b))
		KUNIT_EXPECT_EQ(test, ((struct test_arg *)after)->b, 0xbbbb);
	KUNIT_EXPECT_MEMEQ(test, after + written, image + written,
			   sizeof(image) - written);
}

static void iopass_ioctl_bad_pointer_test(struct kunit *test)
{
	struct test_ctx ctx = {};

	KUNIT_EXPECT_EQ(test, -EFAULT,
			iopass_ioctl_dispatch(test_ops, ARRAY_SIZE(test_ops),
					      &ctx, TEST_CMD, NULL));
	KUNIT_EXPECT_EQ(test, ctx.calls, 0);
}

static struct kunit_case iopass_ioctl_cases[] = {
	KUNIT_CASE_PARAM(iopass_ioctl_dispatch_test, dispatch_gen_params),
	KUNIT_CASE(iopass_ioctl_bad_pointer_test),
	{}
};

static struct kunit_suite iopass_ioctl_suite = {
	.name = "iopass_ioctl",
	.test_cases = iopass_ioctl_cases,
};

kunit_test_suite(iopass_ioctl_suite);
