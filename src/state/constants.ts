// Numeric facts the state code reads from events, as falcosecurity/libs numbers them
// (driver/ppm_events_public.h, libs 0.25.4). Only what the parsers and extractors use.

/** Clone flags (PPM_CL_*), including the libsinsp-only bits kept in a thread's flags. */
export const CL = {
  CLONE_FILES: 1 << 0,
  CLONE_FS: 1 << 1,
  CLONE_NEWPID: 1 << 6,
  CLONE_PARENT: 1 << 8,
  CLONE_THREAD: 1 << 13,
  /** libsinsp: the child's clone exit came before the caller's. */
  CLONE_INVERTED: 1 << 16,
  /** libsinsp: the thread name changed. */
  NAME_CHANGED: 1 << 17,
  /** libsinsp: the thread has exited (procexit seen). */
  CLOSED: 1 << 18,
  /** libsinsp: set on the first non-clone event of a thread. */
  ACTIVE: 1 << 19,
  CLONE_NEWUSER: 1 << 20,
  PIPE_SRC: 1 << 21,
  PIPE_DST: 1 << 22,
  CLONE_VFORK: 1 << 27,
  CHILD_IN_PIDNS: 1 << 29,
  IS_MAIN_THREAD: 1 << 30,
} as const

/** Open flags (PPM_O_*) as the driver encodes them, plus the layer bits it adds on exit. */
export const O = {
  RDONLY: 1 << 0,
  WRONLY: 1 << 1,
  CREAT: 1 << 2,
  DIRECTORY: 1 << 10,
  CLOEXEC: 1 << 12,
  TMPFILE: 1 << 13,
  F_CREATED: 1 << 14,
  FD_UPPER_LAYER: 1 << 15,
  FD_LOWER_LAYER: 1 << 16,
} as const

/** creat's separate layer flags (PPM_FD_*_LAYER_CREAT). */
export const CREAT_UPPER_LAYER = 1 << 0
export const CREAT_LOWER_LAYER = 1 << 1

/** Exec bits of a mode (PPM_S_IX*). */
export const S_IXANY = (1 << 0) | (1 << 3) | (1 << 6)

/** execve flags (PPM_EXE_*). */
export const EXE = { WRITABLE: 1 << 0, UPPER_LAYER: 1 << 1, FROM_MEMFD: 1 << 2, LOWER_LAYER: 1 << 3 } as const
export const EXVAT_AT_EMPTY_PATH = 1 << 0

export const AT_FDCWD = -100
export const RLIMIT_NOFILE = 7
export const FCNTL = { F_DUPFD: 1, F_SETFD: 3, F_DUPFD_CLOEXEC: 26 } as const
export const EPOLL_CLOEXEC = 1 << 0
export const MFD_CLOEXEC = 1 << 0
export const CLOSE_RANGE_CLOEXEC = 1 << 2
export const PR_SET_CHILD_SUBREAPER = 36
export const PR_GET_CHILD_SUBREAPER = 37
/** FD_CLOEXEC of fcntl(F_SETFD). */
export const FD_CLOEXEC = 1

/** Socket families (PPM_AF_*). */
export const AF = { UNIX: 1, INET: 2, INET6: 10, NETLINK: 16, PACKET: 17 } as const
/** IP protocols and socket types add_socket looks at (Linux values). */
export const IPPROTO = { IP: 0, ICMP: 1, TCP: 6, UDP: 17, RAW: 255 } as const
export const SOCK = { STREAM: 1, DGRAM: 2, RAW: 3 } as const
/** SOCK_CLOEXEC, or'ed into a socket type. */
export const SOCK_CLOEXEC = 0o2000000

/** EINPROGRESS as a negative return value. */
export const EINPROGRESS = 115

/** libsinsp's CLONE_STALE_TIME_NS: a child entry older than this is replaced on its own clone exit. */
export const CLONE_STALE_TIME_NS = 2_000_000_000
/** libsinsp's MAX_FD_TABLE_SIZE: a process's fd table holds at most this many entries. */
export const MAX_FD_TABLE_SIZE = 4096
/** Falco's falco_libs.thread_table_size default. */
export const DEFAULT_THREAD_TABLE_SIZE = 262144
