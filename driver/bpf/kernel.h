/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * Linux x86_64 constants the probe needs (UAPI and a few internal ones; vmlinux.h
 * carries types and enums but no #defines), and their conversion to the scap values of
 * ppm.h. Every constant has a K_ prefix so it never collides with a vmlinux.h enum.
 *
 * Conversions follow libs' driver/ppm_flag_helpers.h bit for bit, quirks included
 * (noted where they look surprising), because Falco's outputs are the reference.
 */
#ifndef SAKER_KERNEL_H
#define SAKER_KERNEL_H

#include "ppm.h"

/* fcntl.h */
#define K_O_ACCMODE 00000003
#define K_O_WRONLY 00000001
#define K_O_RDWR 00000002
#define K_O_CREAT 00000100
#define K_O_EXCL 00000200
#define K_O_TRUNC 00001000
#define K_O_APPEND 00002000
#define K_O_NONBLOCK 00004000
#define K_O_DSYNC 00010000
#define K_O_DIRECT 00040000
#define K_O_LARGEFILE 00100000
#define K_O_DIRECTORY 00200000
#define K_O_CLOEXEC 02000000
#define K_O_SYNC (04000000 | K_O_DSYNC)
#define K_O_TMPFILE (020000000 | K_O_DIRECTORY)
#define K_AT_FDCWD -100
#define K_AT_SYMLINK_NOFOLLOW 0x100
#define K_AT_REMOVEDIR 0x200
#define K_AT_SYMLINK_FOLLOW 0x400
#define K_AT_EMPTY_PATH 0x1000

/* sched.h */
#define K_CLONE_VM 0x00000100
#define K_CLONE_FS 0x00000200
#define K_CLONE_FILES 0x00000400
#define K_CLONE_SIGHAND 0x00000800
#define K_CLONE_PTRACE 0x00002000
#define K_CLONE_VFORK 0x00004000
#define K_CLONE_PARENT 0x00008000
#define K_CLONE_THREAD 0x00010000
#define K_CLONE_NEWNS 0x00020000
#define K_CLONE_SYSVSEM 0x00040000
#define K_CLONE_SETTLS 0x00080000
#define K_CLONE_PARENT_SETTID 0x00100000
#define K_CLONE_CHILD_CLEARTID 0x00200000
#define K_CLONE_UNTRACED 0x00800000
#define K_CLONE_CHILD_SETTID 0x01000000
#define K_CLONE_NEWCGROUP 0x02000000
#define K_CLONE_NEWUTS 0x04000000
#define K_CLONE_NEWIPC 0x08000000
#define K_CLONE_NEWUSER 0x10000000
#define K_CLONE_NEWPID 0x20000000
#define K_CLONE_NEWNET 0x40000000
#define K_CLONE_IO 0x80000000

/* socket.h, in.h */
#define K_AF_UNIX 1
#define K_AF_INET 2
#define K_AF_INET6 10
#define K_SOCKADDR_MAX 128 /* sizeof(struct sockaddr_storage) */
#define K_SOL_SOCKET 1
#define K_SOL_TCP 6
#define K_SO_ERROR 4
#define K_SO_LINGER 13
#define K_SO_PEERCRED 17
#define K_SO_RCVTIMEO_OLD 20
#define K_SO_SNDTIMEO_OLD 21
#define K_SO_ATTACH_FILTER 26
#define K_SO_PEERNAME 28
#define K_SO_ATTACH_BPF 50
#define K_SO_MEMINFO 55
#define K_SO_COOKIE 57
#define K_SO_PEERGROUPS 59
#define K_SO_RCVTIMEO_NEW 66
#define K_SO_SNDTIMEO_NEW 67
#define K_UNIX_PATH_MAX 108

/* stat.h, fs.h (FMODE_CREATED is internal but has not moved since 4.19) */
#define K_S_IFMT 00170000
#define K_S_IFSOCK 0140000
#define K_S_IFDIR 0040000
#define K_S_IWUSR 00200
#define K_S_IWGRP 00020
#define K_S_IWOTH 00002
#define K_FMODE_CREATED 0x100000
#define K_OVERLAYFS_SUPER_MAGIC 0x794c7630

/* sched.h, thread_info.h, capability.h, resource.h */
#define K_PF_EXITING 0x00000004
#define K_PF_KTHREAD 0x00200000
#define K_TS_COMPAT 0x0002
#define K_CAP_DAC_OVERRIDE 1
#define K_CAP_LAST 40 /* CAP_CHECKPOINT_RESTORE: PPM_CAP_* stop there */
#define K_RLIMIT_NOFILE 7
#define K_RLIMIT_RTTIME 15
#define K_MM_FILEPAGES 0
#define K_MM_ANONPAGES 1
#define K_MM_SWAPENTS 2
#define K_MM_SHMEMPAGES 3
#define K_PAGE_SHIFT 12

/* ptrace.h (x86_64) */
#define K_PTRACE_TRACEME 0
#define K_PTRACE_PEEKTEXT 1
#define K_PTRACE_PEEKDATA 2
#define K_PTRACE_PEEKUSR 3
#define K_PTRACE_POKETEXT 4
#define K_PTRACE_POKEDATA 5
#define K_PTRACE_POKEUSR 6
#define K_PTRACE_CONT 7
#define K_PTRACE_KILL 8
#define K_PTRACE_SINGLESTEP 9
#define K_PTRACE_GETREGS 12
#define K_PTRACE_SETREGS 13
#define K_PTRACE_GETFPREGS 14
#define K_PTRACE_SETFPREGS 15
#define K_PTRACE_ATTACH 16
#define K_PTRACE_DETACH 17
#define K_PTRACE_GETFPXREGS 18
#define K_PTRACE_SETFPXREGS 19
#define K_PTRACE_OLDSETOPTIONS 21
#define K_PTRACE_SYSCALL 24
#define K_PTRACE_GET_THREAD_AREA 25
#define K_PTRACE_SET_THREAD_AREA 26
#define K_PTRACE_ARCH_PRCTL 30
#define K_PTRACE_SYSEMU 31
#define K_PTRACE_SYSEMU_SINGLESTEP 32
#define K_PTRACE_SINGLEBLOCK 33
#define K_PTRACE_SETOPTIONS 0x4200
#define K_PTRACE_GETEVENTMSG 0x4201
#define K_PTRACE_GETSIGINFO 0x4202
#define K_PTRACE_SETSIGINFO 0x4203
#define K_PTRACE_GETREGSET 0x4204
#define K_PTRACE_SETREGSET 0x4205
#define K_PTRACE_SEIZE 0x4206
#define K_PTRACE_INTERRUPT 0x4207
#define K_PTRACE_LISTEN 0x4208
#define K_PTRACE_PEEKSIGINFO 0x4209
#define K_PTRACE_GETSIGMASK 0x420a
#define K_PTRACE_SETSIGMASK 0x420b

/*
 * libs tests `flags & O_SYNC` and `flags & O_TMPFILE` with the composite kernel values, so
 * O_DSYNC alone also reports PPM_O_SYNC and O_DIRECTORY alone also reports PPM_O_TMPFILE
 * (and a mode): kept, so Saker's fd.flags match Falco's.
 */
static __always_inline __u32 open_flags_to_ppm(__u32 flags)
{
	__u32 res;
	switch (flags & K_O_ACCMODE) {
	case K_O_WRONLY:
		res = PPM_O_WRONLY;
		break;
	case K_O_RDWR:
		res = PPM_O_RDWR;
		break;
	default:
		res = PPM_O_RDONLY;
	}
	if (flags & K_O_CREAT)
		res |= PPM_O_CREAT;
	if (flags & K_O_TMPFILE)
		res |= PPM_O_TMPFILE;
	if (flags & K_O_APPEND)
		res |= PPM_O_APPEND;
	if (flags & K_O_DSYNC)
		res |= PPM_O_DSYNC;
	if (flags & K_O_EXCL)
		res |= PPM_O_EXCL;
	if (flags & K_O_NONBLOCK)
		res |= PPM_O_NONBLOCK;
	if (flags & K_O_SYNC)
		res |= PPM_O_SYNC;
	if (flags & K_O_TRUNC)
		res |= PPM_O_TRUNC;
	if (flags & K_O_DIRECT)
		res |= PPM_O_DIRECT;
	if (flags & K_O_DIRECTORY)
		res |= PPM_O_DIRECTORY;
	if (flags & K_O_LARGEFILE)
		res |= PPM_O_LARGEFILE;
	if (flags & K_O_CLOEXEC)
		res |= PPM_O_CLOEXEC;
	return res;
}

/* PPM_S_* use the kernel's permission bits unchanged; a mode counts only when the open
 * can create (O_CREAT or O_TMPFILE, composite value as above). */
static __always_inline __u32 open_mode_to_ppm(__u64 flags, __u64 mode)
{
	return (flags & (K_O_CREAT | K_O_TMPFILE)) ? (__u32)(mode & 07777) : 0;
}

static __always_inline __u32 chmod_mode_to_ppm(__u64 mode)
{
	return (__u32)(mode & 07777);
}

static __always_inline __u32 resolve_to_ppm(__u64 r)
{
	__u32 res = 0;
	if (r & 0x01)
		res |= PPM_RESOLVE_NO_XDEV;
	if (r & 0x02)
		res |= PPM_RESOLVE_NO_MAGICLINKS;
	if (r & 0x04)
		res |= PPM_RESOLVE_NO_SYMLINKS;
	if (r & 0x08)
		res |= PPM_RESOLVE_BENEATH;
	if (r & 0x10)
		res |= PPM_RESOLVE_IN_ROOT;
	if (r & 0x20)
		res |= PPM_RESOLVE_CACHED;
	return res;
}

static __always_inline __u32 clone_flags_to_ppm(__u64 f)
{
	__u32 res = 0;
	if (f & K_CLONE_FILES)
		res |= PPM_CL_CLONE_FILES;
	if (f & K_CLONE_FS)
		res |= PPM_CL_CLONE_FS;
	if (f & K_CLONE_IO)
		res |= PPM_CL_CLONE_IO;
	if (f & K_CLONE_NEWIPC)
		res |= PPM_CL_CLONE_NEWIPC;
	if (f & K_CLONE_NEWNET)
		res |= PPM_CL_CLONE_NEWNET;
	if (f & K_CLONE_NEWNS)
		res |= PPM_CL_CLONE_NEWNS;
	if (f & K_CLONE_NEWPID)
		res |= PPM_CL_CLONE_NEWPID;
	if (f & K_CLONE_NEWUTS)
		res |= PPM_CL_CLONE_NEWUTS;
	if (f & K_CLONE_PARENT_SETTID)
		res |= PPM_CL_CLONE_PARENT_SETTID;
	if (f & K_CLONE_PARENT)
		res |= PPM_CL_CLONE_PARENT;
	if (f & K_CLONE_PTRACE)
		res |= PPM_CL_CLONE_PTRACE;
	if (f & K_CLONE_SIGHAND)
		res |= PPM_CL_CLONE_SIGHAND;
	if (f & K_CLONE_SYSVSEM)
		res |= PPM_CL_CLONE_SYSVSEM;
	if (f & K_CLONE_THREAD)
		res |= PPM_CL_CLONE_THREAD;
	if (f & K_CLONE_UNTRACED)
		res |= PPM_CL_CLONE_UNTRACED;
	if (f & K_CLONE_VM)
		res |= PPM_CL_CLONE_VM;
	if (f & K_CLONE_NEWUSER)
		res |= PPM_CL_CLONE_NEWUSER;
	if (f & K_CLONE_CHILD_CLEARTID)
		res |= PPM_CL_CLONE_CHILD_CLEARTID;
	if (f & K_CLONE_CHILD_SETTID)
		res |= PPM_CL_CLONE_CHILD_SETTID;
	if (f & K_CLONE_SETTLS)
		res |= PPM_CL_CLONE_SETTLS;
	if (f & K_CLONE_VFORK)
		res |= PPM_CL_CLONE_VFORK;
	if (f & K_CLONE_NEWCGROUP)
		res |= PPM_CL_CLONE_NEWCGROUP;
	return res;
}

/* accept4, socket type, dup3 and pipe2 flags: SOCK_NONBLOCK/SOCK_CLOEXEC are O_NONBLOCK/O_CLOEXEC. */
static __always_inline __u32 sock_flags_to_ppm(__u64 f)
{
	__u32 res = 0;
	if (f & K_O_NONBLOCK)
		res |= PPM_O_NONBLOCK;
	if (f & K_O_CLOEXEC)
		res |= PPM_O_CLOEXEC;
	return res;
}

static __always_inline __u32 pipe2_flags_to_ppm(__s32 f)
{
	if (f < 0)
		return 0;
	__u32 res = sock_flags_to_ppm(f);
	if (f & K_O_DIRECT)
		res |= PPM_O_DIRECT;
	return res;
}

/* PPM_AF_* equal AF_* for the families libs names (0-39 except 27, 28); others are
 * reported as PPM_AF_UNSPEC as libs does. */
static __always_inline __u8 family_to_ppm(__u16 family)
{
	if (family <= 39 && family != 27 && family != 28)
		return (__u8)family;
	return PPM_AF_UNSPEC;
}

static __always_inline __u8 fcntl_cmd_to_ppm(__u64 cmd)
{
	switch (cmd) {
	case 0: return PPM_FCNTL_F_DUPFD;
	case 1: return PPM_FCNTL_F_GETFD;
	case 2: return PPM_FCNTL_F_SETFD;
	case 3: return PPM_FCNTL_F_GETFL;
	case 4: return PPM_FCNTL_F_SETFL;
	case 5: return PPM_FCNTL_F_GETLK;
	case 6: return PPM_FCNTL_F_SETLK;
	case 7: return PPM_FCNTL_F_SETLKW;
	case 8: return PPM_FCNTL_F_SETOWN;
	case 9: return PPM_FCNTL_F_GETOWN;
	case 10: return PPM_FCNTL_F_SETSIG;
	case 11: return PPM_FCNTL_F_GETSIG;
	case 15: return PPM_FCNTL_F_SETOWN_EX;
	case 16: return PPM_FCNTL_F_GETOWN_EX;
	case 36: return PPM_FCNTL_F_OFD_GETLK;
	case 37: return PPM_FCNTL_F_OFD_SETLK;
	case 38: return PPM_FCNTL_F_OFD_SETLKW;
	case 1024: return PPM_FCNTL_F_SETLEASE;
	case 1025: return PPM_FCNTL_F_GETLEASE;
	case 1026: return PPM_FCNTL_F_NOTIFY;
	case 1029: return PPM_FCNTL_F_CANCELLK;
	case 1030: return PPM_FCNTL_F_DUPFD_CLOEXEC;
	case 1031: return PPM_FCNTL_F_SETPIPE_SZ;
	case 1032: return PPM_FCNTL_F_GETPIPE_SZ;
	default: return PPM_FCNTL_UNKNOWN;
	}
}

static __always_inline __u16 ptrace_req_to_ppm(__u64 req)
{
	switch (req) {
	case K_PTRACE_TRACEME: return PPM_PTRACE_TRACEME;
	case K_PTRACE_PEEKTEXT: return PPM_PTRACE_PEEKTEXT;
	case K_PTRACE_PEEKDATA: return PPM_PTRACE_PEEKDATA;
	case K_PTRACE_PEEKUSR: return PPM_PTRACE_PEEKUSR;
	case K_PTRACE_POKETEXT: return PPM_PTRACE_POKETEXT;
	case K_PTRACE_POKEDATA: return PPM_PTRACE_POKEDATA;
	case K_PTRACE_POKEUSR: return PPM_PTRACE_POKEUSR;
	case K_PTRACE_CONT: return PPM_PTRACE_CONT;
	case K_PTRACE_KILL: return PPM_PTRACE_KILL;
	case K_PTRACE_SINGLESTEP: return PPM_PTRACE_SINGLESTEP;
	case K_PTRACE_GETREGS: return PPM_PTRACE_GETREGS;
	case K_PTRACE_SETREGS: return PPM_PTRACE_SETREGS;
	case K_PTRACE_GETFPREGS: return PPM_PTRACE_GETFPREGS;
	case K_PTRACE_SETFPREGS: return PPM_PTRACE_SETFPREGS;
	case K_PTRACE_ATTACH: return PPM_PTRACE_ATTACH;
	case K_PTRACE_DETACH: return PPM_PTRACE_DETACH;
	case K_PTRACE_GETFPXREGS: return PPM_PTRACE_GETFPXREGS;
	case K_PTRACE_SETFPXREGS: return PPM_PTRACE_SETFPXREGS;
	case K_PTRACE_OLDSETOPTIONS: return PPM_PTRACE_OLDSETOPTIONS;
	case K_PTRACE_SYSCALL: return PPM_PTRACE_SYSCALL;
	case K_PTRACE_GET_THREAD_AREA: return PPM_PTRACE_GET_THREAD_AREA;
	case K_PTRACE_SET_THREAD_AREA: return PPM_PTRACE_SET_THREAD_AREA;
	case K_PTRACE_ARCH_PRCTL: return PPM_PTRACE_ARCH_PRCTL;
	case K_PTRACE_SYSEMU: return PPM_PTRACE_SYSEMU;
	case K_PTRACE_SYSEMU_SINGLESTEP: return PPM_PTRACE_SYSEMU_SINGLESTEP;
	case K_PTRACE_SINGLEBLOCK: return PPM_PTRACE_SINGLEBLOCK;
	case K_PTRACE_SETOPTIONS: return PPM_PTRACE_SETOPTIONS;
	case K_PTRACE_GETEVENTMSG: return PPM_PTRACE_GETEVENTMSG;
	case K_PTRACE_GETSIGINFO: return PPM_PTRACE_GETSIGINFO;
	case K_PTRACE_SETSIGINFO: return PPM_PTRACE_SETSIGINFO;
	case K_PTRACE_GETREGSET: return PPM_PTRACE_GETREGSET;
	case K_PTRACE_SETREGSET: return PPM_PTRACE_SETREGSET;
	case K_PTRACE_SEIZE: return PPM_PTRACE_SEIZE;
	case K_PTRACE_INTERRUPT: return PPM_PTRACE_INTERRUPT;
	case K_PTRACE_LISTEN: return PPM_PTRACE_LISTEN;
	case K_PTRACE_PEEKSIGINFO: return PPM_PTRACE_PEEKSIGINFO;
	case K_PTRACE_GETSIGMASK: return PPM_PTRACE_GETSIGMASK;
	case K_PTRACE_SETSIGMASK: return PPM_PTRACE_SETSIGMASK;
	default: return PPM_PTRACE_UNKNOWN;
	}
}

/* io_uring_params.flags as libs' modern probe converts them: IORING_SETUP_IOPOLL and
 * _SQPOLL keep bits 0-1, SQ_AFF.._R_DISABLED (bits 2-6) move up one to PPM bits 3-7, and
 * bit 0 also sets PPM_IORING_SQ_NEED_WAKEUP (IORING_SQ_NEED_WAKEUP is 1 << 0 too). */
static __always_inline __u32 io_uring_setup_flags_to_ppm(__u32 f)
{
	__u32 r = (f & 3) | ((f & 0x7c) << 1);
	if (f & 1)
		r |= PPM_IORING_SQ_NEED_WAKEUP;
	return r;
}

/* io_uring_params.features: PPM_IORING_FEAT_* are the kernel's bits 0-10, except that
 * libs' modern probe never sets ENTER_EXT_ARG (bit 8: it tests a macro its build lacks). */
static __always_inline __u32 io_uring_feats_to_ppm(__u32 f)
{
	return f & 0x6ff;
}

/* The dev_t encoding user space sees (new_encode_dev): minor's low byte, major, minor's rest. */
static __always_inline __u32 encode_dev(__u32 dev)
{
	__u32 major = dev >> 20, minor = dev & 0xfffff;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

#endif /* SAKER_KERNEL_H */
