// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts of a PCI function, routed to eventfds.
 *
 * INTx, MSI and MSI-X exclude each other.  A vector's eventfd is only ever
 * changed while its IRQ is not requested: free_irq() waits for a running
 * handler, so no handler can signal an eventfd being swapped or put (the
 * CVE-2024-26810 class).  INTx is masked in the device by its handler
 * (the line may be shared) or the owner (IOPASS_IRQ_SET_MASK), and
 * unmasked by IOPASS_IRQ_SET_UNMASK or the unmask eventfd, all under
 * intx_spin; INTx is enabled in the device only while its handler is
 * requested, and the owner cannot flip PCI_COMMAND_INTX_DISABLE itself
 * (pci_config.c), so the device never asserts a line nobody handles.
 * Every other read-modify-write of PCI_COMMAND iopass does (INTx on and
 * off, bus mastering off, the owner's writes) holds intx_spin too, so none
 * can write back an INTx disable bit the handler has just changed.
 * Everything else is under irq_lock.
 *
 * Each MSI/MSI-X vector is also offered to the irqbypass manager, keyed
 * by its eventfd: a hypervisor (KVM) that consumes the same eventfd can
 * then post the interrupt straight into a guest.  Failing to register is
 * not an error: the eventfd path still works.
 *
 * The user's arguments are checked for overflow before anything changes:
 * start + count with check_add_overflow(), the eventfd array with
 * memdup_array_user() (the CVE-2016-9083/9084 class).
 */
#include <linux/delay.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/interrupt.h>
#include <linux/pci.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "iopass.h"

/* How many vectors @index has on this device. */
static unsigned int iopass_pci_irq_count(struct pci_dev *pdev,
					 unsigned int index)
{
	u8 pin = 0;
	int n;

	switch (index) {
	case IOPASS_IRQ_INTX:
		pci_read_config_byte(pdev, PCI_INTERRUPT_PIN, &pin);
		return pin && pdev->irq ? 1 : 0;
	case IOPASS_IRQ_MSI:
		n = pci_msi_vec_count(pdev);
		return n > 0 ? n : 0;
	case IOPASS_IRQ_MSIX:
		n = pci_msix_vec_count(pdev);
		return n > 0 ? n : 0;
	default:
		return 1;
	}
}

/**
 * iopass_pci_irq_info() - IOPASS_DEVICE_IRQ_INFO
 * @priv: the &struct iopass_device
 * @arg: the &struct iopass_irq_info
 *
 * Return: 0 or -EINVAL.
 */
int iopass_pci_irq_info(void *priv, void *arg)
{
	struct iopass_pci_device *ipdev = iopass_to_pci(priv);
	struct iopass_irq_info *info = arg;

	if (info->index >= IOPASS_NUM_IRQS || info->__reserved)
		return -EINVAL;
	info->count = iopass_pci_irq_count(ipdev->pdev, info->index);
	info->irq_flags = IOPASS_IRQ_INFO_EVENTFD;
	if (info->index == IOPASS_IRQ_INTX)
		info->irq_flags |= IOPASS_IRQ_INFO_AUTOMASKED;
	/* Growing would mean re-enabling, which drops interrupts: say so. */
	if (info->index == IOPASS_IRQ_MSI || info->index == IOPASS_IRQ_MSIX)
		info->irq_flags |= IOPASS_IRQ_INFO_NORESIZE;
	return 0;
}

/**
 * iopass_pci_command() - change bits of PCI_COMMAND, ordered with INTx
 * @ipdev: the device
 * @clear: bits to clear
 * @set: bits to set
 */
void iopass_pci_command(struct iopass_pci_device *ipdev, u16 clear, u16 set)
{
	unsigned long flags;
	u16 cmd, new;

	spin_lock_irqsave(&ipdev->intx_spin, flags);
	pci_read_config_word(ipdev->pdev, PCI_COMMAND, &cmd);
	new = (cmd & ~clear) | set;
	if (new != cmd)
		pci_write_config_word(ipdev->pdev, PCI_COMMAND, new);
	spin_unlock_irqrestore(&ipdev->intx_spin, flags);
}

/* INTx on or off in the device. */
static void iopass_pci_intx(struct iopass_pci_device *ipdev, bool on)
{
	if (on)
		iopass_pci_command(ipdev, PCI_COMMAND_INTX_DISABLE, 0);
	else
		iopass_pci_command(ipdev, 0, PCI_COMMAND_INTX_DISABLE);
}

static irqreturn_t iopass_pci_msi_handler(int irq, void *data)
{
	struct iopass_pci_vec *vec = data;

	atomic64_inc(&vec->idev->interrupts);
	iopass_compat_eventfd_signal(vec->trigger);
	return IRQ_HANDLED;
}

static irqreturn_t iopass_pci_intx_handler(int irq, void *data)
{
	struct iopass_pci_device *ipdev = data;
	irqreturn_t ret = IRQ_NONE;
	unsigned long flags;

	spin_lock_irqsave(&ipdev->intx_spin, flags);
	/* Shared line: only if this device asserts it; masks it if so. */
	if (!ipdev->intx_masked && pci_check_and_mask_intx(ipdev->pdev)) {
		ipdev->intx_masked = true;
		ret = IRQ_HANDLED;
	}
	spin_unlock_irqrestore(&ipdev->intx_spin, flags);
	/*
	 * Signalled with intx_spin dropped: the unmask eventfd's wake-up takes
	 * intx_spin under an eventfd's lock, so the other order could
	 * deadlock (lockdep saw it; the same eventfd for both makes it real).
	 * The trigger stays until free_irq() has waited for this handler.
	 */
	if (ret == IRQ_HANDLED) {
		atomic64_inc(&ipdev->idev->interrupts);
		iopass_compat_eventfd_signal(ipdev->vecs[0].trigger);
	}
	return ret;
}

/*
 * Unmask INTx.  True if the device still asserts it: it stays masked, and
 * the caller signals the eventfd again (it fires again at once).
 */
static bool iopass_pci_intx_try_unmask(struct iopass_pci_device *ipdev)
{
	unsigned long flags;
	bool again = false;

	spin_lock_irqsave(&ipdev->intx_spin, flags);
	if (ipdev->intx_masked && ipdev->vecs[0].trigger) {
		if (pci_check_and_unmask_intx(ipdev->pdev))
			ipdev->intx_masked = false;
		else
			again = true;
	}
	spin_unlock_irqrestore(&ipdev->intx_spin, flags);
	return again;
}

static void iopass_pci_intx_unmask(struct iopass_pci_device *ipdev)
{
	if (iopass_pci_intx_try_unmask(ipdev))
		iopass_compat_eventfd_signal(ipdev->vecs[0].trigger);
}

/* The owner masks INTx: disabled in the device until the next unmask. */
static void iopass_pci_intx_mask(struct iopass_pci_device *ipdev)
{
	unsigned long flags;
	u16 cmd;

	spin_lock_irqsave(&ipdev->intx_spin, flags);
	if (!ipdev->intx_masked && ipdev->vecs[0].trigger) {
		pci_read_config_word(ipdev->pdev, PCI_COMMAND, &cmd);
		pci_write_config_word(ipdev->pdev, PCI_COMMAND,
				      cmd | PCI_COMMAND_INTX_DISABLE);
		ipdev->intx_masked = true;
	}
	spin_unlock_irqrestore(&ipdev->intx_spin, flags);
}

/*
 * The INTx unmask eventfd (KVM's resamplefd): each signal unmasks, from
 * the eventfd's wake-up, under its wait-queue lock.  Nothing there may
 * signal an eventfd (it could be this one), so a line found still
 * asserted is signalled again by intx_resignal.  Only ever on while INTx
 * is: vec_off() takes it away before INTx goes, so the wake-up never meets
 * a vector being freed.
 */
struct iopass_pci_unmaskfd {
	struct iopass_pci_device *ipdev;
	struct eventfd_ctx *ctx;
	wait_queue_entry_t wait;
	poll_table pt;
};

static int iopass_pci_unmaskfd_wake(wait_queue_entry_t *wait,
				    unsigned int mode, int sync, void *key)
{
	struct iopass_pci_unmaskfd *u =
		container_of(wait, struct iopass_pci_unmaskfd, wait);
	u64 cnt;

	if (key_to_poll(key) & EPOLLIN) {
		eventfd_ctx_do_read(u->ctx, &cnt);
		if (iopass_pci_intx_try_unmask(u->ipdev))
			schedule_work(&u->ipdev->intx_resignal);
	}
	return 0;
}

static void iopass_pci_unmaskfd_queue(struct file *file,
				      wait_queue_head_t *wqh, poll_table *pt)
{
	struct iopass_pci_unmaskfd *u =
		container_of(pt, struct iopass_pci_unmaskfd, pt);

	add_wait_queue(wqh, &u->wait);
}

/* Signal INTx's eventfd again (see above); takes no lock. */
static void iopass_pci_intx_resignal(struct work_struct *work)
{
	struct iopass_pci_device *ipdev =
		container_of(work, struct iopass_pci_device, intx_resignal);
	/* No lock: see the handler.  Cancelled before the trigger goes. */
	if (READ_ONCE(ipdev->intx_masked))
		iopass_compat_eventfd_signal(ipdev->vecs[0].trigger);
}

/**
 * iopass_pci_irq_init() - set up the interrupt state of a new function
 * @ipdev: the function
 */
void iopass_pci_irq_init(struct iopass_pci_device *ipdev)
{
	mutex_init(&ipdev->irq_lock);
	spin_lock_init(&ipdev->intx_spin);
	INIT_WORK(&ipdev->intx_resignal, iopass_pci_intx_resignal);
	ipdev->irq_type = -1;
}

static void iopass_pci_unmaskfd_off(struct iopass_pci_device *ipdev)
{
	struct iopass_pci_unmaskfd *u = ipdev->unmaskfd;
	u64 cnt;

	lockdep_assert_held(&ipdev->irq_lock);
	if (!u)
		return;
	eventfd_ctx_remove_wait_queue(u->ctx, &u->wait, &cnt);
	cancel_work_sync(&ipdev->intx_resignal);
	eventfd_ctx_put(u->ctx);
	kfree(u);
	ipdev->unmaskfd = NULL;
}

/* Make @fd the unmask eventfd (-1: none); a bad fd changes nothing. */
static int iopass_pci_unmaskfd_set(struct iopass_pci_device *ipdev, int fd)
{
	struct iopass_pci_unmaskfd *u;
	struct eventfd_ctx *ctx;
	struct file *file;
	__poll_t events;

	lockdep_assert_held(&ipdev->irq_lock);
	if (ipdev->irq_type != IOPASS_IRQ_INTX)
		return -EINVAL;
	if (fd < 0) {
		iopass_pci_unmaskfd_off(ipdev);
		return 0;
	}
	file = fget(fd);
	if (!file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		fput(file);
		return -EBADF;
	}
	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u) {
		eventfd_ctx_put(ctx);
		fput(file);
		return -ENOMEM;
	}
	iopass_pci_unmaskfd_off(ipdev);
	u->ipdev = ipdev;
	u->ctx = ctx;
	init_waitqueue_func_entry(&u->wait, iopass_pci_unmaskfd_wake);
	init_poll_funcptr(&u->pt, iopass_pci_unmaskfd_queue);
	ipdev->unmaskfd = u;
	events = vfs_poll(file, &u->pt);
	fput(file);
	if ((events & EPOLLIN) && iopass_pci_intx_try_unmask(ipdev))
		iopass_compat_eventfd_signal(ipdev->vecs[0].trigger);
	return 0;
}

