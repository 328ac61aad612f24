/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iopass: IOMMU-mediated access to PCI devices from user space.
 *
 * Conventions, shared by every ioctl (Documentation/uapi.rst):
 *
 * - The argument is a struct that starts with ``__u32 size`` (set it to
 *   sizeof the struct as the caller knows it) and ``__u32 flags``.
 * - A @size smaller than the first version of the struct fails with EINVAL.
 *   A larger @size is accepted if every byte the kernel does not know is
 *   zero, and fails with E2BIG otherwise; so old binaries keep working on new
 *   kernels and new binaries learn that a kernel is too old for them.
 * - A flag the kernel does not know fails with EOPNOTSUPP.
 * - Fields named __reserved must be zero (EINVAL otherwise).
 * - 64-bit values and user pointers are __aligned_u64.
 * - Output fields are written back for at most @size bytes.
 */
#ifndef _UAPI_LINUX_IOPASS_H
#define _UAPI_LINUX_IOPASS_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOPASS_TYPE	';'
#define IOPASS_CMD_BASE	0xc0

enum {
	IOPASS_CMD_DEVICE_GET_INFO = IOPASS_CMD_BASE,
	IOPASS_CMD_IOAS_ALLOC,
	IOPASS_CMD_IOAS_DESTROY,
	IOPASS_CMD_IOAS_IOVA_RANGES,
	IOPASS_CMD_IOAS_MAP,
	IOPASS_CMD_IOAS_UNMAP,
	IOPASS_CMD_DEVICE_ATTACH,
	IOPASS_CMD_DEVICE_DETACH,
};

/**
 * enum iopass_domain_type - what translates a device's DMA right now
 * @IOPASS_DOMAIN_NONE: the device has no IOMMU domain
 * @IOPASS_DOMAIN_PAGING: an iopass-owned paging domain: DMA reaches only
 *	what was mapped into it (the only state iopass lets a bound device be in)
 * @IOPASS_DOMAIN_BLOCKED: all DMA is blocked
 * @IOPASS_DOMAIN_IDENTITY: DMA addresses are physical addresses
 * @IOPASS_DOMAIN_KERNEL: a domain the kernel's DMA API manages
 * @IOPASS_DOMAIN_OTHER: a domain of a type iopass does not know
 */
enum iopass_domain_type {
	IOPASS_DOMAIN_NONE = 0,
	IOPASS_DOMAIN_PAGING = 1,
	IOPASS_DOMAIN_BLOCKED = 2,
	IOPASS_DOMAIN_IDENTITY = 3,
	IOPASS_DOMAIN_KERNEL = 4,
	IOPASS_DOMAIN_OTHER = 5,
};

/**
 * struct iopass_device_info - ioctl(IOPASS_DEVICE_GET_INFO)
 * @size: sizeof(struct iopass_device_info)
 * @flags: must be 0
 * @iommu_group: out: ID of the device's IOMMU group, as in
 *	/sys/kernel/iommu_groups/<id>
 * @domain_type: out: an &enum iopass_domain_type, read back from the IOMMU
 *	core (not from iopass's own bookkeeping)
 * @pci_segment: out: PCI segment (domain) of the function
 * @pci_bus: out: PCI bus number of the function
 * @pci_devfn: out: PCI device and function number, as PCI_DEVFN()
 * @__reserved: must be 0
 *
 * Describes the device behind a device fd.
 *
 * Return: 0 on success; EINVAL, E2BIG or EOPNOTSUPP for a malformed
 * argument (see the conventions above); EFAULT for a bad pointer.
 */
struct iopass_device_info {
	__u32 size;
	__u32 flags;
	__u32 iommu_group;
	__u32 domain_type;
	__u32 pci_segment;
	__u8 pci_bus;
	__u8 pci_devfn;
	__u16 __reserved;
};

#define IOPASS_DEVICE_GET_INFO _IO(IOPASS_TYPE, IOPASS_CMD_DEVICE_GET_INFO)

/*
 * Address spaces: /dev/iopass
 *
 * Each open of /dev/iopass is a context that holds address spaces (IOAS):
 * maps from IO virtual addresses (IOVAs) to the caller's memory.  Devices
 * attach to an IOAS (IOPASS_DEVICE_ATTACH on the device fd); several may
 * share one.  An IOAS lives until it is destroyed and no device is
 * attached to it any more, or until the context is closed and no device is
 * attached to it any more.
 *
 * Only the process that opened the context may map into its address
 * spaces: pinned memory is charged to that process's RLIMIT_MEMLOCK.
 */

