/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * The maps every program shares, and the event writer: events are built in a per-CPU
 * scratch buffer in the scap layout, then copied into the ring buffer whole with
 * bpf_ringbuf_output. One write path for every event, fixed or variable sized; the copy
 * is a few dozen bytes for most events and the filter runs before any of this.
 */
#ifndef SAKER_WRITER_H
#define SAKER_WRITER_H

#include "shared.h"
#include "ppm.h"

/* Scratch buffer: [0, 64 KiB) holds the event being written, [64 KiB, 128 KiB) is room
 * for temporaries (a sockaddr, a path built backwards). The extra page after it lets
 * every masked offset (<= 0xffff, or <= 0x1ffff in the temporary half) take a
 * read of up to 4 KiB without the verifier seeing a way out of the value. */
#define SCRATCH_HALF 0x10000
#define SCRATCH_DATA (2 * SCRATCH_HALF + 4096)
#define EVT_MASK 0xffff  /* offsets into the event half */
#define TMP_MASK 0x1ffff /* offsets into either half */
#define LEN_MASK 0xff    /* offsets of the param lengths (header + 32 lengths < 256) */

/* Sizes of what is read from user or kernel memory. */
#define MAX_PATH 4096      /* PATH_MAX */
#define MAX_ARGS 4096      /* exe + args, and env: libs' MAX_PROC_ARG_ENV */
#define MAX_ARGV 16        /* argv/envp pointers read when an execve fails */
#define MAX_DATA 80        /* read/write/send/recv data: Falco's default snaplen */
#define CGROUP_DEPTH 8     /* cgroup path components kept (the deepest ones) */
#define QUIET_HITS 4       /* quiet-open keys remembered per CPU (a power of two) */
#define QUIET_PER_PROC 8   /* quiet fds a process may hold at once (a power of two) */

struct scratch {
	__u8 data[SCRATCH_DATA];
	__u64 pos;     /* next free byte of the event */
	__u32 lenpos;  /* where the next param length goes */
	__u32 walk_off; /* path walk (task.h put_path): first byte of the path so far */
	__u64 walk_dentry, walk_mnt, walk_mnt_parent, walk_mnt_root;
	__u32 iov_total, iov_left; /* put_iovec_data: the iovecs' lengths so far, data bytes still wanted */
	__u64 cg_kn;                     /* push_cgroup (task.h): the walk's next kernfs node, */
	__u64 cg_names[CGROUP_DEPTH];    /* the names found so far, leaf first, */
	__u32 cg_n;                      /* and how many */
	struct saker_quiet_key quiet_hits[QUIET_HITS]; /* quiet_key (saker.bpf.c): keys found last, */
	__u32 quiet_hit_next;                          /* and the one to replace next */
	__u32 fork_parent, fork_child; /* sched_fork (saker.bpf.c): the last child event sent here */
};

/* Ring buffer shared by all CPUs; user space sets its size before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} ring SEC(".maps");

/* One scratch buffer per CPU: an ARRAY indexed by CPU id (max_entries set to the number
 * of possible CPUs before load) because a PERCPU_ARRAY value cannot exceed 32 KiB. The
 * programs run with preemption off (raw tracepoints), so nothing else on the CPU writes
 * the same buffer while an event is built. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* The syscalls (and tracepoints) user space selected: SAKER_SEL_* bits per slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SAKER_SEL_SLOTS);
	__type(key, __u32);
	__type(value, __u8);
} selection SEC(".maps");

/* struct saker_counters per CPU, read by the addon's stats(). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct saker_counters);
} counters SEC(".maps");

/* Set by user space before load. */
const volatile __u64 boot_time = 0;                     /* epoch ns at boot */
const volatile __u64 wakeup_bytes = 1 << 20;            /* see evt_submit */
const volatile __u16 ppm_sc_of_nr[SAKER_SYSCALLS] = {}; /* native nr -> ppm_sc (generic events) */
const volatile __u32 ignore_tgid = 0;                    /* the agent's own process: not sent */
const volatile bool drop_failed_exit = false;           /* failed syscalls are not sent */

static __always_inline struct saker_counters *counters_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

/* An event of a SAKER_SEL_STATE_ONLY syscall that user space's state would not miss. */
static __always_inline void count_redundant(void)
{
	struct saker_counters *c = counters_get();
	if (c)
		c->redundant++;
}

static __always_inline __u8 selected(__u32 slot)
{
	__u8 *v = bpf_map_lookup_elem(&selection, &slot);
	return v ? *v : 0;
}

/* Starts an event of `type` with `nparams` params for thread `tid`; `pid_tgid` is the
 * current task's, taken once per event (a helper call). */