/*
 * Wait, sleeping, until an INTx that was already on its way to a CPU when
 * the device stopped asserting it has been serviced.  free_irq() waits for
 * it too, but by polling the interrupt controller with the descriptor lock
 * held, while the CPU that took the interrupt needs that lock to handle it.
 * On a hypervisor without paravirt spinlocks the lock is test-and-set, and
 * that CPU can lose it for seconds (RCU stalls under QEMU TCG).  Bounded:
 * whatever is left, free_irq() still waits out.
 */
static void iopass_pci_intx_drain(unsigned int irq)
{
	bool active;
	int i;

	for (i = 0; i < 100; i++) {
		if (irq_get_irqchip_state(irq, IRQCHIP_STATE_ACTIVE, &active) ||
		    !active)
			return;
		usleep_range(100, 200);
	}
}

/* Free vector @v's IRQ and eventfd. */
static void iopass_pci_vec_off(struct iopass_pci_device *ipdev, unsigned int v)
{
	struct iopass_pci_vec *vec = &ipdev->vecs[v];

	lockdep_assert_held(&ipdev->irq_lock);
	if (!vec->trigger)
		return;
	if (vec->bypass)
		irq_bypass_unregister_producer(&vec->producer);
	vec->bypass = false;
	if (ipdev->irq_type == IOPASS_IRQ_INTX) {
		/* Nothing may unmask it from here on (see unmaskfd above). */
		iopass_pci_unmaskfd_off(ipdev);
		/* No handler: the device must not assert a (shared) line. */
		iopass_pci_intx(ipdev, false);
		iopass_pci_intx_drain(vec->irq);
		free_irq(vec->irq, ipdev);
		ipdev->intx_masked = false;
	} else {
		irq_update_affinity_hint(vec->irq, NULL);	/* free_irq() warns */
		free_irq(vec->irq, vec);
	}
	eventfd_ctx_put(vec->trigger);
	vec->trigger = NULL;
}

