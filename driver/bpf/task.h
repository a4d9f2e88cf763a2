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

/* ---- ids ---- */

static __always_inline struct pid *task_pid_struct(struct task_struct *t, enum pid_type type)
{
	if (type == PIDTYPE_PID)
		return BPF_CORE_READ(t, thread_pid);
	return BPF_CORE_READ(t, signal, pids[type]);
}

/* The id as the init namespace sees it (global) or as the task's own namespace sees it. */
static __always_inline __s64 pid_nr_global(struct pid *p)
{
	return p ? BPF_CORE_READ(p, numbers[0].nr) : 0;
}

static __always_inline __s64 pid_nr_local(struct pid *p)
{
	if (!p)
		return 0;
	__u32 level = BPF_CORE_READ(p, level);
	return BPF_CORE_READ(p, numbers[level & 31].nr);
}

static __always_inline __u32 pidns_level(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, thread_pid);
	return p ? BPF_CORE_READ(p, level) : 0;
}

/* Monotonic start time of the init task of the task's pid namespace (clone param 21). */
static __always_inline __u64 pidns_init_start(struct task_struct *t)
{
	struct pid *p = task_pid_struct(t, PIDTYPE_TGID);
	if (!p)
		return 0;
	__u32 level = BPF_CORE_READ(p, level);
	struct pid_namespace *ns = BPF_CORE_READ(p, numbers[level & 31].ns);
	return BPF_CORE_READ(ns, child_reaper, start_time);
}

static __always_inline __u32 task_euid(struct task_struct *t)
{
	__u32 v = (__u32)-1;
	BPF_CORE_READ_INTO(&v, t, cred, euid.val);
	return v;
}

static __always_inline __u32 task_egid(struct task_struct *t)
{
	__u32 v = (__u32)-1;
	BPF_CORE_READ_INTO(&v, t, cred, egid.val);
	return v;
}

static __always_inline __u32 task_loginuid(struct task_struct *t)
{
	struct task_struct___audit *a = (void *)t;
	if (!bpf_core_field_exists(a->loginuid))
		return (__u32)-1;
	return BPF_CORE_READ(a, loginuid.val);
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
		const struct cred *c = BPF_CORE_READ(t, cred);           \
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
		return BPF_CORE_READ(old, rss_stat.count[i & 3].counter);
	}
	struct mm_struct___v6_2 *m = (void *)mm;
	return BPF_CORE_READ(m, rss_stat[i & 3].count);
}

/* vm_size, vm_rss, vm_swap in KiB (pages << (PAGE_SHIFT - 10)). */
static __always_inline __u32 vm_size_kb(struct mm_struct *mm)
{
	return mm ? (__u32)(BPF_CORE_READ(mm, total_vm) << (K_PAGE_SHIFT - 10)) : 0;
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
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	if (!tty)
		return 0;
	int index = BPF_CORE_READ(tty, index);
	int major = BPF_CORE_READ(tty, driver, major);
	int minor_start = BPF_CORE_READ(tty, driver, minor_start);
	return encode_dev(((__u32)major << 20) | (__u32)(minor_start + index));
}

/* ---- files ---- */

/* The file behind `fd` in the current task. The walk to the fd array is made of BTF
 * loads (no helper calls); the array slot takes one probe read, as the verifier types a
 * pointer to pointers as a plain number. */
static __always_inline struct file *fd_file(__s64 fd)
{
	if (fd < 0)
		return 0;
	struct fdtable *fdt = current_task()->files->fdt;
	if (fd >= (__s64)fdt->max_fds) /* also when files or fdt is NULL: the loads give 0 */
		return 0;
	struct file **fds = fdt->fd;
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xffffff]);
	return f;
}

/* Neighbouring fields of one kernel struct in a single probe read: each helper call costs
 * more than copying a few dozen bytes, and the open family reads seven fields per event.
 * The offsets are CO-RE relocated, so a span follows the running kernel's layout; a span
 * longer than SPAN_MAX fails and the caller reads field by field. */
#define SPAN_MAX 128

struct span {
	__u8 b[SPAN_MAX];
	__u32 lo;
};

