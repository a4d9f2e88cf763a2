// Twins of the C definitions in driver/bpf/shared.h that user space reads. Each is checked
// against the BTF of the built probe (driver/build/saker.bpf.o) by test/live/layout.test.ts,
// so a change on either side without the other fails a test.

/** Native syscall numbers below this index the selection (SAKER_SYSCALLS). */
export const SAKER_SYSCALLS = 512

/** Bits of one selection slot (SAKER_SEL_*). */
export const SEL = { EXIT: 1, GENERIC: 2, ENTER: 4 } as const

/** struct saker_counters, one per CPU: field byte offsets (all u64) and the size. */
export const COUNTERS = {
  size: 32,
  fields: { events: 0, dropsBuffer: 8, dropsSize: 16, unsupported: 24 },
} as const

/** The largest event the probe writes (SAKER_MAX_EVENT). */
export const SAKER_MAX_EVENT = 65536

/** Bytes after each event in a ring record: the CPU it was written on, u16 (SAKER_RECORD_CPU_BYTES). */
export const RECORD_CPU_BYTES = 2
