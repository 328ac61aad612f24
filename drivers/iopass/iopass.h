/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iopass private header: the objects and the rules between them.
 *
 * Objects (one file each):
 *   bus.c     the "iopass" bus and its char device region
 *   device.c  struct iopass_device: one per function handed to user space;
 *             its char device, sysfs attributes and fd
 *   group.c   struct iopass_group: one per IOMMU group holding iopass
 *             devices; DMA ownership and the domain the group is in
 *   ctx.c     /dev/iopass: a context holding address spaces by ID
 *   ioas.c    struct iopass_ioas: an address space, its mappings and pins
 *   domain.c  struct iopass_domain: every IOMMU call, behind one ops table
 *   pci.c     the "iopass-pci" driver, the PCI backend
 *   ioctl.c   table-driven ioctl argument parsing
 *
 * Lock order: iopass_device.lock, iopass_groups_lock, iopass_ioas.lock,
 * then the IOMMU core's group mutex.
 */
#ifndef __IOPASS_H
#define __IOPASS_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/irqbypass.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/scatterlist.h>
#include <linux/uuid.h>
#include <linux/wait.h>
#include <uapi/linux/iopass.h>

#include "compat.h"

struct iopass_device;
struct iopass_domain;
struct iopass_pci_config;
struct iopass_ioas;
struct eventfd_ctx;

/**
 * struct iopass_domain_ops - every IOMMU operation iopass performs
 * @free: free the domain (no group is attached to it)
 * @attach: attach @dev's IOMMU group; -EINVAL (and on 6.1 a few more,
 *	see iopass_domain_incompatible() in ioas.c) means "this IOMMU cannot
 *	use this domain, try another"
 * @detach: detach it, leaving the group in the core's blocking domain
 * @map: map @nents physically contiguous runs, each entry of @sg one run,
 *	back to back from @iova, each with exactly its own size; all or
 *	nothing, and one IOTLB sync for the whole batch (a flush where the
 *	IOMMU caches non-present entries: VT-d's caching mode)
 * @unmap: unmap [@iova, @iova + @size), adding the range to @gather;
 *	returns the bytes unmapped
 * @iotlb_sync: flush what @gather holds; returns when the IOTLB is clean
 * @unpinning: optional: told just before the pages that were mapped at
 *	[@iova, @iova + @npages pages) are unpinned (the mock checks that none
 *	is still reachable, through its page table or a stale IOTLB entry)
 *
 * The real implementation is in domain.c; tests/mock.c records and checks
 * every call.
 */
struct iopass_domain_ops {
	void (*free)(struct iopass_domain *dom);
	int (*attach)(struct iopass_domain *dom, struct iommu_group *group,
		      struct device *dev);
	void (*detach)(struct iopass_domain *dom, struct iommu_group *group,
		       struct device *dev);
	int (*map)(struct iopass_domain *dom, unsigned long iova,
		   struct scatterlist *sg, unsigned int nents, int prot);
	size_t (*unmap)(struct iopass_domain *dom, unsigned long iova,
			size_t size, struct iommu_iotlb_gather *gather);
	void (*iotlb_sync)(struct iopass_domain *dom,
			   struct iommu_iotlb_gather *gather);
	void (*unpinning)(struct iopass_domain *dom, unsigned long iova,
			  struct page **pages, unsigned long npages);
};

/**
 * struct iopass_domain - an IOMMU domain iopass owns
 * @ops: its operations
 * @domain: the kernel's domain (NULL for a mock)
 * @node: on the IOAS's list of domains, under its lock
 * @users: IOMMU groups attached, under the IOAS's lock (or
 *	iopass_groups_lock for a group's empty domain)
 * @pgsize_bitmap: the page sizes it can map
 * @aperture_start: first IOVA it can translate
 * @aperture_end: last IOVA it can translate
 * @stat_maps: map calls made (batches of runs)
 * @stat_unmaps: unmap calls made
 * @stat_syncs: IOTLB flushes made
 */
struct iopass_domain {
	const struct iopass_domain_ops *ops;
	struct iommu_domain *domain;
	struct list_head node;
	unsigned int users;
	unsigned long pgsize_bitmap;
	unsigned long aperture_start;
	unsigned long aperture_end;
	atomic64_t stat_maps;
	atomic64_t stat_unmaps;
	atomic64_t stat_syncs;
};

