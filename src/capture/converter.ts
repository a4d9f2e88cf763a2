// The event converter of libscap's savefile engine, as Falco 0.44.1 runs it (falcosecurity/libs
// 0.25.4, userspace/libscap/engine/savefile/converter and `next` in scap_savefile.c): old
// captures hold enter+exit pairs and older event versions with fewer params, and libscap
// rewrites them on read into the current versions before libsinsp sees them. Saker must see the
// same stream, so this module replays the same rules:
//
//  1. Per event type, a verdict from the event table flags (EF.UNUSED, EF.CONVERTER_MANAGED,
//     EF.OLD_VERSION) and the param count: pass as stored, drop, or convert.
//       - unused types are dropped;
//       - types the converter does not manage pass as stored (even with fewer params than the
//         table lists), except old enter versions, which are dropped;
//       - managed enter events are always converted (most are stored and dropped);
//       - managed exit events are converted when they are an old version or carry fewer params
//         than the table lists; more params than the table is an error.
//  2. A conversion looks up (type, nparams) in CONVERSIONS below and does one action: pass,
//     store the event as its thread's pending enter event (dropping or passing it), add params
//     after the stored ones, or rebuild the event as a newer type. Added params come from the
//     old event, from the thread's pending enter event (which must be the enter half of the
//     same event version, or the conversion fails), or are empty (length 0) or a default value
//     (the type's smallest width, all zero bytes, or 0xffffffff for uid/gid). Copied params
//     are cut to the widest value the new param type allows. A pending enter event used by a
//     conversion is forgotten.
//  3. The result gets a new verdict; a conversion can need further conversions (execve 8 -> 13
//     -> 14 -> ... -> 19 and then one added param at a time), at most MAX_CONVERSIONS in all.
//
// A (type, nparams) that needs a conversion the table does not have is an error: libscap
// returns SCAP_FAILURE and Falco stops reading the capture there. `convert` returns null with
// `error` set, and the reader turns that into its fatal error.
//
// Converted events are written in the V2 layout into one buffer the converter owns, and handed
// out through one EventView bound to it; events that need no conversion are handed back as the
// caller's own view, untouched. Nothing is allocated per event except when a thread is seen for
// the first time (its pending-enter slot) or an enter event outgrows its slot.
//
// One deliberate difference from libscap, to keep the pending-enter storage bounded: a thread's
// pending enter event is forgotten at its procexit (libscap keeps it forever, and would pair it
// with an exit of a later thread reusing the tid), and at most MAX_PENDING_ENTERS threads keep
// one (the longest-held is forgotten first).

import { EVENT_HEADER_SIZE, EventView, MAX_EVENT_PARAMS, paramLenSize } from '../events/event.js'
import { PT } from '../events/param-types.js'
import { EF, EVENTS, PPME } from '../events/table.js'
import { RecentByTid } from '../state/recent-by-tid.js'

/** libscap's conversion buffers are MAX_EVENT_SIZE (64 KiB); a conversion needing more fails. */
export const MAX_CONVERTED_EVENT_SIZE = 64 * 1024
/** MAX_CONVERSION_BOUNDARY: conversions of one stored event. */
export const MAX_CONVERSIONS = 50
/** Threads that may hold a pending enter event at once. */
export const MAX_PENDING_ENTERS = 65536

// ---------------------------------------------------------------------------------------------
// The conversion table

export const ACTION = { PASS: 1, STORE: 2, STORE_AND_PASS: 3, ADD_PARAMS: 4, CHANGE_TYPE: 5 } as const
export type Action = (typeof ACTION)[keyof typeof ACTION]

/** Where an added param comes from. */
export const FROM = { OLD: 1, ENTER: 2, DEFAULT: 3, EMPTY: 4, CALLBACK: 5 } as const
export type From = (typeof FROM)[keyof typeof FROM]

/**
 * Builds a param from the old event. `param(i)` gives the bytes of the old event's param i
 * (throws when there is none). Throwing makes the param fall back (empty or default);
 * returning more than `maxLen` bytes fails the conversion.
 */
export type ParamCallback = (param: (i: number) => Uint8Array, maxLen: number) => Uint8Array

export interface Instruction {
  readonly from: From
  /** Index of the param to copy, in the old event (OLD) or the pending enter event (ENTER). */
  readonly param: number
  /** ENTER and CALLBACK: with no value to take, push an empty param instead of a default one. */
  readonly emptyFallback: boolean
  readonly callback: ParamCallback | null
}

export interface Conversion {
  /** The event this applies to: its type and its param count. */
  readonly type: number
  readonly nparams: number
  readonly action: Action
  /** CHANGE_TYPE: the new type. Otherwise the same type. */
  readonly to: number
  /** ADD_PARAMS: the params appended; CHANGE_TYPE: all the params of the new event. */
  readonly instrs: readonly Instruction[]
}

const ins = (from: From, param: number, emptyFallback = false, callback: ParamCallback | null = null): Instruction =>
  ({ from, param, emptyFallback, callback })
/** The old event's param i. */
const O = (i: number): Instruction => ins(FROM.OLD, i)
/** The pending enter event's param i, or a default value. */
const E = (i: number): Instruction => ins(FROM.ENTER, i)
/** The pending enter event's param i, or an empty param. */
const Ee = (i: number): Instruction => ins(FROM.ENTER, i, true)
/** The type's default value. */
const D: Instruction = ins(FROM.DEFAULT, 0)
/** An empty (zero-length) param. */
const Z: Instruction = ins(FROM.EMPTY, 0)
/** The old event's params first..last. */
const olds = (first: number, last: number): Instruction[] => {
  const out: Instruction[] = []
  for (let i = first; i <= last; i++) out.push(O(i))
  return out
}
const empties = (n: number): Instruction[] => new Array<Instruction>(n).fill(Z)

const conv = (type: number, nparams: number, action: Action, to: number, instrs: readonly Instruction[]): Conversion =>
  ({ type, nparams, action, to, instrs })
const pass = (t: number, n: number): Conversion => conv(t, n, ACTION.PASS, t, [])
const store = (t: number, n: number): Conversion => conv(t, n, ACTION.STORE, t, [])
const storePass = (t: number, n: number): Conversion => conv(t, n, ACTION.STORE_AND_PASS, t, [])
const add = (t: number, n: number, ...instrs: Instruction[]): Conversion => conv(t, n, ACTION.ADD_PARAMS, t, instrs)
const change = (t: number, n: number, to: number, ...instrs: Instruction[]): Conversion =>
  conv(t, n, ACTION.CHANGE_TYPE, to, instrs)

/** An enter event kept for its exit: the usual pair for a syscall whose exit now has every param. */
const pair = (enter: number, enterParams: number, exitParams: number, ...instrs: Instruction[]): Conversion[] =>
  [store(enter, enterParams), add(enter + 1, exitParams, ...instrs)]

