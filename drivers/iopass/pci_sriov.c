// SPDX-License-Identifier: GPL-2.0
/*
 * SR-IOV: a physical function owned by one process, its virtual functions
 * by others.
 *
 * The administrator creates VFs by writing a count to the PF's
 * sriov_numvfs while the PF is bound to iopass-pci; the PCI core calls
 * iopass_pci_sriov_configure().  Each new VF is captured for iopass (its
 * driver_override is set before it probes, so no host driver takes a
 * function the PF's owner can reach) and binds as an iopass device of its
 * own, in its own IOMMU group where the platform isolates VFs.
 *
 * The PF's owner can reset and reconfigure its VFs (an NVMe PF takes their
 * queues and interrupts away; a NIC PF sets their MAC addresses).  A VF's
 * owner must therefore say it trusts the PF's owner: it attaches with the
 * VF token the PF's owner set, a UUID they share, as VFIO's vf_token.  The
 * token starts random, so no VF attaches before a PF owner has set one.
 * While VFs are attached with it, the PF attaches only with the same
 * token, so the trust cannot pass to a new PF owner the VFs do not know;
 * and a PF owner who attaches without it (no VF attached) makes it random
 * again, so that no VF attaches on a token its owner never knew.  The
 * check and the count of VF users share one lock: a VF attaching while a
 * new PF owner attaches either counts first (the PF then needs the token)
 * or finds the token voided.
 *
 * What the PF's owner cannot do is reach past its VFs: the SR-IOV
 * capability is read-only to it (pci_config.c), the PF is not reset while
 * VFs exist (a PF reset resets them all), and VFs are disabled, each owner
 * first asked to release its VF and then revoked, before the PF unbinds.
 * Disabling VFs through sysfs while any is attached fails with EBUSY.
 */
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "iopass.h"

/**
 * struct iopass_pci_sriov - an SR-IOV physical function's VF token
 * @lock: protects @token and @users
 * @token: what VF owners must present
 * @users: VFs attached with the token
 */
struct iopass_pci_sriov {
	struct mutex lock;	/* see above */
	uuid_t token;
	unsigned int users;
};

/**
 * iopass_pci_sriov_probe() - SR-IOV state of a function being bound
 * @ipdev: the function; for a VF, finds its PF if iopass owns it
 *
 * Return: 0 or -ENOMEM.
 */
int iopass_pci_sriov_probe(struct iopass_pci_device *ipdev)
{
	struct pci_dev *pdev = ipdev->pdev;
	struct iopass_pci_device *pf;
	struct pci_driver *pf_drv;

	if (pdev->is_virtfn) {
		/*
		 * A VF of a PF bound to iopass: the PF cannot unbind before
		 * this VF does (its remove disables the VFs first).  NULL
		 * drvdata: the PF is still being refused at its own probe.
		 */
		pf_drv = pci_dev_driver(pci_physfn(pdev));
		if (!iopass_pci_is_ours(pf_drv))
			return 0;
		pf = pci_iov_get_pf_drvdata(pdev, pf_drv);
		ipdev->pf = IS_ERR(pf) ? NULL : pf;
		return 0;
	}
	if (!pdev->is_physfn)
		return 0;
	ipdev->sriov = kzalloc(sizeof(*ipdev->sriov), GFP_KERNEL);
	if (!ipdev->sriov)
		return -ENOMEM;
	mutex_init(&ipdev->sriov->lock);
	uuid_gen(&ipdev->sriov->token);
	return 0;
}

/**
 * iopass_pci_sriov_remove() - a function is unbinding
 * @ipdev: the function; a PF's VFs are disabled (revoking their owners),
 *	with the PF's device lock held by the driver core
 */
void iopass_pci_sriov_remove(struct iopass_pci_device *ipdev)
{
	if (!ipdev->sriov)
		return;
	if (pci_num_vf(ipdev->pdev)) {
		pci_info(ipdev->pdev, "iopass: disabling %d VFs before the PF unbinds\n",
			 pci_num_vf(ipdev->pdev));
		pci_disable_sriov(ipdev->pdev);
	}
	WARN_ON(ipdev->sriov->users);
	mutex_destroy(&ipdev->sriov->lock);
	kfree(ipdev->sriov);
	ipdev->sriov = NULL;
}

/**
 * iopass_pci_sriov_configure() - sriov_numvfs was written
 * @pdev: a PF bound to iopass-pci (its device lock held)
 * @nr_virtfn: VFs to create, or 0 to remove them
 *
 * Return: @nr_virtfn, 0 once disabled, -EBUSY to disable while a VF is
 * attached, or pci_enable_sriov()'s errno.
 */
int iopass_pci_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	struct iopass_pci_device *ipdev = pci_get_drvdata(pdev);
	unsigned int users;
	int ret;

	if (!ipdev || !ipdev->sriov)
		return -ENODEV;
	if (nr_virtfn) {
		ret = pci_enable_sriov(pdev, nr_virtfn);
		return ret ? ret : nr_virtfn;
	}
	mutex_lock(&ipdev->sriov->lock);
	users = ipdev->sriov->users;
	mutex_unlock(&ipdev->sriov->lock);
	if (users) {
		pci_warn(pdev, "iopass: not disabling VFs: %u attached by their owners\n",
			 users);
		return -EBUSY;
	}
	/* One opened since is asked for it back, then revoked. */
	pci_disable_sriov(pdev);
	return 0;
}

