// SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0
/*
 * Saker's syscall probe. Programs on BTF raw tracepoints:
 *
 *   sys_exit            one lookup in `selection`; unselected syscalls return there (and
 *                       failed ones, with drop_failed_exit). A selected syscall tail-calls
 *                       its filler in `exit_calls` (indexed by native number; openat and
 *                       close are filled in place), or writes a GENERIC_X event when it has
 *                       no event type of its own.
 *   sys_enter           attached only when enter events are wanted: the open family and
 *                       connect, whose user-memory arguments can change between the kernel's
 *                       read and the exit event's (TOCTOU); same lookup first.
 *   sched_process_exec  the exit event of a successful execve/execveat (EXECVE_19_X), sent
 *                       once the new image is in place (the sys_exit fillers send failures).
 *   sched_process_fork  the child's exit event of clone/fork/vfork/clone3, sent from the
 *                       parent before the child first runs (the fillers send the parent's).
 *   sched_process_exit  PROCEXIT_1_E.
 *
 * Events are exit events carrying every param, in the scap layout, as libs 0.25's modern
 * probe sends them; see writer.h for how they are written.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <asm/unistd_64.h>

#include "shared.h"
#include "ppm.h"
#include "kernel.h"
#include "writer.h"
#include "task.h"
#include "net.h"

/* The kernel lets only GPL-compatible programs call the tracing helpers this probe
 * needs (bpf_probe_read_*, bpf_loop...): the probe is dual licensed for that. */
char LICENSE[] SEC("license") = "GPL";

#define K_EINPROGRESS 115

#define SYS_EXIT(name) \
	SEC("tp_btf/sys_exit") int BPF_PROG(name, struct pt_regs *regs, long ret)
#define SYS_ENTER(name) \
	SEC("tp_btf/sys_enter") int BPF_PROG(name, struct pt_regs *regs, long id)

/* Second halves of events too large for one program. A tail call may only go to a
 * program on the same hook (the kernel checks the attach target since 6.x), hence one
 * table per hook. BPF_PROG(name, ...) defines `int name(unsigned long long *ctx)`. */
int sx_execve_2(unsigned long long *ctx);
int sx_execveat_2(unsigned long long *ctx);
int sx_clone_2(unsigned long long *ctx);
int sched_exec_2(unsigned long long *ctx);
int sched_fork_2(unsigned long long *ctx);

enum { XT_EXECVE_2, XT_EXECVEAT_2, XT_CLONE_2, XT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, XT_MAX);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} exit_more SEC(".maps") = {
	.values = {
		[XT_EXECVE_2] = (void *)&sx_execve_2,
		[XT_EXECVEAT_2] = (void *)&sx_execveat_2,
		[XT_CLONE_2] = (void *)&sx_clone_2,
	},
};

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} exec_more SEC(".maps") = {
	.values = { [0] = (void *)&sched_exec_2 },
};

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} fork_more SEC(".maps") = {
	.values = { [0] = (void *)&sched_fork_2 },
};

static __always_inline __s64 arg_fd(struct pt_regs *regs, int i)
{
	return (__s64)(__s32)sys_arg(regs, i);
}

/* =============================== files =============================== */

/* flags param of the open family: PPM_O_* (`f`) plus created and overlay-layer bits. */
static __always_inline __u32 ppm_open_flags_param(__u32 f, struct file_id *id)
{
	if (id->created)
		f |= PPM_O_F_CREATED;
	if (id->overlay == 1)
		f |= PPM_FD_UPPER_LAYER;
	else if (id->overlay == 2)
		f |= PPM_FD_LOWER_LAYER;
	return f;
}

static __always_inline __u32 open_flags_param(__u64 flags, struct file_id *id)
{
	return ppm_open_flags_param(open_flags_to_ppm(flags), id);
}

static __always_inline void new_fd_identity(long ret, struct file_id *id)
{
	if (ret >= 0)
		file_identity(fd_file(ret), id);
}

SYS_EXIT(sx_open)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_OPEN_X, 6);
	if (!s)
		return 0;
	struct file_id id = {};
	__u64 flags = sys_arg(regs, 1);
	new_fd_identity(ret, &id);
	put_s64(s, ret);
	put_ustr(s, sys_arg(regs, 0));
	put_u32(s, open_flags_param(flags, &id));
	put_u32(s, open_mode_to_ppm(flags, sys_arg(regs, 2)));
	put_u32(s, id.dev);
	put_u64(s, id.ino);
	evt_submit(s);
	return 0;
}

/* =============================== quiet opens =============================== */

/* Keys user space found no rule can depend on (see struct saker_quiet_key in shared.h); LRU,
 * so a host that opens ever new paths only forgets old ones (user space puts a key back when
 * its events come again). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct saker_quiet_key);
	__type(value, __u8);
} quiet_opens SEC(".maps");

/* Set by user space before load: quiet opens are used at all (see src/sources/live/run.ts). */
const volatile bool quiet_enabled = false;

static __always_inline void count_quiet(void)
{
	struct saker_counters *c = counters_get();
	if (c)
		c->quiet++;
}

static __always_inline bool same_key(const struct saker_quiet_key *a, const struct saker_quiet_key *b)
{
	const __u64 *x = (const void *)a, *y = (const void *)b;
	__u64 d = 0;
	for (int i = 0; i < sizeof(*a) / 8; i++)
		d |= x[i] ^ y[i];
	return !d;
}

/* Whether `key` is in quiet_opens. The keys found there last on this CPU are compared first:
 * a map lookup hashes the whole key (~70 ns under bpf_stats), a comparison is a few loads.
 * A key stays quiet for the whole run (the rules do not change), so the copies never go stale. */
static __always_inline bool quiet_key(struct scratch *s, const struct saker_quiet_key *key)
{
	for (int i = 0; i < QUIET_HITS; i++)
		if (same_key(&s->quiet_hits[i], key))
			return true;
	if (!bpf_map_lookup_elem(&quiet_opens, key))
		return false;
	s->quiet_hits[s->quiet_hit_next++ & (QUIET_HITS - 1)] = *key;
	return true;
}

/* Processes a thread of which was renamed since the exec (prctl PR_SET_NAME, a write to
 * /proc/<tid>/comm): its comm is no longer the proc.name user space knows (libs reads it at
 * exec and clone), so the process's opens are not quiet until its next exec. Task storage
 * of the group leader, made only for such processes (a rename is rare; reading it where
 * there is none is a pointer test). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} quiet_renamed SEC(".maps");

/* The rename mark of `t`'s process, or null; `flags` as bpf_task_storage_get takes them. */
static __always_inline __u32 *renamed_mark(struct task_struct *t, __u64 flags)
{
	return bpf_task_storage_get(&quiet_renamed, t->group_leader, 0, flags);
}

static __always_inline bool renamed_since_exec(struct task_struct *t)
{
	__u32 *r = renamed_mark(t, 0);
	return r && *r;
}

static __always_inline void mark_renamed(struct task_struct *t)
{
	__u32 *r = renamed_mark(t, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (r)
		*r = 1;
}

/* The quiet fds of a process: what its held-back openat would have said, kept until the fd
 * is closed (then the close is held back too) or used (then that openat is sent first, so
 * that the state has the fd's entry before any event that names the fd). Kept per process,
 * as the fd table is shared by the process's threads, and copied to a forked child. An
 * entry is checked against the fd table (the struct file) before it is used, so an fd
 * number freed without a close Saker saw (dup2 onto it, exec, close_range) is forgotten. */
struct quiet_fd {
	__u64 file; /* the struct file; 0: a free entry */
	__s32 fd;
	__u32 mode; /* the mode param */
	__u32 len;  /* the path's, with its NUL */
	struct saker_quiet_key key;
};

struct quiet_proc {
	__u64 owner;    /* the tgid of the process using this slot; 0: a free slot */
	__u32 renamed;  /* its quiet_renamed mark (above), read when it took the slot */
	__u32 wanted;   /* another process found the slot taken */
	struct quiet_fd fds[QUIET_PER_PROC];
};

/* Slot tgid % QUIET_SLOTS belongs to one process at a time: taken at its first quiet open
 * (or its fork from a process holding one), given back when its last thread exits, or as
 * soon as it holds no quiet fd once another process wanted it. Most processes hold quiet fds
 * only for moments (the loader's ld.so.cache and libraries), so few slots are taken at once;
 * a process whose slot is taken just has its opens sent. An array, not a hash keyed by tgid
 * or task storage: its lookup is a few instructions, where a hash lookup made each openat
 * and close ~40 ns slower (2M open+close pairs: 1.25x -> 1.30-1.35x), and making and freeing
 * task storage cost ~2 us per process (bpf_stats, a fork+exec loop). */
#define QUIET_SLOTS 4096 /* a power of two */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, QUIET_SLOTS);
	__type(key, __u32);
	__type(value, struct quiet_proc);
} quiet_procs SEC(".maps");

/* The quiet fds of `t`'s process, or null; with `create`, its slot is taken when free. */
static __always_inline struct quiet_proc *quiet_proc_of(struct task_struct *t, bool create)
{
	__u64 tgid = (__u32)t->tgid;
	__u32 slot = tgid & (QUIET_SLOTS - 1);
	struct quiet_proc *q = bpf_map_lookup_elem(&quiet_procs, &slot);
	if (!q)
		return 0;
	if (q->owner == tgid)
		return q;
	if (!create)
		return 0;
	if (__sync_val_compare_and_swap(&q->owner, 0, tgid) != 0) {
		q->wanted = 1;
		return 0;
	}
	/* what the last owner held: it gives the slot back without clearing it */
	for (int i = 0; i < QUIET_PER_PROC; i++)
		q->fds[i].file = 0;
	q->wanted = 0;
	q->renamed = renamed_since_exec(t);
	return q;
}

/* Gives `q` back when another process wants it and nothing in it is needed any more
 * (`force`: at the owner's exit, whatever it holds). */
static __always_inline void quiet_release(struct quiet_proc *q, bool force)
{
	if (!force) {
		if (!q->wanted)
			return;
		for (int i = 0; i < QUIET_PER_PROC; i++)
			if (q->fds[i].file)
				return;
	}
	__sync_lock_test_and_set(&q->owner, 0);
}

/* The entry of `fd` in `q`, or null. */
static __always_inline struct quiet_fd *quiet_entry(struct quiet_proc *q, long fd)
{
	for (int i = 0; i < QUIET_PER_PROC; i++)
		if (q->fds[i].file && q->fds[i].fd == fd)
			return &q->fds[i];
	return 0;
}