/* Turn INTx, MSI or MSI-X off entirely. */
static void iopass_pci_type_off(struct iopass_pci_device *ipdev)
{
	unsigned int v;

	lockdep_assert_held(&ipdev->irq_lock);
	if (ipdev->irq_type < 0)
		return;
	/* Also when INTx is on with no eventfd routed: vec_off() skips it. */
	iopass_pci_unmaskfd_off(ipdev);
	for (v = 0; v < ipdev->nvec; v++)
		iopass_pci_vec_off(ipdev, v);
	/*
	 * Freeing MSI vectors re-enables INTx (pci_intx_for_msi()): disable it
	 * again, there is no handler for it.
	 */
	if (ipdev->irq_type != IOPASS_IRQ_INTX)
		pci_free_irq_vectors(ipdev->pdev);
	iopass_pci_intx(ipdev, false);
	kfree(ipdev->vecs);
	ipdev->vecs = NULL;
	ipdev->nvec = 0;
	ipdev->irq_type = -1;
}

/* Turn @index on with @nvec vectors, none routed yet. */
static int iopass_pci_type_on(struct iopass_pci_device *ipdev,
			      unsigned int index, unsigned int nvec)
{
	struct pci_dev *pdev = ipdev->pdev;
	int ret;

	lockdep_assert_held(&ipdev->irq_lock);
	if (iopass_should_fail())
		return -ENOMEM;
	ipdev->vecs = kcalloc(nvec, sizeof(*ipdev->vecs), GFP_KERNEL_ACCOUNT);
	if (!ipdev->vecs)
		return -ENOMEM;
	if (index == IOPASS_IRQ_INTX) {
		if (!pci_intx_mask_supported(pdev)) {
			ret = -EOPNOTSUPP;
			goto out_free;
		}
		ipdev->intx_masked = false;
		iopass_pci_intx(ipdev, false);	/* until a handler is there */
	} else {
		ret = pci_alloc_irq_vectors(pdev, nvec, nvec,
					    index == IOPASS_IRQ_MSI ?
					    PCI_IRQ_MSI : PCI_IRQ_MSIX);
		if (ret < 0)
			goto out_free;
	}
	ipdev->irq_type = index;
	ipdev->nvec = nvec;
	return 0;

out_free:
	kfree(ipdev->vecs);
	ipdev->vecs = NULL;
	return ret;
}