/**
 * struct iopass_ioas - an address space
 * @kref: held by the context until IOPASS_IOAS_DESTROY, and by each IOMMU
 *	group attached to it
 * @id: its ID in the context
 * @rcu: frees it a grace period after the last reference (lookups are RCU)
 * @lock: protects every field below
 * @maps: interval tree of &struct iopass_map, by IOVA
 * @nr_maps: how many mappings
 * @pinned: pages pinned for them
 * @domains: &struct iopass_domain the attached groups are in
 * @resv: IOVA ranges the attached groups' IOMMUs reserve
 * @destroyed: IOPASS_IOAS_DESTROY took its ID: no device may attach
 * @mm: the memory that may be mapped; its pinned_vm shows the pins
 * @user: who created it; its locked_vm pays for the pins
 * @nodes: per NUMA node (nr_node_ids of them): pages pinned there, and
 *	IOMMU groups attached whose device is there
 */
struct iopass_ioas {
	struct kref kref;
	u32 id;
	struct rcu_head rcu;
	struct mutex lock;	/* see above: protects the fields below */
	struct rb_root_cached maps;
	unsigned long nr_maps;
	unsigned long pinned;
	struct list_head domains;
	struct list_head resv;
	bool destroyed;
	struct mm_struct *mm;
	struct user_struct *user;
	struct iopass_ioas_node {
		unsigned long pinned;
		unsigned int devices;
	} *nodes;
};

struct iopass_ioctl_op;

/**
 * struct iopass_device_ops - what a backend provides for its devices
 * @quiesce: stop the device from issuing DMA and interrupts; called before
 *	its DMA ownership is given back, must not fail
 * @fill_info: fill the backend-specific fields of IOPASS_DEVICE_GET_INFO
 * @domain_alloc: allocate a paging domain the device's IOMMU can use
 * @open: optional: the device fd was opened; get the device ready
 * @close: optional: the device fd was released (@unbinding false), or the
 *	device is being revoked while it is open (@unbinding true: called
 *	from iopass_device_unregister(), in the backend's remove, with the
 *	driver core's device lock held); undo @open (interrupts off,
 *	mappings zapped, device quiesced and reset); must not fail
 * @rw: optional: pread/pwrite at a region offset of the device fd, from
 *	or to a kernel buffer; the device is live and attached
 * @mmap: optional: mmap of the device fd, same conditions
 * @request: optional: ask the owner to give the device back (unbind)
 * @attached: optional: the device was attached (true) or is about to be
 *	detached (false) from an address space; on detach the backend stops
 *	the device's DMA and takes away what drives it (BAR mappings), since
 *	its group may next be in someone else's address space
 * @claim: optional: may the owner attach the device, presenting
 *	@vf_token (NULL: none)?  0, or an errno ATTACH returns; a success is
 *	undone by @unclaim if the attach fails, and otherwise by the backend
 *	itself when the device is detached or closed (SR-IOV VF tokens)
 * @unclaim: optional: undo a @claim whose attach failed
 * @ioctls: the backend's own ioctls on the device fd; handlers get the
 *	&struct iopass_device
 * @n_ioctls: how many
 * @no_iommu_group: the device sits behind no IOMMU group: only the mock
 *	backend, whose devices have no hardware, sets this
 * @owner: the backend's module when it is not iopass itself (the mock):
 *	the char device's owner, so that an open fd holds it and the backend
 *	cannot be unloaded under the fd, whose last put may free the device
 *	(calling into the backend).  Such a backend has no @mmap: nothing
 *	else outlives its fds
 */
struct iopass_device_ops {
	void (*quiesce)(struct iopass_device *idev);
	void (*fill_info)(struct iopass_device *idev,
			  struct iopass_device_info *info);
	struct iopass_domain *(*domain_alloc)(struct device *dev);
	int (*open)(struct iopass_device *idev);
	void (*close)(struct iopass_device *idev, bool unbinding);
	ssize_t (*rw)(struct iopass_device *idev, void *buf, size_t count,
		      loff_t pos, bool write);
	int (*mmap)(struct iopass_device *idev, struct vm_area_struct *vma);
	void (*request)(struct iopass_device *idev);
	void (*attached)(struct iopass_device *idev, bool attached);
	int (*claim)(struct iopass_device *idev, const uuid_t *vf_token);
	void (*unclaim)(struct iopass_device *idev);
	const struct iopass_ioctl_op *ioctls;
	unsigned int n_ioctls;
	bool no_iommu_group;
	struct module *owner;
};

