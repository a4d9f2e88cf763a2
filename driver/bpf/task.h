/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * Reading process state out of the kernel: ids, credentials, memory sizes, the tty,
 * cgroups, fds, and file paths rebuilt from dentries. Field renames across kernel
 * versions go through the flavor structs below (CO-RE picks whichever exists at load),
 * so the probe builds against any vmlinux.h and loads on kernels either side of a rename.
 */
#ifndef SAKER_TASK_H
#define SAKER_TASK_H

#include "writer.h"
#include "kernel.h"

/* ---- flavors for renamed fields ---- */

struct inode___v6_11 { /* 6.11: split seconds and nanoseconds */
	__s64 i_mtime_sec;
	__s64 i_ctime_sec;
	__u32 i_mtime_nsec;
	__u32 i_ctime_nsec;
} __attribute__((preserve_access_index));

struct inode___v6_6 { /* 6.6-6.10: ctime hidden behind accessors */
	struct timespec64 __i_ctime;
	struct timespec64 __i_mtime;
} __attribute__((preserve_access_index));

struct inode___old { /* before 6.6 */
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct kernfs_node___v6_15 { /* 6.15 renamed parent to __parent */
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));

struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

struct mm_rss_stat___old { /* before 6.2: atomics in a struct of their own */
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

struct mm_struct___v6_2 { /* 6.2: per-CPU counters */
	struct percpu_counter rss_stat[4];
} __attribute__((preserve_access_index));

struct task_struct___audit {
	kuid_t loginuid;
} __attribute__((preserve_access_index));

/* ---- the current task ---- */

/* A pointer the verifier knows: its fields, and the structs they point to, are read with
 * plain loads (BPF_CORE_READ on it still works, at the cost of a helper call per hop). */
static __always_inline struct task_struct *current_task(void)
{
	return bpf_get_current_task_btf();
}

/* True for an ia32 syscall on x86_64: their numbers are not the native ones. */
static __always_inline bool in_compat_syscall(void)
{
	return current_task()->thread_info.status & K_TS_COMPAT;
}

/* Syscall argument i from the saved user registers (x86_64 syscall ABI). */
static __always_inline __u64 sys_arg(struct pt_regs *regs, int i)
{
	switch (i) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->r10;
	case 4: return regs->r8;
	default: return regs->r9;
	}
}

/* Kernel memory that the verifier knows only as a number (a pointer out of an array of
 * pointers, or one reached from such a pointer) is read through bpf_rdonly_cast (6.2):
 * the verifier types the result as an untrusted BTF pointer and turns each field load
 * into an inline load that reads 0 when the address faults, as a probe read would; the
 * cast itself becomes a register move. A bpf_probe_read_kernel is a helper call each. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

#define KCAST(type, p) ((type *)bpf_rdonly_cast((const void *)(p), bpf_core_type_id_kernel(type)))

/* The pointer stored at `addr`: read as the first member of a list_head. */
static __always_inline void *kload_ptr(const void *addr)
{
	return KCAST(struct list_head, addr)->next;
}

/* ---- ids ---- */

static __always_inline struct pid *task_pid_struct(struct task_struct *t, enum pid_type type)
{
	if (type == PIDTYPE_PID)
		return t->thread_pid;
	return t->signal->pids[type];
}

/* The id as the init namespace sees it (global) or as the task's own namespace sees it. */
static __always_inline __s64 pid_nr_global(struct pid *p)
{
	return p ? p->numbers[0].nr : 0;
}

/* The pid's entry for its own namespace level (a variable index: cast, not a field load). */
static __always_inline struct upid *pid_upid_local(struct pid *p)
{
	__u32 level = p->level;
	return KCAST(struct upid, &p->numbers[level & 31]);
}

static __always_inline __s64 pid_nr_local(struct pid *p)
{
	return p ? pid_upid_local(p)->nr : 0;
}

