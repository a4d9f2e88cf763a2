/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * What the probe (saker.bpf.c) and its loader (driver/addon/saker.c) both read: sizes,
 * the selection values user space writes, and the counters user space reads.
 * Compiled on both sides, so only fixed-width types and #defines live here.
 *
 * Layout checks: test/live/layout.test.ts compares every struct below, as the BTF of
 * driver/build/saker.bpf.o describes it, with its TypeScript twin.
 */
#ifndef SAKER_SHARED_H
#define SAKER_SHARED_H

/* Native syscall numbers below this index the selection map and the tail-call table
 * (libs' SYSCALL_TABLE_SIZE; src/events/syscalls.ts SYSCALL_TABLE_SIZE). */
#define SAKER_SYSCALLS 512

/* Selection map slots past the syscalls: the scheduler tracepoints that are not tied to
 * one syscall. */
#define SAKER_SEL_PROCEXIT (SAKER_SYSCALLS + 0) /* sched_process_exit -> PROCEXIT_1_E */
#define SAKER_SEL_SLOTS (SAKER_SYSCALLS + 8)

/* Values of one selection slot (a bit set). Twin: SEL in src/sources/live/layout.ts. */
#define SAKER_SEL_EXIT 1    /* send the syscall's exit event (its own type) */
#define SAKER_SEL_GENERIC 2 /* send GENERIC_X: the syscall has no event type of its own */
#define SAKER_SEL_ENTER 4   /* also send the enter event (open family, connect: TOCTOU) */
#define SAKER_SEL_STATE_ONLY 8 /* no rule matches it: its events that would change nothing in
				* user space's state are not sent (see `redundant` below) */

/* The largest event the probe writes (scap limit: param lengths are u16). */
#define SAKER_MAX_EVENT 65536

/* Each ring buffer record is one event followed by the number of the CPU it was written
 * on (u16): the scap event header has no room for it, and one ring serves every CPU.
 * Twin: RECORD_CPU_BYTES in src/sources/live/layout.ts. */
#define SAKER_RECORD_CPU_BYTES 2

/*
 * Per-CPU counters, one entry of the `counters` BPF_MAP_TYPE_PERCPU_ARRAY.
 * Twin: COUNTERS in src/sources/live/layout.ts (decoded from the raw per-CPU bytes
 * the addon's stats() returns).
 */
/* Kinds of the events lost to a full ring buffer, as libs' modern probe counts them (its
 * metrics' scap.n_drops_buffer_<kind>); events of other types count in drops_buffer only.
 * Twin: DROP_KINDS in src/sources/live/layout.ts. */
enum saker_drop_kind {
	SAKER_DROP_CLONE_FORK_EXIT,
	SAKER_DROP_EXECVE_EXIT,
	SAKER_DROP_CONNECT_ENTER,
	SAKER_DROP_CONNECT_EXIT,
	SAKER_DROP_OPEN_ENTER,
	SAKER_DROP_OPEN_EXIT,
	SAKER_DROP_DIR_FILE_EXIT,
	SAKER_DROP_OTHER_INTEREST_EXIT,
	SAKER_DROP_CLOSE_EXIT,
	SAKER_DROP_PROC_EXIT,
	SAKER_DROP_KINDS,
};

struct saker_counters {
	__u64 events;        /* events written to the ring buffer */
	__u64 drops_buffer;  /* events lost: the ring buffer was full (failed reserve/output) */
	__u64 drops_size;    /* events lost: larger than SAKER_MAX_EVENT */
	__u64 unsupported;   /* selected syscalls for which this probe has no filler yet */
	__u64 quiet;         /* openat and close events not sent: quiet opens (below) */
	__u64 redundant;     /* events of SAKER_SEL_STATE_ONLY syscalls not sent: a clone
			      * caller's exit when its child's event was sent, a prlimit64 or
			      * setrlimit that sets no RLIMIT_NOFILE */
	__u64 drops_kind[SAKER_DROP_KINDS]; /* drops_buffer by kind of event (saker_drop_kind) */
};

/*
 * Quiet opens: a successful openat of a file (not a directory) whose key user space put in
 * the `quiet_opens` map is not sent, nor is the close of the fd it made (see saker.bpf.c).
 * User space puts there only what no loaded rule can depend on (src/engine/quiet-opens.ts).
 * The key: the flags param without PPM_O_F_CREATED and the overlay bits; the thread's comm
 * (proc.name), for a thread not renamed since its exec; and the path as the process passed
 * it. Strings are NUL-terminated and zero-padded; longer paths are always sent (the map
 * hashes the whole key on every lookup: 64 bytes cost ~25 ns less than 128).
 * Twin: QUIET_KEY in src/sources/live/layout.ts.
 */
#define SAKER_QUIET_PATH 60
#define SAKER_QUIET_COMM 16
struct saker_quiet_key {
	__u32 flags;
	char comm[SAKER_QUIET_COMM];
	char path[SAKER_QUIET_PATH];
};

#endif /* SAKER_SHARED_H */
