// What a capture's metadata blocks hold, as plain objects born complete (absent values
// are '', 0, 0n or empty arrays, never missing keys). 64-bit ids and counters that fit
// comfortably are numbers; masks, inodes and timestamps are bigints.

/** SHB: one per section; a capture made by concatenating files has several. */
export interface SectionHeader {
  /** Offset of the SHB block in the (decompressed) stream. */
  readonly offset: number
  readonly major: number
  readonly minor: number
  /** -1n (all ones) when the writer did not know it, which is what scap writes. */
  readonly sectionLength: bigint
}

/** MI block (scap_machine_info). */
export interface MachineInfo {
  numCpus: number
  memorySizeBytes: bigint
  maxPid: bigint
  hostname: string
  /** Host boot time, ns since the epoch; 0n in captures older than the field. */
  bootTsEpoch: bigint
  flags: bigint
}

/** IL block entry (scap_ifinfo_ipv4 / _ipv6). */
export interface InterfaceInfo {
  family: 'ipv4' | 'ipv6'
  name: string
  addr: string
  netmask: string
  bcast: string
  /** 0n for the old "no link speed" entry types. */
  linkspeed: bigint
}

/** UL block user entry. */
export interface UserInfo {
  uid: number
  gid: number
  name: string
  homedir: string
  shell: string
}

/** UL block group entry. */
export interface GroupInfo {
  gid: number
  name: string
}

/** scap_fd_type. */
export const FD_TYPE = {
  UNKNOWN: 0, FILE: 1, DIRECTORY: 2, IPV4_SOCK: 3, IPV6_SOCK: 4, IPV4_SERVSOCK: 5, IPV6_SERVSOCK: 6,
  FIFO: 7, UNIX_SOCK: 8, EVENT: 9, UNSUPPORTED: 10, SIGNALFD: 11, EVENTPOLL: 12, INOTIFY: 13,
  TIMERFD: 14, NETLINK: 15, FILE_V2: 16, BPF: 17, USERFAULTFD: 18, IOURING: 19, MEMFD: 20, PIDFD: 21,
} as const

/** scap_l4_proto. */
export const L4PROTO = { UNKNOWN: 0, NA: 1, TCP: 2, UDP: 3, ICMP: 4, RAW: 5 } as const

/** FDL block entry (scap_fdinfo). Fields the fd's type does not use stay '' / 0. */
export interface FdInfo {
  fd: number
  ino: bigint
  /** FD_TYPE value. An unknown type on file becomes UNSUPPORTED named "unknown-type:[N]", as scap does. */
  type: number
  /** Path for files, dirs, fifos and the other name-only types; unix socket path. */
  name: string
  /** FILE_V2: open flags. */
  openFlags: number
  /** FILE_V2: device (major/minor), when the entry carries it. */
  dev: number
  /** Never stored in captures (scap keeps it in memory only); always 0 here. */
  mountId: number
  /** Sockets: transport protocol (L4PROTO). */
  l4proto: number
  /** IPv4/IPv6 connected sockets. */
  sip: string
  sport: number
  dip: string
  dport: number
  /** IPv4/IPv6 server (listening) sockets: the local address. */
  ip: string
  port: number
  /** Unix sockets: kernel addresses of the two ends. */
  source: bigint
  dest: bigint
}

/** PL block entry (scap_threadinfo), every field any block version carries. */
export interface ThreadInfo {
  tid: number
  pid: number
  ptid: number
  /** Session id; -1 before PL v6. */
  sid: number
  /** Process group as seen from the thread's pid namespace; -1 before PL v8. */
  vpgid: number
  /** Process group as seen from the host; -1 unless the entry carries it. */
  pgid: number
  comm: string
  /** argv[0]. */
  exe: string
  /** Full executable path; '' before PL v7. */
  exepath: string
  args: string[]
  cwd: string
  /** Empty before PL v3. */
  env: string[]
  fdlimit: number
  flags: number
  uid: number
  gid: number
  /** 0xffffffff when unknown. */
  loginuid: number
  vmsizeKb: number
  vmrssKb: number
  vmswapKb: number
  pfmajor: number
  pfminor: number
  /** -1 before PL v4. */
  vtid: number
  vpid: number
  /** "subsys=path" entries as stored (libsinsp normalizes subsystem names later). */
  cgroups: string[]
  root: string
  /** Not stored in captures; 0n. */
  cloneTs: bigint
  tty: number
  exeWritable: boolean
  exeUpperLayer: boolean
  exeLowerLayer: boolean
  exeFromMemfd: boolean
  exeIno: bigint
  exeInoCtime: bigint
  exeInoMtime: bigint
  capInheritable: bigint
  capPermitted: bigint
  capEffective: bigint
  pidnsInitStartTs: bigint
  /** Not stored in captures (filtered threads are not written); false. */
  filteredOut: boolean
  /** This thread's FDL entries (shared with `CaptureSection.fds`). */
  fds: FdInfo[]
}

/** Everything between one SHB and the first event after it. */
export interface CaptureSection {
  readonly header: SectionHeader
  machine: MachineInfo | null
  interfaces: InterfaceInfo[]
  users: UserInfo[]
  groups: GroupInfo[]
  threads: ThreadInfo[]
  /** FDL entries by tid, including tids the process list does not have. */
  fds: Map<number, FdInfo[]>
  /** Block counts by name (PL_V9: 1, FDL_V2: 136...), metadata blocks only. */
  blocks: Record<string, number>
}