/* Monotonic start time of the init task of the task's pid namespace (clone param 21). */
static __always_inline __u64 pidns_init_start(struct task_struct *t)
{
	struct pid *p = task_pid_struct(t, PIDTYPE_TGID);
	if (!p)
		return 0;
	return pid_upid_local(p)->ns->child_reaper->start_time;
}

static __always_inline __u32 task_euid(struct task_struct *t)
{
	return t->cred->euid.val;
}

static __always_inline __u32 task_egid(struct task_struct *t)
{
	return t->cred->egid.val;
}

static __always_inline __u32 task_loginuid(struct task_struct *t)
{
	struct task_struct___audit *a = (void *)t;
	if (!bpf_core_field_exists(a->loginuid))
		return (__u32)-1;
	return a->loginuid.val;
}

/* Capabilities as PPM_CAP_* bits: the same bit numbers as the kernel's, up to CAP 40. */
static __always_inline __u64 caps_to_ppm(__u64 caps)
{
	return caps & ((1ULL << (K_CAP_LAST + 1)) - 1);
}

/* kernel_cap_t became one u64 in 6.3; before, two u32 words, low word first. On a
 * little-endian machine both are the same 8 bytes, so one read serves either layout. */
#define CAP_READER(name, field)                                          \
	static __always_inline __u64 name(struct task_struct *t)         \
	{                                                                \
		const struct cred *c = t->cred;                          \
		__u64 v = 0;                                             \
		bpf_core_read(&v, sizeof(v), &c->field);                 \
		return caps_to_ppm(v);                                   \
	}
CAP_READER(cap_inheritable, cap_inheritable)
CAP_READER(cap_permitted, cap_permitted)
CAP_READER(cap_effective, cap_effective)

/* ---- memory ---- */

static __always_inline __s64 mm_counter(struct mm_struct *mm, int i)
{
	if (bpf_core_type_exists(struct mm_rss_stat___old)) {
		struct mm_struct___old *old = (void *)mm;
		return old->rss_stat.count[i & 3].counter;
	}
	struct mm_struct___v6_2 *m = (void *)mm;
	return m->rss_stat[i & 3].count;
}

/* vm_size, vm_rss, vm_swap in KiB (pages << (PAGE_SHIFT - 10)). */
static __always_inline __u32 vm_size_kb(struct mm_struct *mm)
{
	return mm ? (__u32)(mm->total_vm << (K_PAGE_SHIFT - 10)) : 0;
}

static __always_inline __u32 vm_rss_kb(struct mm_struct *mm)
{
	if (!mm)
		return 0;
	__s64 pages = mm_counter(mm, K_MM_FILEPAGES) + mm_counter(mm, K_MM_ANONPAGES) +
		      mm_counter(mm, K_MM_SHMEMPAGES);
	return (__u32)(pages << (K_PAGE_SHIFT - 10));
}

static __always_inline __u32 vm_swap_kb(struct mm_struct *mm)
{
	return mm ? (__u32)(mm_counter(mm, K_MM_SWAPENTS) << (K_PAGE_SHIFT - 10)) : 0;
}

/* ---- tty ---- */

static __always_inline __u32 task_tty(struct task_struct *t)
{
	struct tty_struct *tty = t->signal->tty;
	if (!tty)
		return 0;
	int index = tty->index;
	int major = tty->driver->major;
	int minor_start = tty->driver->minor_start;
	return encode_dev(((__u32)major << 20) | (__u32)(minor_start + index));
}

/* ---- files ---- */

/* The file behind `fd` in the current task: BTF loads down to the fd array, one inline
 * load for the array slot. */
static __always_inline struct file *fd_file(__s64 fd)
{
	if (fd < 0)
		return 0;
	struct fdtable *fdt = current_task()->files->fdt;
	if (fd >= (__s64)fdt->max_fds) /* also when files or fdt is NULL: the loads give 0 */
		return 0;
	struct file **fds = fdt->fd;
	return KCAST(struct file, kload_ptr(&fds[fd & 0xffffff]));
}

/* 0, or PPM_OVERLAY_UPPER (1) / PPM_OVERLAY_LOWER (2) for dentry `d` of an overlayfs file
 * (the caller checked the magic). The upper dentry pointer follows the vfs inode inside
 * struct ovl_inode. */