/**
 * Old container events carried id, type, name and image; the JSON event that replaced them
 * carries `{"id":…,"type":…,"name":…,"image":…}`, built with no escaping, as libscap does.
 */
function containerJson(param: (i: number) => Uint8Array): Uint8Array {
  // libscap drops the last byte of each string param (its NUL); an empty one cannot be cut.
  const text = (i: number): Uint8Array => {
    const b = param(i)
    if (b.length === 0) throw new Error('empty string param')
    return b.subarray(0, b.length - 1)
  }
  const id = text(0)
  const ty = param(1)
  if (ty.length > 4) throw new Error('type param wider than 4 bytes')
  let type = 0
  for (let i = ty.length - 1; i >= 0; i--) type = type * 256 + ty[i]!
  const name = text(2)
  const image = text(3)
  const enc = new TextEncoder()
  const parts = [
    enc.encode('{"id":"'), id, enc.encode(`","type":${type},"name":"`), name, enc.encode('","image":"'), image,
    enc.encode('"}'), Uint8Array.of(0),
  ]
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const X = PPME

/**
 * libs 0.25.4 converter/table.cpp, entry by entry (same grouping, same order of params). The
 * key is (type, nparams as stored); the execve, clone, fork and vfork chains climb one version
 * (or one added param) per entry.
 */
export const CONVERSIONS: readonly Conversion[] = [
  store(X.GENERIC_E, 2), add(X.GENERIC_X, 1, Ee(1)),
  add(X.SYSCALL_OPEN_E, 0, Z, Z, Z), pass(X.SYSCALL_OPEN_E, 3),
  add(X.SYSCALL_OPEN_X, 4, Z), add(X.SYSCALL_OPEN_X, 5, Z),
  ...pair(X.SYSCALL_CLOSE_E, 1, 1, E(0)),
  ...pair(X.SYSCALL_READ_E, 2, 2, E(0), E(1)),
  store(X.SYSCALL_LINK_E, 2), change(X.SYSCALL_LINK_X, 1, X.SYSCALL_LINK_2_X, O(0), Ee(0), Ee(1)),
  store(X.SYSCALL_LINKAT_E, 4),
  change(X.SYSCALL_LINKAT_X, 1, X.SYSCALL_LINKAT_2_X, O(0), Ee(0), Ee(1), Ee(2), Ee(3), Z),
  store(X.SYSCALL_UNLINK_E, 1), change(X.SYSCALL_UNLINK_X, 1, X.SYSCALL_UNLINK_2_X, O(0), Ee(0)),
  store(X.SYSCALL_UNLINKAT_E, 2), change(X.SYSCALL_UNLINKAT_X, 1, X.SYSCALL_UNLINKAT_2_X, O(0), Ee(0), Ee(1), Z),
  ...pair(X.SYSCALL_PREAD_E, 3, 2, E(0), E(1), E(2)),
  store(X.SYSCALL_DUP_E, 1), change(X.SYSCALL_DUP_X, 1, X.SYSCALL_DUP_1_X, O(0), Ee(0)),
  ...pair(X.SYSCALL_SIGNALFD_E, 3, 1, E(0), E(1), E(2)),
  ...pair(X.SYSCALL_KILL_E, 2, 1, E(0), E(1)),
  ...pair(X.SYSCALL_TKILL_E, 2, 1, E(0), E(1)),
  ...pair(X.SYSCALL_TGKILL_E, 3, 1, E(0), E(1), E(2)),
  ...pair(X.SYSCALL_NANOSLEEP_E, 1, 1, E(0)),
  ...pair(X.SYSCALL_TIMERFD_CREATE_E, 2, 1, E(0), E(1)),
  ...pair(X.SYSCALL_INOTIFY_INIT_E, 1, 1, E(0)),
  ...pair(X.SYSCALL_GETRLIMIT_E, 1, 3, E(0)),
  ...pair(X.SYSCALL_SETRLIMIT_E, 1, 3, E(0)),
  ...pair(X.SYSCALL_PRLIMIT_E, 2, 5, Ee(0), Ee(1)),
  change(X.SCHEDSWITCH_1_E, 1, X.SCHEDSWITCH_6_E, O(0), ...empties(5)),
  ...pair(X.SYSCALL_FCNTL_E, 2, 1, E(0), E(1)), add(X.SYSCALL_FCNTL_X, 3, D),
  store(X.SYSCALL_BRK_1_E, 1), change(X.SYSCALL_BRK_1_X, 1, X.SYSCALL_BRK_4_X, O(0), Ee(0), Z, Z, Z),
  ...pair(X.SYSCALL_BRK_4_E, 1, 4, Ee(0)),
  // execve: the enter versions climb to 19 (which gains `filename`, empty before 18) and are
  // kept and passed; the exit versions climb to 19 and then gain one param group at a time,
  // the last one `filename` from the kept enter event.
  change(X.SYSCALL_EXECVE_8_E, 0, X.SYSCALL_EXECVE_13_E),
  change(X.SYSCALL_EXECVE_8_X, 8, X.SYSCALL_EXECVE_13_X, ...olds(0, 7), ...empties(5)),
  change(X.SYSCALL_EXECVE_13_E, 0, X.SYSCALL_EXECVE_14_E),
  change(X.SYSCALL_EXECVE_13_X, 13, X.SYSCALL_EXECVE_14_X, ...olds(0, 12), Z),
  change(X.SYSCALL_EXECVE_14_E, 0, X.SYSCALL_EXECVE_15_E),
  change(X.SYSCALL_EXECVE_14_X, 14, X.SYSCALL_EXECVE_15_X, ...olds(0, 12), Z, O(13)),
  change(X.SYSCALL_EXECVE_15_E, 0, X.SYSCALL_EXECVE_16_E),
  change(X.SYSCALL_EXECVE_15_X, 15, X.SYSCALL_EXECVE_16_X, ...olds(0, 13), Z, O(14)),
  change(X.SYSCALL_EXECVE_16_E, 0, X.SYSCALL_EXECVE_17_E),
  change(X.SYSCALL_EXECVE_16_X, 16, X.SYSCALL_EXECVE_17_X, ...olds(0, 15), Z),
  change(X.SYSCALL_EXECVE_17_E, 0, X.SYSCALL_EXECVE_18_E, Z),
  change(X.SYSCALL_EXECVE_17_X, 17, X.SYSCALL_EXECVE_18_X, ...olds(0, 16)),
  change(X.SYSCALL_EXECVE_18_E, 1, X.SYSCALL_EXECVE_19_E, O(0)),
  change(X.SYSCALL_EXECVE_18_X, 17, X.SYSCALL_EXECVE_19_X, ...olds(0, 16), Z),
  add(X.SYSCALL_EXECVE_19_X, 18, Z),
  storePass(X.SYSCALL_EXECVE_19_E, 1),
  add(X.SYSCALL_EXECVE_19_X, 19, Z),
  add(X.SYSCALL_EXECVE_19_X, 20, Z, Z, Z),
  add(X.SYSCALL_EXECVE_19_X, 23, Z, Z, Z),
  add(X.SYSCALL_EXECVE_19_X, 26, Z),
  add(X.SYSCALL_EXECVE_19_X, 27, Z),
  add(X.SYSCALL_EXECVE_19_X, 28, Z),
  add(X.SYSCALL_EXECVE_19_X, 29, Z),
  add(X.SYSCALL_EXECVE_19_X, 30, Ee(0)),
  change(X.SYSCALL_CLONE_11_X, 11, X.SYSCALL_CLONE_16_X, ...olds(0, 7), ...empties(5), ...olds(8, 10)),
  change(X.SYSCALL_CLONE_16_X, 16, X.SYSCALL_CLONE_17_X, ...olds(0, 12), Z, ...olds(13, 15)),
  change(X.SYSCALL_CLONE_17_X, 17, X.SYSCALL_CLONE_20_X, ...olds(0, 13), Z, ...olds(14, 16), Z, Z),
  add(X.SYSCALL_CLONE_20_X, 20, Z),
  ...pair(X.SOCKET_BIND_E, 1, 2, E(0)),
  add(X.SOCKET_CONNECT_E, 1, D), storePass(X.SOCKET_CONNECT_E, 2),
  add(X.SOCKET_CONNECT_X, 2, E(0)), add(X.SOCKET_CONNECT_X, 3, E(1)),
  change(X.PROCEXIT_E, 0, X.PROCEXIT_1_E, ...empties(5)),
  ...pair(X.SOCKET_SOCKET_E, 3, 1, E(0), E(1), E(2)), add(X.SOCKET_SOCKET_X, 4, D),
  ...pair(X.SOCKET_LISTEN_E, 2, 1, E(0), E(1)),
  change(X.SOCKET_ACCEPT_X, 3, X.SOCKET_ACCEPT_5_X, O(0), O(1), O(2), D, D),
  ...pair(X.SYSCALL_WRITE_E, 2, 2, E(0), E(1)),
  ...pair(X.SYSCALL_PWRITE_E, 3, 2, E(0), E(1), E(2)),
  ...pair(X.SYSCALL_READV_E, 1, 3, E(0)),
  ...pair(X.SYSCALL_WRITEV_E, 2, 2, E(0), E(1)),
  ...pair(X.SYSCALL_PREADV_E, 2, 3, E(0), E(1)),
  ...pair(X.SYSCALL_PWRITEV_E, 3, 2, E(0), E(1), E(2)),
  ...pair(X.SYSCALL_SETRESUID_E, 3, 1, Ee(0), Ee(1), Ee(2)),
  ...pair(X.SYSCALL_SETUID_E, 1, 1, Ee(0)),
  ...pair(X.SOCKET_RECV_E, 2, 2, E(0), E(1), D),
  ...pair(X.SOCKET_RECVFROM_E, 2, 3, E(0), E(1)),
  ...pair(X.SOCKET_SEND_E, 2, 2, E(0), E(1), D),
  ...pair(X.SOCKET_SENDTO_E, 3, 2, E(0), E(1), E(2)),
  ...pair(X.SOCKET_SHUTDOWN_E, 2, 1, E(0), E(1)),
  ...pair(X.SOCKET_SOCKETPAIR_E, 3, 5, E(0), E(1), E(2)),
  ...pair(X.SOCKET_SENDMSG_E, 3, 2, E(0), E(1), E(2)),
  // res is a default (0), never empty; fd, size, data, tuple empty.
  add(X.SOCKET_SENDMMSG_X, 0, D, Z, Z, Z, Z),
  ...pair(X.SOCKET_RECVMSG_E, 1, 4, D), add(X.SOCKET_RECVMSG_X, 5, E(0)),
  add(X.SOCKET_RECVMMSG_X, 0, D, Z, Z, Z, Z, Z),
  add(X.SYSCALL_CREAT_E, 0, Z, Z), pass(X.SYSCALL_CREAT_E, 2),
  add(X.SYSCALL_CREAT_X, 3, Z), add(X.SYSCALL_CREAT_X, 4, Z), add(X.SYSCALL_CREAT_X, 5, Z),
  ...pair(X.SYSCALL_EVENTFD_E, 2, 1, E(0), E(1)),
  ...pair(X.SYSCALL_MKDIR_2_E, 1, 2, Ee(0)),
  store(X.SYSCALL_MKDIR_E, 2), change(X.SYSCALL_MKDIR_X, 1, X.SYSCALL_MKDIR_2_X, O(0), Ee(0), Ee(1)),
  store(X.SYSCALL_RMDIR_E, 1), change(X.SYSCALL_RMDIR_X, 1, X.SYSCALL_RMDIR_2_X, O(0), Ee(0)),
  store(X.SYSCALL_OPENAT_E, 4),
  change(X.SYSCALL_OPENAT_X, 1, X.SYSCALL_OPENAT_2_X, O(0), Ee(0), Ee(1), Ee(2), Ee(3), Z, Z),
  add(X.SYSCALL_OPENAT_2_E, 0, Z, Z, Z, Z), pass(X.SYSCALL_OPENAT_2_E, 4),
  add(X.SYSCALL_OPENAT_2_X, 5, Z), add(X.SYSCALL_OPENAT_2_X, 6, Z),
  ...pair(X.SYSCALL_UNSHARE_E, 1, 1, E(0)),
  ...pair(X.SYSCALL_FUTEX_E, 3, 1, E(0), E(1), E(2)),
  ...pair(X.SYSCALL_FSTAT_E, 1, 1, E(0)),
  ...pair(X.SYSCALL_EPOLLWAIT_E, 1, 1, E(0)),
  ...pair(X.SYSCALL_POLL_E, 2, 2, E(1)),
  change(X.SYSCALL_NEWSELECT_X, 1, X.SYSCALL_SELECT_X, O(0)),
  ...pair(X.SYSCALL_LSEEK_E, 3, 1, E(0), E(1), E(2)),
  ...pair(X.SYSCALL_LLSEEK_E, 3, 1, E(0), E(1), E(2)),
  store(X.SYSCALL_IOCTL_2_E, 2), change(X.SYSCALL_IOCTL_2_X, 1, X.SYSCALL_IOCTL_3_X, O(0), Ee(0), Ee(1), Z),
  ...pair(X.SYSCALL_IOCTL_3_E, 3, 1, E(0), E(1), E(2)),
  ...pair(X.SYSCALL_MMAP_E, 6, 4, E(0), E(1), E(2), E(3), E(4), E(5)),
  ...pair(X.SYSCALL_MMAP2_E, 6, 4, E(0), E(1), E(2), E(3), E(4), E(5)),
  ...pair(X.SYSCALL_MUNMAP_E, 2, 4, E(0), E(1)),
  ...pair(X.SYSCALL_SPLICE_E, 4, 1, E(0), E(1), E(2), E(3)),
  ...pair(X.SYSCALL_PTRACE_E, 2, 0, Z, Z, Z), add(X.SYSCALL_PTRACE_X, 3, Ee(0), Ee(1)),
  change(X.SYSCALL_FORK_X, 16, X.SYSCALL_FORK_17_X, ...olds(0, 12), Z, ...olds(13, 15)),
  change(X.SYSCALL_FORK_17_X, 17, X.SYSCALL_FORK_20_X, ...olds(0, 13), Z, ...olds(14, 16), Z, Z),
  add(X.SYSCALL_FORK_20_X, 20, Z),
  change(X.SYSCALL_VFORK_X, 16, X.SYSCALL_VFORK_17_X, ...olds(0, 12), Z, ...olds(13, 15)),
  change(X.SYSCALL_VFORK_17_X, 17, X.SYSCALL_VFORK_20_X, ...olds(0, 13), Z, ...olds(14, 16), Z, Z),
  add(X.SYSCALL_VFORK_20_X, 20, Z),
  ...pair(X.SYSCALL_SENDFILE_E, 4, 2, E(0), E(1), E(3)),
  ...pair(X.SYSCALL_QUOTACTL_E, 4, 14, E(0), E(1), E(2), E(3)),
  ...pair(X.SYSCALL_FCHDIR_E, 1, 1, Ee(0)),
  ...pair(X.SYSCALL_GETDENTS_E, 1, 1, E(0)),
  ...pair(X.SYSCALL_GETDENTS64_E, 1, 1, E(0)),
  ...pair(X.SYSCALL_SETNS_E, 2, 1, Ee(0), Ee(1)),
  ...pair(X.SYSCALL_FLOCK_E, 2, 1, E(0), E(1)),
  ...pair(X.SYSCALL_SEMOP_E, 1, 8, E(0)),
  ...pair(X.SYSCALL_SEMCTL_E, 4, 1, E(0), E(1), E(2), E(3)),
  ...pair(X.SYSCALL_PPOLL_E, 3, 2, E(1), E(2)),
  ...pair(X.SYSCALL_MOUNT_E, 1, 4, E(0)),
  change(X.SYSCALL_UMOUNT_X, 2, X.SYSCALL_UMOUNT_1_X, O(0), O(1)),
  ...pair(X.SYSCALL_SEMGET_E, 3, 1, E(0), E(1), E(2)),
  ...pair(X.SYSCALL_ACCESS_E, 1, 2, E(0)),
  change(X.CONTAINER_E, 4, X.CONTAINER_JSON_E, ins(FROM.CALLBACK, 0, true, containerJson)),
  change(X.CONTAINER_JSON_E, 1, X.CONTAINER_JSON_2_E, O(0)),
  ...pair(X.SYSCALL_SETGID_E, 1, 1, Ee(0)),
  ...pair(X.SYSCALL_SETPGID_E, 2, 1, Ee(0), Ee(1)),
  // cmd was an INT64 in the enter event and is an ENUMFLAGS32 now: cut to its low 4 bytes.
  store(X.SYSCALL_BPF_E, 1), change(X.SYSCALL_BPF_X, 1, X.SYSCALL_BPF_2_X, O(0), Ee(0)),
  add(X.SYSCALL_SECCOMP_E, 1, D), ...pair(X.SYSCALL_SECCOMP_E, 2, 1, E(0), E(1)),
  add(X.SYSCALL_OPENAT2_E, 0, ...empties(5)), pass(X.SYSCALL_OPENAT2_E, 5),
  add(X.SYSCALL_OPENAT2_X, 6, Z, Z),
  ...pair(X.SYSCALL_MPROTECT_E, 3, 1, E(0), E(1), E(2)),
  pass(X.SYSCALL_EXECVEAT_E, 3),
  add(X.SYSCALL_EXECVEAT_X, 19, Z),
  add(X.SYSCALL_EXECVEAT_X, 20, Z, Z, Z),
  add(X.SYSCALL_EXECVEAT_X, 23, Z, Z, Z),
  add(X.SYSCALL_EXECVEAT_X, 26, Z),
  add(X.SYSCALL_EXECVEAT_X, 27, Z),
  add(X.SYSCALL_EXECVEAT_X, 28, Z),
  add(X.SYSCALL_EXECVEAT_X, 29, Z),
  ...pair(X.SYSCALL_COPY_FILE_RANGE_E, 3, 3, E(0), E(1), E(2)),
  add(X.SYSCALL_CLONE3_X, 20, Z),
  ...pair(X.SYSCALL_EPOLL_CREATE_E, 1, 1, E(0)),
  ...pair(X.SYSCALL_EPOLL_CREATE1_E, 1, 1, E(0)),
  ...pair(X.SYSCALL_SETRESGID_E, 3, 1, Ee(0), Ee(1), Ee(2)),
  store(X.SOCKET_ACCEPT4_E, 1),
  change(X.SOCKET_ACCEPT4_X, 3, X.SOCKET_ACCEPT4_6_X, O(0), O(1), O(2), D, D, E(0)),
  store(X.SOCKET_ACCEPT4_5_E, 1),
  change(X.SOCKET_ACCEPT4_5_X, 5, X.SOCKET_ACCEPT4_6_X, ...olds(0, 4), E(0)),
  ...pair(X.SOCKET_ACCEPT4_6_E, 1, 5, E(0)),
  ...pair(X.SYSCALL_UMOUNT2_E, 1, 2, E(0)),
  ...pair(X.SYSCALL_EVENTFD2_E, 1, 2, E(0)),
  ...pair(X.SYSCALL_SIGNALFD4_E, 2, 2, E(0), E(1)),
]

// By type, then by stored param count (libscap keys on the count cut to 8 bits).
const BY_TYPE: (Conversion | undefined)[][] = []
for (const c of CONVERSIONS) {
  const row = (BY_TYPE[c.type] ??= [])
  if (row[c.nparams] !== undefined) throw new Error(`converter: two conversions for ${c.type}/${c.nparams}`)
  row[c.nparams] = c
}

/** The conversion libscap would apply to a stored (type, nparams), if any. */
export function conversionFor(type: number, nparams: number): Conversion | undefined {
  return BY_TYPE[type]?.[nparams & 0xff]
}

// ---------------------------------------------------------------------------------------------
// Verdicts

export const VERDICT = { PASS: 0, DROP: 1, CONVERT: 2, ERROR: 3 } as const
export type Verdict = (typeof VERDICT)[keyof typeof VERDICT]

// Per type, what the flags alone decide.
const K_PASS = 0
const K_DROP = 1
const K_BAD_OLD_EXIT = 2
const K_CONVERT = 3
const K_CHECK_EXIT = 4

/** Per event type, the type of each of its params (read per converted param; the table's param objects were slow to read). */
const PARAM_TYPES: Int16Array[] = EVENTS.map((e) => Int16Array.from(e.params, (p) => p.type))

const KIND = new Uint8Array(EVENTS.length)
const NPARAMS = new Uint8Array(EVENTS.length)
for (let t = 0; t < EVENTS.length; t++) {
  const e = EVENTS[t]!
  NPARAMS[t] = e.params.length
  const f = e.flags
  const enter = (t & 1) === 0
  if ((f & EF.UNUSED) !== 0) KIND[t] = K_DROP
  else if ((f & EF.CONVERTER_MANAGED) === 0) KIND[t] = (f & EF.OLD_VERSION) === 0 ? K_PASS : enter ? K_DROP : K_BAD_OLD_EXIT
  else KIND[t] = enter ? K_CONVERT : (f & EF.OLD_VERSION) !== 0 ? K_CONVERT : K_CHECK_EXIT
}

/**
 * What libscap does with an event of this type and param count as it stands (its
 * test_event_convertibility): deliver it, drop it, convert it, or fail.
 */
export function verdictFor(type: number, nparams: number): Verdict {
  switch (KIND[type]) {
    case K_PASS: return VERDICT.PASS
    case K_DROP: return VERDICT.DROP
    case K_BAD_OLD_EXIT: return VERDICT.ERROR
    case K_CONVERT: return VERDICT.CONVERT
    default: {
      const want = NPARAMS[type]!
      return nparams === want ? VERDICT.PASS : nparams < want ? VERDICT.CONVERT : VERDICT.ERROR
    }
  }
}

// Smallest and largest byte width per param type (driver/ppm_param_helpers.h); -1: libscap has
// no width for the type (a conversion that needs it fails). Variable-size types are 0..65535 or
// 0..2^32-1 depending on the width of the event's param lengths.
const VARIABLE = -2
const MIN_LEN = new Int8Array(64).fill(-1)
const MAX_LEN = new Int8Array(64).fill(-1)
{
  const set = (n: number, ...types: number[]): void => {
    for (const t of types) {
      MIN_LEN[t] = n === VARIABLE ? 0 : n
      MAX_LEN[t] = n
    }
  }
  set(1, PT.INT8, PT.UINT8, PT.FLAGS8, PT.ENUMFLAGS8, PT.SIGTYPE)
  set(2, PT.INT16, PT.UINT16, PT.FLAGS16, PT.ENUMFLAGS16, PT.SYSCALLID, PT.PORT)
  set(4, PT.INT32, PT.UINT32, PT.FLAGS32, PT.ENUMFLAGS32, PT.UID, PT.GID, PT.MODE, PT.SIGSET, PT.FD32, PT.PID32, PT.IPV4ADDR)
  set(8, PT.INT64, PT.UINT64, PT.RELTIME, PT.ABSTIME, PT.ERRNO, PT.FD, PT.PID)
  set(16, PT.IPV6ADDR)
  set(VARIABLE, PT.BYTEBUF, PT.CHARBUF, PT.SOCKTUPLE, PT.FDLIST, PT.FSPATH, PT.CHARBUFARRAY, PT.CHARBUF_PAIR_ARRAY,
    PT.FSRELPATH, PT.DYN, PT.SOCKADDR)
}

/** Width and bytes of the default value libscap pushes for a param type; null when it has none. */
export function defaultParam(type: number): Uint8Array | null {
  const n = MIN_LEN[type] ?? -1
  if (n < 0) return null
  // Every default is zero bytes, except uid and gid: (uint32_t)-1, "no such user".
  return new Uint8Array(n).fill(type === PT.UID || type === PT.GID ? 0xff : 0)
}

function maxParamLen(type: number, lenSize: number): number {
  const n = MAX_LEN[type] ?? -1
  return n === VARIABLE ? (lenSize === 2 ? 0xffff : 0xffffffff) : n
}

// ---------------------------------------------------------------------------------------------
// Plans for the common ADD_PARAMS conversions

/**
 * An ADD_PARAMS conversion whose params all come from the enter event, are empty or are
 * defaults, and whose result is final (its verdict is PASS): what `step` would work out
 * for each param, worked out once.
 */
interface AddPlan {
  /** The param count after the conversion. */
  readonly newN: number
  /** Per added param: FROM.ENTER, FROM.EMPTY or FROM.DEFAULT. */
  readonly from: Uint8Array
  /** ENTER: the enter event's param to copy. */
  readonly param: Uint8Array
  /** ENTER: the widest value the param takes; DEFAULT: the default's width. */
  readonly width: Float64Array
  /** DEFAULT: the fill byte (0xff for uid and gid). */
  readonly fill: Uint8Array
  /** The highest enter param copied, -1 when none is. */
  readonly lastEnterParam: number
}

function makeAddPlan(c: Conversion): AddPlan | null {
  const n = c.instrs.length
  const newN = c.nparams + n
  if (c.action !== ACTION.ADD_PARAMS || verdictFor(c.type, newN) !== VERDICT.PASS || n > MAX_EVENT_PARAMS) return null
  const ptypes = PARAM_TYPES[c.type]!
  const ls = paramLenSize(c.type)
  const plan = {
    newN, from: new Uint8Array(n), param: new Uint8Array(n), width: new Float64Array(n), fill: new Uint8Array(n), lastEnterParam: -1,
  }
  for (let i = 0; i < n; i++) {
    const ins = c.instrs[i]!
    const idx = c.nparams + i
    const ptype = idx < ptypes.length ? ptypes[idx]! : -1
    plan.from[i] = ins.from
    if (ins.from === FROM.ENTER) {
      const max = ptype >= 0 ? maxParamLen(ptype, ls) : -1
      if (max < 0 || ins.param >= MAX_EVENT_PARAMS) return null
      plan.param[i] = ins.param
      plan.width[i] = max
      plan.lastEnterParam = Math.max(plan.lastEnterParam, ins.param)
    } else if (ins.from === FROM.DEFAULT) {
      const dflt = ptype >= 0 ? MIN_LEN[ptype] ?? -1 : -1
      if (dflt < 0) return null
      plan.width[i] = dflt
      plan.fill[i] = ptype === PT.UID || ptype === PT.GID ? 0xff : 0
    } else if (ins.from !== FROM.EMPTY) {
      return null
    }
  }
  return plan
}

// The two commonest conversions, looked up by `convert` in flat tables at type * FAST_ROW +
// nparams (param counts up to MAX_EVENT_PARAMS; the others take the general path).
const FAST_ROW = MAX_EVENT_PARAMS + 1
const FAST_NONE = 0
/** A STORE: an enter event kept for its exit. */
const FAST_STORE = 1
/** An ADD_PARAMS conversion with a plan (in FAST_PLANS). */
const FAST_ADD = 2
const FAST_OPS = new Uint8Array(EVENTS.length * FAST_ROW)
const FAST_PLANS: (AddPlan | null)[] = new Array<AddPlan | null>(EVENTS.length * FAST_ROW).fill(null)
for (const c of CONVERSIONS) {
  if (c.nparams > MAX_EVENT_PARAMS) continue
  const at = c.type * FAST_ROW + c.nparams
  const plan = makeAddPlan(c)
  FAST_OPS[at] = c.action === ACTION.STORE ? FAST_STORE : plan !== null ? FAST_ADD : FAST_NONE
  FAST_PLANS[at] = plan
}

// ---------------------------------------------------------------------------------------------
// The converter

const TWO_32 = 4294967296

/** A thread's pending enter event: a copy of its bytes. */
class Pending {
  buf: Uint8Array
  dv: DataView
  live = false
  constructor(size: number) {
    this.buf = new Uint8Array(slotSize(size))
    this.dv = new DataView(this.buf.buffer)
  }
}

function slotSize(len: number): number {
  let n = 128
  while (n < len) n *= 2
  return n
}

export interface ConverterStats {
  /** Events handed out rewritten (a new type, or params added). */
  converted: number
  /** Events dropped: enter events kept for their exit, old enter versions, unused types. */
  dropped: number
  /** Exits whose thread's stored enter was of another syscall (its own exit was lost). */
  mismatchedEnters: number
}

export class EventConverter {
  /** Why the last `convert` failed, or null. */
  error: string | null = null
  readonly stats: ConverterStats = { converted: 0, dropped: 0, mismatchedEnters: 0 }

  private readonly out = new Uint8Array(MAX_CONVERTED_EVENT_SIZE)
  private readonly outDv = new DataView(this.out.buffer)
  private readonly tmp = new Uint8Array(MAX_CONVERTED_EVENT_SIZE)
  private readonly tmpDv = new DataView(this.tmp.buffer)
  /** The one view handed out for converted events, always over `out`. */
  private readonly view = new EventView()
  private readonly pending = new Map<number, Pending>()
  /** Slots in `pending` holding an event not used yet. */
  private live = 0
  /** pending's recent answers (store, forget and reset keep them true). */
  private readonly recentPending = new RecentByTid(this.pending)
  /** Set by `step` when its result is its input unchanged. */
  private resultIsInput = false
  /** addFromEnter: where the enter event's params are. */
  private readonly enterOffs = new Uint32Array(MAX_EVENT_PARAMS)
  private readonly enterLens = new Uint32Array(MAX_EVENT_PARAMS)
  // Where `locate` found a param.
  private spanOff = 0
  private spanLen = 0

  /** Forgets pending enter events and zeroes the counts: call before replaying from the start. */
  reset(): void {
    this.pending.clear()
    this.recentPending.clear()
    this.live = 0
    this.error = null
    this.stats.converted = 0
    this.stats.dropped = 0
    this.stats.mismatchedEnters = 0
  }

  /** Threads holding a pending enter event (not used by an exit yet). */
  get pendingCount(): number {
    return this.live
  }

  /**
   * Feeds one stored event, in capture order. Returns the event to deliver: `ev` itself when it
   * needs no change, or the converter's own view over the converted bytes (valid until the next
   * call). Returns null when the event is dropped, or when the conversion failed: then `error`
   * says why, and libscap would stop reading the capture here.
   */
  convert(ev: EventView): EventView | null {
    this.error = null
    // Most events pass as stored: this test is kept apart from the rest (convertManaged), small
    // enough to be inlined where events are read.
    return KIND[ev.type] === K_PASS ? this.deliver(ev) : this.convertManaged(ev)
  }

  private convertManaged(ev: EventView): EventView | null {
    const type = ev.type
    const kind = KIND[type]
    let v = verdictFor(type, ev.nparams)
    if (v !== VERDICT.CONVERT) {
      if (v === VERDICT.PASS) return this.deliver(ev)
      if (v === VERDICT.DROP) this.stats.dropped++
      else this.error = kind === K_BAD_OLD_EXIT
        ? `old exit event ${describe(type)} is not managed by the converter`
        : `event ${describe(type)} has more params (${ev.nparams}) than expected (${NPARAMS[type]})`
      return null
    }
    let sb = ev.buf
    let sdv = ev.data
    let so = ev.offset
    if (sb !== this.out) {
      const np = ev.nparams
      const op = np <= MAX_EVENT_PARAMS ? FAST_OPS[type * FAST_ROW + np]! : FAST_NONE
      // The commonest conversion, an enter event kept for its exit, without the general loop
      // below (which would do the same: one step, a STORE, a drop).
      if (op === FAST_STORE && ev.len <= MAX_CONVERTED_EVENT_SIZE) {
        this.store(ev.tid, sb, sdv, so, ev.len)
        this.stats.dropped++
        return null
      }
      // The next commonest: an exit completed from its thread's enter event.
      if (op === FAST_ADD && this.addFromEnter(ev, FAST_PLANS[type * FAST_ROW + np]!)) {
        this.stats.converted++
        return this.deliver(this.view.reset(this.out, 0))
      }
    } else {
      // Our own output fed back in: read it from the other buffer.
      copyBytes(this.tmp, this.tmpDv, 0, sb, sdv, so, ev.len)
      sb = this.tmp
      sdv = this.tmpDv
      so = 0
    }
    let steps = 0
    for (;;) {
      this.resultIsInput = false
      v = this.step(sb, sdv, so)
      steps++
      if (v !== VERDICT.CONVERT || steps === MAX_CONVERSIONS) break
      // The next conversion reads what this one wrote.
      copyBytes(this.tmp, this.tmpDv, 0, this.out, this.outDv, 0, this.outDv.getUint32(16, true))
      sb = this.tmp
      sdv = this.tmpDv
      so = 0
    }
    if (v === VERDICT.ERROR) return null
    if (steps === MAX_CONVERSIONS) {
      this.error = `reached ${MAX_CONVERSIONS} conversions of one event (${describe(type)}, ${ev.nparams} params)`
      return null
    }
    if (v === VERDICT.DROP) {
      this.stats.dropped++
      return null
    }
    if (this.resultIsInput && steps === 1 && sb === ev.buf) return this.deliver(ev)
    this.stats.converted++
    return this.deliver(this.view.reset(this.out, 0))
  }

  private deliver(ev: EventView): EventView {
    // A dead thread needs no pending enter event (see the top of the file).
    if (ev.type === PPME.PROCEXIT_1_E) this.forget(ev.tid)
    return ev
  }

  private forget(tid: number): void {
    const p = this.pending.get(tid)
    if (p === undefined) return
    if (p.live) this.live--
    this.pending.delete(tid)
    this.recentPending.forget(tid)
  }

  private pendingOf(tid: number): Pending | undefined {
    return this.recentPending.get(tid)
  }

  private fail(why: string): Verdict {
    this.error = why
    return VERDICT.ERROR
  }

  /**
   * `step` for an ADD_PARAMS conversion that has a plan, when nothing unusual happens: the
   * enter event is there, is the exit's own, has the params wanted, and everything fits.
   * Writes the converted event into `out` and returns true; returns false, having changed
   * nothing but `out`, when `step` must do it (fallbacks, mismatches, errors).
   */
  private addFromEnter(ev: EventView, plan: AddPlan): boolean {
    const len = ev.len
    if (len > MAX_CONVERTED_EVENT_SIZE) return false
    const type = ev.type
    const np = ev.nparams
    const ls = paramLenSize(type)
    const oldParamsAt = EVENT_HEADER_SIZE + np * ls
    const lensEnd = EVENT_HEADER_SIZE + plan.newN * ls
    const paramsLen = len - oldParamsAt
    if (oldParamsAt > len || lensEnd + paramsLen > MAX_CONVERTED_EVENT_SIZE) return false
    let p: Pending | undefined
    let eoff = 0
    if (plan.lastEnterParam >= 0) {
      p = this.pendingOf(ev.tid)
      if (p === undefined || !p.live) return false
      const pdv = p.dv
      const et = pdv.getUint16(20, true)
      const en = pdv.getUint32(22, true)
      if (et !== type - 1 || en <= plan.lastEnterParam) return false
      // where the enter's params are, up to the last one wanted
      const els = paramLenSize(et)
      eoff = EVENT_HEADER_SIZE + en * els
      let lp = EVENT_HEADER_SIZE
      for (let j = 0; j <= plan.lastEnterParam; j++, lp += els) {
        const n = els === 2 ? pdv.getUint16(lp, true) : pdv.getUint32(lp, true)
        this.enterOffs[j] = eoff
        this.enterLens[j] = n
        eoff += n
      }
    }
    const out = this.out
    const odv = this.outDv
    copyBytes(out, odv, 0, ev.buf, ev.data, ev.offset, oldParamsAt)
    copyBytes(out, odv, lensEnd, ev.buf, ev.data, ev.offset + oldParamsAt, paramsLen)
    let pos = lensEnd + paramsLen
    odv.setUint32(22, plan.newN, true)
    for (let i = 0; i < plan.from.length; i++) {
      let n = 0
      const from = plan.from[i]!
      if (from === FROM.ENTER) {
        const j = plan.param[i]!
        n = Math.min(this.enterLens[j]!, plan.width[i]!)
        if (pos + n > MAX_CONVERTED_EVENT_SIZE) return false
        copyBytes(out, odv, pos, p!.buf, p!.dv, this.enterOffs[j]!, n)
      } else if (from === FROM.DEFAULT) {
        n = plan.width[i]!
        if (pos + n > MAX_CONVERTED_EVENT_SIZE) return false
        out.fill(plan.fill[i]!, pos, pos + n)
      }
      if (ls === 2) odv.setUint16(EVENT_HEADER_SIZE + (np + i) * 2, n, true)
      else odv.setUint32(EVENT_HEADER_SIZE + (np + i) * 4, n, true)
      pos += n
    }
    if (p !== undefined) {
      p.live = false
      this.live--
    }
    odv.setUint32(16, pos, true)
    return true
  }

  /** One conversion of the event at `sb[so]` into `out`. Returns the verdict on the result. */
  private step(sb: Uint8Array, sdv: DataView, so: number): Verdict {
    const type = sdv.getUint16(so + 20, true)
    const np = sdv.getUint32(so + 22, true)
    const len = sdv.getUint32(so + 16, true)
    const c = conversionFor(type, np)
    if (c === undefined) {
      return this.fail(`event ${describe(type)} with ${np} params needs a conversion the converter table does not have`)
    }
    if (len > MAX_CONVERTED_EVENT_SIZE) {
      return this.fail(`event length ${len} is larger than the conversion buffer (${MAX_CONVERTED_EVENT_SIZE})`)
    }
    const tid = sdv.getInt32(so + 12, true) * TWO_32 + sdv.getUint32(so + 8, true)
    switch (c.action) {
      // A pass hands out the input: the caller's event, or (after an earlier conversion of
      // this event) `out`, which still holds the same bytes as `tmp`.
      case ACTION.PASS:
        this.resultIsInput = true
        return VERDICT.PASS
      case ACTION.STORE:
        this.store(tid, sb, sdv, so, len)
        return VERDICT.DROP
      case ACTION.STORE_AND_PASS:
        this.store(tid, sb, sdv, so, len)
        this.resultIsInput = true
        return VERDICT.PASS
    }
    const out = this.out
    const odv = this.outDv
    const MAX = MAX_CONVERTED_EVENT_SIZE
    const oldLs = paramLenSize(type)
    let newType: number
    let newN: number
    let first: number
    let pos: number
    if (c.action === ACTION.ADD_PARAMS) {
      newType = type
      newN = np + c.instrs.length
      first = np
      const oldParamsAt = EVENT_HEADER_SIZE + np * oldLs
      if (oldParamsAt > len) return this.fail(`event length ${len} is smaller than its param length table`)
      const lensEnd = EVENT_HEADER_SIZE + newN * oldLs
      // As libscap does: everything after the old length table is moved, trailing bytes too.
      const paramsLen = len - oldParamsAt
      if (lensEnd + paramsLen > MAX) return this.fail(`converted event would exceed ${MAX} bytes`)
      // the header and the length table are contiguous on both sides
      copyBytes(out, odv, 0, sb, sdv, so, oldParamsAt)
      copyBytes(out, odv, lensEnd, sb, sdv, so + oldParamsAt, paramsLen)
      pos = lensEnd + paramsLen
    } else {
      newType = c.to
      newN = c.instrs.length
      first = 0
      pos = EVENT_HEADER_SIZE + newN * paramLenSize(newType)
      if (pos > MAX) return this.fail(`converted event would exceed ${MAX} bytes`)
      copyBytes(out, odv, 0, sb, sdv, so, 16)
    }
    odv.setUint16(20, newType, true)
    odv.setUint32(22, newN, true)
    const ls = paramLenSize(newType)
    const ptypes = PARAM_TYPES[newType]!
    let usedEnter: Pending | null = null
    // The thread's pending enter event, looked up at the first instruction that wants it.
    let enter: Pending | undefined
    let looked = false
    for (let i = 0; i < c.instrs.length; i++) {
      const ins = c.instrs[i]!
      const idx = first + i
      const ptype = idx < ptypes.length ? ptypes[idx]! : -1
      let n = 0
      let fallback = false
      switch (ins.from) {
        case FROM.EMPTY:
          break
        case FROM.DEFAULT:
          fallback = true
          break
        case FROM.OLD: {
          if (np <= ins.param) return this.fail(`conversion of ${describe(type)} takes param ${ins.param} of an event with ${np}`)
          const got = this.putParam(sb, sdv, so, ins.param, pos, ptype, ls)
          if (got < 0) return VERDICT.ERROR
          n = got
          break
        }
        case FROM.ENTER: {
          if (!looked) {
            enter = this.pendingOf(tid)
            looked = true
          }
          const p = enter
          if (p === undefined || !p.live) {
            // No enter event: dropped from the capture, or the capture starts after it.
            fallback = !ins.emptyFallback
            break
          }
          const et = p.dv.getUint16(20, true)
          if (et !== type - 1) {
            // libs stops the whole replay here. The thread's exit for that enter was lost (a
            // drop while capturing, or a capture spliced from pieces): Saker converts this
            // exit as if it had no enter, and counts it, rather than give up on the file.
            this.stats.mismatchedEnters++
            enter = undefined
            fallback = !ins.emptyFallback
            break
          }
          const en = p.dv.getUint32(22, true)
          if (en <= ins.param) {
            return this.fail(`conversion of ${describe(type)} takes param ${ins.param} of its enter event, which has ${en}`)
          }
          usedEnter = p
          const got = this.putParam(p.buf, p.dv, 0, ins.param, pos, ptype, ls)
          if (got < 0) return VERDICT.ERROR
          n = got
          break
        }
        case FROM.CALLBACK: {
          const got = this.putCallback(ins, sb, sdv, so, pos, ptype, ls)
          if (got === -1) return VERDICT.ERROR
          if (got === -2) fallback = !ins.emptyFallback
          else n = got
          break
        }
      }
      if (fallback) {
        const dflt = ptype >= 0 ? MIN_LEN[ptype] ?? -1 : -1
        if (dflt < 0) return this.fail(`no default value for param ${idx} of ${describe(newType)} (type ${ptype})`)
        if (pos + dflt > MAX) return this.fail(`converted event would exceed ${MAX} bytes`)
        out.fill(ptype === PT.UID || ptype === PT.GID ? 0xff : 0, pos, pos + dflt)
        n = dflt
      }
      if (ls === 2) odv.setUint16(EVENT_HEADER_SIZE + idx * 2, n, true)
      else odv.setUint32(EVENT_HEADER_SIZE + idx * 4, n, true)
      pos += n
    }
    if (usedEnter !== null) {
      usedEnter.live = false
      this.live--
    }
    odv.setUint32(16, pos, true)
    return verdictFor(newType, newN)
  }

  /**
   * Copies param `i` of the event at `buf[off]` to `out[pos]`, cut to what the target type
   * holds. Returns the bytes written, or -1 (error set).
   */
  private putParam(buf: Uint8Array, dv: DataView, off: number, i: number, pos: number, ptype: number, ls: number): number {
    this.locate(dv, off, i)
    const max = ptype >= 0 ? maxParamLen(ptype, ls) : -1
    if (max < 0) {
      this.fail(`no width for param type ${ptype}`)
      return -1
    }
    const n = Math.min(this.spanLen, max)
    if (pos + n > MAX_CONVERTED_EVENT_SIZE) {
      this.fail(`converted event would exceed ${MAX_CONVERTED_EVENT_SIZE} bytes`)
      return -1
    }
    copyBytes(this.out, this.outDv, pos, buf, dv, this.spanOff, n)
    return n
  }

  /** Runs a CALLBACK instruction: bytes written, -2 to fall back, -1 on error (error set). */
  private putCallback(ins: Instruction, sb: Uint8Array, sdv: DataView, so: number, pos: number, ptype: number, ls: number): number {
    const max = ptype >= 0 ? maxParamLen(ptype, ls) : -1
    if (ins.callback === null || max < 0) {
      this.fail('callback conversion without a callback or a param width')
      return -1
    }
    const np = sdv.getUint32(so + 22, true)
    let bytes: Uint8Array
    try {
      bytes = ins.callback(i => {
        if (i >= np) throw new Error(`no param ${i}`)
        this.locate(sdv, so, i)
        return sb.subarray(this.spanOff, this.spanOff + this.spanLen)
      }, max)
    } catch {
      return -2
    }
    const min = MIN_LEN[ptype] ?? 0
    if (bytes.length < min || bytes.length > max) {
      this.fail(`callback param of ${bytes.length} bytes, outside [${min}; ${max}]`)
      return -1
    }
    if (pos + bytes.length > MAX_CONVERTED_EVENT_SIZE) {
      this.fail(`converted event would exceed ${MAX_CONVERTED_EVENT_SIZE} bytes`)
      return -1
    }
    this.out.set(bytes, pos)
    return bytes.length
  }

  /** Finds param i of the event at `off` (lengths as its type has them): spanOff, spanLen. */
  private locate(dv: DataView, off: number, i: number): void {
    const type = dv.getUint16(off + 20, true)
    const np = dv.getUint32(off + 22, true)
    const ls = paramLenSize(type)
    let p = off + EVENT_HEADER_SIZE + np * ls
    let lp = off + EVENT_HEADER_SIZE
    for (let j = 0; j < i; j++, lp += ls) p += ls === 2 ? dv.getUint16(lp, true) : dv.getUint32(lp, true)
    this.spanOff = p
    this.spanLen = ls === 2 ? dv.getUint16(lp, true) : dv.getUint32(lp, true)
  }

  private store(tid: number, buf: Uint8Array, dv: DataView, off: number, len: number): void {
    let p = this.pendingOf(tid)
    if (p === undefined) {
      if (this.pending.size >= MAX_PENDING_ENTERS) {
        // Forget the thread that has held a slot longest (Map order is insertion order).
        const oldest = this.pending.keys().next().value
        if (oldest !== undefined) this.forget(oldest)
      }
      p = new Pending(len)
      this.pending.set(tid, p)
      this.recentPending.forget(tid)
    } else if (p.buf.length < len) {
      p.buf = new Uint8Array(slotSize(len))
      p.dv = new DataView(p.buf.buffer)
    }
    copyBytes(p.buf, p.dv, 0, buf, dv, off, len)
    if (!p.live) {
      p.live = true
      this.live++
    }
  }
}

/**
 * Copies n bytes; `ddv` and `sdv` are DataViews over exactly `dst` and `src`. Measured (Node 20)
 * per copy: a byte loop costs ~1.7 ns a byte, a subarray + set ~50 ns whatever the size, and
 * 32-bit words through the DataViews ~8 ns + 0.35 ns a byte; events and params are mostly
 * under 128 bytes, where words win.
 */
function copyBytes(dst: Uint8Array, ddv: DataView, at: number, src: Uint8Array, sdv: DataView, from: number, n: number): void {
  if (n >= 128) {
    dst.set(src.subarray(from, from + n), at)
    return
  }
  let i = 0
  for (; i + 4 <= n; i += 4) ddv.setUint32(at + i, sdv.getUint32(from + i, true), true)
  for (; i < n; i++) dst[at + i] = src[from + i]!
}

function describe(type: number): string {
  const e = EVENTS[type]
  return e === undefined ? `type ${type}` : `${e.name}_${e.dir === 'enter' ? 'E' : 'X'} (type ${type})`
}