/**
 * iopass_pci_claim() - check the VF token of an ATTACH
 * @idev: a PCI function, held for writing
 * @vf_token: the token presented, or NULL
 *
 * Return: 0; -EACCES for a missing or wrong token where one is needed;
 * -EINVAL for a token where none applies.
 */
int iopass_pci_claim(struct iopass_device *idev, const uuid_t *vf_token)
{
	struct iopass_pci_device *ipdev = iopass_to_pci(idev);
	struct iopass_pci_sriov *sriov;
	int ret = 0;

	if (ipdev->pf) {
		sriov = ipdev->pf->sriov;
		mutex_lock(&sriov->lock);
		if (!vf_token || !uuid_equal(vf_token, &sriov->token)) {
			ret = -EACCES;
		} else if (!ipdev->vf_user) {
			ipdev->vf_user = true;
			sriov->users++;
		}
		mutex_unlock(&sriov->lock);
		if (ret)
			pci_info_ratelimited(ipdev->pdev, "iopass: %s VF token: its PF is owned through iopass\n",
					     vf_token ? "wrong" : "no");
		return ret;
	}
	if (ipdev->sriov) {
		sriov = ipdev->sriov;
		mutex_lock(&sriov->lock);
		if (sriov->users) {
			if (!vf_token || !uuid_equal(vf_token, &sriov->token))
				ret = -EACCES;
		} else if (vf_token) {
			uuid_copy(&sriov->token, vf_token);	/* as SET_VF_TOKEN */
		} else {
			/*
			 * An owner who shows no token voids the last one: no
			 * VF attaches on the word of an owner who is gone,
			 * under one who never knew it.
			 */
			uuid_gen(&sriov->token);
		}
		mutex_unlock(&sriov->lock);
		if (ret)
			pci_info_ratelimited(ipdev->pdev, "iopass: %s VF token: its VFs are attached\n",
					     vf_token ? "wrong" : "no");
		return ret;
	}
	return vf_token ? -EINVAL : 0;
}

/**
 * iopass_pci_unclaim() - a VF attached with the token is no more
 * @idev: a PCI function (detached, closed, revoked or failing to attach)
 */
void iopass_pci_unclaim(struct iopass_device *idev)
{
	struct iopass_pci_device *ipdev = iopass_to_pci(idev);

	if (!ipdev->vf_user)
		return;
	mutex_lock(&ipdev->pf->sriov->lock);
	ipdev->pf->sriov->users--;
	mutex_unlock(&ipdev->pf->sriov->lock);
	ipdev->vf_user = false;
}

/* IOPASS_DEVICE_SET_VF_TOKEN */
int iopass_pci_set_vf_token(void *priv, void *arg)
{
	struct iopass_pci_device *ipdev = iopass_to_pci(priv);
	struct iopass_vf_token *cmd = arg;
	int ret;

	if (!ipdev->sriov)
		return -ENOTTY;
	/* Attached: with the token, if VFs were attached (iopass_pci_claim()). */
	ret = iopass_device_check_attached(priv);
	if (ret)
		return ret;
	mutex_lock(&ipdev->sriov->lock);
	import_uuid(&ipdev->sriov->token, cmd->vf_token);
	mutex_unlock(&ipdev->sriov->lock);
	return 0;
}

/*
 * A VF of a PF bound to iopass is iopass's: set its driver_override before
 * it probes, so that no host driver binds a function the PF's owner can
 * reset or reconfigure.  The PF's device lock is held by whoever enables
 * the VFs (sriov_numvfs), so its driver cannot change meanwhile.
 */
static int iopass_pci_bus_notify(struct notifier_block *nb,
				 unsigned long action, void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);
	struct pci_driver *pf_drv, *drv;

	if (!pdev->is_virtfn)
		return NOTIFY_DONE;
	pf_drv = pci_dev_driver(pci_physfn(pdev));
	if (!iopass_pci_is_ours(pf_drv))
		return NOTIFY_DONE;
	if (action == BUS_NOTIFY_ADD_DEVICE) {
		if (iopass_pci_set_override(pdev, pf_drv->name))
			pci_warn(pdev, "iopass: could not claim the VF for %s\n",
				 pf_drv->name);
	} else if (action == BUS_NOTIFY_BOUND_DRIVER) {
		drv = pci_dev_driver(pdev);
		if (drv && !iopass_pci_is_ours(drv))
			pci_warn(pdev, "iopass: VF bound to %s while its PF is owned through iopass: the PF's owner can reach it\n",
				 drv->name);
	}
	return NOTIFY_OK;
}

static struct notifier_block iopass_pci_bus_nb = {
	.notifier_call = iopass_pci_bus_notify,
};

/**
 * iopass_pci_sriov_init() - watch VFs appear
 *
 * Return: 0 or bus_register_notifier()'s errno.
 */
int iopass_pci_sriov_init(void)
{
	return bus_register_notifier(&pci_bus_type, &iopass_pci_bus_nb);
}

/**
 * iopass_pci_sriov_exit() - stop watching
 */
void iopass_pci_sriov_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &iopass_pci_bus_nb);
}