static __always_inline int overlay_layer_of(struct dentry *d)
{
	struct inode *vfs_inode = d->d_inode;
	struct dentry *upper = KCAST(struct dentry, kload_ptr((char *)vfs_inode + bpf_core_type_size(struct inode)));
	if (upper && upper->d_inode->i_ino)
		return 1;
	return 2;
}

static __always_inline int overlay_layer(struct file *f)
{
	struct dentry *d = f->f_path.dentry;
	if (d->d_sb->s_magic != K_OVERLAYFS_SUPER_MAGIC)
		return 0;
	return overlay_layer_of(d);
}

struct file_id {
	__u32 dev;
	__u64 ino;
	int overlay;
	bool created;
};

/* dev, ino, FMODE_CREATED and the overlay layer of `f` (from fd_file). The super block is
 * the inode's: for a file the user opened it is the dentry's too, on overlayfs as elsewhere. */
static __always_inline void file_identity(struct file *f, struct file_id *out)
{
	if (!f)
		return;
	struct inode *i = f->f_inode;
	struct super_block *sb = i->i_sb;
	out->ino = i->i_ino;
	out->dev = encode_dev(sb->s_dev);
	out->created = f->f_mode & K_FMODE_CREATED;
	out->overlay = sb->s_magic == K_OVERLAYFS_SUPER_MAGIC ? overlay_layer_of(f->f_path.dentry) : 0;
}

static __always_inline void inode_times(struct inode *i, __u64 *ctime, __u64 *mtime)
{
	struct inode___v6_11 *n = (void *)i;
	struct inode___v6_6 *m = (void *)i;
	struct inode___old *o = (void *)i;
	__s64 cs, ms;
	__u64 cn, mn;
	/* probe reads in the older layouts: plain loads of two flavors in an if/else can be
	 * merged by clang into one load whose missing field's relocation then runs */
	if (bpf_core_field_exists(n->i_ctime_sec)) {
		cs = n->i_ctime_sec;
		cn = n->i_ctime_nsec;
		ms = n->i_mtime_sec;
		mn = n->i_mtime_nsec;
	} else if (bpf_core_field_exists(m->__i_ctime)) {
		cs = BPF_CORE_READ(m, __i_ctime.tv_sec);
		cn = BPF_CORE_READ(m, __i_ctime.tv_nsec);
		if (bpf_core_field_exists(m->__i_mtime)) {
			ms = BPF_CORE_READ(m, __i_mtime.tv_sec);
			mn = BPF_CORE_READ(m, __i_mtime.tv_nsec);
		} else {
			ms = BPF_CORE_READ(o, i_mtime.tv_sec);
			mn = BPF_CORE_READ(o, i_mtime.tv_nsec);
		}
	} else {
		cs = BPF_CORE_READ(o, i_ctime.tv_sec);
		cn = BPF_CORE_READ(o, i_ctime.tv_nsec);
		ms = BPF_CORE_READ(o, i_mtime.tv_sec);
		mn = BPF_CORE_READ(o, i_mtime.tv_nsec);
	}
	*ctime = cs < 0 ? 0 : (__u64)cs * 1000000000ULL + cn;
	*mtime = ms < 0 ? 0 : (__u64)ms * 1000000000ULL + mn;
}

/* ---- paths rebuilt from dentries ----
 *
 * tp_btf programs may not call bpf_d_path, so the path is walked up by hand, as d_path
 * does: name by name to the mount root, then across to the mount point in the parent
 * mount, until the global root. Names are written right to left into the temporary
 * half of the scratch buffer, then copied as one string into the event. Like Falco's
 * approximation: no locks (a concurrent rename can tear it), paths longer than
 * PATH_WALK_MAX components are cut at the top, and pseudo files keep their bare name. */
#define PATH_WALK_MAX 64
#define PATH_END (2 * SCRATCH_HALF - 1) /* where the NUL goes */

