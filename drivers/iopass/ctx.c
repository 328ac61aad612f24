// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/iopass: contexts that hold address spaces.
 *
 * Each open is a context: a table of address spaces by ID, and the memory
 * of the process that opened it, which is the only memory its address
 * spaces may map and whose RLIMIT_MEMLOCK pays for the pins.  A device fd
 * names an address space by (context fd, ID) to attach to it.
 *
 * The context holds one reference on each address space it lists; each
 * attached IOMMU group holds another.  So an address space outlives both
 * IOPASS_IOAS_DESTROY and the context's close while a device still uses
 * it, and goes, unpinning everything, when the last of them lets go.
 */
#include <linux/miscdevice.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "iopass.h"

/**
 * struct iopass_ctx - an open /dev/iopass
 * @ioas: address spaces by ID
 * @mm: the opener's memory
 */
struct iopass_ctx {
	struct xarray ioas;
	struct mm_struct *mm;
};

static const struct file_operations iopass_ctx_fops;

/*
 * Look up @id and take a reference; an ERR_PTR if there is none.  No lock:
 * an IOAS is freed an RCU grace period after its last reference goes, so
 * one being destroyed is still there to fail kref_get_unless_zero().
 */
static struct iopass_ioas *iopass_ctx_lookup(struct iopass_ctx *ctx, u32 id)
{
	struct iopass_ioas *ioas;

	rcu_read_lock();
	ioas = xa_load(&ctx->ioas, id);
	if (ioas && !kref_get_unless_zero(&ioas->kref))
		ioas = NULL;
	rcu_read_unlock();
	return ioas ?: ERR_PTR(-ENOENT);
}

/* The IOAS a command names, once its reserved field is checked. */
static struct iopass_ioas *iopass_ctx_cmd_ioas(struct iopass_ctx *ctx, u32 id,
					       u32 reserved)
{
	return reserved ? ERR_PTR(-EINVAL) : iopass_ctx_lookup(ctx, id);
}

/**
 * iopass_ctx_ioas_get() - the address space @id of the context @file
 * @file: what should be an open /dev/iopass
 * @id: an address space ID
 *
 * Return: the IOAS with a reference held, or ERR_PTR(-EBADF) if @file is
 * not a context, ERR_PTR(-ENOENT) if it has no such IOAS.
 */
struct iopass_ioas *iopass_ctx_ioas_get(struct file *file, u32 id)
{
	if (file->f_op != &iopass_ctx_fops)
		return ERR_PTR(-EBADF);
	return iopass_ctx_lookup(file->private_data, id);
}

static int iopass_ctx_ioas_alloc(void *priv, void *arg)
{
	struct iopass_ioas_alloc *cmd = arg;
	struct iopass_ctx *ctx = priv;
	struct iopass_ioas *ioas;
	int ret;

	if (cmd->__reserved)
		return -EINVAL;
	ioas = iopass_ioas_alloc(ctx->mm);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	ret = xa_alloc(&ctx->ioas, &ioas->id, ioas, xa_limit_31b,
		       GFP_KERNEL_ACCOUNT);
	if (ret) {
		iopass_ioas_put(ioas);
		return ret == -EBUSY ? -ENOSPC : ret;
	}
	cmd->out_ioas_id = ioas->id;
	return 0;
}

static int iopass_ctx_ioas_destroy(void *priv, void *arg)
{
	struct iopass_ioas_destroy *cmd = arg;
	struct iopass_ctx *ctx = priv;
	struct iopass_ioas *ioas;
	int ret = 0;

	ioas = iopass_ctx_cmd_ioas(ctx, cmd->ioas_id, cmd->__reserved);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	mutex_lock(&ioas->lock);
	if (!list_empty(&ioas->domains))
		ret = -EBUSY;
	/*
	 * Only if the ID still names this IOAS: a racing DESTROY and ALLOC may
	 * have given it to a new one, which must not be erased (and leaked).
	 */
	else if (xa_cmpxchg(&ctx->ioas, cmd->ioas_id, ioas, NULL, 0) != ioas)
		ret = -ENOENT;	/* a concurrent destroy won */
	else
		ioas->destroyed = true;	/* an ATTACH that looked it up fails */
	mutex_unlock(&ioas->lock);
	if (!ret)
		iopass_ioas_put(ioas);	/* the context's reference */
	iopass_ioas_put(ioas);
	return ret;
}

