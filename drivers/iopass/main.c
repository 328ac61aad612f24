// SPDX-License-Identifier: GPL-2.0
/*
 * iopass: IOMMU-mediated access to PCI devices from user space.
 *
 * Module entry points.  What iopass is and the rules it keeps are in
 * Documentation/; iopass.h maps the source files to the objects.
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/module.h>

#include "iopass.h"

#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(iopass_fail);
static struct dentry *iopass_fail_dir;

/*
 * Whether a fault point should fail now: /sys/kernel/debug/fail_iopass
 * (probability, times, task-filter...) or the task's fail-nth decide.
 */
bool iopass_should_fail(void)
{
	return should_fail(&iopass_fail, 1);
}

static void iopass_fail_init(void)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	iopass_fail_dir = fault_create_debugfs_attr("fail_iopass", NULL,
						    &iopass_fail);
	if (IS_ERR(iopass_fail_dir))
		iopass_fail_dir = NULL;
#endif
}

static void iopass_fail_exit(void)
{
	debugfs_remove_recursive(iopass_fail_dir);
}
#else
static void iopass_fail_init(void) { }
static void iopass_fail_exit(void) { }
#endif

static int __init iopass_init(void)
{
	int ret;

	ret = iopass_ioas_init();
	if (ret)
		return ret;
	ret = iopass_bus_init();
	if (ret)
		goto out_ioas;
	ret = iopass_ctx_init();
	if (ret)
		goto out_bus;
	ret = iopass_pci_init();
	if (ret)
		goto out_ctx;
	iopass_fail_init();
	return 0;

out_ctx:
	iopass_ctx_exit();
out_bus:
	iopass_bus_exit();
out_ioas:
	iopass_ioas_exit();
	return ret;
}

static void __exit iopass_exit(void)
{
	iopass_fail_exit();
	iopass_pci_exit();
	iopass_ctx_exit();
	iopass_bus_exit();
	iopass_ioas_exit();
}

module_init(iopass_init);
module_exit(iopass_exit);

MODULE_DESCRIPTION("iopass: IOMMU-mediated access to PCI devices from user space");
MODULE_LICENSE("GPL");
