// SPDX-License-Identifier: GPL-2.0
/*
 * iopass-pci: the PCI backend.
 *
 * The driver matches no IDs: an administrator hands it a function by
 * writing "iopass-pci" to the function's driver_override and probing it,
 * as with vfio-pci.  It sets driver_managed_dma, so the PCI core leaves the
 * IOMMU to it instead of giving the function the kernel's DMA domain.
 *
 * Only type 0 functions are accepted: a bridge forwards the DMA of the bus
 * behind it, which the bridge's owner would then control.
 */
#include <linux/pci.h>

#include "iopass.h"

#define IOPASS_PCI_DRIVER_NAME	"iopass-pci"

static struct pci_dev *iopass_to_pci_dev(struct iopass_device *idev)
{
	return to_pci_dev(idev->dev.parent);
}

static void iopass_pci_quiesce(struct iopass_device *idev)
{
	pci_clear_master(iopass_to_pci_dev(idev));
}

static void iopass_pci_fill_info(struct iopass_device *idev,
				 struct iopass_device_info *info)
{
	struct pci_dev *pdev = iopass_to_pci_dev(idev);

	info->pci_segment = pci_domain_nr(pdev->bus);
	info->pci_bus = pdev->bus->number;
	info->pci_devfn = pdev->devfn;
}

static const struct iopass_device_ops iopass_pci_ops = {
	.quiesce = iopass_pci_quiesce,
	.fill_info = iopass_pci_fill_info,
	.domain_alloc = iopass_domain_alloc_iommu,
};

static int iopass_pci_probe(struct pci_dev *pdev,
			    const struct pci_device_id *id)
{
	struct iopass_device *idev;
	int ret;

	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL) {
		pci_warn(pdev, "iopass: refusing a bridge: it would pass on the DMA of the devices behind it\n");
		return -EINVAL;
	}

	idev = iopass_device_alloc(&pdev->dev, &iopass_pci_ops);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	ret = iopass_device_register(idev);
	if (ret) {
		iopass_device_put(idev);
		return ret;
	}
	pci_set_drvdata(pdev, idev);
	pci_info(pdev, "iopass: bound as %s, IOMMU group %d\n",
		 dev_name(&idev->dev), iopass_group_id(idev->group));
	return 0;
}

static void iopass_pci_remove(struct pci_dev *pdev)
{
	struct iopass_device *idev = pci_get_drvdata(pdev);

	iopass_device_unregister(idev);
	iopass_device_put(idev);
}

static struct pci_driver iopass_pci_driver = {
	.name = IOPASS_PCI_DRIVER_NAME,
	.probe = iopass_pci_probe,
	.remove = iopass_pci_remove,
	.driver_managed_dma = true,
};

/**
 * iopass_pci_init() - register the iopass-pci driver
 *
 * Return: 0 or a negative errno.
 */
int iopass_pci_init(void)
{
	return pci_register_driver(&iopass_pci_driver);
}

/**
 * iopass_pci_exit() - unregister the driver, unbinding every function
 */
void iopass_pci_exit(void)
{
	pci_unregister_driver(&iopass_pci_driver);
}