static __always_inline __u32 min_u32(__u32 a, __u32 b) { return a < b ? a : b; }
static __always_inline __u32 max_u32(__u32 a, __u32 b) { return a > b ? a : b; }

#define FIELD_END(type, field) \
	((__u32)bpf_core_field_offset(type, field) + (__u32)bpf_core_field_size(type, field))

static __always_inline bool span_read(struct span *sp, const void *obj, __u32 lo, __u32 hi)
{
	lo &= ~7u; /* fields keep their natural alignment inside the span (SPAN_GET masks) */
	__u32 len = hi - lo;
	if (!obj || len == 0 || len > SPAN_MAX)
		return false;
	sp->lo = lo;
	return bpf_probe_read_kernel(sp->b, len, (const char *)obj + lo) == 0;
}

#define SPAN_GET(sp, vtype, type, field) \
	(*(vtype *)&(sp)->b[((__u32)bpf_core_field_offset(type, field) - (sp)->lo) & (SPAN_MAX - sizeof(vtype))])

/* 0, or PPM_OVERLAY_UPPER (1) / PPM_OVERLAY_LOWER (2) for dentry `d` of an overlayfs file
 * (the caller checked the magic). The upper dentry pointer follows the vfs inode inside
 * struct ovl_inode. */
static __always_inline int overlay_layer_of(struct dentry *d)
{
	char *vfs_inode = (char *)BPF_CORE_READ(d, d_inode);
	struct dentry *upper = 0;
	bpf_probe_read_kernel(&upper, sizeof(upper), vfs_inode + bpf_core_type_size(struct inode));
	if (upper && BPF_CORE_READ(upper, d_inode, i_ino))
		return 1;
	return 2;
}

static __always_inline int overlay_layer(struct file *f)
{
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	if (BPF_CORE_READ(d, d_sb, s_magic) != K_OVERLAYFS_SUPER_MAGIC)
		return 0;
	return overlay_layer_of(d);
}

struct file_id {
	__u32 dev;
	__u64 ino;
	int overlay;
	bool created;
};

/* dev, ino, FMODE_CREATED and the overlay layer of `f`, in three probe reads (file, inode,
 * super block) where the fields fit their spans. The super block is the inode's: for a
 * file the user opened it is the dentry's too, on overlayfs as elsewhere. */
static __always_inline void file_identity(struct file *f, struct file_id *out)
{
	if (!f)
		return;
	struct span sp;
	struct inode *i;
	struct dentry *d;
	__u32 mode;
	__u32 lo = min_u32(min_u32(bpf_core_field_offset(struct file, f_mode), bpf_core_field_offset(struct file, f_inode)),
			   bpf_core_field_offset(struct file, f_path.dentry));
	__u32 hi = max_u32(max_u32(FIELD_END(struct file, f_mode), FIELD_END(struct file, f_inode)),
			   FIELD_END(struct file, f_path.dentry));
	if (span_read(&sp, f, lo, hi)) {
		i = SPAN_GET(&sp, struct inode *, struct file, f_inode);
		d = SPAN_GET(&sp, struct dentry *, struct file, f_path.dentry);
		mode = SPAN_GET(&sp, __u32, struct file, f_mode);
	} else {
		i = BPF_CORE_READ(f, f_inode);
		d = BPF_CORE_READ(f, f_path.dentry);
		mode = BPF_CORE_READ(f, f_mode);
	}
	struct super_block *sb;
	lo = min_u32(bpf_core_field_offset(struct inode, i_sb), bpf_core_field_offset(struct inode, i_ino));
	hi = max_u32(FIELD_END(struct inode, i_sb), FIELD_END(struct inode, i_ino));
	if (span_read(&sp, i, lo, hi)) {
		sb = SPAN_GET(&sp, struct super_block *, struct inode, i_sb);
		out->ino = SPAN_GET(&sp, __u64, struct inode, i_ino);
	} else {
		sb = BPF_CORE_READ(i, i_sb);
		out->ino = BPF_CORE_READ(i, i_ino);
	}
	__u32 dev, magic;
	lo = min_u32(bpf_core_field_offset(struct super_block, s_dev), bpf_core_field_offset(struct super_block, s_magic));
	hi = max_u32(FIELD_END(struct super_block, s_dev), FIELD_END(struct super_block, s_magic));
	if (span_read(&sp, sb, lo, hi)) {
		dev = SPAN_GET(&sp, __u32, struct super_block, s_dev);
		magic = (__u32)SPAN_GET(&sp, __u64, struct super_block, s_magic);
	} else {
		dev = BPF_CORE_READ(sb, s_dev);
		magic = (__u32)BPF_CORE_READ(sb, s_magic);
	}
	out->dev = encode_dev(dev);
	out->created = mode & K_FMODE_CREATED;
	out->overlay = magic == K_OVERLAYFS_SUPER_MAGIC ? overlay_layer_of(d) : 0;
}