/* Frees the entry of `fd` in `q`; true when there was one. */
static __always_inline bool quiet_forget(struct quiet_proc *q, long fd)
{
	struct quiet_fd *e = quiet_entry(q, fd);
	if (e)
		e->file = 0;
	return e;
}

/* Where quiet_open builds the key: the start of the scratch's temporaries half. */
static __always_inline struct saker_quiet_key *scratch_key(struct scratch *s)
{
	return (void *)&s->data[SCRATCH_HALF];
}

/* True when this openat's event is held back: the current process opened `fd` (>= 0) with
 * `ppm_flags` from `name`, that is a key in quiet_opens, the file is not a directory (a
 * directory fd may be the dirfd of later opens or an fchdir's target, which the state must
 * resolve), and the process has a free entry. The key is built at scratch_key(s); `*len`
 * gets the path's length with its NUL when it fit there (then the key holds it, for the
 * event), else 0. */
static __always_inline bool quiet_open(struct scratch *s, long fd, __u32 ppm_flags, __u32 mode, __u64 name, long *len)
{
	struct saker_quiet_key *key = scratch_key(s);
	__u64 *words = (__u64 *)key;
	for (int i = 0; i < sizeof(*key) / 8; i++)
		words[i] = 0;
	key->flags = ppm_flags;
	long n = bpf_probe_read_user_str(key->path, SAKER_QUIET_PATH, (const void *)name);
	/* n == SAKER_QUIET_PATH: maybe cut short, so never a key */
	bool fits = n > 1 && n < SAKER_QUIET_PATH;
	*len = fits ? n : 0;
	struct task_struct *t = current_task();
	__builtin_memcpy(key->comm, t->comm, SAKER_QUIET_COMM);
	struct file *f = 0;
	if (fits && key->path[0] == '/' && quiet_key(s, key)) {
		f = fd_file(fd);
		if (f && (f->f_inode->i_mode & K_S_IFMT) == K_S_IFDIR)
			f = 0;
	}
	struct quiet_proc *q = quiet_proc_of(t, f != 0);
	if (!q)
		return false;
	if (q->renamed)
		f = 0;
	/* the fd number is this file's now, whatever an entry said */
	quiet_forget(q, fd);
	if (!f) {
		quiet_release(q, false);
		return false;
	}
	for (int j = 0; j < QUIET_PER_PROC; j++) {
		if (!q->fds[j].file) {
			struct quiet_fd *e = &q->fds[j];
			e->file = (__u64)f;
			e->fd = fd;
			e->mode = mode;
			e->len = n;
			e->key = *key;
			return true;
		}
	}
	return false;
}

/* True when the current process's `fd` was a held-back openat: its close is held back too. */
static __always_inline bool quiet_close(long fd)
{
	if (fd < 0)
		return false;
	struct quiet_proc *q = quiet_proc_of(current_task(), false);
	if (!q || !quiet_forget(q, fd))
		return false;
	quiet_release(q, false);
	return true;
}

/* The openat exit that quiet fd `e` (the file `f`) held back, sent now that an event names
 * the fd: the state gets its entry first, as if it had been sent then (with this time). */
static __always_inline void send_quiet_open(struct quiet_fd *e, struct file *f)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_OPENAT_2_X, 7);
	if (!s)
		return;
	struct file_id id = {};
	file_identity(f, &id);
	put_s64(s, e->fd);
	put_s64(s, -100); /* AT_FDCWD: the path is absolute */
	put_quiet_path(s, e->key.path, e->len);
	put_u32(s, ppm_open_flags_param(e->key.flags, &id));
	put_u32(s, e->mode);
	put_u32(s, id.dev);
	put_u64(s, id.ino);
	evt_submit(s);
}

/* Bits of fd_args: which args of a syscall name an fd or a dirfd, and whether it returns a new fd. */
#define FD_ARG(i) (1 << (i))
#define FD_RET (1 << 7)

/* The syscalls with a filler that name fds (close and openat's own fd are handled apart). */
static const __u8 fd_args[SAKER_SYSCALLS] = {
	[__NR_read] = FD_ARG(0), [__NR_write] = FD_ARG(0), [__NR_openat] = FD_ARG(0), [__NR_openat2] = FD_ARG(0) | FD_RET,
	[__NR_open] = FD_RET, [__NR_creat] = FD_RET, [__NR_open_by_handle_at] = FD_ARG(0) | FD_RET,
	[__NR_unlinkat] = FD_ARG(0), [__NR_mkdirat] = FD_ARG(0), [__NR_renameat] = FD_ARG(0) | FD_ARG(2),
	[__NR_renameat2] = FD_ARG(0) | FD_ARG(2), [__NR_linkat] = FD_ARG(0) | FD_ARG(2), [__NR_symlinkat] = FD_ARG(1),
	[__NR_fchmod] = FD_ARG(0), [__NR_fchmodat] = FD_ARG(0), [__NR_fchown] = FD_ARG(0), [__NR_fchownat] = FD_ARG(0),
	[__NR_fchdir] = FD_ARG(0), [__NR_dup] = FD_ARG(0) | FD_RET, [__NR_dup2] = FD_ARG(0) | FD_ARG(1) | FD_RET,
	[__NR_dup3] = FD_ARG(0) | FD_ARG(1) | FD_RET, [__NR_fcntl] = FD_ARG(0) | FD_RET, [__NR_memfd_create] = FD_RET,
	[__NR_socket] = FD_RET, [__NR_bind] = FD_ARG(0), [__NR_connect] = FD_ARG(0), [__NR_listen] = FD_ARG(0),
	[__NR_accept] = FD_ARG(0) | FD_RET, [__NR_accept4] = FD_ARG(0) | FD_RET, [__NR_sendto] = FD_ARG(0),
	[__NR_recvfrom] = FD_ARG(0), [__NR_sendmsg] = FD_ARG(0), [__NR_recvmsg] = FD_ARG(0), [__NR_getsockopt] = FD_ARG(0),
	[__NR_sendmmsg] = FD_ARG(0), [__NR_recvmmsg] = FD_ARG(0), [__NR_shutdown] = FD_ARG(0),
	[__NR_finit_module] = FD_ARG(0), [__NR_epoll_create] = FD_RET, [__NR_epoll_create1] = FD_RET,
	[__NR_eventfd] = FD_RET, [__NR_eventfd2] = FD_RET, [__NR_inotify_init] = FD_RET, [__NR_inotify_init1] = FD_RET,
	[__NR_signalfd] = FD_ARG(0) | FD_RET, [__NR_signalfd4] = FD_ARG(0) | FD_RET, [__NR_timerfd_create] = FD_RET,
	[__NR_userfaultfd] = FD_RET, [__NR_pidfd_open] = FD_RET, [__NR_pidfd_getfd] = FD_RET,
	[__NR_io_uring_setup] = FD_RET, [__NR_execveat] = FD_ARG(0),
};

/* Before the event of a syscall that names fds (`mask`, from fd_args): the held-back openat of
 * each quiet fd it names is sent, and the fd is an ordinary one from then on; a new fd it
 * returns is not quiet. An entry whose fd no longer holds its file is dropped unsent. */
static __always_inline void quiet_uses(struct pt_regs *regs, long ret, __u8 mask)
{
	struct quiet_proc *q = 0;
	/* the args, then the new fd (i == 6) */
	for (int i = 0; i < 7; i++) {
		long fd = i < 6 ? (mask & FD_ARG(i) ? arg_fd(regs, i) : -1) : (mask & FD_RET ? ret : -1);
		if (fd < 0)
			continue;
		if (!q)
			q = quiet_proc_of(current_task(), false);
		if (!q)
			return;
		struct quiet_fd *e = quiet_entry(q, fd);
		if (!e)
			continue;
		struct file *f = i < 6 ? fd_file(fd) : 0;
		if (f && (__u64)f == e->file)
			send_quiet_open(e, f);
		e->file = 0;
	}
	if (q)
		quiet_release(q, false);
}

/* openat and close are also filled inline by sys_exit (see there). */
static __always_inline int openat_exit(struct pt_regs *regs, long ret)
{
	__u64 flags = sys_arg(regs, 2);
	__u64 name = sys_arg(regs, 1);
	long len = 0;
	if (quiet_enabled && ret >= 0) {
		struct scratch *q = evt_continue();
		if (!q)
			return 0;
		if (quiet_open(q, ret, open_flags_to_ppm(flags), open_mode_to_ppm(flags, sys_arg(regs, 3)), name, &len)) {
			count_quiet();
			return 0;
		}
	}
	struct scratch *s = evt_begin(PPME_SYSCALL_OPENAT_2_X, 7);
	if (!s)
		return 0;
	struct file_id id = {};
	new_fd_identity(ret, &id);
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0)); /* AT_FDCWD and PPM_AT_FDCWD are both -100 */
	if (len)
		put_quiet_path(s, scratch_key(s)->path, len);
	else
		put_ustr(s, name);
	put_u32(s, open_flags_param(flags, &id));
	put_u32(s, open_mode_to_ppm(flags, sys_arg(regs, 3)));
	put_u32(s, id.dev);
	put_u64(s, id.ino);
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_openat) { return openat_exit(regs, ret); }

SYS_EXIT(sx_openat2)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_OPENAT2_X, 8);
	if (!s)
		return 0;
	struct file_id id = {};
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (const void *)sys_arg(regs, 2));
	new_fd_identity(ret, &id);
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_ustr(s, sys_arg(regs, 1));
	put_u32(s, open_flags_param(how.flags, &id));
	put_u32(s, open_mode_to_ppm(how.flags, how.mode));
	put_u32(s, resolve_to_ppm(how.resolve));
	put_u32(s, id.dev);
	put_u64(s, id.ino);
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_creat)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_CREAT_X, 6);
	if (!s)
		return 0;
	struct file_id id = {};
	new_fd_identity(ret, &id);
	put_s64(s, ret);
	put_ustr(s, sys_arg(regs, 0));
	put_u32(s, open_mode_to_ppm(K_O_CREAT, sys_arg(regs, 1)));
	put_u32(s, id.dev);
	put_u64(s, id.ino);
	put_u16(s, id.overlay == 1 ? PPM_FD_UPPER_LAYER_CREAT : id.overlay == 2 ? PPM_FD_LOWER_LAYER_CREAT : 0);
	evt_submit(s);
	return 0;
}

