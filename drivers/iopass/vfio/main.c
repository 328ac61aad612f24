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
atomic64_t iopass_vfio_map_calls;
atomic64_t iopass_vfio_unmap_calls;

/*
 * /sys/class/misc/vfio/{map,unmap}_dma_calls: the MAP_DMA calls that
 * mapped and the UNMAP_DMA calls that unmapped something, over every
 * container since the module loaded.  A VMM that shadows a guest's vIOMMU
 * makes them as the guest maps; this is how many it made.
 */
static ssize_t map_dma_calls_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&iopass_vfio_map_calls));
}
static DEVICE_ATTR_RO(map_dma_calls);

static ssize_t unmap_dma_calls_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&iopass_vfio_unmap_calls));
}
static DEVICE_ATTR_RO(unmap_dma_calls);

static struct attribute *iopass_vfio_stats_attrs[] = {
	&dev_attr_map_dma_calls.attr,
	&dev_attr_unmap_dma_calls.attr,
	NULL
};
ATTRIBUTE_GROUPS(iopass_vfio_stats);

struct miscdevice iopass_vfio_misc = {
	.minor = VFIO_MINOR,
	.name = "vfio",
	.nodename = "vfio/vfio",
	.mode = 0666,
	.fops = &iopass_vfio_container_fops,
	.groups = iopass_vfio_stats_groups,
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