static __always_inline void inode_times(struct inode *i, __u64 *ctime, __u64 *mtime)
{
	struct inode___v6_11 *n = (void *)i;
	struct inode___v6_6 *m = (void *)i;
	struct inode___old *o = (void *)i;
	__s64 cs, ms;
	__u64 cn, mn;
	if (bpf_core_field_exists(n->i_ctime_sec)) {
		cs = BPF_CORE_READ(n, i_ctime_sec);
		cn = BPF_CORE_READ(n, i_ctime_nsec);
		ms = BPF_CORE_READ(n, i_mtime_sec);
		mn = BPF_CORE_READ(n, i_mtime_nsec);
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
	/* locals, not s->field, inside BPF_CORE_READ: it would relocate struct scratch */
	struct dentry *d = (struct dentry *)s->walk_dentry;
	struct mount *mnt = (struct mount *)s->walk_mnt;
	struct mount *up = (struct mount *)s->walk_mnt_parent;
	struct dentry *root = (struct dentry *)s->walk_mnt_root;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == root || d == parent) {
		if (d != root || mnt == up)
			return 1; /* the global root, or an unlinked tree */
		s->walk_dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		s->walk_mnt = (__u64)up;
		s->walk_mnt_parent = (__u64)BPF_CORE_READ(up, mnt_parent);
		s->walk_mnt_root = (__u64)BPF_CORE_READ(up, mnt.mnt_root);
		return 0;
	}
	__u32 len = BPF_CORE_READ(d, d_name.len);
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
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
	struct vfsmount *vfsmnt = BPF_CORE_READ(path, mnt);
	struct dentry *dentry = BPF_CORE_READ(path, dentry);
	if (!dentry || !vfsmnt) {
		put_empty(s);
		return;
	}
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
	struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
	struct dentry *root = BPF_CORE_READ(vfsmnt, mnt_root);
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
		if (dentry == BPF_CORE_READ(dentry, d_parent) && dentry == root && mnt == up) {
			s->data[(PATH_END - 1) & TMP_MASK] = '/';
			off = PATH_END - 1;
		} else {
			put_str(s, BPF_CORE_READ(dentry, d_name.name), MAX_PATH, false);
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

static __always_inline void put_cwd(struct scratch *s, struct task_struct *t)
{
	struct fs_struct *fs = BPF_CORE_READ(t, fs);
	if (!fs) {
		put_empty(s);
		return;
	}
	put_path(s, &fs->pwd);
}

/* ---- cgroups: "subsys=/path" strings back to back (a PT_CHARBUFARRAY) ---- */

#define CGROUP_DEPTH 8

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	struct kernfs_node___v6_15 *n = (void *)kn;
	if (bpf_core_field_exists(n->__parent))
		return n->__parent;
	struct kernfs_node___old *o = (void *)kn;
	return o->parent;
}

/* The last cgroup path written, so the next controller in the same cgroup copies it. */
struct cgroup_seen {
	struct cgroup *cg;
	__u64 pos;
	__u16 len;
};

/* One "subsys=/path" string of task `t` (a BTF pointer: the walk is made of plain loads;
 * the name pointers take probe reads, as the verifier lets no helper read through a
 * `char *` loaded that way). Under cgroup v2 every controller is in the same
 * cgroup: its path is copied from the previous controller's instead of walked again. */
static __always_inline __u16 push_cgroup(struct scratch *s, struct task_struct *t, int id, struct cgroup_seen *seen)
{
	struct cgroup_subsys_state *css = t->cgroups->subsys[id];
	__u16 total = push_str(s, BPF_CORE_READ(css->ss, name), 64, false);
	if (!total)
		return 0;
	poke_prev(s, '=');
	struct cgroup *cg = css->cgroup;
	__u64 start = s->pos;
	if (cg && cg == seen->cg) {
		__u32 len = seen->len & (MAX_PATH * 2 - 1);
		if (len && !bpf_probe_read_kernel(&s->data[start & EVT_MASK], len, &s->data[seen->pos & EVT_MASK])) {
			s->pos += len;
			return total + len;
		}
	}
	struct kernfs_node *kn = cg ? cg->kn : 0;
	const char *names[CGROUP_DEPTH] = {};
	int n = 0;

	for (int i = 0; i < CGROUP_DEPTH; i++) {
		if (!kn)
			break;
		struct kernfs_node *parent = kn_parent(kn);
		if (!parent)
			break; /* the hierarchy root: its name is "" */
		names[i] = BPF_CORE_READ(kn, name);
		n = i + 1;
		kn = parent;
	}
	if (n == 0) {
		push_u8(s, '/');
		push_u8(s, 0);
	} else {
		for (int i = CGROUP_DEPTH - 1; i >= 0; i--) {
			if (i < n) {
				push_u8(s, '/');
				if (push_str(s, names[i], 256, false))
					s->pos--; /* drop the NUL: the next '/' or the final NUL takes its place */
			}
		}
		push_u8(s, 0);
	}
	seen->cg = cg;
	seen->pos = start;
	seen->len = (__u16)(s->pos - start);
	return total + seen->len;
}

static __always_inline void put_cgroups(struct scratch *s, struct task_struct *t)
{
	struct cgroup_seen seen = {};
	__u16 total = 0;
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuset_cgrp_id))
		total += push_cgroup(s, t, bpf_core_enum_value(enum cgroup_subsys_id, cpuset_cgrp_id), &seen);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id))
		total += push_cgroup(s, t, bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id), &seen);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuacct_cgrp_id))
		total += push_cgroup(s, t, bpf_core_enum_value(enum cgroup_subsys_id, cpuacct_cgrp_id), &seen);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, io_cgrp_id))
		total += push_cgroup(s, t, bpf_core_enum_value(enum cgroup_subsys_id, io_cgrp_id), &seen);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		total += push_cgroup(s, t, bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id), &seen);
	put_len(s, total);
}

