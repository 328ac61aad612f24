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
 * behind it, which the bridge's owner would then control.  Nor a physical
 * function with SR-IOV virtual functions enabled already: its owner's
 * resets and registers would reach functions that belong to the host or to
 * others.  VFs created while the PF is bound here are iopass's
 * (pci_sriov.c).
 *
 * While the device fd is open the function is enabled and its BARs are
 * claimed and mapped (pci_region.c), its interrupts can be routed
 * (pci_irq.c); its config space is the allowlist of pci_config.c.  Closing
 * the fd, or revoking it at unbind, turns interrupts off, zaps the BAR
 * mappings, clears bus mastering, resets the function where it can be,
 * restores the config the host had when the fd was opened, and disables
 * it: the next owner finds it quiet.
 */
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "iopass.h"

#define IOPASS_PCI_DRIVER_NAME	"iopass-pci"

static struct pci_driver iopass_pci_driver;
/* iopass_pci_register_alias()'s driver: compared, never dereferenced. */
static struct pci_driver *iopass_pci_alias;

/**
 * iopass_pci_is_ours() - is @drv iopass-pci, or its alias?
 * @drv: a PCI driver, or NULL
 *
 * Return: true if functions bound to it are iopass devices.
 */
bool iopass_pci_is_ours(struct pci_driver *drv)
{
	return drv && (drv == &iopass_pci_driver || drv == READ_ONCE(iopass_pci_alias));
}

static struct pci_dev *iopass_to_pci_dev(struct iopass_device *idev)
{
	return to_pci_dev(idev->dev.parent);
}

static void iopass_pci_quiesce(struct iopass_device *idev)
{
	iopass_pci_command(iopass_to_pci(idev), PCI_COMMAND_MASTER, 0);
}

/* Does the PCI core know a way to reset @pdev (FLR, PM, bus, ...)? */
static bool iopass_pci_can_reset(struct pci_dev *pdev)
{
	return pdev->reset_methods[0] != 0;
}

/* A PF's reset resets its VFs too, which other owners may hold. */
static bool iopass_pci_has_vfs(struct pci_dev *pdev)
{
	return pdev->is_physfn && pci_num_vf(pdev);
}

static void iopass_pci_fill_info(struct iopass_device *idev,
				 struct iopass_device_info *info)
{
	struct pci_dev *pdev = iopass_to_pci_dev(idev);

	info->pci_segment = pci_domain_nr(pdev->bus);
	info->pci_bus = pdev->bus->number;
	info->pci_devfn = pdev->devfn;
	info->device_flags = IOPASS_DEVICE_FLAGS_PCI;
	if (iopass_pci_can_reset(pdev))
		info->device_flags |= IOPASS_DEVICE_FLAGS_RESET;
	if (iopass_to_pci(idev)->sriov)
		info->device_flags |= IOPASS_DEVICE_FLAGS_SRIOV_PF;
	if (iopass_to_pci(idev)->pf)
		info->device_flags |= IOPASS_DEVICE_FLAGS_VF_TOKEN;
	info->num_regions = IOPASS_NUM_REGIONS;
	info->num_irqs = IOPASS_NUM_IRQS;
}

static void iopass_pci_unmap_bars(struct iopass_pci_device *ipdev)
{
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (ipdev->bar[i])
			pci_iounmap(ipdev->pdev, ipdev->bar[i]);
		ipdev->bar[i] = NULL;
	}
}

static int iopass_pci_open(struct iopass_device *idev)
{
	struct iopass_pci_device *ipdev = iopass_to_pci(idev);
	struct pci_dev *pdev = ipdev->pdev;
	int i, ret;

	/* A reset the last close could not do (see iopass_pci_reset_for_next()). */
	if (ipdev->reset_pending && !iopass_pci_has_vfs(pdev) &&
	    !pci_try_reset_function(pdev))
		ipdev->reset_pending = false;
	/* What close and unbind give back to the host, whatever the owner did. */
	pci_save_state(pdev);
	ipdev->saved = pci_store_saved_state(pdev);
	if (!ipdev->saved)
		return -ENOMEM;
	ret = pci_enable_device(pdev);
	if (ret)
		goto out_free_state;
	/*
	 * No INTx until SET_IRQS routes it: a line asserted with no handler
	 * of ours would be disabled by the IRQ core ("nobody cared"), taking
	 * down whatever else shares it.
	 */
	iopass_pci_command(ipdev, 0, PCI_COMMAND_INTX_DISABLE);
	ret = pci_request_regions(pdev, "iopass");
	if (ret)
		goto out_restore;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!pci_resource_len(pdev, i))
			continue;
		ipdev->bar[i] = pci_iomap(pdev, i, 0);
		if (!ipdev->bar[i]) {
			ret = -ENOMEM;
			goto out_unmap;
		}
	}
	mutex_lock(&ipdev->cfg_lock);
	iopass_pci_config_reset(ipdev->cfg, pdev);
	mutex_unlock(&ipdev->cfg_lock);
	down_write(&ipdev->memory_lock);
	ipdev->revoked = !READ_ONCE(idev->ioas);	/* faults need attach */
	ipdev->mapping = NULL;
	up_write(&ipdev->memory_lock);
	return 0;

