// SPDX-License-Identifier: GPL-2.0
/*
 * iopass_vfio.ko: the VFIO-compatible front (vfio_private.h has the map).
 *
 * Opt-in: a module of its own, loaded after iopass.ko.  It takes
 * /dev/vfio/vfio by the misc minor VFIO's container uses, so it refuses to
 * load while the kernel's vfio module holds it, and vfio cannot load while
 * it does: one namespace, one owner.
 */
#include <linux/kobject.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "vfio_private.h"

static bool vfio_names;
module_param(vfio_names, bool, 0444);
MODULE_PARM_DESC(vfio_names,
		 "Also answer to VFIO's names, for programs that check them (DPDK): a PCI driver \"vfio-pci\" that binds functions to iopass, and /sys/module/vfio and /sys/module/vfio_pci (default N)");

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

/*
 * vfio_names: DPDK 22.11 takes a device only if its driver is named
 * vfio-pci and /sys/module/vfio and /sys/module/vfio_pci exist
 * (rte_eal_check_module()).  The driver is iopass-pci under that name;
 * the two directories are empty kobjects beside the modules' own.  While
 * they exist the kernel's vfio and vfio-pci cannot load (their names are
 * taken), as /dev/vfio/vfio already keeps vfio out.
 */
static struct pci_driver iopass_vfio_pci_alias = { .name = "vfio-pci" };
static struct kobject *iopass_vfio_name_kobj[2];

static void iopass_vfio_names_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(iopass_vfio_name_kobj); i++)
		kobject_put(iopass_vfio_name_kobj[i]);
	if (iopass_vfio_pci_alias.probe)
		pci_unregister_driver(&iopass_vfio_pci_alias);
}

static int iopass_vfio_names_init(void)
{
	static const char *const names[] = { "vfio", "vfio_pci" };
	struct kobject *modules = &THIS_MODULE->mkobj.kobj.kset->kobj;
	int i, ret;

	ret = iopass_pci_register_alias(&iopass_vfio_pci_alias, THIS_MODULE);
	if (ret) {
		iopass_vfio_pci_alias.probe = NULL;
		pr_err("iopass_vfio: vfio_names: cannot register the vfio-pci driver (%pe): is the kernel's vfio-pci loaded?\n",
		       ERR_PTR(ret));
		return ret;
	}
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		iopass_vfio_name_kobj[i] = kobject_create_and_add(names[i],
								   modules);
		if (!iopass_vfio_name_kobj[i]) {
			iopass_vfio_names_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

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
	if (vfio_names) {
		ret = iopass_vfio_names_init();
		if (ret)
			goto out_groups;
	}
	pr_info("iopass_vfio: serving VFIO's container API for devices bound to iopass-pci%s\n",
		vfio_names ? " or to its vfio-pci" : "");
	return 0;

out_groups:
	iopass_vfio_groups_exit();
out_fs:
	iopass_vfio_fs_exit();
out_misc:
	misc_deregister(&iopass_vfio_misc);
	return ret;
}

static void __exit iopass_vfio_exit(void)
{
	if (vfio_names)
		iopass_vfio_names_exit();	/* unbinds its functions */
	iopass_vfio_groups_exit();
	iopass_vfio_fs_exit();
	misc_deregister(&iopass_vfio_misc);
}

module_init(iopass_vfio_init);
module_exit(iopass_vfio_exit);
MODULE_DESCRIPTION("iopass: VFIO-compatible container, group and device fds");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOPASS);