/* Like openat, but the path is the opened file's own (there is no path argument). */
SYS_EXIT(sx_open_by_handle_at)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_OPEN_BY_HANDLE_AT_X, 6);
	if (!s)
		return 0;
	struct file_id id = {};
	struct file *f = ret > 0 ? fd_file(ret) : 0;
	file_identity(f, &id);
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0)); /* AT_FDCWD and PPM_AT_FDCWD are both -100 */
	put_u32(s, open_flags_param(sys_arg(regs, 2), &id));
	if (f)
		put_file_path(s, f);
	else
		put_empty(s);
	put_u32(s, id.dev);
	put_u64(s, id.ino);
	evt_submit(s);
	return 0;
}

static __always_inline int close_exit(struct pt_regs *regs, long ret)
{
	if (quiet_enabled && quiet_close(arg_fd(regs, 0))) {
		count_quiet();
		return 0;
	}
	struct scratch *s = evt_begin(PPME_SYSCALL_CLOSE_X, 2);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_close) { return close_exit(regs, ret); }

/* read/write data: the first MAX_DATA bytes of what was transferred (Falco's snaplen). */
static __always_inline __u32 data_len(long ret, __u64 size)
{
	__u64 n = ret > 0 ? (__u64)ret : 0;
	return n > MAX_DATA ? MAX_DATA : (__u32)n;
}

SYS_EXIT(sx_read)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_READ_X, 4);
	if (!s)
		return 0;
	__u64 size = sys_arg(regs, 2);
	put_s64(s, ret);
	put_ubytes(s, sys_arg(regs, 1), data_len(ret, size));
	put_s64(s, arg_fd(regs, 0));
	put_u32(s, (__u32)size);
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_write)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_WRITE_X, 4);
	if (!s)
		return 0;
	__u64 size = sys_arg(regs, 2);
	/* a failed write still shows what it tried to write, as libs does */
	long n = ret > 0 ? ret : (long)size;
	put_s64(s, ret);
	put_ubytes(s, sys_arg(regs, 1), data_len(n, size));
	put_s64(s, arg_fd(regs, 0));
	put_u32(s, (__u32)size);
	evt_submit(s);
	return 0;
}

/* res + path (unlink, rmdir, chdir, chroot). */
static __always_inline int res_path(__u16 type, struct pt_regs *regs, long ret)
{
	struct scratch *s = evt_begin(type, 2);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_ustr(s, sys_arg(regs, 0));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_unlink) { return res_path(PPME_SYSCALL_UNLINK_2_X, regs, ret); }
SYS_EXIT(sx_rmdir) { return res_path(PPME_SYSCALL_RMDIR_2_X, regs, ret); }
SYS_EXIT(sx_chdir) { return res_path(PPME_SYSCALL_CHDIR_X, regs, ret); }
SYS_EXIT(sx_chroot) { return res_path(PPME_SYSCALL_CHROOT_X, regs, ret); }

/* res + two paths (rename, link, symlink). */
static __always_inline int res_path2(__u16 type, struct pt_regs *regs, long ret)
{
	struct scratch *s = evt_begin(type, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_ustr(s, sys_arg(regs, 0));
	put_ustr(s, sys_arg(regs, 1));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_rename) { return res_path2(PPME_SYSCALL_RENAME_X, regs, ret); }
SYS_EXIT(sx_link) { return res_path2(PPME_SYSCALL_LINK_2_X, regs, ret); }
SYS_EXIT(sx_symlink) { return res_path2(PPME_SYSCALL_SYMLINK_X, regs, ret); }

SYS_EXIT(sx_unlinkat)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_UNLINKAT_2_X, 4);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_ustr(s, sys_arg(regs, 1));
	put_u32(s, sys_arg(regs, 2) & K_AT_REMOVEDIR); /* PPM_AT_REMOVEDIR == AT_REMOVEDIR */
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_mkdir)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_MKDIR_2_X, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_ustr(s, sys_arg(regs, 0));
	put_u32(s, (__u32)sys_arg(regs, 1));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_mkdirat)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_MKDIRAT_X, 4);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_ustr(s, sys_arg(regs, 1));
	put_u32(s, (__u32)sys_arg(regs, 2));
	evt_submit(s);
	return 0;
}

/* res, olddirfd, oldpath, newdirfd, newpath [, flags] (renameat, renameat2, linkat). */
static __always_inline int at_pair(__u16 type, __u32 nparams, struct pt_regs *regs, long ret, __u32 flags)
{
	struct scratch *s = evt_begin(type, nparams);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_ustr(s, sys_arg(regs, 1));
	put_s64(s, arg_fd(regs, 2));
	put_ustr(s, sys_arg(regs, 3));
	if (nparams == 6)
		put_u32(s, flags);
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_renameat) { return at_pair(PPME_SYSCALL_RENAMEAT_X, 5, regs, ret, 0); }
/* libs passes renameat2 flags through unconverted */
SYS_EXIT(sx_renameat2) { return at_pair(PPME_SYSCALL_RENAMEAT2_X, 6, regs, ret, (__u32)sys_arg(regs, 4)); }
SYS_EXIT(sx_linkat)
{
	/* PPM_AT_SYMLINK_FOLLOW and PPM_AT_EMPTY_PATH equal the kernel's */
	return at_pair(PPME_SYSCALL_LINKAT_2_X, 6, regs, ret,
		       (__u32)sys_arg(regs, 4) & (K_AT_SYMLINK_FOLLOW | K_AT_EMPTY_PATH));
}

SYS_EXIT(sx_symlinkat)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_SYMLINKAT_X, 4);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_ustr(s, sys_arg(regs, 0));
	put_s64(s, arg_fd(regs, 1));
	put_ustr(s, sys_arg(regs, 2));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_chmod)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_CHMOD_X, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_ustr(s, sys_arg(regs, 0));
	put_u32(s, chmod_mode_to_ppm(sys_arg(regs, 1)));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_fchmod)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_FCHMOD_X, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_u32(s, chmod_mode_to_ppm(sys_arg(regs, 1)));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_fchmodat)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_FCHMODAT_X, 4);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_ustr(s, sys_arg(regs, 1));
	put_u32(s, chmod_mode_to_ppm(sys_arg(regs, 2)));
	evt_submit(s);
	return 0;
}

/* chown and lchown: res, path, uid, gid. */
static __always_inline int chown_path(__u16 type, struct pt_regs *regs, long ret)
{
	struct scratch *s = evt_begin(type, 4);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_ustr(s, sys_arg(regs, 0));
	put_u32(s, (__u32)sys_arg(regs, 1));
	put_u32(s, (__u32)sys_arg(regs, 2));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_chown) { return chown_path(PPME_SYSCALL_CHOWN_X, regs, ret); }
SYS_EXIT(sx_lchown) { return chown_path(PPME_SYSCALL_LCHOWN_X, regs, ret); }

SYS_EXIT(sx_fchown)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_FCHOWN_X, 4);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_u32(s, (__u32)sys_arg(regs, 1));
	put_u32(s, (__u32)sys_arg(regs, 2));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_fchownat)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_FCHOWNAT_X, 6);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_ustr(s, sys_arg(regs, 1));
	put_u32(s, (__u32)sys_arg(regs, 2));
	put_u32(s, (__u32)sys_arg(regs, 3));
	/* libs reports AT_SYMLINK_FOLLOW and AT_EMPTY_PATH, with the kernel's values */
	put_u32(s, (__u32)sys_arg(regs, 4) & (K_AT_SYMLINK_FOLLOW | K_AT_EMPTY_PATH));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_fchdir)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_FCHDIR_X, 2);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_mount)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_MOUNT_X, 5);
	if (!s)
		return 0;
	__u32 flags = (__u32)sys_arg(regs, 3);
	if ((flags & PPM_MS_MGC_MSK) == PPM_MS_MGC_VAL)
		flags &= ~PPM_MS_MGC_MSK;
	put_s64(s, ret);
	put_ustr(s, sys_arg(regs, 0));
	put_ustr(s, sys_arg(regs, 1));
	put_ustr(s, sys_arg(regs, 2));
	put_u32(s, flags); /* PPM_MS_* equal the kernel's MS_* */
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_umount2)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_UMOUNT2_X, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_ustr(s, sys_arg(regs, 0));
	/* MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW keep their bits in PPM_MNT_* */
	put_u32(s, (__u32)sys_arg(regs, 1) & 0xf);
	evt_submit(s);
	return 0;
}

/* =============================== fds =============================== */

SYS_EXIT(sx_dup)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_DUP_1_X, 2);
	if (!s)
		return 0;
	put_s64(s, (__s32)ret);
	put_s64(s, arg_fd(regs, 0));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_dup2)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_DUP2_X, 3);
	if (!s)
		return 0;
	put_s64(s, (__s32)ret);
	put_s64(s, arg_fd(regs, 0));
	put_s64(s, arg_fd(regs, 1));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_dup3)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_DUP3_X, 4);
	if (!s)
		return 0;
	put_s64(s, (__s32)ret);
	put_s64(s, arg_fd(regs, 0));
	put_s64(s, arg_fd(regs, 1));
	put_u32(s, sys_arg(regs, 2) & K_O_CLOEXEC ? PPM_O_CLOEXEC : 0);
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_fcntl)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_FCNTL_X, 4);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_u8(s, fcntl_cmd_to_ppm((__u32)sys_arg(regs, 1)));
	put_u64(s, sys_arg(regs, 2));
	evt_submit(s);
	return 0;
}

static __always_inline int pipe_common(__u16 type, __u32 nparams, struct pt_regs *regs, long ret)
{
	struct scratch *s = evt_begin(type, nparams);
	if (!s)
		return 0;
	__s32 fds[2] = { -1, -1 };
	if (bpf_probe_read_user(fds, sizeof(fds), (const void *)sys_arg(regs, 0))) {
		fds[0] = -1;
		fds[1] = -1;
	}
	struct file_id id = {};
	if (ret == 0)
		file_identity(fd_file(fds[0]), &id);
	put_s64(s, ret);
	put_s64(s, fds[0]);
	put_s64(s, fds[1]);
	put_u64(s, id.ino);
	if (nparams == 5)
		put_u32(s, pipe2_flags_to_ppm((__s32)sys_arg(regs, 1)));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_pipe) { return pipe_common(PPME_SYSCALL_PIPE_X, 4, regs, ret); }
SYS_EXIT(sx_pipe2) { return pipe_common(PPME_SYSCALL_PIPE2_X, 5, regs, ret); }

SYS_EXIT(sx_memfd_create)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_MEMFD_CREATE_X, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_ustr(s, sys_arg(regs, 0));
	/* MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB keep their bits in PPM_MFD_* */
	put_u32(s, (__u32)sys_arg(regs, 1) & 7);
	evt_submit(s);
	return 0;
}

/* The ring's sizes, flags and features from struct io_uring_params (the kernel writes
 * back sq_entries, cq_entries and features); zeros when it cannot be read. */