out_unmap:
	iopass_pci_unmap_bars(ipdev);
	pci_release_regions(pdev);
out_restore:
	pci_load_saved_state(pdev, ipdev->saved);
	pci_restore_state(pdev);
	pci_disable_device(pdev);
out_free_state:
	kfree(ipdev->saved);
	ipdev->saved = NULL;
	return ret;
}

/*
 * Reset the function for the next owner, if it can be.  At unbind the
 * driver core holds the device lock, which pci_try_reset_function() would
 * fail to take: the locked variant, then.
 */
static bool iopass_pci_reset_for_next(struct iopass_pci_device *ipdev,
				      bool unbinding)
{
	struct pci_dev *pdev = ipdev->pdev;
	int ret;

	if (!iopass_pci_can_reset(pdev) || iopass_pci_has_vfs(pdev))
		return false;
	ret = unbinding ? pci_reset_function_locked(pdev) :
			  pci_try_reset_function(pdev);
	/*
	 * Someone holds the device lock: most likely an unbind waiting for
	 * this fd, which resets the function once the device is revoked.
	 * Otherwise the next open does.
	 */
	if (ret == -EAGAIN && !unbinding) {
		ipdev->reset_pending = true;
		return false;
	}
	if (ret)
		pci_warn(pdev, "iopass: cannot reset the function for its next owner (%pe)\n",
			 ERR_PTR(ret));
	return !ret;
}

static void iopass_pci_close(struct iopass_device *idev, bool unbinding)
{
	struct iopass_pci_device *ipdev = iopass_to_pci(idev);
	struct pci_dev *pdev = ipdev->pdev;
	bool reset;

	iopass_pci_irqs_off(ipdev);
	iopass_pci_unclaim(idev);
	down_write(&ipdev->memory_lock);
	ipdev->revoked = true;
	iopass_pci_zap(ipdev);
	ipdev->mapping = NULL;	/* the front's, which may go once closed */
	up_write(&ipdev->memory_lock);
	iopass_pci_command(ipdev, PCI_COMMAND_MASTER, 0);
	reset = iopass_pci_reset_for_next(ipdev, unbinding);
	/* The host's config back: what the owner wrote does not outlive it. */
	pci_load_saved_state(pdev, ipdev->saved);
	pci_restore_state(pdev);
	kfree(ipdev->saved);
	ipdev->saved = NULL;
	/*
	 * A function that was not reset may still be in whatever state the
	 * owner left it: it must not raise an INTx nobody handles.
	 */
	if (!reset)
		iopass_pci_command(ipdev, PCI_COMMAND_MASTER,
				   PCI_COMMAND_INTX_DISABLE);
	iopass_pci_unmap_bars(ipdev);
	pci_release_regions(pdev);
	pci_disable_device(pdev);
}

static void iopass_pci_attached(struct iopass_device *idev, bool attached)
{
	struct iopass_pci_device *ipdev = iopass_to_pci(idev);

	/*
	 * ATTACH and DETACH hold the device's lock for writing: no config
	 * write or reset of the owner's runs meanwhile to turn mastering back
	 * on after this.
	 */
	down_write(&ipdev->memory_lock);
	if (!attached)
		iopass_pci_command(ipdev, PCI_COMMAND_MASTER, 0);
	ipdev->revoked = !attached;
	if (!attached)
		iopass_pci_zap(ipdev);
	up_write(&ipdev->memory_lock);
	if (!attached)
		iopass_pci_unclaim(idev);
}

