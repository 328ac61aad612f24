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

struct iopass_ioctl_header {
	u32 size;
	u32 flags;
};

/**
 * iopass_ioctl_find() - the entry of @cmd in a table
 * @ops: the table (may be NULL if @n_ops is 0)
 * @n_ops: its length
 * @cmd: the ioctl number
 *
 * Return: the entry, or NULL.
 */
const struct iopass_ioctl_op *iopass_ioctl_find(const struct iopass_ioctl_op *ops,
						size_t n_ops, unsigned int cmd)
{
	const struct iopass_ioctl_op *op;

	for (op = ops; op < ops + n_ops; op++)
		if (op->cmd == cmd)
			return op;
	return NULL;
}

/**
 * iopass_ioctl_prepare() - find @cmd in a table and copy its argument in
 * @ops: the table
 * @n_ops: its length
 * @cmd: the ioctl number
 * @uarg: the user's argument
 * @call: out: the op and a kernel-sized, zero-extended copy of the argument
 *
 * Every access to user memory happens here and in iopass_ioctl_finish(),
 * so that a caller can run the handler between them under a lock no
 * stalled page fault may hold (device.c).
 *
 * Return: 0; -ENOTTY for a @cmd not in @ops; -EFAULT; -EINVAL if the
 * user's size is below the op's minimum; -E2BIG if bytes beyond what the
 * kernel knows are not zero; -EOPNOTSUPP for unknown flags.
 */
int iopass_ioctl_prepare(const struct iopass_ioctl_op *ops, size_t n_ops,
			 unsigned int cmd, void __user *uarg,
			 struct iopass_ioctl_call *call)
{
	const struct iopass_ioctl_op *op;
	struct iopass_ioctl_header *hdr = (void *)call->buf;
	int ret;

	op = iopass_ioctl_find(ops, n_ops, cmd);
	if (!op)
		return -ENOTTY;
	if (WARN_ON_ONCE(op->size > sizeof(call->buf)))
		return -EINVAL;

	if (get_user(call->user_size, (u32 __user *)uarg))
		return -EFAULT;
	if (call->user_size < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(call->buf, op->size, uarg, call->user_size);
	if (ret)
		return ret;
	if (hdr->flags & ~op->valid_flags)
		return -EOPNOTSUPP;
	/*
	 * Unwritable: fail before acting, not after (an IOAS allocated or a
	 * range mapped whose caller is told EFAULT and cannot learn its ID).
	 * The bytes written are the caller's own.
	 */
	if (copy_to_user(uarg, call->buf, min_t(u32, call->user_size, op->size)))
		return -EFAULT;
	call->op = op;
	call->uarg = uarg;
	return 0;
}

/**
 * iopass_ioctl_finish() - copy the argument back after the handler ran
 * @call: from iopass_ioctl_prepare()
 * @ret: the handler's result
 *
 * The argument is copied back on success, and on failure for an op with
 * @copy_on_error (its handler says in the argument how far it got).
 *
 * Return: @ret, or -EFAULT if a successful result cannot be written back.
 */
long iopass_ioctl_finish(struct iopass_ioctl_call *call, int ret)
{
	u32 len = min_t(u32, call->user_size, call->op->size);

	if (ret && !call->op->copy_on_error)
		return ret;
	if (copy_to_user(call->uarg, call->buf, len) && !ret)
		return -EFAULT;
	return ret;
}

/**
 * iopass_ioctl_dispatch() - run one ioctl from a table
 * @ops: the table
 * @n_ops: its length
 * @priv: passed to the handler
 * @cmd: the ioctl number
 * @uarg: the user's argument
 *
 * Return: the handler's result, or an errno of iopass_ioctl_prepare() or
 * iopass_ioctl_finish().
 */
long iopass_ioctl_dispatch(const struct iopass_ioctl_op *ops, size_t n_ops,
			   void *priv, unsigned int cmd, void __user *uarg)
{
	struct iopass_ioctl_call call;
	int ret;

	ret = iopass_ioctl_prepare(ops, n_ops, cmd, uarg, &call);
	if (ret)
		return ret;
	return iopass_ioctl_finish(&call, call.op->execute(priv, call.buf));
}
EXPORT_SYMBOL_IF_KUNIT(iopass_ioctl_dispatch);