/**
 * struct iopass_ioas_alloc - ioctl(IOPASS_IOAS_ALLOC)
 * @size: sizeof(struct iopass_ioas_alloc)
 * @flags: must be 0
 * @out_ioas_id: out: the new address space's ID in this context
 * @__reserved: must be 0
 *
 * Create an empty address space.
 *
 * Return: 0; ENOMEM.
 */
struct iopass_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
	__u32 __reserved;
};

#define IOPASS_IOAS_ALLOC _IO(IOPASS_TYPE, IOPASS_CMD_IOAS_ALLOC)

/**
 * struct iopass_ioas_destroy - ioctl(IOPASS_IOAS_DESTROY)
 * @size: sizeof(struct iopass_ioas_destroy)
 * @flags: must be 0
 * @ioas_id: the address space to destroy
 * @__reserved: must be 0
 *
 * Destroy an address space: every mapping is removed and its memory
 * unpinned.
 *
 * Return: 0; ENOENT: no such IOAS; EBUSY: a device is attached to it.
 */
struct iopass_ioas_destroy {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
};

#define IOPASS_IOAS_DESTROY _IO(IOPASS_TYPE, IOPASS_CMD_IOAS_DESTROY)

/**
 * struct iopass_iova_range - a range of usable IOVAs
 * @start: first IOVA of the range
 * @last: last IOVA of the range (inclusive)
 */
struct iopass_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct iopass_ioas_iova_ranges - ioctl(IOPASS_IOAS_IOVA_RANGES)
 * @size: sizeof(struct iopass_ioas_iova_ranges)
 * @flags: must be 0
 * @ioas_id: the address space
 * @num_ranges: in: how many entries @allowed_iovas has room for; out: how
 *	many ranges there are
 * @allowed_iovas: user pointer to an array of &struct iopass_iova_range
 * @out_iova_alignment: out: IOVAs, lengths and user addresses of a MAP must
 *	be multiples of this (the smallest IOMMU page size of the attached
 *	devices, or PAGE_SIZE while none is attached)
 *
 * Report the IOVAs a mapping may use, in ascending order: the IOMMU
 * apertures of the attached devices, less their reserved regions (the MSI
 * window, firmware-reserved "RMRR" ranges).  With no device attached,
 * every page-aligned IOVA is allowed; attaching a device narrows the set.
 *
 * Return: 0; ENOENT: no such IOAS; EMSGSIZE: @num_ranges was too small
 * (it now holds the number needed, and the first entries were written).
 */
struct iopass_ioas_iova_ranges {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 num_ranges;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};

#define IOPASS_IOAS_IOVA_RANGES _IO(IOPASS_TYPE, IOPASS_CMD_IOAS_IOVA_RANGES)

/**
 * enum iopass_ioas_map_flags - flags of IOPASS_IOAS_MAP
 * @IOPASS_MAP_FIXED_IOVA: map at @iova; otherwise the kernel chooses the
 *	IOVA (aligned like @user_va, up to the largest IOMMU page that fits)
 * @IOPASS_MAP_READABLE: the device may read the memory
 * @IOPASS_MAP_WRITEABLE: the device may write the memory
 */
enum iopass_ioas_map_flags {
	IOPASS_MAP_FIXED_IOVA = 1 << 0,
	IOPASS_MAP_READABLE = 1 << 1,
	IOPASS_MAP_WRITEABLE = 1 << 2,
};

/**
 * struct iopass_ioas_map - ioctl(IOPASS_IOAS_MAP)
 * @size: sizeof(struct iopass_ioas_map)
 * @flags: &enum iopass_ioas_map_flags; READABLE, WRITEABLE or both
 * @ioas_id: the address space
 * @__reserved: must be 0
 * @user_va: start of the caller's memory to map
 * @length: bytes to map
 * @iova: in with IOPASS_MAP_FIXED_IOVA: where to map; out: where it was
 *	mapped
 *
 * Pin the memory and map it into every IOMMU domain of the address space.
 * The pinned pages count against the caller's RLIMIT_MEMLOCK unless it has
 * CAP_IPC_LOCK.  Nothing is mapped if the call fails.
 *
 * Return: 0, or
 * EINVAL: @length is 0, or @user_va, @length or @iova is not aligned to
 * the IOAS's alignment, or neither READABLE nor WRITEABLE is set;
 * EOVERFLOW: @user_va + @length or @iova + @length wraps;
 * EEXIST: the range overlaps an existing mapping;
 * ERANGE: the range is outside the IOMMU's aperture;
 * EADDRINUSE: the range overlaps a reserved region (MSI window, RMRR);
 * EADDRNOTAVAIL: no free IOVA range is large enough (kernel-chosen IOVA);
 * ENOSPC: the IOAS holds max_mappings mappings (a module parameter);
 * ENOMEM: out of memory, or RLIMIT_MEMLOCK would be exceeded;
 * EFAULT: the memory is not mapped, or not writeable for WRITEABLE;
 * EPERM: the caller is not the process that opened the context;
 * ENOENT: no such IOAS.
 */