static void iopass_pci_request(struct iopass_device *idev)
{
	iopass_pci_signal(iopass_to_pci(idev), IOPASS_IRQ_REQ);
}

static int iopass_pci_reset(void *priv, void *arg)
{
	struct iopass_pci_device *ipdev = iopass_to_pci(priv);
	int ret;

	ret = iopass_device_check_attached(priv);
	if (ret)
		return ret;
	if (!iopass_pci_can_reset(ipdev->pdev))
		return -EOPNOTSUPP;
	if (iopass_pci_has_vfs(ipdev->pdev))
		return -EBUSY;
	/* Nothing may touch the device through a mapping while it resets. */
	down_write(&ipdev->memory_lock);
	iopass_pci_zap(ipdev);
	ret = pci_try_reset_function(ipdev->pdev);
	up_write(&ipdev->memory_lock);
	return ret == -ENOTTY ? -EOPNOTSUPP : ret;
}

static const struct iopass_ioctl_op iopass_pci_ioctls[] = {
	IOPASS_IOCTL_OP_LOCK(IOPASS_DEVICE_REGION_INFO, iopass_pci_region_info,
			     struct iopass_region_info, hole_size, 0,
			     IOPASS_IOCTL_LOCK_SELF),
	IOPASS_IOCTL_OP(IOPASS_DEVICE_IRQ_INFO, iopass_pci_irq_info,
			struct iopass_irq_info, __reserved, 0),
	IOPASS_IOCTL_OP_LOCK(IOPASS_DEVICE_SET_IRQS, iopass_pci_set_irqs,
			     struct iopass_set_irqs, eventfds,
			     IOPASS_IRQ_SET_EVENTFD | IOPASS_IRQ_SET_UNMASK |
			     IOPASS_IRQ_SET_MASK |
			     IOPASS_IRQ_SET_UNMASK_EVENTFD,
			     IOPASS_IOCTL_LOCK_SELF),
	IOPASS_IOCTL_OP(IOPASS_DEVICE_RESET, iopass_pci_reset,
			struct iopass_device_reset, flags, 0),
	IOPASS_IOCTL_OP(IOPASS_DEVICE_SET_VF_TOKEN, iopass_pci_set_vf_token,
			struct iopass_vf_token, vf_token, 0),
};

static const struct iopass_device_ops iopass_pci_ops = {
	.quiesce = iopass_pci_quiesce,
	.fill_info = iopass_pci_fill_info,
	.domain_alloc = iopass_domain_alloc_iommu,
	.open = iopass_pci_open,
	.close = iopass_pci_close,
	.rw = iopass_pci_rw,
	.mmap = iopass_pci_mmap,
	.request = iopass_pci_request,
	.attached = iopass_pci_attached,
	.claim = iopass_pci_claim,
	.unclaim = iopass_pci_unclaim,
	.ioctls = iopass_pci_ioctls,
	.n_ioctls = ARRAY_SIZE(iopass_pci_ioctls),
};

static int iopass_pci_probe(struct pci_dev *pdev,
			    const struct pci_device_id *id)
{
	struct iopass_pci_device *ipdev;
	struct iopass_device *idev;
	int ret;

	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL) {
		pci_warn(pdev, "iopass: refusing a bridge: it would pass on the DMA of the devices behind it\n");
		return -EINVAL;
	}

	if (pci_num_vf(pdev)) {
		pci_warn(pdev, "iopass: refusing a physical function with virtual functions enabled: its owner's resets and registers would reach them\n");
		return -EBUSY;
	}

	idev = iopass_device_alloc(&pdev->dev, &iopass_pci_ops, sizeof(*ipdev));
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	ipdev = iopass_to_pci(idev);
	ipdev->pdev = pdev;
	ipdev->idev = idev;
	ipdev->irq_type = -1;
	ipdev->cfg = iopass_pci_config_alloc(pdev);
	if (IS_ERR(ipdev->cfg)) {
		ret = PTR_ERR(ipdev->cfg);
		ipdev->cfg = NULL;
		iopass_device_put(idev);
		return ret;
	}
	init_rwsem(&ipdev->memory_lock);
	mutex_init(&ipdev->cfg_lock);
	iopass_pci_irq_init(ipdev);
	iopass_pci_regions_init(ipdev);
	ret = iopass_pci_sriov_probe(ipdev);
	if (ret)
		goto out_config;
	pci_set_drvdata(pdev, ipdev);

	ret = iopass_device_register(idev);
	if (ret)
		goto out_sriov;
	pci_info(pdev, "iopass: bound as %s, IOMMU group %d%s\n",
		 dev_name(&idev->dev), iopass_group_id(idev->group),
		 ipdev->pf ? ", a VF of an iopass PF: attaching needs its VF token" : "");
	return 0;