static int iopass_ctx_iova_ranges(void *priv, void *arg)
{
	struct iopass_ioas_iova_ranges *cmd = arg;
	struct iopass_iova_range *ranges;
	struct iopass_ioas *ioas;
	unsigned long align;
	unsigned int n, room;
	int ret = 0;

	ioas = iopass_ctx_lookup(priv, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* Room for what the caller offers, or for all there are if fewer. */
	room = min(cmd->num_ranges, iopass_ioas_iova_ranges(ioas, NULL, 0, &align));
	ranges = kcalloc(room, sizeof(*ranges), GFP_KERNEL);
	if (!ranges && room) {
		ret = -ENOMEM;
		goto out_put;
	}
	n = iopass_ioas_iova_ranges(ioas, ranges, room, &align);
	if (copy_to_user(u64_to_user_ptr(cmd->allowed_iovas), ranges,
			 min(n, room) * sizeof(*ranges)))
		ret = -EFAULT;
	cmd->num_ranges = n;
	cmd->out_iova_alignment = align;
	kfree(ranges);
out_put:
	iopass_ioas_put(ioas);
	return ret;
}

static int iopass_ctx_map(void *priv, void *arg)
{
	struct iopass_ioas_map *cmd = arg;
	struct iopass_ioas *ioas;
	int ret;

	ioas = iopass_ctx_cmd_ioas(priv, cmd->ioas_id, cmd->__reserved);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	ret = iopass_ioas_map(ioas, cmd->user_va, cmd->length, &cmd->iova,
			      cmd->flags);
	iopass_ioas_put(ioas);
	return ret;
}

static int iopass_ctx_unmap(void *priv, void *arg)
{
	struct iopass_ioas_unmap *cmd = arg;
	struct iopass_ioas *ioas;
	u64 unmapped;
	int ret;

	/* Copied back on failure too: 0 unless EIO says otherwise. */
	ioas = iopass_ctx_cmd_ioas(priv, cmd->ioas_id, cmd->__reserved);
	if (IS_ERR(ioas)) {
		cmd->length = 0;
		return PTR_ERR(ioas);
	}
	ret = iopass_ioas_unmap(ioas, cmd->iova, cmd->length,
				cmd->flags & IOPASS_UNMAP_ALL, &unmapped);
	cmd->length = unmapped;
	iopass_ioas_put(ioas);
	return ret;
}

static const struct iopass_ioctl_op iopass_ctx_ioctls[] = {
	IOPASS_IOCTL_OP(IOPASS_IOAS_ALLOC, iopass_ctx_ioas_alloc,
			struct iopass_ioas_alloc, __reserved, 0),
	IOPASS_IOCTL_OP(IOPASS_IOAS_DESTROY, iopass_ctx_ioas_destroy,
			struct iopass_ioas_destroy, __reserved, 0),
	IOPASS_IOCTL_OP(IOPASS_IOAS_IOVA_RANGES, iopass_ctx_iova_ranges,
			struct iopass_ioas_iova_ranges, out_iova_alignment, 0),
	IOPASS_IOCTL_OP(IOPASS_IOAS_MAP, iopass_ctx_map, struct iopass_ioas_map,
			iova, IOPASS_MAP_FIXED_IOVA | IOPASS_MAP_READABLE |
			IOPASS_MAP_WRITEABLE | IOPASS_MAP_LOCAL_NODE),
	/* On EIO, @length tells how much was unmapped before the failure. */
	{
		.cmd = IOPASS_IOAS_UNMAP,
		.size = sizeof(struct iopass_ioas_unmap),
		.min_size = offsetofend(struct iopass_ioas_unmap, length),
		.valid_flags = IOPASS_UNMAP_ALL,
		.copy_on_error = true,
		.execute = iopass_ctx_unmap,
	},
};

static long iopass_ctx_ioctl(struct file *filp, unsigned int cmd,
			     unsigned long arg)
{
	return iopass_ioctl_dispatch(iopass_ctx_ioctls,
				     ARRAY_SIZE(iopass_ctx_ioctls),
				     filp->private_data, cmd,
				     (void __user *)arg);
}

static int iopass_ctx_open(struct inode *inode, struct file *filp)
{
	struct iopass_ctx *ctx;

	if (!current->mm)
		return -EINVAL;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	xa_init_flags(&ctx->ioas, XA_FLAGS_ALLOC1);
	mmgrab(current->mm);
	ctx->mm = current->mm;
	filp->private_data = ctx;
	return nonseekable_open(inode, filp);
}

static int iopass_ctx_release(struct inode *inode, struct file *filp)
{
	struct iopass_ctx *ctx = filp->private_data;
	struct iopass_ioas *ioas;
	unsigned long id;

	xa_for_each(&ctx->ioas, id, ioas) {
		xa_erase(&ctx->ioas, id);
		iopass_ioas_put(ioas);
	}
	xa_destroy(&ctx->ioas);
	mmdrop(ctx->mm);
	kfree(ctx);
	return 0;
}

static const struct file_operations iopass_ctx_fops = {
	.owner = THIS_MODULE,
	.open = iopass_ctx_open,
	.release = iopass_ctx_release,
	.unlocked_ioctl = iopass_ctx_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice iopass_ctx_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iopass",
	.fops = &iopass_ctx_fops,
};

/**
 * iopass_ctx_init() - register /dev/iopass
 *
 * Return: 0 or a negative errno.
 */
int iopass_ctx_init(void)
{
	return misc_register(&iopass_ctx_misc);
}

/**
 * iopass_ctx_exit() - unregister /dev/iopass
 */
void iopass_ctx_exit(void)
{
	misc_deregister(&iopass_ctx_misc);
}