/* The walk's state lives in the scratch map value, not on the stack: the verifier then
 * sees each step's inputs as unknown values and checks the step once, where stack
 * state made it explore step after step (0.3 s of load time per call site, measured
 * on 6.18). */
struct path_walk {
	struct scratch *s;
};

static long path_walk_step(__u32 i, void *ctx)
{
	struct scratch *s = ((struct path_walk *)ctx)->s;
	struct dentry *d = KCAST(struct dentry, s->walk_dentry);
	__u64 mnt = s->walk_mnt;
	struct mount *up = KCAST(struct mount, s->walk_mnt_parent);
	__u64 root = s->walk_mnt_root;
	struct dentry *parent = d->d_parent;
	if ((__u64)d == root || d == parent) {
		if ((__u64)d != root || mnt == (__u64)up)
			return 1; /* the global root, or an unlinked tree */
		s->walk_dentry = (__u64)KCAST(struct mount, mnt)->mnt_mountpoint;
		s->walk_mnt = (__u64)up;
		s->walk_mnt_parent = (__u64)up->mnt_parent;
		s->walk_mnt_root = (__u64)up->mnt.mnt_root;
		return 0;
	}
	__u32 len = d->d_name.len;
	const unsigned char *name = d->d_name.name;
	__u32 off = s->walk_off;
	if (len == 0 || len > 255 || off < SCRATCH_HALF + len + 1 + 256 || off > PATH_END)
		return 1;
	off -= len;
	if (bpf_probe_read_kernel(&s->data[off & TMP_MASK], len & 0xff, name))
		return 1;
	off -= 1;
	s->data[off & TMP_MASK] = '/';
	s->walk_off = off;
	s->walk_dentry = (__u64)parent;
	return 0;
}

/* Appends the path of `path` (a struct path inside a kernel object) as a string param. */
static __always_inline void put_path(struct scratch *s, const struct path *path)
{
	struct path_walk w = { .s = s };
	struct vfsmount *vfsmnt = path->mnt;
	struct dentry *dentry = path->dentry;
	if (!dentry || !vfsmnt) {
		put_empty(s);
		return;
	}
	struct mount *mnt = KCAST(struct mount, container_of(vfsmnt, struct mount, mnt));
	struct mount *up = mnt->mnt_parent;
	struct dentry *root = vfsmnt->mnt_root;
	s->walk_dentry = (__u64)dentry;
	s->walk_mnt = (__u64)mnt;
	s->walk_mnt_parent = (__u64)up;
	s->walk_mnt_root = (__u64)root;
	s->walk_off = PATH_END;
	s->data[PATH_END & TMP_MASK] = 0;
	bpf_loop(PATH_WALK_MAX, path_walk_step, &w, 0);
	__u32 off = s->walk_off;
	if (off == PATH_END) {
		/* the root itself, or a pseudo file (pipe, socket, memfd): its own name */
		if (dentry == dentry->d_parent && dentry == root && mnt == up) {
			s->data[(PATH_END - 1) & TMP_MASK] = '/';
			off = PATH_END - 1;
		} else {
			put_str(s, dentry->d_name.name, MAX_PATH, false);
			return;
		}
	}
	put_str(s, &s->data[off & TMP_MASK], MAX_PATH, false);
}

static __always_inline void put_file_path(struct scratch *s, struct file *f)
{
	if (!f) {
		put_empty(s);
		return;
	}
	put_path(s, &f->f_path);
}

/* ---- cgroups: "subsys=/path" strings back to back (a PT_CHARBUFARRAY) ---- */

/* A function of its own: inlined, clang merges both flavors' loads into one load at a
 * selected offset, and the missing field's relocation (poisoned by libbpf) then runs. */
static __noinline struct kernfs_node *kn_parent_old(struct kernfs_node *kn)
{
	return ((struct kernfs_node___old *)kn)->parent;
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	struct kernfs_node___v6_15 *n = (void *)kn;
	if (bpf_core_field_exists(n->__parent))
		return n->__parent;
	return kn_parent_old(kn);
}