/*
 * A consumer (KVM's irqfd) took this vector: from now on it may be posted
 * straight into a guest.  Said in the log, which is how the nested rig
 * shows the two meet; the count of connected vectors is not kept.
 */
static int iopass_pci_bypass_connected(struct irq_bypass_producer *prod,
				       struct irq_bypass_consumer *cons)
{
	struct iopass_pci_vec *vec = container_of(prod, struct iopass_pci_vec,
						  producer);

	pr_info("iopass: %s: IRQ %d met an irqbypass consumer\n", vec->name,
		prod->irq);
	return 0;
}

/*
 * Steer an MSI or MSI-X vector to the CPUs of the device's NUMA node, where
 * its owner's threads and memory should be too; as a hint, so irqbalance
 * keeps it there.  The administrator can move it (/proc/irq/N).  Nothing
 * to do where the node is unknown or has no CPU online.
 */
static void iopass_pci_vec_local(struct pci_dev *pdev, unsigned int irq)
{
	int node = dev_to_node(&pdev->dev);
	int ret;

	if (node == NUMA_NO_NODE ||
	    !cpumask_intersects(cpumask_of_node(node), cpu_online_mask))
		return;
	ret = irq_set_affinity_and_hint(irq, cpumask_of_node(node));
	if (ret)
		pci_dbg(pdev, "iopass: IRQ %u stays off node %d (%d)\n", irq,
			node, ret);
}

