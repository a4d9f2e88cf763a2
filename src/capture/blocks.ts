// Block types of the scap capture format (a pcapng-like sequence of blocks), numbered as
// falcosecurity/libs numbers them in userspace/libscap/scap_savefile.h. Each block is
// `type u32, total_length u32, body, total_length u32`, all little-endian, and the total
// counts the 12 framing bytes and the padding that rounds the body to 4 bytes.
// The `_INT` numbers are the ones scap used before its first release; readers still
// accept them.

export const BLOCK = {
  SHB: 0x0a0d0d0a,
  MI: 0x201,
  MI_INT: 0x8002abcd,
  PL_V1: 0x202,
  PL_V1_INT: 0x8000abcd,
  PL_V2: 0x207,
  PL_V2_INT: 0x8013abcd,
  PL_V3: 0x209,
  PL_V3_INT: 0x8014abcd,
  PL_V4: 0x210,
  PL_V5: 0x211,
  PL_V6: 0x212,
  PL_V7: 0x213,
  PL_V8: 0x214,
  PL_V9: 0x215,
  FDL: 0x203,
  FDL_INT: 0x8001abcd,
  FDL_V2: 0x218,
  EV: 0x204,
  EV_INT: 0x8010abcd,
  EV_V2: 0x216,
  EV_V2_LARGE: 0x221,
  EVF: 0x208,
  EVF_V2: 0x217,
  EVF_V2_LARGE: 0x222,
  IL: 0x205,
  IL_INT: 0x8011abcd,
  IL_V2: 0x219,
  UL: 0x206,
  UL_INT: 0x8012abcd,
  UL_V2: 0x220,
} as const

/** Byte-order magic of the section header, as a little-endian writer stores it. */
export const SHB_MAGIC = 0x1a2b3c4d
/** The same magic written by a big-endian machine. */
export const SHB_MAGIC_SWAPPED = 0x4d3c2b1a
/** Newest major version of the file format this reader understands. */
export const CURRENT_MAJOR_VERSION = 1

/** 8-byte header + 4-byte trailer. */
export const BLOCK_FRAMING = 12
/** A non-large event block body (less the header) never exceeds this (READER_BUF_SIZE). */
export const MAX_SMALL_EVENT_BLOCK = 1 << 16

export type BlockKind = 'shb' | 'mi' | 'pl' | 'fdl' | 'ev' | 'il' | 'ul' | 'unknown'

/** Process list block version (1..9) for a PL block type, 0 otherwise. */
export function procListVersion(type: number): number {
  switch (type) {
    case BLOCK.PL_V1: case BLOCK.PL_V1_INT: return 1
    case BLOCK.PL_V2: case BLOCK.PL_V2_INT: return 2
    case BLOCK.PL_V3: case BLOCK.PL_V3_INT: return 3
    case BLOCK.PL_V4: return 4
    case BLOCK.PL_V5: return 5
    case BLOCK.PL_V6: return 6
    case BLOCK.PL_V7: return 7
    case BLOCK.PL_V8: return 8
    case BLOCK.PL_V9: return 9
    default: return 0
  }
}

// Event block layout bits: bit 0 = the event header carries nparams (V2 layout),
// bit 1 = a u32 of flags follows the cpu id, bit 2 = large block allowed.
export const EVB_V2 = 1
export const EVB_FLAGS = 2
export const EVB_LARGE = 4

/** Event block layout bits for an event block type, or -1 when it is not an event block. */
export function eventBlockLayout(type: number): number {
  switch (type) {
    case BLOCK.EV_V2: return EVB_V2
    case BLOCK.EVF_V2: return EVB_V2 | EVB_FLAGS
    case BLOCK.EV_V2_LARGE: return EVB_V2 | EVB_LARGE
    case BLOCK.EVF_V2_LARGE: return EVB_V2 | EVB_FLAGS | EVB_LARGE
    case BLOCK.EV: case BLOCK.EV_INT: return 0
    case BLOCK.EVF: return EVB_FLAGS
    default: return -1
  }
}

export function blockKind(type: number): BlockKind {
  if (type === BLOCK.SHB) return 'shb'
  if (eventBlockLayout(type) >= 0) return 'ev'
  if (procListVersion(type) > 0) return 'pl'
  switch (type) {
    case BLOCK.MI: case BLOCK.MI_INT: return 'mi'
    case BLOCK.FDL: case BLOCK.FDL_INT: case BLOCK.FDL_V2: return 'fdl'
    case BLOCK.IL: case BLOCK.IL_INT: case BLOCK.IL_V2: return 'il'
    case BLOCK.UL: case BLOCK.UL_INT: case BLOCK.UL_V2: return 'ul'
    default: return 'unknown'
  }
}

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(BLOCK).map(([k, v]) => [v, k]))

/** `PL_V9`, `EV_V2`... or the hex number of an unknown type. */
export function blockName(type: number): string {
  return NAMES.get(type) ?? `0x${type.toString(16)}`
}
