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

#endif /* _UAPI_LINUX_IOPASS_H */