static __always_inline struct scratch *evt_start(__u16 type, __u32 nparams, __u64 pid_tgid, __u32 tid)
{
	/* the agent's own syscalls (its /proc reads, its output writes) are not the host's
	 * activity, and sending them would only feed it back its own work */
	if (ignore_tgid && (__u32)(pid_tgid >> 32) == ignore_tgid)
		return 0;
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch, &cpu);
	if (!s)
		return 0;
	*(__u64 *)&s->data[PPM_HDR_TS] = boot_time + bpf_ktime_get_boot_ns();
	*(__u64 *)&s->data[PPM_HDR_TID] = tid;
	*(__u16 *)&s->data[PPM_HDR_TYPE] = type;
	*(__u32 *)&s->data[PPM_HDR_NPARAMS] = nparams;
	s->lenpos = PPM_HDR_SIZE;
	s->pos = PPM_HDR_SIZE + nparams * sizeof(__u16);
	return s;
}

/* An event of another thread than the current one (the child of a fork). */
static __always_inline struct scratch *evt_begin_tid(__u16 type, __u32 nparams, __u32 tid)
{
	return evt_start(type, nparams, bpf_get_current_pid_tgid(), tid);
}

static __always_inline struct scratch *evt_begin(__u16 type, __u32 nparams)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	return evt_start(type, nparams, pid_tgid, (__u32)pid_tgid);
}

/* Continues the event of this CPU in a tail-called program. */
static __always_inline struct scratch *evt_continue(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&scratch, &cpu);
}

static __always_inline void put_len(struct scratch *s, __u16 len)
{
	*(__u16 *)&s->data[s->lenpos & LEN_MASK] = len;
	s->lenpos += sizeof(__u16);
}

static __always_inline void put_empty(struct scratch *s)
{
	put_len(s, 0);
}

#define PUT_FIXED(name, type)                                          \
	static __always_inline void name(struct scratch *s, type v)    \
	{                                                              \
		*(type *)&s->data[s->pos & EVT_MASK] = v;              \
		s->pos += sizeof(type);                                \
		put_len(s, sizeof(type));                              \
	}
PUT_FIXED(put_u8, __u8)
PUT_FIXED(put_u16, __u16)
PUT_FIXED(put_u32, __u32)
PUT_FIXED(put_s32, __s32)
PUT_FIXED(put_u64, __u64)
PUT_FIXED(put_s64, __s64)

/* Raw bytes inside a param (no length): for params made of several fields. */
#define PUSH_FIXED(name, type)                                         \
	static __always_inline void name(struct scratch *s, type v)    \
	{                                                              \
		*(type *)&s->data[s->pos & EVT_MASK] = v;              \
		s->pos += sizeof(type);                                \
	}
PUSH_FIXED(push_u8, __u8)
PUSH_FIXED(push_u16, __u16)
PUSH_FIXED(push_u32, __u32)
PUSH_FIXED(push_u64, __u64)

/* A NUL-terminated string read from user (`user` true) or kernel memory, at most `max`
 * bytes with its NUL. Returns the bytes written: 0 when the pointer is NULL or unreadable
 * (libs' empty param), so "" is 1. */
static __always_inline __u16 push_str(struct scratch *s, const void *p, __u32 max, bool user)
{
	if (!p)
		return 0;
	long n = user ? bpf_probe_read_user_str(&s->data[s->pos & EVT_MASK], max & (MAX_PATH * 2 - 1), p)
		      : bpf_probe_read_kernel_str(&s->data[s->pos & EVT_MASK], max & (MAX_PATH * 2 - 1), p);
	if (n <= 0)
		return 0;
	s->pos += n;
	return (__u16)n;
}

static __always_inline __u16 put_str(struct scratch *s, const void *p, __u32 max, bool user)
{
	__u16 n = push_str(s, p, max, user);
	put_len(s, n);
	return n;
}

static __always_inline __u16 put_ustr(struct scratch *s, __u64 p)
{
	return put_str(s, (const void *)p, MAX_PATH, true);
}

/* A path param of `len` bytes (with its NUL, < SAKER_QUIET_PATH) at `path`, kernel memory: a
 * quiet-open key's path (saker.bpf.c), in the scratch buffer or a process's quiet entries. */
static __always_inline void put_quiet_path(struct scratch *s, const char *path, long len)
{
	__u32 n = (__u32)len & 0x3f; /* the verifier's bound: len < SAKER_QUIET_PATH < 64 */
	if (bpf_probe_read_kernel(&s->data[s->pos & EVT_MASK], n, path))
		n = 0;
	s->pos += n;
	put_len(s, (__u16)n);
}

/* Exactly `len` bytes of user memory, or an empty param when they cannot be read. */
static __always_inline __u16 push_ubytes(struct scratch *s, __u64 p, __u32 len)
{
	barrier_var(len);
	len &= EVT_MASK;
	if (!p || !len)
		return 0;
	if (bpf_probe_read_user(&s->data[s->pos & EVT_MASK], len, (const void *)p))
		return 0;
	s->pos += len;
	return (__u16)len;
}

static __always_inline void put_ubytes(struct scratch *s, __u64 p, __u32 len)
{
	put_len(s, push_ubytes(s, p, len));
}

/* Overwrites the byte before the write position (a NUL, a separator). */
static __always_inline void poke_prev(struct scratch *s, __u8 c)
{
	s->data[(s->pos - 1) & EVT_MASK] = c;
}