/* Route vector @v to @trigger (which the vector now owns). */
static int iopass_pci_vec_on(struct iopass_pci_device *ipdev, unsigned int v,
			     struct eventfd_ctx *trigger)
{
	struct iopass_pci_vec *vec = &ipdev->vecs[v];
	struct pci_dev *pdev = ipdev->pdev;
	int ret;

	lockdep_assert_held(&ipdev->irq_lock);
	if (iopass_should_fail())
		return -ENOMEM;
	snprintf(vec->name, sizeof(vec->name), "iopass-%d[%s]",
		 ipdev->idev->id, pci_name(pdev));
	vec->idev = ipdev->idev;
	vec->trigger = trigger;
	if (ipdev->irq_type == IOPASS_IRQ_INTX) {
		vec->irq = pdev->irq;
		ret = request_irq(vec->irq, iopass_pci_intx_handler, IRQF_SHARED,
				  vec->name, ipdev);
		if (!ret)
			iopass_pci_intx(ipdev, true);
	} else {
		vec->irq = pci_irq_vector(pdev, v);
		ret = request_irq(vec->irq, iopass_pci_msi_handler, 0,
				  vec->name, vec);
		if (!ret) {
			iopass_pci_vec_local(pdev, vec->irq);
			vec->producer.token = trigger;
			vec->producer.irq = vec->irq;
			vec->producer.add_consumer = iopass_pci_bypass_connected;
			vec->bypass = !irq_bypass_register_producer(&vec->producer);
		}
	}
	if (ret)
		vec->trigger = NULL;
	return ret;
}

/* Resolve every fd first, so that a bad one changes nothing. */
static int iopass_pci_get_triggers(const s32 *fds, unsigned int count,
				   struct eventfd_ctx **ctxs)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (fds[i] < 0) {
			ctxs[i] = NULL;
			continue;
		}
		ctxs[i] = eventfd_ctx_fdget(fds[i]);
		if (IS_ERR(ctxs[i])) {
			while (i--)
				if (ctxs[i])
					eventfd_ctx_put(ctxs[i]);
			return -EBADF;
		}
	}
	return 0;
}

static int iopass_pci_set_vectors(struct iopass_pci_device *ipdev,
				  unsigned int index, unsigned int start,
				  unsigned int count, struct eventfd_ctx **ctxs)
{
	unsigned int i;
	int ret = 0;

	lockdep_assert_held(&ipdev->irq_lock);
	if (ipdev->irq_type >= 0 && ipdev->irq_type != (int)index)
		return -EBUSY;
	if (ipdev->irq_type < 0) {
		ret = iopass_pci_type_on(ipdev, index, start + count);
		if (ret)
			return ret;
	} else if (start + count > ipdev->nvec) {
		return -EINVAL;
	}
	for (i = 0; i < count; i++)
		iopass_pci_vec_off(ipdev, start + i);
	for (i = 0; i < count && !ret; i++) {
		if (ctxs[i])
			ret = iopass_pci_vec_on(ipdev, start + i, ctxs[i]);
		if (!ret)
			ctxs[i] = NULL;	/* owned by the vector now */
	}
	if (ret)
		iopass_pci_type_off(ipdev);
	return ret;
}

static void iopass_pci_set_single(struct eventfd_ctx **slot,
				  struct eventfd_ctx *ctx)
{
	if (*slot)
		eventfd_ctx_put(*slot);
	*slot = ctx;
}

/**
 * iopass_pci_set_irqs() - IOPASS_DEVICE_SET_IRQS
 * @priv: the &struct iopass_device
 * @arg: the &struct iopass_set_irqs
 *
 * Return: 0 or the errno documented for IOPASS_DEVICE_SET_IRQS.
 */