SYS_EXIT(sx_io_uring_setup)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_IO_URING_SETUP_X, 8);
	if (!s)
		return 0;
	/* the uapi struct's first six u32: sq_entries, cq_entries, flags, sq_thread_cpu,
	 * sq_thread_idle, features */
	__u32 p[6] = {};
	bpf_probe_read_user(p, sizeof(p), (const void *)sys_arg(regs, 1));
	put_s64(s, ret);
	put_u32(s, (__u32)sys_arg(regs, 0));
	put_u32(s, p[0]);
	put_u32(s, p[1]);
	put_u32(s, io_uring_setup_flags_to_ppm(p[2]));
	put_u32(s, p[3]);
	put_u32(s, p[4]);
	put_u32(s, io_uring_feats_to_ppm(p[5]));
	evt_submit(s);
	return 0;
}

/* =============================== network =============================== */

SYS_EXIT(sx_socket)
{
	struct scratch *s = evt_begin(PPME_SOCKET_SOCKET_X, 5);
	if (!s)
		return 0;
	__u32 type = (__u32)sys_arg(regs, 1);
	put_s64(s, ret);
	put_u32(s, family_to_ppm((__u16)sys_arg(regs, 0)));
	put_u32(s, type);
	put_u32(s, (__u32)sys_arg(regs, 2));
	put_u32(s, sock_flags_to_ppm(type));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_bind)
{
	struct scratch *s = evt_begin(PPME_SOCKET_BIND_X, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_sockaddr(s, sys_arg(regs, 1), (__u32)sys_arg(regs, 2));
	put_s64(s, arg_fd(regs, 0));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_connect)
{
	struct scratch *s = evt_begin(PPME_SOCKET_CONNECT_X, 4);
	if (!s)
		return 0;
	__s64 fd = arg_fd(regs, 0);
	__u64 uaddr = sys_arg(regs, 1);
	put_s64(s, ret);
	if (ret == 0 || ret == -K_EINPROGRESS)
		put_socktuple(s, fd, OUTBOUND, uaddr);
	else
		put_empty(s);
	put_s64(s, fd);
	put_sockaddr(s, uaddr, (__u32)sys_arg(regs, 2));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_listen)
{
	struct scratch *s = evt_begin(PPME_SOCKET_LISTEN_X, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_s32(s, (__s32)sys_arg(regs, 1));
	evt_submit(s);
	return 0;
}

static __always_inline int accept_common(__u16 type, __u32 nparams, struct pt_regs *regs, long ret)
{
	struct scratch *s = evt_begin(type, nparams);
	if (!s)
		return 0;
	__u32 qlen = 0, qmax = 0;
	__u8 qpct = 0;
	put_s64(s, ret);
	if (ret >= 0) {
		put_socktuple(s, ret, INBOUND, 0);
		struct sock *listener = fd_sock(arg_fd(regs, 0));
		if (listener) {
			qlen = BPF_CORE_READ(listener, sk_ack_backlog);
			qmax = BPF_CORE_READ(listener, sk_max_ack_backlog);
			if (qlen && qmax)
				qpct = (__u8)((__u64)qlen * 100 / qmax);
		}
	} else {
		put_empty(s);
	}
	put_u8(s, qpct);
	put_u32(s, qlen);
	put_u32(s, qmax);
	if (nparams == 6)
		put_u32(s, sock_flags_to_ppm(sys_arg(regs, 3)));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_accept) { return accept_common(PPME_SOCKET_ACCEPT_5_X, 5, regs, ret); }
SYS_EXIT(sx_accept4) { return accept_common(PPME_SOCKET_ACCEPT4_6_X, 6, regs, ret); }

SYS_EXIT(sx_sendto)
{
	struct scratch *s = evt_begin(PPME_SOCKET_SENDTO_X, 5);
	if (!s)
		return 0;
	__s64 fd = arg_fd(regs, 0);
	__u64 size = sys_arg(regs, 2);
	long n = ret > 0 ? ret : (long)size;
	put_s64(s, ret);
	put_ubytes(s, sys_arg(regs, 1), data_len(n, size));
	put_s64(s, fd);
	put_u32(s, (__u32)size);
	if (ret >= 0)
		put_socktuple(s, fd, OUTBOUND, sys_arg(regs, 4));
	else
		put_empty(s);
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_recvfrom)
{
	struct scratch *s = evt_begin(PPME_SOCKET_RECVFROM_X, 5);
	if (!s)
		return 0;
	__s64 fd = arg_fd(regs, 0);
	__u64 size = sys_arg(regs, 2);
	put_s64(s, ret);
	if (ret >= 0) {
		put_ubytes(s, sys_arg(regs, 1), data_len(ret, size));
		put_socktuple(s, fd, INBOUND, sys_arg(regs, 4));
	} else {
		put_empty(s);
		put_empty(s);
	}
	put_s64(s, fd);
	put_u32(s, (__u32)size);
	evt_submit(s);
	return 0;
}

#define MAX_IOVCNT 32 /* iovecs looked at per message, as libs */

/* One iovec of put_iovec_data (read into the temporaries' half). As in path_walk_step,
 * the state lives in the scratch value so the verifier checks the step once. */
struct iov_gather {
	struct scratch *s;
};

static long iov_gather_step(__u32 i, void *ctx)
{
	struct scratch *s = ((struct iov_gather *)ctx)->s;
	const struct iovec *iov = (const struct iovec *)&s->data[(SCRATCH_HALF + i * sizeof(struct iovec)) & TMP_MASK];
	__u64 n = iov->iov_len;
	s->iov_total += (__u32)n;
	__u32 left = s->iov_left;
	if (!left)
		return 0;
	if (n > left)
		n = left;
	__u16 pushed = push_ubytes(s, (__u64)iov->iov_base, (__u32)n & 0xff); /* n <= MAX_DATA: the mask is for the verifier */
	/* like libs, the gather stops at an empty or unreadable buffer */
	s->iov_left = pushed ? left - pushed : 0;
	return 0;
}

/* The first `len` (<= MAX_DATA) bytes of the buffers of a user iovec array, as one
 * param; returns the sum of their lengths. An unreadable array is an empty param and 0. */
static __always_inline __u32 put_iovec_data(struct scratch *s, __u64 uiov, __u64 cnt, __u32 len)
{
	struct iov_gather g = { .s = s };
	if (cnt > MAX_IOVCNT)
		cnt = MAX_IOVCNT;
	barrier_var(cnt);
	if (!uiov || bpf_probe_read_user(&s->data[SCRATCH_HALF], (cnt * sizeof(struct iovec)) & (MAX_IOVCNT * sizeof(struct iovec) * 2 - 1),
					 (const void *)uiov)) {
		put_empty(s);
		return 0;
	}
	__u64 start = s->pos;
	s->iov_total = 0;
	s->iov_left = len;
	bpf_loop(cnt, iov_gather_step, &g, 0);
	put_len(s, (__u16)(s->pos - start));
	return s->iov_total;
}

/* The user msghdr at `umsg`, or -1 when it cannot be read. */
static __always_inline long read_msghdr(struct user_msghdr *m, __u64 umsg)
{
	return umsg ? bpf_probe_read_user(m, sizeof(*m), (const void *)umsg) : -1;
}

SYS_EXIT(sx_sendmsg)
{
	struct scratch *s = evt_begin(PPME_SOCKET_SENDMSG_X, 5);
	if (!s)
		return 0;
	__s64 fd = arg_fd(regs, 0);
	struct user_msghdr m = {};
	put_s64(s, ret);
	if (read_msghdr(&m, sys_arg(regs, 1))) {
		put_empty(s);
		put_s64(s, fd);
		put_empty(s);
		put_empty(s);
	} else {
		/* a failed send still shows what it tried to send, as libs does */
		__u32 total = put_iovec_data(s, (__u64)m.msg_iov, m.msg_iovlen, ret > 0 && ret < MAX_DATA ? (__u32)ret : MAX_DATA);
		put_s64(s, fd);
		put_u32(s, total);
		if (ret >= 0)
			put_socktuple(s, fd, OUTBOUND, (__u64)m.msg_name);
		else
			put_empty(s);
	}
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_recvmsg)
{
	struct scratch *s = evt_begin(PPME_SOCKET_RECVMSG_X, 6);
	if (!s)
		return 0;
	__s64 fd = arg_fd(regs, 0);
	put_s64(s, ret);
	if (ret >= 0) {
		struct user_msghdr m = {};
		put_u32(s, (__u32)ret);
		if (read_msghdr(&m, sys_arg(regs, 1)))
			put_empty(s);
		else
			put_iovec_data(s, (__u64)m.msg_iov, m.msg_iovlen, data_len(ret, 0));
		/* the kernel wrote the sender's address into msg_name: the peer of an unconnected socket */
		put_socktuple(s, fd, INBOUND, (__u64)m.msg_name);
		/* msg_controllen is what the kernel wrote back; a param holds at most 64 KiB - 1 */
		if (m.msg_control && m.msg_controllen > 0 && m.msg_controllen <= 0xffff)
			put_ubytes(s, (__u64)m.msg_control, (__u32)m.msg_controllen);
		else
			put_empty(s);
	} else {
		put_u32(s, 0);
		put_empty(s);
		put_empty(s);
		put_empty(s);
	}
	put_s64(s, fd);
	evt_submit(s);
	return 0;
}

/* sendmmsg and recvmmsg send one event per message transferred (at most MAX_MMSG), with
 * that message's length as res, as libs does; a failure or no message is one event. */
#define MAX_MMSG 16

struct mmsg_walk {
	__u64 mmh; /* the user's struct mmsghdr array */
	__s64 fd;
};

/* The message's iovec sizes go before its data: the size is patched once the gather has
 * summed them. */
static long sendmmsg_step(__u32 i, void *ctx)
{
	struct mmsg_walk *w = ctx;
	struct mmsghdr mm = {};
	if (bpf_probe_read_user(&mm, sizeof(mm), (const void *)(w->mmh + i * sizeof(mm))))
		return 1;
	struct scratch *s = evt_begin(PPME_SOCKET_SENDMMSG_X, 5);
	if (!s)
		return 1;
	put_s64(s, mm.msg_len);
	put_s64(s, w->fd);
	__u64 size_at = s->pos;
	put_u32(s, 0);
	__u32 len = mm.msg_len > 0 && mm.msg_len < MAX_DATA ? mm.msg_len : MAX_DATA;
	__u32 total = put_iovec_data(s, (__u64)mm.msg_hdr.msg_iov, mm.msg_hdr.msg_iovlen, len);
	*(__u32 *)&s->data[size_at & EVT_MASK] = total;
	put_socktuple(s, w->fd, OUTBOUND, (__u64)mm.msg_hdr.msg_name);
	evt_submit(s);
	return 0;
}

static long recvmmsg_step(__u32 i, void *ctx)
{
	struct mmsg_walk *w = ctx;
	struct mmsghdr mm = {};
	if (bpf_probe_read_user(&mm, sizeof(mm), (const void *)(w->mmh + i * sizeof(mm))))
		return 1;
	struct scratch *s = evt_begin(PPME_SOCKET_RECVMMSG_X, 6);
	if (!s)
		return 1;
	put_s64(s, mm.msg_len);
	put_s64(s, w->fd);
	put_u32(s, mm.msg_len);
	put_iovec_data(s, (__u64)mm.msg_hdr.msg_iov, mm.msg_hdr.msg_iovlen, mm.msg_len < MAX_DATA ? mm.msg_len : MAX_DATA);
	put_socktuple(s, w->fd, INBOUND, (__u64)mm.msg_hdr.msg_name);
	/* unlike recvmsg, libs cuts the control length to 16 bits here */
	__u32 controllen = mm.msg_hdr.msg_controllen & 0xffff;
	if (mm.msg_hdr.msg_control && controllen)
		put_ubytes(s, (__u64)mm.msg_hdr.msg_control, controllen);
	else
		put_empty(s);
	evt_submit(s);
	return 0;
}

static __always_inline int mmsg_exit(__u16 type, struct pt_regs *regs, long ret, void *step)
{
	struct mmsg_walk w = { .mmh = sys_arg(regs, 1), .fd = arg_fd(regs, 0) };
	if (ret > 0) {
		bpf_loop(ret < MAX_MMSG ? ret : MAX_MMSG, step, &w, 0);
		return 0;
	}
	struct scratch *s = evt_begin(type, type == PPME_SOCKET_RECVMMSG_X ? 6 : 5);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, w.fd);
	put_u32(s, 0);
	put_empty(s);
	put_empty(s);
	if (type == PPME_SOCKET_RECVMMSG_X)
		put_empty(s);
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_sendmmsg) { return mmsg_exit(PPME_SOCKET_SENDMMSG_X, regs, ret, sendmmsg_step); }
SYS_EXIT(sx_recvmmsg) { return mmsg_exit(PPME_SOCKET_RECVMMSG_X, regs, ret, recvmmsg_step); }

/* optval and optlen are what the kernel wrote back, or the caller's on failure. */
SYS_EXIT(sx_getsockopt)
{
	struct scratch *s = evt_begin(PPME_SOCKET_GETSOCKOPT_X, 6);
	if (!s)
		return 0;
	int level = (int)sys_arg(regs, 1);
	int optname = (int)sys_arg(regs, 2);
	__s32 optlen = 0;
	bpf_probe_read_user(&optlen, sizeof(optlen), (const void *)sys_arg(regs, 4));
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_u8(s, sockopt_level_to_ppm(level));
	put_u8(s, sockopt_optname_to_ppm(level, optname));
	put_sockopt(s, level, optname, (__u16)optlen, sys_arg(regs, 3));
	put_u32(s, (__u32)optlen);
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_shutdown)
{
	struct scratch *s = evt_begin(PPME_SOCKET_SHUTDOWN_X, 3);
	if (!s)
		return 0;
	__u64 how = sys_arg(regs, 1);
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_u8(s, how <= 2 ? (__u8)how : 0xff); /* PPM_SHUT_* equal SHUT_*; unknown is 0xffff cut to u8 as libs does */
	evt_submit(s);
	return 0;
}

/* The new pair's socket (source) and its peer, as kernel addresses: how libs links the
 * two fds of a unix socketpair. */
SYS_EXIT(sx_socketpair)
{
	struct scratch *s = evt_begin(PPME_SOCKET_SOCKETPAIR_X, 8);
	if (!s)
		return 0;
	__s32 fds[2] = { -1, -1 };
	__u64 source = 0, peer = 0;
	if (ret == 0) {
		bpf_probe_read_user(fds, sizeof(fds), (const void *)sys_arg(regs, 3));
		struct socket *sock = file_socket(fd_file(fds[0]));
		if (sock) {
			struct sock *sk = BPF_CORE_READ(sock, sk);
			source = (__u64)sk;
			peer = (__u64)BPF_CORE_READ((struct unix_sock *)sk, peer);
		}
	}
	put_s64(s, ret);
	put_s64(s, fds[0]);
	put_s64(s, fds[1]);
	put_u64(s, source);
	put_u64(s, peer);
	put_u32(s, family_to_ppm((__u16)sys_arg(regs, 0)));
	put_u32(s, (__u32)sys_arg(regs, 1));
	put_u32(s, (__u32)sys_arg(regs, 2));
	evt_submit(s);
	return 0;
}

/* =============================== credentials =============================== */

static __always_inline int res_ids(__u16 type, __u32 n, struct pt_regs *regs, long ret)
{
	struct scratch *s = evt_begin(type, n + 1);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_u32(s, (__u32)sys_arg(regs, 0));
	if (n > 1)
		put_u32(s, (__u32)sys_arg(regs, 1));
	if (n > 2)
		put_u32(s, (__u32)sys_arg(regs, 2));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_setuid) { return res_ids(PPME_SYSCALL_SETUID_X, 1, regs, ret); }
SYS_EXIT(sx_setgid) { return res_ids(PPME_SYSCALL_SETGID_X, 1, regs, ret); }
SYS_EXIT(sx_setreuid) { return res_ids(PPME_SYSCALL_SETREUID_X, 2, regs, ret); }
SYS_EXIT(sx_setregid) { return res_ids(PPME_SYSCALL_SETREGID_X, 2, regs, ret); }
SYS_EXIT(sx_setresuid) { return res_ids(PPME_SYSCALL_SETRESUID_X, 3, regs, ret); }
SYS_EXIT(sx_setresgid) { return res_ids(PPME_SYSCALL_SETRESGID_X, 3, regs, ret); }

SYS_EXIT(sx_setsid)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_SETSID_X, 1);
	if (!s)
		return 0;
	put_s64(s, ret);
	evt_submit(s);
	return 0;
}