/* ---- exe, args and env ---- */

/* exe (argv[0]) and args (the rest, NUL separated) from the task's argument area. */
static __always_inline void put_exe_args_mm(struct scratch *s, struct task_struct *t)
{
	__u64 start = BPF_CORE_READ(t, mm, arg_start);
	__u64 end = BPF_CORE_READ(t, mm, arg_end);
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
	__u64 start = BPF_CORE_READ(t, mm, env_start);
	__u64 end = BPF_CORE_READ(t, mm, env_end);
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
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	if (!d || d != BPF_CORE_READ(d, d_parent))
		return false;
	char name[7] = {};
	if (bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name)) != 7)
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
	__u32 mode = BPF_CORE_READ(i, i_mode);
	__u32 fsuid = BPF_CORE_READ(t, cred, fsuid.val);
	__u32 fsgid = BPF_CORE_READ(t, cred, fsgid.val);
	if (BPF_CORE_READ(i, i_uid.val) == fsuid)
		return mode & K_S_IWUSR;
	if (BPF_CORE_READ(i, i_gid.val) == fsgid)
		return mode & K_S_IWGRP;
	return mode & K_S_IWOTH;
}

static __always_inline __u32 exe_flags(struct task_struct *t, struct file *exe)
{
	if (!exe)
		return 0;
	__u32 flags = 0;
	if (exe_writable(t, BPF_CORE_READ(exe, f_inode)))
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
