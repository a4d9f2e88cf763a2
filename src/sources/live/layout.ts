// Twins of the C definitions in driver/bpf/shared.h that user space reads. Each is checked
// against the BTF of the built probe (driver/build/saker.bpf.o) by test/live/layout.test.ts,
// so a change on either side without the other fails a test.

/** Native syscall numbers below this index the selection (SAKER_SYSCALLS). */
export const SAKER_SYSCALLS = 512

/** Bits of one selection slot (SAKER_SEL_*). */
export const SEL = { EXIT: 1, GENERIC: 2, ENTER: 4, STATE_ONLY: 8 } as const

/** enum saker_drop_kind, in order: the kinds of buffer drops (libs' scap.n_drops_buffer_<kind>). */
export const DROP_KINDS = [
  'clone_fork_exit', 'execve_exit', 'connect_enter', 'connect_exit', 'open_enter', 'open_exit', 'dir_file_exit',
  'other_interest_exit', 'close_exit', 'proc_exit',
] as const
export type DropKind = (typeof DROP_KINDS)[number]

/** struct saker_counters, one per CPU: field byte offsets (u64 each; dropsKind: one per DROP_KINDS) and the size. */
export const COUNTERS = {
  size: 48 + 8 * DROP_KINDS.length,
  fields: { events: 0, dropsBuffer: 8, dropsSize: 16, unsupported: 24, quiet: 32, redundant: 40, dropsKind: 48 },
} as const

/** struct saker_quiet_key: the flags (u32), the comm, the path (NUL-terminated and zero-padded). */
export const QUIET_KEY = { size: 80, flags: 0, comm: 4, commBytes: 16, path: 20, pathBytes: 60 } as const

/** The longest path a key holds (bytes, without the NUL): the probe takes a read that fills
 * the key's path (NUL included) as cut short. */
export const QUIET_PATH_MAX = QUIET_KEY.pathBytes - 2

/** Bits of the openat flags param that are not part of a key: O_F_CREATED, FD_UPPER_LAYER,
 * FD_LOWER_LAYER (the probe learns them only from the opened file). */
export const QUIET_FLAGS_NOT_IN_KEY = 0x4000 | 0x8000 | 0x10000

/** The largest event the probe writes (SAKER_MAX_EVENT). */
export const SAKER_MAX_EVENT = 65536

/** Bytes after each event in a ring record: the CPU it was written on, u16 (SAKER_RECORD_CPU_BYTES). */
export const RECORD_CPU_BYTES = 2