out_sriov:
	pci_set_drvdata(pdev, NULL);
	iopass_pci_sriov_remove(ipdev);
out_config:
	iopass_pci_config_free(ipdev->cfg);
	iopass_device_put(idev);
	return ret;
}

static void iopass_pci_remove(struct pci_dev *pdev)
{
	struct iopass_pci_device *ipdev = pci_get_drvdata(pdev);
	struct iopass_device *idev = ipdev->idev;

	/* The VFs first: their owners trusted this PF's, who is still here. */
	iopass_pci_sriov_remove(ipdev);
	iopass_device_unregister(idev);
	if (ipdev->reset_pending) {
		/* The device lock is ours (see iopass_pci_reset_for_next()). */
		pci_reset_function_locked(pdev);
		ipdev->reset_pending = false;
	}
	/* Revoked: no fd operation reaches the config view any more. */
	iopass_pci_config_free(ipdev->cfg);
	ipdev->cfg = NULL;
	pci_set_drvdata(pdev, NULL);
	/* @ipdev goes with @idev, once no fd or mapping holds it. */
	iopass_device_put(idev);
}

/* AER: tell the owner, through the ERR eventfd. */
static pci_ers_result_t iopass_pci_error_detected(struct pci_dev *pdev,
						  pci_channel_state_t state)
{
	struct iopass_pci_device *ipdev = pci_get_drvdata(pdev);

	if (ipdev)
		iopass_pci_signal(ipdev, IOPASS_IRQ_ERR);
	return PCI_ERS_RESULT_CAN_RECOVER;
}

static const struct pci_error_handlers iopass_pci_err_handlers = {
	.error_detected = iopass_pci_error_detected,
};

static struct pci_driver iopass_pci_driver = {
	.name = IOPASS_PCI_DRIVER_NAME,
	.probe = iopass_pci_probe,
	.remove = iopass_pci_remove,
	.sriov_configure = iopass_pci_sriov_configure,
	.err_handler = &iopass_pci_err_handlers,
	.driver_managed_dma = true,
};

/**
 * iopass_pci_register_alias() - register iopass-pci again, under @name
 * @drv: the driver to register; its name is set by the caller, the rest
 *	here: a function bound to it is an iopass device as under iopass-pci
 * @owner: the module it belongs to (the front that wants the name)
 *
 * For programs that know VFIO's driver name only (iopass_vfio.ko's
 * vfio_names): matched by driver_override alone, as iopass-pci is.
 *
 * Return: 0, or pci_register_driver()'s errno (-EBUSY if the name is
 * taken: the kernel's vfio-pci is loaded).
 */
int iopass_pci_register_alias(struct pci_driver *drv, struct module *owner)
{
	int ret;

	drv->probe = iopass_pci_probe;
	drv->remove = iopass_pci_remove;
	drv->sriov_configure = iopass_pci_sriov_configure;
	drv->err_handler = &iopass_pci_err_handlers;
	drv->driver_managed_dma = true;
	WRITE_ONCE(iopass_pci_alias, drv);
	ret = __pci_register_driver(drv, owner, drv->name);
	if (ret)
		WRITE_ONCE(iopass_pci_alias, NULL);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iopass_pci_register_alias, IOPASS);

/**
 * iopass_pci_init() - register the iopass-pci driver
 *
 * Return: 0 or a negative errno.
 */
int iopass_pci_init(void)
{
	int ret;

	ret = iopass_pci_sriov_init();
	if (ret)
		return ret;
	ret = pci_register_driver(&iopass_pci_driver);
	if (ret)
		iopass_pci_sriov_exit();
	return ret;
}

/**
 * iopass_pci_exit() - unregister the driver, unbinding every function
 */
void iopass_pci_exit(void)
{
	pci_unregister_driver(&iopass_pci_driver);
	iopass_pci_sriov_exit();
}