int iopass_pci_set_irqs(void *priv, void *arg)
{
	struct iopass_pci_device *ipdev = iopass_to_pci(priv);
	struct iopass_set_irqs *cmd = arg;
	struct eventfd_ctx **ctxs = NULL;
	unsigned int end, i;
	s32 *fds = NULL;
	int ret;

	/* Checked again once the device is held; first, for the errno order. */
	ret = iopass_device_check_attached(priv);
	if (ret)
		return ret;
	if (cmd->index >= IOPASS_NUM_IRQS || cmd->__reserved ||
	    hweight32(cmd->flags) != 1 ||
	    check_add_overflow(cmd->start, cmd->count, &end) ||
	    end > iopass_pci_irq_count(ipdev->pdev, cmd->index))
		return -EINVAL;
	if (!(cmd->flags & IOPASS_IRQ_SET_EVENTFD) &&
	    (cmd->index != IOPASS_IRQ_INTX || cmd->start || cmd->count != 1))
		return -EINVAL;

	/* The array is copied before the device is held (iopass_device_enter()). */
	if (cmd->flags & IOPASS_IRQ_SET_UNMASK_EVENTFD) {
		fds = memdup_array_user(u64_to_user_ptr(cmd->eventfds), 1,
					sizeof(*fds));
		if (IS_ERR(fds))
			return PTR_ERR(fds);
	} else if (cmd->count && (cmd->flags & IOPASS_IRQ_SET_EVENTFD)) {
		fds = memdup_array_user(u64_to_user_ptr(cmd->eventfds),
					cmd->count, sizeof(*fds));
		if (IS_ERR(fds))
			return PTR_ERR(fds);
		ctxs = kcalloc(cmd->count, sizeof(*ctxs), GFP_KERNEL);
		if (!ctxs) {
			ret = -ENOMEM;
			goto out_fds;
		}
		ret = iopass_pci_get_triggers(fds, cmd->count, ctxs);
		if (ret)
			goto out_ctxs;
	}

	ret = iopass_device_enter(priv, false);
	if (ret)
		goto out_put;
	ret = iopass_device_check_attached(priv);
	if (ret)
		goto out_exit;
	mutex_lock(&ipdev->irq_lock);
	if (cmd->flags & IOPASS_IRQ_SET_UNMASK) {
		if (ipdev->irq_type == IOPASS_IRQ_INTX)
			iopass_pci_intx_unmask(ipdev);
	} else if (cmd->flags & IOPASS_IRQ_SET_MASK) {
		if (ipdev->irq_type == IOPASS_IRQ_INTX)
			iopass_pci_intx_mask(ipdev);
	} else if (cmd->flags & IOPASS_IRQ_SET_UNMASK_EVENTFD) {
		ret = iopass_pci_unmaskfd_set(ipdev, fds[0]);
	} else if (cmd->index == IOPASS_IRQ_ERR || cmd->index == IOPASS_IRQ_REQ) {
		iopass_pci_set_single(cmd->index == IOPASS_IRQ_ERR ?
				      &ipdev->err_trigger : &ipdev->req_trigger,
				      cmd->count ? ctxs[0] : NULL);
		if (cmd->count)
			ctxs[0] = NULL;
	} else if (!cmd->count) {
		if (ipdev->irq_type == (int)cmd->index)
			iopass_pci_type_off(ipdev);
	} else {
		ret = iopass_pci_set_vectors(ipdev, cmd->index, cmd->start,
					     cmd->count, ctxs);
	}
	mutex_unlock(&ipdev->irq_lock);
out_exit:
	iopass_device_exit(priv, false);
out_put:
	for (i = 0; ctxs && i < cmd->count; i++)
		if (ctxs[i])
			eventfd_ctx_put(ctxs[i]);
out_ctxs:
	kfree(ctxs);
out_fds:
	kfree(fds);
	return ret;
}

/**
 * iopass_pci_irqs_off() - turn every interrupt and trigger off
 * @ipdev: the device (its fd is going away)
 */
void iopass_pci_irqs_off(struct iopass_pci_device *ipdev)
{
	mutex_lock(&ipdev->irq_lock);
	iopass_pci_type_off(ipdev);
	iopass_pci_set_single(&ipdev->err_trigger, NULL);
	iopass_pci_set_single(&ipdev->req_trigger, NULL);
	mutex_unlock(&ipdev->irq_lock);
}

/**
 * iopass_pci_signal() - signal the ERR or REQ eventfd, if there is one
 * @ipdev: the device
 * @index: IOPASS_IRQ_ERR or IOPASS_IRQ_REQ
 */
void iopass_pci_signal(struct iopass_pci_device *ipdev, unsigned int index)
{
	struct eventfd_ctx *ctx;

	mutex_lock(&ipdev->irq_lock);
	ctx = index == IOPASS_IRQ_ERR ? ipdev->err_trigger : ipdev->req_trigger;
	if (ctx)
		iopass_compat_eventfd_signal(ctx);
	mutex_unlock(&ipdev->irq_lock);
}