/**
 * struct iopass_group - an IOMMU group that holds iopass devices
 * @node: entry on the global group list
 * @iommu_group: the IOMMU core's group (a reference is held); NULL for a
 *	mock device, which is a group of its own
 * @users: iopass devices bound in this group
 * @empty: iopass's empty paging domain, the group's home while no device
 *	of it is attached to an address space
 * @domain: the domain the group is in: @empty or a domain of @ioas
 * @ioas: the address space the group is attached to, or NULL
 * @attached: devices of the group attached to @ioas
 *
 * Every field is protected by iopass_groups_lock.  The group exists while
 * @users is non-zero; DMA ownership of the IOMMU group is held for as long.
 */
struct iopass_group {
	struct list_head node;
	struct iommu_group *iommu_group;
	unsigned int users;
	struct iopass_domain *empty;
	struct iopass_domain *domain;
	struct iopass_ioas *ioas;
	unsigned int attached;
};

/**
 * struct iopass_device - a device handed to user space through iopass
 * @dev: the device on the iopass bus; its parent is the real device
 * @cdev: the char device user space opens
 * @ops: the backend's callbacks
 * @group: the iopass group; set at registration, constant after
 * @id: index in the iopass IDA, names the device ("iopass<id>")
 * @lock: taken for reading by every fd operation, for writing by ATTACH
 *	and DETACH and to revoke; never held while user memory is touched
 * @live: under @lock: the device is registered and its backend bound; fd
 *	operations fail with ENODEV once it is false
 * @opened: the char device is open (it may be open once at a time)
 * @backend_open: under @lock: the backend's open() ran and its close() has
 *	not
 * @released: woken when the char device is released
 * @ioas: the address space the device is attached to, under
 *	iopass_groups_lock
 * @priv: the backend's state, allocated and freed with the device, so that
 *	it outlives the binding as long as an fd or a mapping needs it
 * @interrupts: interrupts the backend passed on to eventfds since the
 *	device was bound (sysfs "interrupts")
 */
struct iopass_device {
	struct device dev;
	struct cdev cdev;
	const struct iopass_device_ops *ops;
	struct iopass_group *group;
	int id;
	struct rw_semaphore lock;
	bool live;
	atomic_t opened;
	bool backend_open;
	wait_queue_head_t released;
	struct iopass_ioas *ioas;
	void *priv;
	atomic64_t interrupts;
};

static inline struct iopass_device *to_iopass_device(struct device *dev)
{
	return container_of(dev, struct iopass_device, dev);
}

/* bus.c */
extern IOPASS_BUS_TYPE_CONST struct bus_type iopass_bus_type;
int iopass_bus_init(void);
void iopass_bus_exit(void);
int iopass_bus_alloc_devt(struct iopass_device *idev);
void iopass_bus_free_devt(struct iopass_device *idev);

/* device.c */
struct iopass_device *iopass_device_alloc(struct device *parent,
					  const struct iopass_device_ops *ops,
					  size_t priv_size);
int iopass_device_register(struct iopass_device *idev);
void iopass_device_unregister(struct iopass_device *idev);
void iopass_device_put(struct iopass_device *idev);
int iopass_device_check_attached(struct iopass_device *idev);
int iopass_device_enter(struct iopass_device *idev, bool write);
void iopass_device_exit(struct iopass_device *idev, bool write);
int iopass_device_open_front(struct iopass_device *idev);
void iopass_device_release_front(struct iopass_device *idev);
int iopass_device_attach_ioas(struct iopass_device *idev,
			      struct iopass_ioas *ioas, const uuid_t *vf_token);
int iopass_device_detach_ioas(struct iopass_device *idev);
ssize_t iopass_device_rw_user(struct iopass_device *idev, char __user *buf,
			      size_t count, loff_t pos, bool write);
int iopass_device_mmap_front(struct iopass_device *idev,
			     struct vm_area_struct *vma);
long iopass_device_call(struct iopass_device *idev, unsigned int cmd,
			void *arg);

/* group.c */
enum iopass_domain_type iopass_device_domain_type(struct iopass_device *idev);
enum iopass_domain_type iopass_domain_classify(struct iommu_domain *domain,
					       struct iommu_domain *ours);