/* =============================== ptrace, modules =============================== */

SYS_EXIT(sx_ptrace)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_PTRACE_X, 5);
	if (!s)
		return 0;
	__u16 req = ptrace_req_to_ppm(sys_arg(regs, 0));
	__u64 addr = sys_arg(regs, 2);
	__u64 data = sys_arg(regs, 3);
	put_s64(s, ret);
	/* addr and data are PT_DYN: an index byte, then the value */
	push_u8(s, PPM_PTRACE_IDX_UINT64);
	push_u64(s, ret < 0 ? 0 : addr);
	put_len(s, 9);
	if (ret < 0) {
		push_u8(s, PPM_PTRACE_IDX_UINT64);
		push_u64(s, 0);
		put_len(s, 9);
	} else if (req == PPM_PTRACE_PEEKTEXT || req == PPM_PTRACE_PEEKDATA || req == PPM_PTRACE_PEEKUSR) {
		__u64 v = 0;
		bpf_probe_read_user(&v, sizeof(v), (const void *)data);
		push_u8(s, PPM_PTRACE_IDX_UINT64);
		push_u64(s, v);
		put_len(s, 9);
	} else if (req == PPM_PTRACE_CONT || req == PPM_PTRACE_SINGLESTEP || req == PPM_PTRACE_DETACH ||
		   req == PPM_PTRACE_SYSCALL) {
		push_u8(s, PPM_PTRACE_IDX_SIGTYPE);
		push_u8(s, (__u8)data);
		put_len(s, 2);
	} else {
		push_u8(s, PPM_PTRACE_IDX_UINT64);
		push_u64(s, data);
		put_len(s, 9);
	}
	put_u16(s, req);
	put_s64(s, (__s32)sys_arg(regs, 1));
	evt_submit(s);
	return 0;
}

/* The first 4 KiB of a module image: enough for its ELF header and .modinfo lookups,
 * while the event stays well under the 64 KiB limit (libs tries the whole image and
 * drops the event when the image is larger). */
#define MODULE_IMG_MAX 4096

SYS_EXIT(sx_init_module)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_INIT_MODULE_X, 4);
	if (!s)
		return 0;
	__u64 len = sys_arg(regs, 1);
	put_s64(s, ret);
	put_ubytes(s, sys_arg(regs, 0), len > MODULE_IMG_MAX ? MODULE_IMG_MAX : (__u32)len);
	put_u64(s, len);
	put_str(s, (const void *)sys_arg(regs, 2), MAX_ARGS, true);
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_finit_module)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_FINIT_MODULE_X, 4);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_str(s, (const void *)sys_arg(regs, 1), MAX_ARGS, true);
	/* MODULE_INIT_IGNORE_MODVERSIONS, _VERMAGIC, _COMPRESSED_FILE keep their bits */
	put_u32(s, (__u32)sys_arg(regs, 2) & 7);
	evt_submit(s);
	return 0;
}

/* =============================== fd-creating calls of the state set ===============================
 * (libsinsp tracks these fds; libs sends the same params) */

/* inotify_init1, eventfd2, signalfd4, timerfd_create flags: O_NONBLOCK/O_CLOEXEC bits. */
static __always_inline __u32 fd_flags_to_ppm(__s32 f)
{
	return f < 0 ? 0 : sock_flags_to_ppm(f);
}

