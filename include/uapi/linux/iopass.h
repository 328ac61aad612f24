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
 * - The argument must be readable and writable: if it is not, the ioctl
 *   fails with EFAULT and does nothing (the kernel writes the argument back
 *   unchanged before it acts; a caller that makes it unwritable meanwhile
 *   gets EFAULT after the fact, and loses only the output).
 */
#ifndef _UAPI_LINUX_IOPASS_H
#define _UAPI_LINUX_IOPASS_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * 'J', which no entry of Documentation/userspace-api/ioctl/ioctl-number.rst
 * holds and no ioctl in the kernel tree uses (checked against 6.1 and
 * 6.12).  Until 2026-12 iopass used ';' 0xC0-0xCB, which is inside
 * iommufd's reserved ';' 0x80-0xFF: binaries built against that header
 * must be rebuilt.
 */
#define IOPASS_TYPE	'J'
#define IOPASS_CMD_BASE	0x40

enum {
	IOPASS_CMD_DEVICE_GET_INFO = IOPASS_CMD_BASE,
	IOPASS_CMD_IOAS_ALLOC,
	IOPASS_CMD_IOAS_DESTROY,
	IOPASS_CMD_IOAS_IOVA_RANGES,
	IOPASS_CMD_IOAS_MAP,
	IOPASS_CMD_IOAS_UNMAP,
	IOPASS_CMD_DEVICE_ATTACH,
	IOPASS_CMD_DEVICE_DETACH,
	IOPASS_CMD_DEVICE_REGION_INFO,
	IOPASS_CMD_DEVICE_IRQ_INFO,
	IOPASS_CMD_DEVICE_SET_IRQS,
	IOPASS_CMD_DEVICE_RESET,
	IOPASS_CMD_DEVICE_SET_VF_TOKEN,
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
 * enum iopass_device_flags - what a device can do (&iopass_device_info)
 * @IOPASS_DEVICE_FLAGS_PCI: a PCI function: the regions and IRQs below apply
 * @IOPASS_DEVICE_FLAGS_RESET: IOPASS_DEVICE_RESET can reset it
 * @IOPASS_DEVICE_FLAGS_SRIOV_PF: an SR-IOV physical function: it can have
 *	virtual functions (sriov_numvfs in sysfs) and takes
 *	IOPASS_DEVICE_SET_VF_TOKEN
 * @IOPASS_DEVICE_FLAGS_VF_TOKEN: a virtual function whose physical
 *	function is bound to iopass: IOPASS_DEVICE_ATTACH needs the PF owner's
 *	VF token (Documentation/sriov.rst)
 */
enum iopass_device_flags {
	IOPASS_DEVICE_FLAGS_PCI = 1 << 0,
	IOPASS_DEVICE_FLAGS_RESET = 1 << 1,
	IOPASS_DEVICE_FLAGS_SRIOV_PF = 1 << 2,
	IOPASS_DEVICE_FLAGS_VF_TOKEN = 1 << 3,
};

/**
 * struct iopass_device_info - ioctl(IOPASS_DEVICE_GET_INFO)
 * @size: sizeof(struct iopass_device_info); the first version ended at
 *	@__reserved (24 bytes) and is still accepted
 * @flags: must be 0
 * @iommu_group: out: ID of the device's IOMMU group, as in
 *	/sys/kernel/iommu_groups/<id> (~0 for a mock device)
 * @domain_type: out: an &enum iopass_domain_type, read back from the IOMMU
 *	core (not from iopass's own bookkeeping)
 * @pci_segment: out: PCI segment (domain) of the function
 * @pci_bus: out: PCI bus number of the function
 * @pci_devfn: out: PCI device and function number, as PCI_DEVFN()
 * @__reserved: must be 0
 * @device_flags: out: &enum iopass_device_flags
 * @num_regions: out: how many regions IOPASS_DEVICE_REGION_INFO describes
 *	(&enum iopass_region_index)
 * @num_irqs: out: how many IRQ indexes IOPASS_DEVICE_IRQ_INFO describes
 *	(&enum iopass_irq_index)
 * @__reserved2: must be 0
 * @numa_node: out: the NUMA node the function is attached to, -1 if the
 *	firmware does not say (its local CPUs are in sysfs: local_cpus);
 *	present from the second version (48 bytes)
 * @__reserved3: must be 0
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
	__u32 device_flags;
	__u32 num_regions;
	__u32 num_irqs;
	__u32 __reserved2;
	__s32 numa_node;
	__u32 __reserved3;
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
 * spaces, whose RLIMIT_MEMLOCK limits what its user may pin.
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
 * Return: 0; ENOMEM; ENOSPC: the context holds 2^31 - 1 address spaces.
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
 * If @num_ranges (in) is smaller than the number of ranges, only that many
 * are written and @num_ranges (out) says how many there are: call again
 * with more room.
 *
 * Return: 0; ENOENT: no such IOAS; EFAULT.
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
 *	IOVA (aligned like @user_va, up to the largest IOMMU page that fits),
 *	never IOVA 0: drivers take 0 for "no address"
 * @IOPASS_MAP_READABLE: the device may read the memory
 * @IOPASS_MAP_WRITEABLE: the device may write the memory
 * @IOPASS_MAP_LOCAL_NODE: refuse (EREMOTE) memory any page of which is on
 *	a NUMA node other than those of the devices attached to the IOAS
 *	now; with no device attached, or none on a known node, nothing is
 *	refused (Documentation/admin.rst, NUMA)
 */
enum iopass_ioas_map_flags {
	IOPASS_MAP_FIXED_IOVA = 1 << 0,
	IOPASS_MAP_READABLE = 1 << 1,
	IOPASS_MAP_WRITEABLE = 1 << 2,
	IOPASS_MAP_LOCAL_NODE = 1 << 3,
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
 * CAP_IPC_LOCK: the limit holds for everything the user who created the
 * address space has pinned (as for io_uring and iommufd), apart from
 * mlock()ed memory; the process's VmPin in /proc/PID/status shows them.
 * Nothing is mapped if the call fails.
 *
 * The IOVA range is taken before the memory is pinned, and no lock is held
 * while it is: a MAP whose page faults stall (userfaultfd, FUSE) holds up
 * nothing else.  Until it returns, its range is taken (EEXIST for another
 * MAP) but not mapped (IOPASS_IOAS_UNMAP passes over it).
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
 * ENOENT: no such IOAS;
 * EREMOTE: with IOPASS_MAP_LOCAL_NODE, a page of the memory is on a NUMA
 * node that no device attached to the IOAS is on.
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
 * @length: in: bytes in the range; out: bytes unmapped, on success and on
 *	EIO (0 on any other error)
 *
 * Remove every mapping inside [@iova, @iova + @length).  The range must
 * cover whole mappings: unmapping part of one is refused rather than
 * splitting it.  The IOTLB is flushed before any page is unpinned, so the
 * device cannot reach a page through a stale translation once it is given
 * back.
 *
 * Return: 0 (also for IOPASS_UNMAP_ALL on an empty IOAS), or
 * EINVAL: @iova or @length is unaligned, @length is 0 (or not 0 with
 * IOPASS_UNMAP_ALL), or the range cuts through a mapping;
 * EOVERFLOW: @iova + @length wraps;
 * ENOENT: no mapping lies in the range, or no such IOAS;
 * EIO: the IOMMU did not unmap exactly what was asked for some mapping
 * (its pages stay pinned; the kernel log has the details); the others
 * are unmapped, and @length says how many bytes.
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
 * enum iopass_device_attach_flags - flags of IOPASS_DEVICE_ATTACH
 * @IOPASS_ATTACH_VF_TOKEN: @vf_token holds the VF token of the SR-IOV
 *	physical function the device belongs to (or, for a physical
 *	function, its own)
 */
enum iopass_device_attach_flags {
	IOPASS_ATTACH_VF_TOKEN = 1 << 0,
};

/**
 * struct iopass_device_attach - ioctl(IOPASS_DEVICE_ATTACH), on a device fd
 * @size: sizeof(struct iopass_device_attach); the first version ended at
 *	@ioas_id (16 bytes) and is still accepted
 * @flags: &enum iopass_device_attach_flags
 * @ctx_fd: an open /dev/iopass
 * @ioas_id: an address space of that context
 * @vf_token: with IOPASS_ATTACH_VF_TOKEN: a UUID, as 16 bytes in the order
 *	they are written (uuid_t); must be 0 otherwise
 *
 * A virtual function whose physical function is bound to iopass attaches
 * only with the token the PF's owner set (IOPASS_DEVICE_SET_VF_TOKEN): the
 * PF's owner can reset and reconfigure its VFs, and the token is how a VF's
 * owner says it trusts it.  While any such VF is attached, the PF itself
 * attaches only with the same token, so the VFs' trust cannot pass to a
 * new PF owner unknown to them; while none is, a PF attaching with a token
 * sets it, and one attaching without makes it random (to be set).
 *
 * Let the device's DMA reach what @ioas_id maps, and nothing else.  The
 * device joins an IOMMU domain of the IOAS that its IOMMU can use, or a new
 * one filled with the IOAS's mappings.  All iopass devices of one IOMMU
 * group must attach to the same IOAS: the IOMMU cannot tell them apart.
 *
 * Bus mastering stays off until the owner sets PCI_COMMAND_MASTER in the
 * device's config space (pwrite): iopass never turns it on.
 *
 * Return: 0, or
 * EBADF: @ctx_fd is not an open /dev/iopass;
 * ENOENT: no such IOAS (or it was destroyed while the call ran);
 * EALREADY: the device is attached (detach first);
 * EBUSY: another device of its IOMMU group is attached to another IOAS;
 * EADDRINUSE: an existing mapping overlaps a reserved region of the device;
 * ERANGE: an existing mapping lies outside the device's IOMMU aperture;
 * EIO: the IOMMU did not put the device in the domain;
 * EACCES: a VF of an iopass-owned PF without IOPASS_ATTACH_VF_TOKEN or
 * with a token that is not the PF's; a PF whose VFs are attached, without
 * their token or with another;
 * EINVAL: IOPASS_ATTACH_VF_TOKEN for a device that is neither (a VF whose
 * PF is not bound to iopass, a function without SR-IOV), or @vf_token not
 * zero without it.
 */
struct iopass_device_attach {
	__u32 size;
	__u32 flags;
	__s32 ctx_fd;
	__u32 ioas_id;
	__u8 vf_token[16];
};

#define IOPASS_DEVICE_ATTACH _IO(IOPASS_TYPE, IOPASS_CMD_DEVICE_ATTACH)

/**
 * struct iopass_device_detach - ioctl(IOPASS_DEVICE_DETACH), on a device fd
 * @size: sizeof(struct iopass_device_detach)
 * @flags: must be 0
 *
 * Detach the device from its address space.  Before its group can leave
 * the address space the device is stopped: bus mastering is cleared in its
 * command register and every mmap of its BARs is zapped (a touch gets
 * SIGBUS until it is attached again).  Then its DMA is blocked (the group
 * returns to iopass's empty domain once no device of it is attached).
 * ATTACH and DETACH wait for, and hold off, every other operation on the
 * device fd, so none can turn mastering back on in between.  Closing the
 * device fd detaches too.
 *
 * Return: 0; ENOENT: the device is not attached.
 */
struct iopass_device_detach {
	__u32 size;
	__u32 flags;
};

#define IOPASS_DEVICE_DETACH _IO(IOPASS_TYPE, IOPASS_CMD_DEVICE_DETACH)

/*
 * Device access: regions and interrupts of a PCI function, on its device fd.
 *
 * A device must be attached to an address space before its regions can be
 * read, written or mapped, its interrupts set up or it can be reset
 * (EPERM otherwise): the IOMMU group of a device that drives DMA must be
 * in the owner's address space.
 */

/**
 * enum iopass_region_index - the regions of a PCI function
 * @IOPASS_REGION_BAR0: BAR 0 (BAR 1-5 follow)
 * @IOPASS_REGION_CONFIG: PCI configuration space
 * @IOPASS_NUM_REGIONS: how many indexes there are
 */
enum iopass_region_index {
	IOPASS_REGION_BAR0 = 0,
	IOPASS_REGION_CONFIG = 6,
	IOPASS_NUM_REGIONS = 7,
};

/* Region @i starts at this offset of the device fd (pread, pwrite, mmap). */
#define IOPASS_REGION_SHIFT		40
#define IOPASS_REGION_OFFSET(i)		((__u64)(i) << IOPASS_REGION_SHIFT)

/**
 * enum iopass_region_flags - what a region allows
 * @IOPASS_REGION_READ: pread
 * @IOPASS_REGION_WRITE: pwrite
 * @IOPASS_REGION_MMAP: mmap (outside the hole)
 * @IOPASS_REGION_IO_PORT: an I/O port BAR (never mmap)
 */
enum iopass_region_flags {
	IOPASS_REGION_READ = 1 << 0,
	IOPASS_REGION_WRITE = 1 << 1,
	IOPASS_REGION_MMAP = 1 << 2,
	IOPASS_REGION_IO_PORT = 1 << 3,
};

/**
 * struct iopass_region_info - ioctl(IOPASS_DEVICE_REGION_INFO)
 * @size: sizeof(struct iopass_region_info)
 * @flags: must be 0
 * @index: in: an &enum iopass_region_index
 * @region_flags: out: &enum iopass_region_flags; 0 for an unused BAR
 * @offset: out: where the region starts in the device fd
 * @region_size: out: its size in bytes
 * @hole_offset: out: start, within the region, of the page-aligned range
 *	holding the MSI-X table and PBA, which can be read but never written
 *	or mapped (EACCES); when the table and PBA are apart, the range spans
 *	both, and @areas says what lies between them
 * @hole_size: out: its size; 0 if the region has no such range
 * @num_areas: in: how many entries @areas has room for; out: how many
 *	mmappable areas the region has (0 unless IOPASS_REGION_MMAP).  Added
 *	after the first version: a caller with the 48-byte struct gets no list
 * @__reserved: must be 0
 * @areas: user pointer to an array of &struct iopass_region_area: the
 *	page-aligned ranges of the region mmap accepts, ascending; at most
 *	@num_areas (in) are written (as VFIO's sparse-mmap capability)
 *
 * Configuration space is an allowlist (Documentation/device.rst has the
 * table): each bit is writable (the write reaches the device), virtualized
 * (the owner reads back what it wrote; the device never sees it) or
 * read-only (writes are dropped, as hardware drops them; pwrite still
 * returns the bytes "written").  Writable: the command register's I/O,
 * memory, bus master, parity and SERR bits, cache line size, latency
 * timer, the error status bits (write 1 to clear), PME enable, the PCIe
 * device control bits that concern only the function (error reporting,
 * relaxed ordering, extended tags, no snoop, aux power), completion
 * timeout, atomics and IDO, the AER masks, and vendor-specific
 * capabilities.  Virtualized: the BARs and ROM BAR (write ~0 and read back
 * the size mask, as a VMM sizes them), the interrupt line, INTx disable,
 * the MSI capability and the MSI-X enable and mask bits (interrupts are set
 * up with IOPASS_DEVICE_SET_IRQS), Max_Payload_Size and Max_Read_Request.
 * Everything else is read-only, including resets (use IOPASS_DEVICE_RESET)
 * and power states, ACS, ATS, PRI, PASID, SR-IOV, Resizable BAR, link
 * control and every capability iopass does not know.  The config the
 * function had when the fd was opened is restored when it is closed or
 * revoked.  BAR accesses of 1, 2, 4 (and,
 * for memory BARs, 8) bytes go to the device as single accesses; a BAR
 * access while memory decode is off in the command register fails with
 * EIO, and mappings of the BARs are zapped when decode goes off or the
 * device is reset (a later touch refaults, or gets SIGBUS while decode is
 * off).
 *
 * Return: 0; EINVAL: @index out of range, or @__reserved is not 0;
 * EFAULT: @areas cannot be written.
 */
struct iopass_region_info {
	__u32 size;
	__u32 flags;
	__u32 index;
	__u32 region_flags;
	__aligned_u64 offset;
	__aligned_u64 region_size;
	__aligned_u64 hole_offset;
	__aligned_u64 hole_size;
	__u32 num_areas;
	__u32 __reserved;
	__aligned_u64 areas;
};

/**
 * struct iopass_region_area - a range of a region that can be mmapped
 * @offset: start within the region (page-aligned)
 * @size: bytes (page-aligned)
 */
struct iopass_region_area {
	__aligned_u64 offset;
	__aligned_u64 size;
};

#define IOPASS_DEVICE_REGION_INFO _IO(IOPASS_TYPE, IOPASS_CMD_DEVICE_REGION_INFO)

/**
 * enum iopass_irq_index - the interrupt sources of a PCI function
 * @IOPASS_IRQ_INTX: the legacy interrupt line (one vector)
 * @IOPASS_IRQ_MSI: MSI vectors
 * @IOPASS_IRQ_MSIX: MSI-X vectors
 * @IOPASS_IRQ_ERR: one eventfd, signalled when the PCI core reports an
 *	error (AER) on the device
 * @IOPASS_IRQ_REQ: one eventfd, signalled when the kernel wants the device
 *	back (it is being unbound): the owner should close its fds
 * @IOPASS_NUM_IRQS: how many indexes there are
 */
enum iopass_irq_index {
	IOPASS_IRQ_INTX = 0,
	IOPASS_IRQ_MSI = 1,
	IOPASS_IRQ_MSIX = 2,
	IOPASS_IRQ_ERR = 3,
	IOPASS_IRQ_REQ = 4,
	IOPASS_NUM_IRQS = 5,
};

/**
 * enum iopass_irq_info_flags - what an IRQ index supports
 * @IOPASS_IRQ_INFO_EVENTFD: vectors can trigger eventfds
 * @IOPASS_IRQ_INFO_AUTOMASKED: the kernel masks the vector when it fires;
 *	IOPASS_IRQ_SET_UNMASK unmasks it (INTx)
 * @IOPASS_IRQ_INFO_NORESIZE: the number of vectors is fixed by the
 *	SET_IRQS that enables the index (start + count): a later SET_IRQS
 *	beyond it fails with EINVAL, and growing needs disabling first (which
 *	drops interrupts).  Enable the whole count up front, with -1 for
 *	vectors not routed yet: they can be routed one by one later (MSI,
 *	MSI-X; VFIO_IRQ_INFO_NORESIZE means the same)
 */
enum iopass_irq_info_flags {
	IOPASS_IRQ_INFO_EVENTFD = 1 << 0,
	IOPASS_IRQ_INFO_AUTOMASKED = 1 << 1,
	IOPASS_IRQ_INFO_NORESIZE = 1 << 2,
};

/**
 * struct iopass_irq_info - ioctl(IOPASS_DEVICE_IRQ_INFO)
 * @size: sizeof(struct iopass_irq_info)
 * @flags: must be 0
 * @index: in: an &enum iopass_irq_index
 * @count: out: how many vectors it has (0: the device has none)
 * @irq_flags: out: &enum iopass_irq_info_flags
 * @__reserved: must be 0
 *
 * Return: 0; EINVAL: @index out of range.
 */
struct iopass_irq_info {
	__u32 size;
	__u32 flags;
	__u32 index;
	__u32 count;
	__u32 irq_flags;
	__u32 __reserved;
};

#define IOPASS_DEVICE_IRQ_INFO _IO(IOPASS_TYPE, IOPASS_CMD_DEVICE_IRQ_INFO)

/**
 * enum iopass_set_irqs_flags - what IOPASS_DEVICE_SET_IRQS does
 * @IOPASS_IRQ_SET_EVENTFD: vectors [start, start + count) trigger the
 *	eventfds in @eventfds; an fd of -1 disables that vector; count 0
 *	disables the whole index.  An MSI vector (unlike an MSI-X one) cannot
 *	be masked in the device: disabled with -1, its message is cleared, and
 *	a device that raises it anyway writes to IOVA 0, which the IOMMU
 *	blocks unless something is mapped there; turn MSI off with count 0
 * @IOPASS_IRQ_SET_UNMASK: unmask the INTx vector after it fired, or after
 *	IOPASS_IRQ_SET_MASK.  If the device still asserts it, the vector stays
 *	masked and its eventfd is signalled again
 * @IOPASS_IRQ_SET_MASK: mask the INTx vector (INTx disable in the device)
 *	until the next unmask; an interrupt the device raises meanwhile is
 *	delivered at that unmask
 * @IOPASS_IRQ_SET_UNMASK_EVENTFD: @eventfds holds one eventfd whose every
 *	signal unmasks the INTx vector as IOPASS_IRQ_SET_UNMASK does (KVM's
 *	irqfd resamplefd: the guest's EOI unmasks with no exit to user
 *	space); -1 removes it.  It goes away with INTx (count 0, or the fd's
 *	close)
 */
enum iopass_set_irqs_flags {
	IOPASS_IRQ_SET_EVENTFD = 1 << 0,
	IOPASS_IRQ_SET_UNMASK = 1 << 1,
	IOPASS_IRQ_SET_MASK = 1 << 2,
	IOPASS_IRQ_SET_UNMASK_EVENTFD = 1 << 3,
};

/**
 * struct iopass_set_irqs - ioctl(IOPASS_DEVICE_SET_IRQS)
 * @size: sizeof(struct iopass_set_irqs)
 * @flags: exactly one of &enum iopass_set_irqs_flags
 * @index: an &enum iopass_irq_index
 * @start: first vector
 * @count: number of vectors
 * @__reserved: must be 0
 * @eventfds: with IOPASS_IRQ_SET_EVENTFD or IOPASS_IRQ_SET_UNMASK_EVENTFD:
 *	user pointer to @count __s32 eventfds
 *
 * INTx, MSI and MSI-X exclude each other: enabling one while another is
 * enabled fails with EBUSY; disable it first (count 0).  MSI and MSI-X are
 * enabled with start + count vectors by the first call; later calls can
 * change or disable vectors within that range.
 *
 * Return: 0, or
 * EINVAL: @index out of range, @start + @count beyond the index's vectors
 * (or wrapping), no or several flags, UNMASK, MASK or UNMASK_EVENTFD
 * other than on INTx vector 0 (start 0, count 1), UNMASK_EVENTFD while
 * INTx is not enabled, or vectors beyond those enabled;
 * EBUSY: another interrupt type is enabled;
 * EBADF: an fd is not an eventfd;
 * EFAULT: @eventfds is not readable;
 * ENOMEM: out of memory;
 * ENOSPC: the host could not allocate the MSI or MSI-X vectors (out of
 * interrupt vectors, or of memory while allocating them);
 * EOPNOTSUPP: INTx on a device that cannot mask it;
 * EPERM: the device is not attached to an address space.
 * On any error the index's state is as before, except that a failure
 * while requesting interrupts disables the index.
 */
struct iopass_set_irqs {
	__u32 size;
	__u32 flags;
	__u32 index;
	__u32 start;
	__u32 count;
	__u32 __reserved;
	__aligned_u64 eventfds;
};

#define IOPASS_DEVICE_SET_IRQS _IO(IOPASS_TYPE, IOPASS_CMD_DEVICE_SET_IRQS)

/**
 * struct iopass_device_reset - ioctl(IOPASS_DEVICE_RESET)
 * @size: sizeof(struct iopass_device_reset)
 * @flags: must be 0
 *
 * Reset the function through the kernel's PCI reset path (FLR, PM, bus
 * reset, ...).  Mappings of its BARs are zapped; interrupts set up stay.
 *
 * Return: 0, or
 * EOPNOTSUPP: the device has no reset method (IOPASS_DEVICE_FLAGS_RESET is not
 * in device_flags);
 * EAGAIN: the device is busy (being bound or unbound); try again;
 * EBUSY: an SR-IOV physical function with virtual functions enabled: its
 * reset would reset them under their owners (disable them first);
 * EPERM: the device is not attached to an address space.
 */
struct iopass_device_reset {
	__u32 size;
	__u32 flags;
};

#define IOPASS_DEVICE_RESET _IO(IOPASS_TYPE, IOPASS_CMD_DEVICE_RESET)

/**
 * struct iopass_vf_token - ioctl(IOPASS_DEVICE_SET_VF_TOKEN), on the device
 *	fd of an SR-IOV physical function
 * @size: sizeof(struct iopass_vf_token)
 * @flags: must be 0
 * @vf_token: the new token: a UUID, 16 bytes in the order they are written
 *
 * Set the secret that the owners of this PF's virtual functions must
 * present to attach them (IOPASS_DEVICE_ATTACH with IOPASS_ATTACH_VF_TOKEN).
 * Until a PF owner sets one, the token is random and no VF can be attached.
 * It stays with the PF while it is bound to iopass, across owners, except
 * that a PF owner who attaches without it (while no VF is attached) makes
 * it random again.  VFs attached already keep running.  The VFs themselves
 * are created by the administrator, by writing the count to the PF's
 * sriov_numvfs in sysfs (iopassctl sriov), and bind to iopass-pci.
 *
 * Return: 0, or
 * ENOTTY: the device is not an SR-IOV physical function;
 * EPERM: the device is not attached to an address space.
 */
struct iopass_vf_token {
	__u32 size;
	__u32 flags;
	__u8 vf_token[16];
};

#define IOPASS_DEVICE_SET_VF_TOKEN _IO(IOPASS_TYPE, IOPASS_CMD_DEVICE_SET_VF_TOKEN)

#endif /* _UAPI_LINUX_IOPASS_H */