struct iopass_group *iopass_group_join(struct iopass_device *idev);
void iopass_group_leave(struct iopass_device *idev);
int iopass_group_attach(struct iopass_device *idev, struct iopass_ioas *ioas);
int iopass_group_detach(struct iopass_device *idev);
void iopass_group_stats(struct iopass_device *idev, u64 *stats);
ssize_t iopass_group_nodes_show(struct iopass_device *idev, char *buf);
int iopass_group_id(struct iopass_group *group);

/* ctx.c */
int iopass_ctx_init(void);
void iopass_ctx_exit(void);
struct iopass_ioas *iopass_ctx_ioas_get(struct file *file, u32 id);

/* ioas.c */
struct iopass_ioas *iopass_ioas_alloc(struct mm_struct *mm);
void iopass_ioas_put(struct iopass_ioas *ioas);
int iopass_check_map_args(u64 user_va, u64 length, u64 iova, bool fixed,
			  unsigned long align);
int iopass_ioas_map(struct iopass_ioas *ioas, u64 user_va, u64 length,
		    u64 *iova, u32 flags);
int iopass_ioas_unmap(struct iopass_ioas *ioas, u64 iova, u64 length, bool all,
		      u64 *unmapped);
int iopass_ioas_init(void);
void iopass_ioas_exit(void);
unsigned int iopass_ioas_mappings_left(struct iopass_ioas *ioas);
unsigned int iopass_ioas_iova_ranges(struct iopass_ioas *ioas,
				     struct iopass_iova_range *out,
				     unsigned int max, unsigned long *align);
struct iopass_domain *
iopass_ioas_attach(struct iopass_ioas *ioas, struct iommu_group *group,
		   struct iopass_domain *(*alloc)(struct device *dev),
		   struct device *dev);
void iopass_ioas_detach(struct iopass_ioas *ioas, struct iopass_domain *dom,
			struct iommu_group *group, struct device *dev);
#if IS_ENABLED(CONFIG_KUNIT)
bool iopass_domain_incompatible(int err);
#endif

/* domain.c */
struct iopass_domain *iopass_domain_alloc_iommu(struct device *dev);
void iopass_domain_free(struct iopass_domain *dom);
int iopass_domain_map_pages(struct iopass_domain *dom, unsigned long iova,
			    struct page **pages, unsigned long npages, int prot);
unsigned long iopass_contig_run(struct page **pages, unsigned long npages);
size_t iopass_pgsize(unsigned long pgsize_bitmap, unsigned long iova,
		     phys_addr_t paddr, size_t size);

/* pci.c, pci_region.c, pci_irq.c: the PCI backend */

struct iopass_pci_unmaskfd;

/**
 * struct iopass_pci_vec - one interrupt vector routed to an eventfd
 * @idev: the device, whose interrupt count the handler adds to
 * @trigger: the eventfd, or NULL while the vector is off
 * @irq: the Linux IRQ number while @trigger is set
 * @name: the name the IRQ is requested with
 * @producer: offers the MSI/MSI-X IRQ to an irqbypass consumer (KVM's
 *	posted interrupts) that uses the same eventfd
 * @bypass: @producer is registered
 */
struct iopass_pci_vec {
	struct iopass_device *idev;
	struct eventfd_ctx *trigger;
	int irq;
	char name[32];
	struct irq_bypass_producer producer;
	bool bypass;
};