SYS_EXIT(sx_epoll_create)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_EPOLL_CREATE_X, 2);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s32(s, (__s32)sys_arg(regs, 0));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_epoll_create1)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_EPOLL_CREATE1_X, 2);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_u32(s, sys_arg(regs, 0) & K_O_CLOEXEC ? 1 : 0); /* EPOLL_CLOEXEC -> PPM_EPOLL_CLOEXEC */
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_eventfd)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_EVENTFD_X, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_u64(s, sys_arg(regs, 0));
	put_u32(s, 0);
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_eventfd2)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_EVENTFD2_X, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_u16(s, (__u16)fd_flags_to_ppm((__s32)sys_arg(regs, 1)));
	put_u64(s, (__u32)sys_arg(regs, 0));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_inotify_init)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_INOTIFY_INIT_X, 2);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_u8(s, 0);
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_inotify_init1)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_INOTIFY_INIT1_X, 2);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_u16(s, (__u16)fd_flags_to_ppm((__s32)sys_arg(regs, 0)));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_signalfd)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_SIGNALFD_X, 4);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_u32(s, 0); /* mask: libs sends 0 */
	put_u8(s, 0);
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_signalfd4)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_SIGNALFD4_X, 4);
	if (!s)
		return 0;
	put_s64(s, (__s32)ret);
	put_u16(s, (__u16)fd_flags_to_ppm((__s32)sys_arg(regs, 3)));
	put_s64(s, arg_fd(regs, 0));
	put_u32(s, 0); /* mask: libs sends 0 */
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_timerfd_create)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_TIMERFD_CREATE_X, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_u8(s, (__u8)sys_arg(regs, 0));
	/* a u8 param: PPM_O_CLOEXEC (bit 12) does not fit and is lost, as in libs */
	put_u8(s, (__u8)fd_flags_to_ppm((__s32)sys_arg(regs, 1)));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_userfaultfd)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_USERFAULTFD_X, 2);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_u32(s, (__u32)sys_arg(regs, 0)); /* passed through, as libs does */
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_pidfd_open)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_PIDFD_OPEN_X, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, (__s32)sys_arg(regs, 0));
	put_u32(s, sys_arg(regs, 1) & K_O_NONBLOCK ? 1 : 0); /* PIDFD_NONBLOCK -> PPM_PIDFD_NONBLOCK */
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_pidfd_getfd)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_PIDFD_GETFD_X, 4);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_s64(s, arg_fd(regs, 1));
	put_u32(s, (__u32)sys_arg(regs, 2));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_close_range)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_CLOSE_RANGE_X, 4);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_u32(s, (__u32)sys_arg(regs, 0));
	put_u32(s, (__u32)sys_arg(regs, 1));
	/* CLOSE_RANGE_UNSHARE and _CLOEXEC keep their bits in PPM_CLOSE_RANGE_* */
	put_u32(s, (__u32)sys_arg(regs, 2) & 6);
	evt_submit(s);
	return 0;
}

/* The capabilities after the call, read from the task (as libs does). */
SYS_EXIT(sx_capset)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_CAPSET_X, 4);
	if (!s)
		return 0;
	struct task_struct *t = current_task();
	put_s64(s, ret);
	put_u64(s, cap_inheritable(t));
	put_u64(s, cap_permitted(t));
	put_u64(s, cap_effective(t));
	evt_submit(s);
	return 0;
}

/* PPM_RLIMIT_* equal Linux's RLIMIT_* up to RLIMIT_RTTIME; anything else is unknown. */
static __always_inline __u8 rlimit_resource_to_ppm(__u64 resource)
{
	return resource <= K_RLIMIT_RTTIME ? (__u8)resource : PPM_RLIMIT_UNKNOWN;
}

/* User space's state reads only a successful call's new RLIMIT_NOFILE (proc.fdlimit): when
 * no rule matches the syscall, any other call would change nothing there. */
static __always_inline bool rlimit_redundant(__u32 nr, long ret, __u64 resource)
{
	if (!(selected(nr) & SAKER_SEL_STATE_ONLY) || (ret >= 0 && resource == K_RLIMIT_NOFILE))
		return false;
	count_redundant();
	return true;
}

/* An rlimit pair from user memory; {0, 0} without one, as libs' modern probe sends (a
 * failed read zeroes it; NULL is not read: its fault costs ~1 us). */
static __always_inline void read_rlimit(__s64 rl[2], __u64 p)
{
	if (p)
		bpf_probe_read_user(rl, 2 * sizeof(__s64), (const void *)p);
	else
		rl[0] = rl[1] = 0;
}

SYS_EXIT(sx_setrlimit)
{
	if (rlimit_redundant(__NR_setrlimit, ret, sys_arg(regs, 0)))
		return 0;
	struct scratch *s = evt_begin(PPME_SYSCALL_SETRLIMIT_X, 4);
	if (!s)
		return 0;
	__s64 rl[2]; /* struct rlimit: rlim_cur, rlim_max */
	read_rlimit(rl, sys_arg(regs, 1));
	put_s64(s, ret);
	put_s64(s, rl[0]);
	put_s64(s, rl[1]);
	put_u8(s, rlimit_resource_to_ppm(sys_arg(regs, 0)));
	evt_submit(s);
	return 0;
}

/* The old limits only when the call succeeded (the kernel fills them then); -1 else, and
 * 0 when there is no old-limits buffer (read_rlimit). */
SYS_EXIT(sx_prlimit64)
{
	if (rlimit_redundant(__NR_prlimit64, ret, sys_arg(regs, 1)))
		return 0;
	struct scratch *s = evt_begin(PPME_SYSCALL_PRLIMIT_X, 7);
	if (!s)
		return 0;
	__s64 nrl[2], orl[2] = { -1, -1 };
	read_rlimit(nrl, sys_arg(regs, 2));
	if (ret == 0)
		read_rlimit(orl, sys_arg(regs, 3));
	put_s64(s, ret);
	put_s64(s, nrl[0]);
	put_s64(s, nrl[1]);
	put_s64(s, orl[0]);
	put_s64(s, orl[1]);
	put_s64(s, arg_fd(regs, 0)); /* pid, an int like an fd */
	put_u8(s, rlimit_resource_to_ppm(sys_arg(regs, 1)));
	evt_submit(s);
	return 0;
}

/* option (PPM_PR_* are Linux's PR_* values), then arg2 as a string for the name options,
 * read through for PR_GET_CHILD_SUBREAPER, else as a number. */
SYS_EXIT(sx_prctl)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_PRCTL_X, 4);
	if (!s)
		return 0;
	__u32 option = (__u32)sys_arg(regs, 0);
	__u64 arg2 = sys_arg(regs, 1);
	put_s64(s, ret);
	put_u32(s, option);
	if (option == PPM_PR_SET_NAME || option == PPM_PR_GET_NAME) {
		put_ustr(s, arg2);
		put_s64(s, 0);
	} else if (option == PPM_PR_GET_CHILD_SUBREAPER) {
		__s32 reaper = 0;
		bpf_probe_read_user(&reaper, sizeof(reaper), (const void *)arg2);
		put_empty(s);
		put_s64(s, reaper);
	} else {
		put_empty(s);
		put_s64(s, (__s64)arg2);
	}
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_setns)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_SETNS_X, 3);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_s64(s, arg_fd(regs, 0));
	put_u32(s, clone_flags_to_ppm((__u32)sys_arg(regs, 1)));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_unshare)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_UNSHARE_X, 2);
	if (!s)
		return 0;
	put_s64(s, ret);
	put_u32(s, clone_flags_to_ppm((__u32)sys_arg(regs, 0)));
	evt_submit(s);
	return 0;
}

/* =============================== processes =============================== */

/* Params 4-14 of execve and clone events: tid, pid, ptid, cwd, fdlimit, pgft_maj,
 * pgft_min, vm_size, vm_rss, vm_swap, comm. */
static __always_inline void put_proc_head(struct scratch *s, struct task_struct *t)
{
	struct mm_struct *mm = t->mm;
	put_s64(s, t->pid);
	put_s64(s, t->tgid);
	put_s64(s, t->real_parent->pid);
	/* cwd: empty, as Falco's modern probe sends it. libsinsp (and Saker's state) never
	 * read it: a new process has its parent's cwd, chdir and fchdir change it. Walking
	 * it cost ~0.45 us per clone and per execve. */
	put_empty(s);
	put_u64(s, t->signal->rlim[K_RLIMIT_NOFILE].rlim_cur);
	put_u64(s, t->maj_flt);
	put_u64(s, t->min_flt);
	put_u32(s, vm_size_kb(mm));
	put_u32(s, vm_rss_kb(mm));
	put_u32(s, vm_swap_kb(mm));
	put_str(s, t->comm, sizeof(t->comm), false);
}

/* Params 17-30 of execve events (execveat stops at 30 too; execve adds filename). */
static __always_inline void put_exec_tail(struct scratch *s, struct task_struct *t)
{
	struct file *exe = t->mm->exe_file;
	struct inode *ino = exe ? exe->f_inode : 0;
	__u64 ctime = 0, mtime = 0;
	if (ino)
		inode_times(ino, &ctime, &mtime);
	put_u32(s, task_tty(t));
	put_s64(s, pid_nr_local(task_pid_struct(t, PIDTYPE_PGID)));
	put_u32(s, task_loginuid(t));
	put_u32(s, exe_flags(t, exe));
	put_u64(s, cap_inheritable(t));
	put_u64(s, cap_permitted(t));
	put_u64(s, cap_effective(t));
	put_u64(s, ino ? ino->i_ino : 0);
	put_u64(s, ctime);
	put_u64(s, mtime);
	put_u32(s, task_euid(t)); /* "uid": the effective uid, as libs sends it */
	put_file_path(s, exe);    /* trusted_exepath */
	put_s64(s, pid_nr_global(task_pid_struct(t, PIDTYPE_PGID)));
	put_u32(s, task_egid(t)); /* "gid": the effective gid */
}

/* A failed execve/execveat: exe and args from the argv the caller passed. Successful
 * ones are sent by sched_process_exec (the process image has changed by sys_exit). */
static __always_inline int exec_fail_head(void *ctx, __u16 type, __u32 nparams, struct pt_regs *regs,
					  long ret, int argv_arg, __u32 next)
{
	if (ret == 0)
		return 0;
	struct scratch *s = evt_begin(type, nparams);
	if (!s)
		return 0;
	struct task_struct *t = current_task();
	__u64 argv = sys_arg(regs, argv_arg);
	__u64 p0 = 0;
	put_s64(s, ret);
	if (argv)
		bpf_probe_read_user(&p0, sizeof(p0), (const void *)argv);
	__u16 exe = put_str(s, (const void *)p0, MAX_ARGS, true);
	put_len(s, push_str_array(s, argv, 1, MAX_ARGS - (exe & (MAX_ARGS - 1))));
	put_proc_head(s, t);
	bpf_tail_call(ctx, &exit_more, next);
	return 0;
}

static __always_inline int exec_fail_tail(struct pt_regs *regs, int envp_arg, int filename_arg)
{
	struct scratch *s = evt_continue();
	if (!s)
		return 0;
	struct task_struct *t = current_task();
	put_cgroups(s, t);
	put_len(s, push_str_array(s, sys_arg(regs, envp_arg), 0, MAX_ARGS));
	put_exec_tail(s, t);
	if (filename_arg >= 0)
		put_ustr(s, sys_arg(regs, filename_arg));
	evt_submit(s);
	return 0;
}

SYS_EXIT(sx_execve)
{
	return exec_fail_head(ctx, PPME_SYSCALL_EXECVE_19_X, 31, regs, ret, 1, XT_EXECVE_2);
}

SYS_EXIT(sx_execve_2) { return exec_fail_tail(regs, 2, 0); }

