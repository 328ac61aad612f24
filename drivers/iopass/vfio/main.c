// SPDX-License-Identifier: GPL-2.0
/*
 * iopass_vfio.ko: the VFIO-compatible front (vfio_private.h has the map).
 *
 * Opt-in: a module of its own, loaded after iopass.ko.  It takes
 * /dev/vfio/vfio by the misc minor VFIO's container uses, so it refuses to
 * load while the kernel's vfio module holds it, and vfio cannot load while
 * it does: one namespace, one owner.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "vfio_private.h"

/* See vfio_private.h. */
DEFINE_MUTEX(iopass_vfio_lock);

struct miscdevice iopass_vfio_misc = {
	.minor = VFIO_MINOR,
	.name = "vfio",
	.nodename = "vfio/vfio",
	.mode = 0666,
	.fops = &iopass_vfio_container_fops,
};

static int __init iopass_vfio_init(void)
{
	int ret;

	ret = misc_register(&iopass_vfio_misc);
	if (ret == -EBUSY) {
		pr_err("iopass_vfio: /dev/vfio/vfio belongs to the kernel's vfio module (misc minor %d): unload vfio first\n",
		       VFIO_MINOR);
		return ret;
	}
	if (ret)
		return ret;
	ret = iopass_vfio_fs_init();
	if (ret)
		goto out_misc;
	ret = iopass_vfio_groups_init();
	if (ret)
		goto out_fs;
	pr_info("iopass_vfio: serving VFIO's container API for devices bound to iopass-pci\n");
	return 0;

out_fs:
	iopass_vfio_fs_exit();
out_misc:
	misc_deregister(&iopass_vfio_misc);
	return ret;
}

static void __exit iopass_vfio_exit(void)
{
	iopass_vfio_groups_exit();
	iopass_vfio_fs_exit();
	misc_deregister(&iopass_vfio_misc);
}

module_init(iopass_vfio_init);
module_exit(iopass_vfio_exit);
MODULE_DESCRIPTION("iopass: VFIO-compatible container, group and device fds");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOPASS);