/**
 * struct iopass_pci_device - a PCI function bound to iopass-pci
 * @pdev: the function
 * @idev: its iopass device
 * @bar: the BARs, mapped while the device fd is open
 * @memory_lock: held for reading by BAR accesses and mmap faults, for
 *	writing while memory decode changes, the device resets or its
 *	mappings are revoked; never held while touching user memory
 * @mapping: the address space of the open device file, whose BAR mappings
 *	are zapped
 * @revoked: under @memory_lock: BAR mappings must not be refaulted (the
 *	fd was closed or revoked, or the device is detached)
 * @cfg: the owner's view of config space (pci_config.c)
 * @cfg_lock: serializes the owner's config writes (the view changes)
 * @saved: the function's config state when the fd was opened, restored
 *	when it is closed or revoked
 * @reset_pending: the fd was closed while the device lock was held (by an
 *	unbind waiting for it, usually), so the function could not be reset:
 *	the unbind, or else the next open, resets it
 * @hole_bar: the BARs holding the MSI-X table ([0]) and PBA ([1]), -1: none
 * @hole_start: page-aligned start of each in its BAR
 * @hole_end: page-aligned end of each
 * @irq_lock: protects the interrupt state below
 * @irq_type: the enabled &enum iopass_irq_index (INTx, MSI, MSI-X), or -1
 * @nvec: vectors enabled
 * @vecs: their state
 * @intx_masked: under @intx_spin: the INTx line is masked
 * @unmaskfd: the INTx unmask eventfd, or NULL (under @irq_lock)
 * @intx_resignal: signals INTx's eventfd again for an unmask eventfd that
 *	found the line still asserted (its wake-up cannot signal)
 * @intx_spin: orders the INTx handler, unmask and every read-modify-write
 *	of PCI_COMMAND (pci_irq.c)
 * @err_trigger: eventfd for AER errors, under @irq_lock
 * @req_trigger: eventfd for release requests, under @irq_lock
 * @sriov: an SR-IOV physical function's VF token and users (pci_sriov.c)
 * @pf: a virtual function's physical function, if it is bound to iopass
 *	(set at probe; the PF disables its VFs before it unbinds)
 * @vf_user: a VF attached with @pf's token: counted in its users (under
 *	the device's lock)
 */
struct iopass_pci_device {
	struct pci_dev *pdev;
	struct iopass_device *idev;
	void __iomem *bar[PCI_STD_NUM_BARS];
	struct rw_semaphore memory_lock;
	struct address_space *mapping;
	bool revoked;
	struct iopass_pci_config *cfg;
	struct mutex cfg_lock;		/* see above */
	struct pci_saved_state *saved;
	bool reset_pending;
	int hole_bar[2];
	resource_size_t hole_start[2];
	resource_size_t hole_end[2];
	struct mutex irq_lock;		/* see above */
	int irq_type;
	unsigned int nvec;
	struct iopass_pci_vec *vecs;
	bool intx_masked;
	struct iopass_pci_unmaskfd *unmaskfd;
	struct work_struct intx_resignal;
	spinlock_t intx_spin;		/* see above */
	struct eventfd_ctx *err_trigger;
	struct eventfd_ctx *req_trigger;
	struct iopass_pci_sriov *sriov;
	struct iopass_pci_device *pf;
	bool vf_user;
};

void iopass_pci_irq_init(struct iopass_pci_device *ipdev);
int iopass_pci_sriov_probe(struct iopass_pci_device *ipdev);
void iopass_pci_sriov_remove(struct iopass_pci_device *ipdev);
int iopass_pci_sriov_configure(struct pci_dev *pdev, int nr_virtfn);
int iopass_pci_claim(struct iopass_device *idev, const uuid_t *vf_token);
void iopass_pci_unclaim(struct iopass_device *idev);
int iopass_pci_set_vf_token(void *priv, void *arg);
bool iopass_pci_is_ours(struct pci_driver *drv);
int iopass_pci_sriov_init(void);
void iopass_pci_sriov_exit(void);
int iopass_pci_register_alias(struct pci_driver *drv, struct module *owner);
int iopass_pci_init(void);
void iopass_pci_exit(void);
int iopass_pci_region_info(void *priv, void *arg);
ssize_t iopass_pci_rw(struct iopass_device *idev, void *buf, size_t count,
		      loff_t pos, bool write);
int iopass_pci_mmap(struct iopass_device *idev, struct vm_area_struct *vma);
void iopass_pci_zap(struct iopass_pci_device *ipdev);
struct iopass_pci_config *iopass_pci_config_alloc(struct pci_dev *pdev);
void iopass_pci_config_free(struct iopass_pci_config *cfg);
void iopass_pci_config_reset(struct iopass_pci_config *cfg,
			     struct pci_dev *pdev);
u32 iopass_pci_config_read(struct iopass_pci_config *cfg, unsigned int off,
			   unsigned int sz, u32 hw);
u32 iopass_pci_config_write(struct iopass_pci_config *cfg, unsigned int off,
			    unsigned int sz, u32 val);
u32 iopass_pci_config_rw1c(struct iopass_pci_config *cfg, unsigned int off,
			   unsigned int sz);
void iopass_pci_regions_init(struct iopass_pci_device *ipdev);
int iopass_pci_irq_info(void *priv, void *arg);
int iopass_pci_set_irqs(void *priv, void *arg);
void iopass_pci_irqs_off(struct iopass_pci_device *ipdev);
void iopass_pci_signal(struct iopass_pci_device *ipdev, unsigned int index);
void iopass_pci_command(struct iopass_pci_device *ipdev, u16 clear, u16 set);