SYS_EXIT(sx_execveat)
{
	return exec_fail_head(ctx, PPME_SYSCALL_EXECVEAT_X, 30, regs, ret, 2, XT_EXECVEAT_2);
}

SYS_EXIT(sx_execveat_2) { return exec_fail_tail(regs, 3, -1); }

/* clone flags param: PPM_CL_* plus whether the child lives in another pid namespace
 * (the task's own namespace is not the init one, or the parent asked for a new one). */
static __always_inline __u32 clone_flags_param(struct task_struct *t, __u64 flags)
{
	__u32 f = clone_flags_to_ppm(flags);
	struct pid *p = t->thread_pid;
	if (p->level != 0 || t->nsproxy->pid_ns_for_children != pid_upid_local(p)->ns)
		f |= PPM_CL_CHILD_IN_PIDNS;
	return f;
}

static __always_inline __u16 clone_event_type(__u32 nr)
{
	switch (nr) {
	case __NR_clone: return PPME_SYSCALL_CLONE_20_X;
	case __NR_fork: return PPME_SYSCALL_FORK_20_X;
	case __NR_vfork: return PPME_SYSCALL_VFORK_20_X;
	case __NR_clone3: return PPME_SYSCALL_CLONE3_X;
	default: return 0;
	}
}

/* The flags argument of the clone-family syscall in `regs`. */
static __always_inline __u64 clone_syscall_flags(struct pt_regs *regs, __u32 nr)
{
	if (nr == __NR_clone)
		return sys_arg(regs, 0);
	if (nr == __NR_clone3) {
		__u64 flags = 0; /* struct clone_args starts with flags */
		bpf_probe_read_user(&flags, sizeof(flags), (const void *)sys_arg(regs, 0));
		return flags;
	}
	return 0; /* libs reports no flags for fork and vfork */
}

/* Params 1-14 of a clone event for task `t` (the caller, or the new child). */
static __always_inline void put_clone_head(struct scratch *s, struct task_struct *t, long res)
{
	put_s64(s, res);
	if (res >= 0) {
		put_exe_args_mm(s, t);
	} else {
		put_empty(s);
		put_empty(s);
	}
	put_proc_head(s, t);
}

/* Params 15-21. */
static __always_inline void put_clone_tail(struct scratch *s, struct task_struct *t, __u64 flags, long res)
{
	put_cgroups(s, t);
	put_u32(s, clone_flags_param(t, flags));
	put_u32(s, task_euid(t));
	put_u32(s, task_egid(t));
	put_s64(s, pid_nr_local(t->thread_pid));
	put_s64(s, pid_nr_local(task_pid_struct(t, PIDTYPE_TGID)));
	put_u64(s, res == 0 ? pidns_init_start(t) : 0);
}

/* The caller's side of clone/fork/vfork/clone3 (its result, or the failure). The
 * child's event comes from sched_process_fork, so the child's own return is skipped. */
SYS_EXIT(sx_clone)
{
	if (ret == 0)
		return 0;
	__u32 nr = (__u32)regs->orig_ax;
	/* The child's own event, which sched_fork sent moments ago from this thread on this
	 * CPU, already made the child in user space's state: there, this caller's event only
	 * names the thread that forked. Not sent when no rule matches the syscall. */
	if (selected(nr) & SAKER_SEL_STATE_ONLY) {
		struct scratch *f = evt_continue();
		if (f && f->fork_child == (__u32)ret && f->fork_parent == (__u32)bpf_get_current_pid_tgid()) {
			f->fork_child = 0;
			count_redundant();
			return 0;
		}
	}
	struct scratch *s = evt_begin(clone_event_type(nr), 21);
	if (!s)
		return 0;
	put_clone_head(s, current_task(), ret);
	bpf_tail_call(ctx, &exit_more, XT_CLONE_2);
	return 0;
}

SYS_EXIT(sx_clone_2)
{
	struct scratch *s = evt_continue();
	if (!s)
		return 0;
	__u32 nr = (__u32)regs->orig_ax;
	put_clone_tail(s, current_task(), clone_syscall_flags(regs, nr), ret);
	evt_submit(s);
	return 0;
}

/* =============================== the tail-call table =============================== */

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SAKER_SYSCALLS);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} exit_calls SEC(".maps") = {
	.values = {
		[__NR_open] = (void *)&sx_open,
		[__NR_openat] = (void *)&sx_openat,
		[__NR_openat2] = (void *)&sx_openat2,
		[__NR_creat] = (void *)&sx_creat,
		[__NR_close] = (void *)&sx_close,
		[__NR_read] = (void *)&sx_read,
		[__NR_write] = (void *)&sx_write,
		[__NR_unlink] = (void *)&sx_unlink,
		[__NR_unlinkat] = (void *)&sx_unlinkat,
		[__NR_rmdir] = (void *)&sx_rmdir,
		[__NR_mkdir] = (void *)&sx_mkdir,
		[__NR_mkdirat] = (void *)&sx_mkdirat,
		[__NR_rename] = (void *)&sx_rename,
		[__NR_renameat] = (void *)&sx_renameat,
		[__NR_renameat2] = (void *)&sx_renameat2,
		[__NR_link] = (void *)&sx_link,
		[__NR_linkat] = (void *)&sx_linkat,
		[__NR_symlink] = (void *)&sx_symlink,
		[__NR_symlinkat] = (void *)&sx_symlinkat,
		[__NR_chmod] = (void *)&sx_chmod,
		[__NR_fchmod] = (void *)&sx_fchmod,
		[__NR_fchmodat] = (void *)&sx_fchmodat,
		[__NR_chown] = (void *)&sx_chown,
		[__NR_lchown] = (void *)&sx_lchown,
		[__NR_fchown] = (void *)&sx_fchown,
		[__NR_fchownat] = (void *)&sx_fchownat,
		[__NR_chdir] = (void *)&sx_chdir,
		[__NR_fchdir] = (void *)&sx_fchdir,
		[__NR_chroot] = (void *)&sx_chroot,
		[__NR_mount] = (void *)&sx_mount,
		[__NR_umount2] = (void *)&sx_umount2,
		[__NR_dup] = (void *)&sx_dup,
		[__NR_dup2] = (void *)&sx_dup2,
		[__NR_dup3] = (void *)&sx_dup3,
		[__NR_fcntl] = (void *)&sx_fcntl,
		[__NR_pipe] = (void *)&sx_pipe,
		[__NR_pipe2] = (void *)&sx_pipe2,
		[__NR_memfd_create] = (void *)&sx_memfd_create,
		[__NR_socket] = (void *)&sx_socket,
		[__NR_bind] = (void *)&sx_bind,
		[__NR_connect] = (void *)&sx_connect,
		[__NR_listen] = (void *)&sx_listen,
		[__NR_accept] = (void *)&sx_accept,
		[__NR_accept4] = (void *)&sx_accept4,
		[__NR_sendto] = (void *)&sx_sendto,
		[__NR_recvfrom] = (void *)&sx_recvfrom,
		[__NR_sendmsg] = (void *)&sx_sendmsg,
		[__NR_recvmsg] = (void *)&sx_recvmsg,
		[__NR_getsockopt] = (void *)&sx_getsockopt,
		[__NR_sendmmsg] = (void *)&sx_sendmmsg,
		[__NR_recvmmsg] = (void *)&sx_recvmmsg,
		[__NR_shutdown] = (void *)&sx_shutdown,
		[__NR_setuid] = (void *)&sx_setuid,
		[__NR_setgid] = (void *)&sx_setgid,
		[__NR_setreuid] = (void *)&sx_setreuid,
		[__NR_setregid] = (void *)&sx_setregid,
		[__NR_setresuid] = (void *)&sx_setresuid,
		[__NR_setresgid] = (void *)&sx_setresgid,
		[__NR_setsid] = (void *)&sx_setsid,
		[__NR_ptrace] = (void *)&sx_ptrace,
		[__NR_init_module] = (void *)&sx_init_module,
		[__NR_finit_module] = (void *)&sx_finit_module,
		[__NR_epoll_create] = (void *)&sx_epoll_create,
		[__NR_epoll_create1] = (void *)&sx_epoll_create1,
		[__NR_eventfd] = (void *)&sx_eventfd,
		[__NR_eventfd2] = (void *)&sx_eventfd2,
		[__NR_inotify_init] = (void *)&sx_inotify_init,
		[__NR_inotify_init1] = (void *)&sx_inotify_init1,
		[__NR_signalfd] = (void *)&sx_signalfd,
		[__NR_signalfd4] = (void *)&sx_signalfd4,
		[__NR_timerfd_create] = (void *)&sx_timerfd_create,
		[__NR_userfaultfd] = (void *)&sx_userfaultfd,
		[__NR_pidfd_open] = (void *)&sx_pidfd_open,
		[__NR_pidfd_getfd] = (void *)&sx_pidfd_getfd,
		[__NR_close_range] = (void *)&sx_close_range,
		[__NR_capset] = (void *)&sx_capset,
		[__NR_socketpair] = (void *)&sx_socketpair,
		[__NR_setrlimit] = (void *)&sx_setrlimit,
		[__NR_prlimit64] = (void *)&sx_prlimit64,
		[__NR_prctl] = (void *)&sx_prctl,
		[__NR_setns] = (void *)&sx_setns,
		[__NR_unshare] = (void *)&sx_unshare,
		[__NR_open_by_handle_at] = (void *)&sx_open_by_handle_at,
		[__NR_io_uring_setup] = (void *)&sx_io_uring_setup,
		[__NR_execve] = (void *)&sx_execve,
		[__NR_execveat] = (void *)&sx_execveat,
		[__NR_clone] = (void *)&sx_clone,
		[__NR_fork] = (void *)&sx_clone,
		[__NR_vfork] = (void *)&sx_clone,
		[__NR_clone3] = (void *)&sx_clone,
	},
};

/* =============================== dispatchers =============================== */

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u32 nr = (__u32)regs->orig_ax;
	if (nr >= SAKER_SYSCALLS)
		return 0; /* -1: no syscall (cancelled by seccomp or ptrace) */
	__u8 sel = selected(nr);
	if (!sel)
		return 0;
	if (in_compat_syscall())
		return 0; /* ia32 numbers differ: not supported yet */
	if (drop_failed_exit && ret < 0)
		return 0; /* engine.*.drop_failed_exit, as libs: no exit event of a failed syscall */
	if (quiet_enabled) {
		__u8 fds = fd_args[nr & (SAKER_SYSCALLS - 1)];
		if (fds)
			quiet_uses(regs, ret, fds);
	}
	if (sel & SAKER_SEL_EXIT) {
		/* the most frequent events skip the tail call (~25 ns each under bpf_stats);
		 * their programs stay in exit_calls, which is what the addon lists as supported */
		if (nr == __NR_openat)
			return openat_exit(regs, ret);
		if (nr == __NR_close)
			return close_exit(regs, ret);
		bpf_tail_call(ctx, &exit_calls, nr);
		/* no filler for this syscall in this probe */
		struct saker_counters *c = counters_get();
		if (c)
			c->unsupported++;
		return 0;
	}
	struct scratch *s = evt_begin(PPME_GENERIC_X, 2);
	if (!s)
		return 0;
	put_u16(s, ppm_sc_of_nr[nr & (SAKER_SYSCALLS - 1)]);
	put_u16(s, (__u16)nr);
	evt_submit(s);
	return 0;
}