/* The last cgroup path written, so the next controller in the same cgroup copies it. */
struct cgroup_seen {
	struct cgroup *cg;
	__u64 pos;
	__u16 len;
};

/* The cgroup walks run in bpf_loop callbacks on state kept in the scratch map: the
 * verifier checks each step once, where the unrolled loops of five controllers took it
 * most of the probe's load time. */
struct cgroup_walk {
	struct scratch *s;
};

/* Step i up from the cgroup's kernfs node: its name, unless it is the hierarchy root
 * (whose name is ""). */
static long cgroup_name_step(__u32 i, void *ctx)
{
	struct scratch *s = ((struct cgroup_walk *)ctx)->s;
	struct kernfs_node *kn = KCAST(struct kernfs_node, s->cg_kn);
	if (!kn)
		return 1;
	struct kernfs_node *parent = kn_parent(kn);
	if (!parent)
		return 1;
	s->cg_names[i & (CGROUP_DEPTH - 1)] = (__u64)kn->name;
	s->cg_n = i + 1;
	s->cg_kn = (__u64)parent;
	return 0;
}

/* "/name" for the names found, the top one first. */
static long cgroup_write_step(__u32 i, void *ctx)
{
	struct scratch *s = ((struct cgroup_walk *)ctx)->s;
	__u32 j = s->cg_n - 1 - i;
	push_u8(s, '/');
	if (push_str(s, (const void *)s->cg_names[j & (CGROUP_DEPTH - 1)], 256, false))
		s->pos--; /* drop the NUL: the next '/' or the final NUL takes its place */
	return 0;
}

/* One "subsys=/path" string of task `t`: `prefix` is "subsys=" and `len` its length.
 * Under cgroup v2 every controller is in the same cgroup: its path is copied from the
 * previous controller's instead of walked again. */
static __always_inline __u16 push_cgroup(struct scratch *s, struct task_struct *t, int id, const char *prefix,
					 __u32 len, struct cgroup_seen *seen)
{
	struct cgroup_subsys_state *css = t->cgroups->subsys[id];
	if (!css)
		return 0;
	__builtin_memcpy(&s->data[s->pos & EVT_MASK], prefix, len);
	s->pos += len;
	__u16 total = len;
	struct cgroup *cg = css->cgroup;
	__u64 start = s->pos;
	if (cg && cg == seen->cg) {
		__u32 len = seen->len & (MAX_PATH * 2 - 1);
		if (len && !bpf_probe_read_kernel(&s->data[start & EVT_MASK], len, &s->data[seen->pos & EVT_MASK])) {
			s->pos += len;
			return total + len;
		}
	}
	struct cgroup_walk w = { .s = s };
	s->cg_kn = cg ? (__u64)cg->kn : 0;
	s->cg_n = 0;
	bpf_loop(CGROUP_DEPTH, cgroup_name_step, &w, 0);
	if (s->cg_n == 0)
		push_u8(s, '/');
	else
		bpf_loop(s->cg_n, cgroup_write_step, &w, 0);
	push_u8(s, 0);
	seen->cg = cg;
	seen->pos = start;
	seen->len = (__u16)(s->pos - start);
	return total + seen->len;
}

/* A controller's ss->name is the name in its enum constant (the kernel fills both from
 * one SUBSYS() list), so it is written as a constant rather than read: a helper call
 * less per controller. */
