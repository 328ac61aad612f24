// SPDX-License-Identifier: GPL-2.0
/*
 * Table-driven ioctl argument handling.
 *
 * Every iopass ioctl takes one struct that begins with its own size and a
 * flags word (include/uapi/linux/iopass.h).  The rules for growing such a
 * struct are applied here, once, rather than by each handler: a handler
 * sees a kernel-sized, zero-extended copy whose flags are already known to
 * be valid, and whatever it leaves there is copied back.
 */
#include <kunit/visibility.h>
#include <linux/uaccess.h>

#include "iopass.h"

/* The largest argument any ioctl takes; a stack buffer of this size. */
#define IOPASS_IOCTL_MAX_ARG	64

struct iopass_ioctl_header {
	u32 size;
	u32 flags;
};

/**
 * iopass_ioctl_dispatch() - run one ioctl from a table
 * @ops: the table
 * @n_ops: its length
 * @priv: passed to the handler
 * @cmd: the ioctl number
 * @uarg: the user's argument
 *
 * Return: the handler's result; -ENOTTY for a @cmd not in @ops; -EFAULT;
 * -EINVAL if the user's size is below the op's minimum; -E2BIG if bytes
 * beyond what the kernel knows are not zero; -EOPNOTSUPP for unknown flags.
 */
long iopass_ioctl_dispatch(const struct iopass_ioctl_op *ops, size_t n_ops,
			   void *priv, unsigned int cmd, void __user *uarg)
{
	u8 buf[IOPASS_IOCTL_MAX_ARG] __aligned(8);
	const struct iopass_ioctl_op *op;
	struct iopass_ioctl_header *hdr = (void *)buf;
	u32 user_size;
	int ret;

	for (op = ops; op < ops + n_ops; op++)
		if (op->cmd == cmd)
			break;
	if (op == ops + n_ops)
		return -ENOTTY;
	if (WARN_ON_ONCE(op->size > sizeof(buf)))
		return -EINVAL;

	if (get_user(user_size, (u32 __user *)uarg))
		return -EFAULT;
	if (user_size < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(buf, op->size, uarg, user_size);
	if (ret)
		return ret;
	if (hdr->flags & ~op->valid_flags)
		return -EOPNOTSUPP;
	/*
	 * Unwritable: fail before acting, not after (an IOAS allocated or a
	 * range mapped whose caller is told EFAULT and cannot learn its ID).
	 * The bytes written are the caller's own.
	 */
	if (copy_to_user(uarg, buf, min_t(u32, user_size, op->size)))
		return -EFAULT;

	ret = op->execute(priv, buf);
	if (ret)
		return ret;
	if (copy_to_user(uarg, buf, min_t(u32, user_size, op->size)))
		return -EFAULT;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(iopass_ioctl_dispatch);