/* ---- enter events (TOCTOU): the arguments as the kernel is about to read them ---- */

SYS_ENTER(se_open)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_OPEN_E, 3);
	if (!s)
		return 0;
	__u64 flags = sys_arg(regs, 1);
	put_ustr(s, sys_arg(regs, 0));
	put_u32(s, open_flags_to_ppm(flags));
	put_u32(s, open_mode_to_ppm(flags, sys_arg(regs, 2)));
	evt_submit(s);
	return 0;
}

SYS_ENTER(se_openat)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_OPENAT_2_E, 4);
	if (!s)
		return 0;
	__u64 flags = sys_arg(regs, 2);
	put_s64(s, arg_fd(regs, 0));
	put_ustr(s, sys_arg(regs, 1));
	put_u32(s, open_flags_to_ppm(flags));
	put_u32(s, open_mode_to_ppm(flags, sys_arg(regs, 3)));
	evt_submit(s);
	return 0;
}

SYS_ENTER(se_openat2)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_OPENAT2_E, 5);
	if (!s)
		return 0;
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (const void *)sys_arg(regs, 2));
	put_s64(s, arg_fd(regs, 0));
	put_ustr(s, sys_arg(regs, 1));
	put_u32(s, open_flags_to_ppm(how.flags));
	put_u32(s, open_mode_to_ppm(how.flags, how.mode));
	put_u32(s, resolve_to_ppm(how.resolve));
	evt_submit(s);
	return 0;
}

SYS_ENTER(se_creat)
{
	struct scratch *s = evt_begin(PPME_SYSCALL_CREAT_E, 2);
	if (!s)
		return 0;
	put_ustr(s, sys_arg(regs, 0));
	put_u32(s, open_mode_to_ppm(K_O_CREAT, sys_arg(regs, 1)));
	evt_submit(s);
	return 0;
}

SYS_ENTER(se_connect)
{
	struct scratch *s = evt_begin(PPME_SOCKET_CONNECT_E, 2);
	if (!s)
		return 0;
	put_s64(s, arg_fd(regs, 0));
	put_sockaddr(s, sys_arg(regs, 1), (__u32)sys_arg(regs, 2));
	evt_submit(s);
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SAKER_SYSCALLS);
	__uint(key_size, sizeof(__u32));
	__array(values, int(void *));
} enter_calls SEC(".maps") = {
	.values = {
		[__NR_open] = (void *)&se_open,
		[__NR_openat] = (void *)&se_openat,
		[__NR_openat2] = (void *)&se_openat2,
		[__NR_creat] = (void *)&se_creat,
		[__NR_connect] = (void *)&se_connect,
	},
};

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	if ((__u64)id >= SAKER_SYSCALLS)
		return 0;
	if (!(selected((__u32)id) & SAKER_SEL_ENTER))
		return 0;
	if (in_compat_syscall())
		return 0;
	bpf_tail_call(ctx, &enter_calls, (__u32)id);
	return 0;
}

/* =============================== scheduler tracepoints =============================== */

/* The syscall the current task is in (for tracepoints that fire inside one). */
static __always_inline __u32 current_syscall(void)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return (__u32)regs->orig_ax;
}

static __always_inline bool kernel_thread(struct task_struct *t)
{
	return t->flags & K_PF_KTHREAD;
}

/* exec closed the O_CLOEXEC fds: their entries go; and the process is its new image, with
 * one thread named after it. */
static __always_inline void quiet_exec(void)
{
	struct task_struct *t = current_task();
	__u32 *renamed = renamed_mark(t, 0);
	if (renamed)
		*renamed = 0;
	struct quiet_proc *q = quiet_proc_of(t, false);
	if (!q)
		return;
	q->renamed = 0;
	for (int i = 0; i < QUIET_PER_PROC; i++) {
		struct quiet_fd *e = &q->fds[i];
		if (e->file && (__u64)fd_file(e->fd) != e->file)
			e->file = 0;
	}
	quiet_release(q, false);
}

/* A new process starts with its parent's fds, quiet ones included, and its comm. */
static __always_inline void quiet_fork(struct task_struct *child)
{
	struct task_struct *t = current_task();
	if (renamed_since_exec(t))
		mark_renamed(child);
	struct quiet_proc *q = quiet_proc_of(t, false);
	if (!q)
		return;
	struct quiet_proc *c = quiet_proc_of(child, true);
	if (c)
		__builtin_memcpy(c->fds, q->fds, sizeof(c->fds));
}

/* From include/trace/events/sched.h: TP_PROTO(struct task_struct *p, pid_t old_pid,
 * struct linux_binprm *bprm). Fires once the new image is committed, for execve and
 * execveat alike, so both are sent as EXECVE_19_X (as libs does). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (quiet_enabled)
		quiet_exec();
	if (!(selected(__NR_execve) & SAKER_SEL_EXIT) && !(selected(__NR_execveat) & SAKER_SEL_EXIT))
		return 0;
	struct task_struct *t = current_task();
	if (kernel_thread(t))
		return 0;
	struct scratch *s = evt_begin(PPME_SYSCALL_EXECVE_19_X, 31);
	if (!s)
		return 0;
	put_s64(s, 0);
	put_exe_args_mm(s, t);
	put_proc_head(s, t);
	bpf_tail_call(ctx, &exec_more, 0);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec_2, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct scratch *s = evt_continue();
	if (!s)
		return 0;
	struct task_struct *t = current_task();
	put_cgroups(s, t);
	put_env_mm(s, t);
	put_exec_tail(s, t);
	/* bprm->filename: the path the caller passed to execve (for execveat, what the
	 * kernel made of dirfd + path) */
	put_str(s, bprm->filename, MAX_PATH, false);
	evt_submit(s);
	return 0;
}

/* TP_PROTO(struct task_struct *parent, struct task_struct *child). Runs in the parent
 * before the child is woken, so the child's clone event precedes anything the child
 * does. Threads (CLONE_THREAD) come through here too. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	if (quiet_enabled && child->pid == child->tgid)
		quiet_fork(child);
	__u32 nr = current_syscall();
	__u16 type = clone_event_type(nr);
	if (!type || !(selected(nr) & SAKER_SEL_EXIT))
		return 0; /* not a clone-family syscall: kernel-made tasks (io workers...) */
	if (kernel_thread(current_task()))
		return 0;
	struct task_struct *c = (struct task_struct *)child;
	struct scratch *s = evt_begin_tid(type, 21, c->pid);
	if (!s)
		return 0;
	put_clone_head(s, c, 0);
	bpf_tail_call(ctx, &fork_more, 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork_2, struct task_struct *parent, struct task_struct *child)
{
	struct scratch *s = evt_continue();
	if (!s)
		return 0;
	__u32 nr = current_syscall();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	put_clone_tail(s, (struct task_struct *)child, clone_syscall_flags(regs, nr), 0);
	/* see sx_clone: the caller's event may stay in the kernel. The child as the caller's
	 * clone returns it: its id in the caller's pid namespace. */
	__u32 level = current_task()->thread_pid->level;
	__u32 child_nr = KCAST(struct upid, &child->thread_pid->numbers[level & 31])->nr;
	bool sent = evt_submit(s);
	s->fork_parent = (__u32)bpf_get_current_pid_tgid();
	s->fork_child = sent ? child_nr : 0;
	return 0;
}

/* TP_PROTO(struct task_struct *task, const char *comm): any comm change. exec's own (the
 * image's name) comes before sched_process_exec, which forgets the mark. */
SEC("tp_btf/task_rename")
int BPF_PROG(task_rename, struct task_struct *task, const char *comm)
{
	if (!quiet_enabled || BPF_CORE_READ_BITFIELD_PROBED(task, in_execve))
		return 0;
	mark_renamed(task);
	struct quiet_proc *q = quiet_proc_of(task, false);
	if (q)
		q->renamed = 1;
	return 0;
}

/* When the task had children, who inherits them: another live thread of its group, or
 * -1 to let user space work it out (libs walks the subreaper chain in the kernel; this
 * probe leaves that to the thread table). 0 when there are no children. */
#define REAPER_SCAN 16

static __always_inline __s64 reaper_tid(struct task_struct *t)
{
	if ((__u64)t->children.next == (__u64)&t->children)
		return 0;
	__u64 thead = (__u64)&t->signal->thread_head;
	__u64 node = (__u64)t->signal->thread_head.next;

	for (int i = 0; i < REAPER_SCAN; i++) {
		if (node == thead)
			break;
		struct task_struct *th = KCAST(struct task_struct, container_of((void *)node, struct task_struct, thread_node));
		if (!(th->flags & K_PF_EXITING))
			return th->pid;
		node = (__u64)th->thread_node.next;
	}
	return -1;
}

/* TP_PROTO(struct task_struct *p, ...): the exiting task is current. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit, struct task_struct *p)
{
	struct task_struct *t = current_task();
	/* do_exit counts the thread out of signal->live before this tracepoint: 0 when it
	 * was the process's last */
	if (quiet_enabled && t->signal->live.counter == 0) {
		struct quiet_proc *q = quiet_proc_of(t, false);
		if (q)
			quiet_release(q, true);
	}
	if (!selected(SAKER_SEL_PROCEXIT))
		return 0;
	struct scratch *s = evt_begin(PPME_PROCEXIT_1_E, 5);
	if (!s)
		return 0;
	__s32 code = t->exit_code;
	__u8 sig = code & 0x7f;
	put_s64(s, code);                      /* status */
	put_s64(s, (code >> 8) & 0xff);        /* ret: WEXITSTATUS */
	put_u8(s, sig != 0 && sig != 0x7f ? sig : 0); /* WTERMSIG when WIFSIGNALED */
	put_u8(s, (code & 0x80) != 0);         /* WCOREDUMP */
	put_s64(s, reaper_tid(t));
	evt_submit(s);
	return 0;
}