#define PUSH_CGROUP(ctl)                                                                     \
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, ctl##_cgrp_id))                  \
		total += push_cgroup(s, t, bpf_core_enum_value(enum cgroup_subsys_id, ctl##_cgrp_id), \
				     #ctl "=", sizeof(#ctl), &seen)

static __always_inline void put_cgroups(struct scratch *s, struct task_struct *t)
{
	struct cgroup_seen seen = {};
	__u16 total = 0;
	PUSH_CGROUP(cpuset);
	PUSH_CGROUP(cpu);
	PUSH_CGROUP(cpuacct);
	PUSH_CGROUP(io);
	PUSH_CGROUP(memory);
	put_len(s, total);
}

/* ---- exe, args and env ---- */

/* exe (argv[0]) and args (the rest, NUL separated) from the task's argument area. */
static __always_inline void put_exe_args_mm(struct scratch *s, struct task_struct *t)
{
	struct mm_struct *mm = t->mm;
	__u64 start = mm->arg_start;
	__u64 end = mm->arg_end;
	__u16 exe = put_str(s, (const void *)start, MAX_ARGS, true);
	__u64 rest = end > start + exe ? end - start - exe : 0;
	__u32 room = MAX_ARGS - (exe & (MAX_ARGS - 1));
	if (rest > room)
		rest = room;
	__u16 n = push_ubytes(s, start + exe, rest & (MAX_ARGS - 1));
	if (n)
		poke_prev(s, 0); /* a cut last argument still ends with a NUL */
	put_len(s, n);
}

static __always_inline void put_env_mm(struct scratch *s, struct task_struct *t)
{
	struct mm_struct *mm = t->mm;
	__u64 start = mm->env_start;
	__u64 end = mm->env_end;
	__u64 len = end > start ? end - start : 0;
	if (len > MAX_ARGS)
		len = MAX_ARGS;
	__u16 n = push_ubytes(s, start, len & (MAX_ARGS * 2 - 1));
	if (n)
		poke_prev(s, 0);
	put_len(s, n);
}

/* Strings of a user NULL-terminated pointer array (argv/envp of a failed execve),
 * starting at index `first`, at most `room` bytes. Returns the bytes written. */
static __always_inline __u16 push_str_array(struct scratch *s, __u64 array, int first, __u32 room)
{
	__u64 start = s->pos;
	__u32 total = 0;
	if (!array)
		return 0;

	for (int i = 0; i < MAX_ARGV; i++) {
		if (i < first)
			continue;
		__u64 p = 0;
		if (bpf_probe_read_user(&p, sizeof(p), (const void *)(array + i * 8)) || !p)
			break;
		total += push_str(s, (const void *)p, MAX_ARGS, true);
		if (total >= room) {
			total = room;
			break;
		}
	}
	s->pos = start + total;
	if (total)
		poke_prev(s, 0);
	return (__u16)total;
}

/* ---- execve flags param ---- */

static __always_inline bool exe_from_memfd(struct file *f)
{
	struct dentry *d = f->f_path.dentry;
	if (!d || d != d->d_parent)
		return false;
	char name[7] = {};
	if (bpf_probe_read_kernel_str(name, sizeof(name), d->d_name.name) != 7)
		return false;
	return name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' &&
	       name[5] == ':';
}

/* Whether the task could write its executable: a simplification of the kernel's
 * permission check (and of libs'): CAP_DAC_OVERRIDE, or the owner/group/other write bit
 * that applies to the task's fsuid/fsgid. Supplementary groups and idmapped mounts are
 * not consulted. */
static __always_inline bool exe_writable(struct task_struct *t, struct inode *i)
{
	if (!i)
		return false;
	if (cap_effective(t) & (1ULL << K_CAP_DAC_OVERRIDE))
		return true;
	__u32 mode = i->i_mode;
	const struct cred *c = t->cred;
	if (i->i_uid.val == c->fsuid.val)
		return mode & K_S_IWUSR;
	if (i->i_gid.val == c->fsgid.val)
		return mode & K_S_IWGRP;
	return mode & K_S_IWOTH;
}

static __always_inline __u32 exe_flags(struct task_struct *t, struct file *exe)
{
	if (!exe)
		return 0;
	__u32 flags = 0;
	if (exe_writable(t, exe->f_inode))
		flags |= PPM_EXE_WRITABLE;
	int layer = overlay_layer(exe);
	if (layer == 1)
		flags |= PPM_EXE_UPPER_LAYER;
	else if (layer == 2)
		flags |= PPM_EXE_LOWER_LAYER;
	if (exe_from_memfd(exe))
		flags |= PPM_EXE_FROM_MEMFD;
	return flags;
}

#endif /* SAKER_TASK_H */