struct iopass_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOPASS_IOAS_MAP _IO(IOPASS_TYPE, IOPASS_CMD_IOAS_MAP)

/**
 * enum iopass_ioas_unmap_flags - flags of IOPASS_IOAS_UNMAP
 * @IOPASS_UNMAP_ALL: remove every mapping; @iova and @length must be 0
 */
enum iopass_ioas_unmap_flags {
	IOPASS_UNMAP_ALL = 1 << 0,
};

/**
 * struct iopass_ioas_unmap - ioctl(IOPASS_IOAS_UNMAP)
 * @size: sizeof(struct iopass_ioas_unmap)
 * @flags: &enum iopass_ioas_unmap_flags
 * @ioas_id: the address space
 * @__reserved: must be 0
 * @iova: first IOVA of the range
 * @length: in: bytes in the range; out: bytes unmapped
 *
 * Remove every mapping inside [@iova, @iova + @length).  The range must
 * cover whole mappings: unmapping part of one is refused rather than
 * splitting it.  The IOTLB is flushed before any page is unpinned, so the
 * device cannot reach a page through a stale translation once it is given
 * back.
 *
 * Return: 0, or
 * EINVAL: @length is 0 or unaligned (or not 0 with IOPASS_UNMAP_ALL), or
 * the range cuts through a mapping;
 * EOVERFLOW: @iova + @length wraps;
 * ENOENT: no mapping lies in the range, or no such IOAS;
 * EIO: the IOMMU did not unmap exactly what was asked (the pages stay
 * pinned; the kernel log has the details).
 */
struct iopass_ioas_unmap {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define IOPASS_IOAS_UNMAP _IO(IOPASS_TYPE, IOPASS_CMD_IOAS_UNMAP)

/**
 * struct iopass_device_attach - ioctl(IOPASS_DEVICE_ATTACH), on a device fd
 * @size: sizeof(struct iopass_device_attach)
 * @flags: must be 0
 * @ctx_fd: an open /dev/iopass
 * @ioas_id: an address space of that context
 *
 * Let the device's DMA reach what @ioas_id maps, and nothing else.  The
 * device joins an IOMMU domain of the IOAS that its IOMMU can use, or a new
 * one filled with the IOAS's mappings.  All iopass devices of one IOMMU
 * group must attach to the same IOAS: the IOMMU cannot tell them apart.
 *
 * Return: 0, or
 * EBADF: @ctx_fd is not an open /dev/iopass;
 * ENOENT: no such IOAS;
 * EALREADY: the device is attached (detach first);
 * EBUSY: another device of its IOMMU group is attached to another IOAS;
 * EADDRINUSE: an existing mapping overlaps a reserved region of the device;
 * ERANGE: an existing mapping lies outside the device's IOMMU aperture;
 * EIO: the IOMMU did not put the device in the domain.
 */
struct iopass_device_attach {
	__u32 size;
	__u32 flags;
	__s32 ctx_fd;
	__u32 ioas_id;
};

#define IOPASS_DEVICE_ATTACH _IO(IOPASS_TYPE, IOPASS_CMD_DEVICE_ATTACH)

/**
 * struct iopass_device_detach - ioctl(IOPASS_DEVICE_DETACH), on a device fd
 * @size: sizeof(struct iopass_device_detach)
 * @flags: must be 0
 *
 * Detach the device from its address space.  Its DMA is blocked again
 * (the group returns to iopass's empty domain once no device of it is
 * attached).  Closing the device fd detaches too.
 *
 * Return: 0; ENOENT: the device is not attached.
 */
struct iopass_device_detach {
	__u32 size;
	__u32 flags;
};

#define IOPASS_DEVICE_DETACH _IO(IOPASS_TYPE, IOPASS_CMD_DEVICE_DETACH)

#endif /* _UAPI_LINUX_IOPASS_H */