static inline struct iopass_pci_device *iopass_to_pci(struct iopass_device *idev)
{
	return idev->priv;
}

/* ioctl.c */

/**
 * enum iopass_ioctl_lock - how a device-fd ioctl holds &iopass_device.lock
 * @IOPASS_IOCTL_LOCK_READ: for reading, like every other fd operation
 * @IOPASS_IOCTL_LOCK_WRITE: for writing: it changes what the others check
 *	(ATTACH and DETACH: whether the device may be driven)
 * @IOPASS_IOCTL_LOCK_SELF: the handler copies more user memory (an array)
 *	and takes the lock itself after that, with iopass_device_enter()
 *
 * Context (/dev/iopass) ioctls take no device lock.
 */
enum iopass_ioctl_lock {
	IOPASS_IOCTL_LOCK_READ,
	IOPASS_IOCTL_LOCK_WRITE,
	IOPASS_IOCTL_LOCK_SELF,
};

/**
 * struct iopass_ioctl_op - one entry of an ioctl table
 * @cmd: the ioctl number
 * @size: size of the argument struct the kernel knows
 * @min_size: the smallest size a caller may pass: the end of the last field
 *	of the struct's first version
 * @valid_flags: every flag this ioctl accepts
 * @lock: &enum iopass_ioctl_lock, for device-fd ioctls
 * @copy_on_error: the argument is copied back on failure too
 * @execute: the handler; gets the fd's private data and the argument copied
 *	in, and may change the argument: it is copied back on success
 */
struct iopass_ioctl_op {
	unsigned int cmd;
	u32 size;
	u32 min_size;
	u32 valid_flags;
	u8 lock;
	bool copy_on_error;
	int (*execute)(void *priv, void *arg);
};

#define IOPASS_IOCTL_OP(_cmd, _fn, _struct, _last, _flags)		\
	IOPASS_IOCTL_OP_LOCK(_cmd, _fn, _struct, _last, _flags,		\
			     IOPASS_IOCTL_LOCK_READ)

#define IOPASS_IOCTL_OP_LOCK(_cmd, _fn, _struct, _last, _flags, _lock)	\
	{								\
		.cmd = _cmd,						\
		.size = sizeof(_struct),				\
		.min_size = offsetofend(_struct, _last),		\
		.valid_flags = _flags,					\
		.lock = _lock,						\
		.execute = _fn,						\
	}

/* The largest argument any ioctl takes. */
#define IOPASS_IOCTL_MAX_ARG	64

/**
 * struct iopass_ioctl_call - one ioctl between copying in and out
 * @op: the table entry
 * @uarg: the user's argument
 * @user_size: the size the user gave
 * @buf: the argument, kernel-sized
 */
struct iopass_ioctl_call {
	const struct iopass_ioctl_op *op;
	void __user *uarg;
	u32 user_size;
	u8 buf[IOPASS_IOCTL_MAX_ARG] __aligned(8);
};

const struct iopass_ioctl_op *iopass_ioctl_find(const struct iopass_ioctl_op *ops,
						size_t n_ops, unsigned int cmd);
int iopass_ioctl_prepare(const struct iopass_ioctl_op *ops, size_t n_ops,
			 unsigned int cmd, void __user *uarg,
			 struct iopass_ioctl_call *call);
long iopass_ioctl_finish(struct iopass_ioctl_call *call, int ret);
long iopass_ioctl_dispatch(const struct iopass_ioctl_op *ops, size_t n_ops,
			   void *priv, unsigned int cmd, void __user *uarg);

/*
 * iopass's fault points: steps whose failure must unwind cleanly (a pin
 * batch, pinned_vm accounting, an IOMMU map or attach, an interrupt type or
 * vector).  With CONFIG_FAULT_INJECTION each asks iopass_should_fail(), the
 * "fail_iopass" fault attribute in debugfs, which fail-nth drives like
 * failslab (selftests/iopass_fail_nth.c); otherwise it is compiled out.
 */
#ifdef CONFIG_FAULT_INJECTION
bool iopass_should_fail(void);
#else
static inline bool iopass_should_fail(void)
{
	return false;
}
#endif

#endif /* __IOPASS_H */
