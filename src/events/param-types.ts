// Parameter and field value types, numbered as falcosecurity/libs numbers them
// (driver/ppm_events_public.h, enum ppm_param_type), so capture bytes and field
// listings agree with Falco's.
export const PT = {
  NONE: 0, INT8: 1, INT16: 2, INT32: 3, INT64: 4, UINT8: 5, UINT16: 6, UINT32: 7, UINT64: 8,
  CHARBUF: 9, BYTEBUF: 10, ERRNO: 11, SOCKADDR: 12, SOCKTUPLE: 13, FD: 14, PID: 15, FDLIST: 16,
  FSPATH: 17, SYSCALLID: 18, SIGTYPE: 19, RELTIME: 20, ABSTIME: 21, PORT: 22, L4PROTO: 23,
  SOCKFAMILY: 24, BOOL: 25, IPV4ADDR: 26, DYN: 27, FLAGS8: 28, FLAGS16: 29, FLAGS32: 30, UID: 31,
  GID: 32, DOUBLE: 33, SIGSET: 34, CHARBUFARRAY: 35, CHARBUF_PAIR_ARRAY: 36, IPV4NET: 37,
  IPV6ADDR: 38, IPV6NET: 39, IPADDR: 40, IPNET: 41, MODE: 42, FSRELPATH: 43, ENUMFLAGS8: 44,
  ENUMFLAGS16: 45, ENUMFLAGS32: 46, FD32: 47, PID32: 48,
} as const
export type ParamType = (typeof PT)[keyof typeof PT]

/** The type names `falco --list` prints (libsinsp param_type_to_string). */
export const PT_NAMES: Readonly<Record<ParamType, string>> = Object.fromEntries(
  Object.entries(PT).map(([name, code]) => [code, name]),
) as Record<ParamType, string>

// How a numeric value is rendered (enum ppm_print_format).
export const PF = {
  NA: 0, DEC: 1, HEX: 2, PADDED_DEC_10: 3, ID: 4, DIR: 5, OCT: 6,
} as const
export type PrintFormat = (typeof PF)[keyof typeof PF]