/* The saker_drop_kind of an event type, or -1 (libs' compute_event_types_stats). */
static __always_inline int drop_kind(__u16 type)
{
	switch (type) {
	case PPME_SYSCALL_CLONE_20_X:
	case PPME_SYSCALL_CLONE3_X:
	case PPME_SYSCALL_FORK_20_X:
	case PPME_SYSCALL_VFORK_20_X:
		return SAKER_DROP_CLONE_FORK_EXIT;
	case PPME_SYSCALL_EXECVE_19_X:
	case PPME_SYSCALL_EXECVEAT_X:
		return SAKER_DROP_EXECVE_EXIT;
	case PPME_SOCKET_CONNECT_E:
		return SAKER_DROP_CONNECT_ENTER;
	case PPME_SOCKET_CONNECT_X:
		return SAKER_DROP_CONNECT_EXIT;
	case PPME_SYSCALL_OPEN_E:
	case PPME_SYSCALL_CREAT_E:
	case PPME_SYSCALL_OPENAT_2_E:
	case PPME_SYSCALL_OPENAT2_E:
		return SAKER_DROP_OPEN_ENTER;
	case PPME_SYSCALL_OPEN_X:
	case PPME_SYSCALL_CREAT_X:
	case PPME_SYSCALL_OPENAT_2_X:
	case PPME_SYSCALL_OPENAT2_X:
	case PPME_SYSCALL_OPEN_BY_HANDLE_AT_X:
		return SAKER_DROP_OPEN_EXIT;
	case PPME_SYSCALL_CHMOD_X:
	case PPME_SYSCALL_FCHMOD_X:
	case PPME_SYSCALL_FCHMODAT_X:
	case PPME_SYSCALL_CHOWN_X:
	case PPME_SYSCALL_LCHOWN_X:
	case PPME_SYSCALL_FCHOWN_X:
	case PPME_SYSCALL_FCHOWNAT_X:
	case PPME_SYSCALL_LINK_2_X:
	case PPME_SYSCALL_LINKAT_2_X:
	case PPME_SYSCALL_MKDIR_2_X:
	case PPME_SYSCALL_MKDIRAT_X:
	case PPME_SYSCALL_MOUNT_X:
	case PPME_SYSCALL_UMOUNT2_X:
	case PPME_SYSCALL_RENAME_X:
	case PPME_SYSCALL_RENAMEAT_X:
	case PPME_SYSCALL_RENAMEAT2_X:
	case PPME_SYSCALL_RMDIR_2_X:
	case PPME_SYSCALL_SYMLINK_X:
	case PPME_SYSCALL_SYMLINKAT_X:
	case PPME_SYSCALL_UNLINK_2_X:
	case PPME_SYSCALL_UNLINKAT_2_X:
		return SAKER_DROP_DIR_FILE_EXIT;
	case PPME_SYSCALL_PTRACE_X:
	case PPME_SYSCALL_SETNS_X:
	case PPME_SYSCALL_SETRESGID_X:
	case PPME_SYSCALL_SETRESUID_X:
	case PPME_SYSCALL_SETSID_X:
	case PPME_SYSCALL_UNSHARE_X:
	case PPME_SYSCALL_CAPSET_X:
		return SAKER_DROP_OTHER_INTEREST_EXIT;
	case PPME_SYSCALL_CLOSE_X:
		return SAKER_DROP_CLOSE_EXIT;
	case PPME_PROCEXIT_1_E:
		return SAKER_DROP_PROC_EXIT;
	default:
		return -1;
	}
}

/* Finishes the event: writes its length and copies it, with the CPU after it (see
 * SAKER_RECORD_CPU_BYTES), into the ring buffer. False when it was dropped. */
static __always_inline bool evt_submit(struct scratch *s)
{
	struct saker_counters *c = counters_get();
	if (!c)
		return false;
	__u64 len = s->pos;
	if (len > SAKER_MAX_EVENT) {
		c->drops_size++;
		return false;
	}
	*(__u32 *)&s->data[PPM_HDR_LEN] = (__u32)len;
	/* past the event: the temporaries' half, free by now */
	*(__u16 *)&s->data[len & TMP_MASK] = (__u16)bpf_get_smp_processor_id();
	len += SAKER_RECORD_CPU_BYTES;
	/* Wake the reader only when the unread data crosses wakeup_bytes; the reader also
	 * drains on a timer. The ring's default (wake whenever the reader has caught up)
	 * woke Node every ~4 events under load: 5.2x the workload's time instead of 1.9x
	 * in bench/live (2M openat+close pairs). */
	__u64 avail = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA);
	__u64 flags = avail < wakeup_bytes && avail + len >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&ring, s->data, len, flags)) {
		c->drops_buffer++;
		int k = drop_kind(*(__u16 *)&s->data[PPM_HDR_TYPE]);
		if (k >= 0 && k < SAKER_DROP_KINDS)
			c->drops_kind[k]++;
		return false;
	}
	c->events++;
	return true;
}

#endif /* SAKER_WRITER_H */
