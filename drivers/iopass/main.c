// SPDX-License-Identifier: GPL-2.0
/*
 * iopass: IOMMU-mediated access to PCI devices from user space.
 *
 * Module entry points.  What iopass is and the rules it keeps are in
 * Documentation/; iopass.h maps the source files to the objects.
 */
#include <linux/module.h>

#include "iopass.h"

static int __init iopass_init(void)
{
	int ret;

	ret = iopass_bus_init();
	if (ret)
		return ret;
	ret = iopass_ctx_init();
	if (ret)
		goto out_bus;
	ret = iopass_pci_init();
	if (ret)
		goto out_ctx;
	return 0;

out_ctx:
	iopass_ctx_exit();
out_bus:
	iopass_bus_exit();
	return ret;
}

static void __exit iopass_exit(void)
{
	iopass_pci_exit();
	iopass_ctx_exit();
	iopass_bus_exit();
}

module_init(iopass_init);
module_exit(iopass_exit);

MODULE_DESCRIPTION("iopass: IOMMU-mediated access to PCI devices from user space");
MODULE_LICENSE("GPL");
