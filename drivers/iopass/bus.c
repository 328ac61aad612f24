// SPDX-License-Identifier: GPL-2.0
/*
 * The iopass bus.
 *
 * Every device iopass hands to user space sits on this bus, whatever
 * backend put it there (the PCI driver, or the mock backend of the tests),
 * as a child of the real device: /sys/bus/iopass/devices/iopass<N>.  The
 * bus also owns the char device region those devices' nodes come from,
 * /dev/iopass<N>.
 */
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kdev_t.h>

#include "iopass.h"

#define IOPASS_MAX_DEVICES	MINORMASK

static dev_t iopass_devt_base;
static DEFINE_IDA(iopass_ida);

IOPASS_BUS_TYPE_CONST struct bus_type iopass_bus_type = {
	.name = "iopass",
};
EXPORT_SYMBOL_NS_GPL(iopass_bus_type, IOPASS);

/**
 * iopass_bus_alloc_devt() - give @idev an ID, a name and a device number
 * @idev: an iopass device being set up
 *
 * Return: 0, or -ENOSPC when every minor number is in use.
 */
int iopass_bus_alloc_devt(struct iopass_device *idev)
{
	int id;

	id = ida_alloc_max(&iopass_ida, IOPASS_MAX_DEVICES - 1, GFP_KERNEL);
	if (id < 0)
		return id;
	idev->id = id;
	idev->dev.devt = MKDEV(MAJOR(iopass_devt_base), id);
	return dev_set_name(&idev->dev, "iopass%d", id);
}

/**
 * iopass_bus_free_devt() - undo iopass_bus_alloc_devt()
 * @idev: the device
 */
void iopass_bus_free_devt(struct iopass_device *idev)
{
	ida_free(&iopass_ida, idev->id);
}

/**
 * iopass_bus_init() - register the iopass bus and its char device region
 *
 * Return: 0 or a negative errno.
 */
int iopass_bus_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&iopass_devt_base, 0, IOPASS_MAX_DEVICES,
				  "iopass");
	if (ret)
		return ret;
	ret = bus_register(&iopass_bus_type);
	if (ret)
		unregister_chrdev_region(iopass_devt_base, IOPASS_MAX_DEVICES);
	return ret;
}

/**
 * iopass_bus_exit() - undo iopass_bus_init(); every device is gone by now
 */
void iopass_bus_exit(void)
{
	bus_unregister(&iopass_bus_type);
	unregister_chrdev_region(iopass_devt_base, IOPASS_MAX_DEVICES);
	ida_destroy(&iopass_ida);
}
