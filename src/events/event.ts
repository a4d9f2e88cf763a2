// A reusable view over one event in the scap layout (driver/ppm_events_public.h,
// struct ppm_evt_hdr), the bytes both the capture reader and the live probe produce:
//
//   ts u64 | tid u64 | len u32 | type u16 | nparams u32      (26 bytes, packed, little-endian)
//   nparams lengths, u16 each, or u32 each for EF_LARGE_PAYLOAD event types
//   the params, back to back
//
// One EventView serves a whole stream: `reset` points it at the next event and reads
// only the header. Param offsets are computed on the first param access (or `error()`)
// into two Uint32Arrays the view owns, so reading an event allocates nothing unless the
// caller asks for a string, a bigint or a subarray.

import { isUtf8 } from 'node:buffer'
import { EF, EVENTS } from './table.js'

/** Size of the event header in the current (V2) layout. */
export const EVENT_HEADER_SIZE = 26
/** Size of the header in captures older than scap 0.1 (no nparams field). */
export const EVENT_HEADER_SIZE_V1 = 22
/** PPM_MAX_EVENT_PARAMS: no event type has more params; more marks the event malformed. */
export const MAX_EVENT_PARAMS = 32

const TWO_32 = 4294967296

/**
 * A 64-bit value from its halves, `hi` read signed (i64) or unsigned (u64n). One that fits in
 * 32 bits signed comes back as a small integer:
 * the float arithmetic gives a heap number even for 0, and a number field of the state (tid,
 * pid, fd...) that once holds one changes its hidden class's representation, which sends every
 * compiled function that touches such objects back to the interpreter.
 */
function int64(hi: number, lo: number): number {
  return (hi === 0 && lo < 0x80000000) || (hi === -1 && lo >= 0x80000000) ? lo | 0 : hi * TWO_32 + lo
}
const EMPTY = new Uint8Array(0)

// Width in bytes of each param length, per event type: 2, 4 for EF_LARGE_PAYLOAD
// types, 0 for a code the table does not know.
const LEN_SIZE: Uint8Array = (() => {
  const a = new Uint8Array(EVENTS.length)
  for (let t = 0; t < EVENTS.length; t++) {
    const info = EVENTS[t]
    if (info !== undefined) a[t] = (info.flags & EF.LARGE_PAYLOAD) !== 0 ? 4 : 2
  }
  return a
})()

/** 2 or 4 (large payload) for a known event type, 0 for an unknown one. */
export function paramLenSize(type: number): number {
  return type < LEN_SIZE.length ? LEN_SIZE[type]! : 0
}

const utf8 = new TextDecoder('utf-8')

/**
 * Text of `buf[start, end)` up to its first NUL. UTF-8 when the bytes are valid UTF-8,
 * otherwise each byte becomes the code point of the same value (latin1), so nothing is
 * lost and nothing throws.
 */
export function decodeText(buf: Uint8Array, start: number, end: number): string {
  let stop = start
  let hash = 0
  while (stop < end && buf[stop] !== 0) hash = (hash * 31 + buf[stop++]!) | 0
  const len = stop - start
  if (len === 0) return ''
  if (len > RECENT_MAX_LEN) return decodeBytes(buf, start, stop)
  // the same texts come again and again (the paths a program opens, its name): a recent
  // decoding of the same bytes is reused (a compare instead of a validation and a decode)
  const slot = (hash ^ (hash >>> 13)) & (RECENT_SLOTS - 1)
  const base = slot * RECENT_MAX_LEN
  if (recentLens[slot] === len) {
    let i = 0
    while (i < len && recentBytes[base + i] === buf[start + i]) i++
    if (i === len) return recentTexts[slot]!
  }
  const text = decodeBytes(buf, start, stop)
  recentBytes.set(buf.subarray(start, stop), base)
  recentLens[slot] = len
  recentTexts[slot] = text
  return text
}

// decodeText's recent texts: direct-mapped by a hash of their bytes, up to 128 bytes long.
const RECENT_SLOTS = 512
const RECENT_MAX_LEN = 128
const recentBytes = new Uint8Array(RECENT_SLOTS * RECENT_MAX_LEN)
const recentLens = new Int32Array(RECENT_SLOTS)
const recentTexts: string[] = new Array<string>(RECENT_SLOTS).fill('')

function decodeBytes(buf: Uint8Array, start: number, stop: number): string {
  // Measured on capture-like paths (Node 20), ~150 ns a string. An ASCII fast path
  // (String.fromCharCode per byte, or Buffer's latin1Slice) was slower or within 10%, so
  // there is none. isUtf8 (simdutf) instead of a fatal decoder's exception: bytes that are
  // not UTF-8 were 13% of str() calls over one capture's params, and a throw costs
  // microseconds (str over that capture went from 1.8 to 9.3 M events/s).
  const bytes = buf.subarray(start, stop)
  return isUtf8(bytes) ? utf8.decode(bytes) : latin1(buf, start, stop)
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = ''
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, buf.subarray(i, Math.min(end, i + 4096)) as unknown as number[])
  }
  return s
}

function badParam(i: number, l: number, len: number): string {
  return `param ${i} len ${l} exceeds event len ${len}`
}

// parse state
const UNPARSED = 0
const PARSED = 1
const MALFORMED = 2

export class EventView {
  /** The buffer the current event lives in; valid only until the next `reset`. */
  buf: Uint8Array = EMPTY
  /** Offset of the event header in `buf`. */
  offset = 0
  /** Event length, header included. */
  len = 0
  /** Event type code: an index into EVENTS. */
  type = 0
  /** Params the event carries. Can be fewer than EVENTS[type].params (older producers). */
  nparams = 0
  /** Thread id, read as a signed 64-bit value: -1 stays -1 (container and other meta events). */
  tid = 0
  /** CPU that produced the event, set by the source (0 when it does not know). */
  cpuid = 0

  private dv: DataView = new DataView(EMPTY.buffer)
  // The timestamp's halves as signed 32-bit reads (the getters make them unsigned): fields
  // that hold only small integers keep their representation, while an unsigned low half
  // passes 2^31 within seconds, and V8 then changes the view's hidden class, deoptimizing
  // every function that had handled events.
  private tsLo = 0
  private tsHi = 0
  private tsBig: bigint | null = null
  private state = UNPARSED
  /** Params usable after parsing: all of them, or those before the first bad length. */
  private okParams = 0
  private problem = ''
  private readonly offs = new Uint32Array(MAX_EVENT_PARAMS)
  private readonly lens = new Uint32Array(MAX_EVENT_PARAMS)

  /**
   * Points the view at the event whose header starts at `buf[offset]`. Reads the header
   * only; a header that does not fit is reported by `error()`, never thrown.
   */
  reset(buf: Uint8Array, offset: number): this {
    if (buf !== this.buf) {
      this.buf = buf
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    }
    this.offset = offset
    this.tsBig = null
    this.okParams = 0
    this.cpuid = 0
    if (offset < 0 || buf.length - offset < EVENT_HEADER_SIZE) {
      this.len = 0
      this.type = 0
      this.nparams = 0
      this.tid = 0
      this.tsLo = 0
      this.tsHi = 0
      this.state = MALFORMED
      this.problem = `event header needs ${EVENT_HEADER_SIZE} bytes, ${Math.max(0, buf.length - offset)} available`
      return this
    }
    const dv = this.dv
    this.tsLo = dv.getInt32(offset, true)
    this.tsHi = dv.getInt32(offset + 4, true)
    this.tid = int64(dv.getInt32(offset + 12, true), dv.getUint32(offset + 8, true))
    this.len = dv.getUint32(offset + 16, true)
    this.type = dv.getUint16(offset + 20, true)
    this.nparams = dv.getUint32(offset + 22, true)
    this.state = UNPARSED
    return this
  }

  /** Timestamp in nanoseconds since the epoch (a bigint is made on first read, then cached). */
  get ts(): bigint {
    if (this.tsBig === null) this.tsBig = BigInt.asUintN(64, (BigInt(this.tsHi) << 32n) | BigInt.asUintN(32, BigInt(this.tsLo)))
    return this.tsBig
  }

  /** Timestamp as a number of nanoseconds: off by up to ~256 ns for present-day dates. */
  get tsNumber(): number {
    // Each half's sign bit as 0 or 1 makes it unsigned, in one rounding as Number(ts) does.
    // No branch and no `>>> 0`: V8 would compile a branch not yet taken, or a shift whose
    // results were small so far, as a deoptimization once the low half passes 2^31.
    const hi = this.tsHi + ((this.tsHi >> 31) & 1) * TWO_32
    return (hi + ((this.tsLo >> 31) & 1)) * TWO_32 + this.tsLo
  }

  /** The event's bytes (a subarray, no copy). */
  raw(): Uint8Array {
    return this.buf.subarray(this.offset, this.offset + Math.min(this.len, this.buf.length - this.offset))
  }

  /** The DataView over `buf`, for decoders that read inside a param (params.ts). */
  get data(): DataView {
    return this.dv
  }

  /**
   * Why the event is malformed, or null when its header, lengths and params all fit.
   * Params before the first bad length stay readable; the rest read as empty.
   */
  error(): string | null {
    if (this.state === UNPARSED) this.parse()
    return this.state === MALFORMED ? this.problem : null
  }

  // The checks, the lengths and the offsets only: the messages are made apart (failHeader),
  // which keeps this small enough to be inlined where events are read.
  private parse(): void {
    const lenSize = this.type < LEN_SIZE.length ? LEN_SIZE[this.type]! : 0
    const start = this.offset
    const len = this.len
    const n = this.nparams
    const end = start + len
    let p = start + EVENT_HEADER_SIZE + n * lenSize
    if (lenSize === 0 || len < EVENT_HEADER_SIZE || len > this.buf.length - start || n > MAX_EVENT_PARAMS || p > end) {
      return this.failHeader(lenSize)
    }
    const dv = this.dv
    const offs = this.offs
    const lens = this.lens
    let lp = start + EVENT_HEADER_SIZE
    for (let i = 0; i < n; i++) {
      const l = lenSize === 2 ? dv.getUint16(lp, true) : dv.getUint32(lp, true)
      lp += lenSize
      if (l > end - p) {
        this.okParams = i
        return this.fail(badParam(i, l, len))
      }
      offs[i] = p
      lens[i] = l
      p += l
    }
    this.okParams = n
    this.state = PARSED
  }

  /** What parse found wrong before the params, in the order it checks. */
  private failHeader(lenSize: number): void {
    const type = this.type
    const start = this.offset
    const len = this.len
    const n = this.nparams
    if (lenSize === 0) return this.fail(`unknown event type ${type}`)
    if (len < EVENT_HEADER_SIZE) return this.fail(`len ${len} is smaller than the header (${EVENT_HEADER_SIZE})`)
    if (len > this.buf.length - start) {
      return this.fail(`len ${len} runs past the ${this.buf.length - start} bytes available`)
    }
    if (n > MAX_EVENT_PARAMS) return this.fail(`nparams ${n} exceeds the maximum ${MAX_EVENT_PARAMS}`)
    return this.fail(`nparams ${n} does not fit in event len ${len}`)
  }

  private fail(why: string): void {
    this.state = MALFORMED
    this.problem = why
  }

  /** Length of param i in bytes; 0 when the event has no such param. */
  paramLen(i: number): number {
    if (this.state === UNPARSED) this.parse()
    return i < this.okParams ? this.lens[i]! : 0
  }

  /** Offset of param i's first byte in `buf` (meaningful only when paramLen(i) > 0). */
  paramOffset(i: number): number {
    if (this.state === UNPARSED) this.parse()
    return i < this.okParams ? this.offs[i]! : 0
  }

  /** True when param i is absent or zero-length (scap's "empty param"). */
  isEmpty(i: number): boolean {
    return this.paramLen(i) === 0
  }

  // Fixed-width readers: a param shorter than the width (absent, empty, or from an
  // older layout) reads as 0. Use isEmpty(i) to tell an empty param from a real 0.

  u8(i: number): number {
    return this.paramLen(i) >= 1 ? this.buf[this.offs[i]!]! : 0
  }

  i8(i: number): number {
    return this.paramLen(i) >= 1 ? this.dv.getInt8(this.offs[i]!) : 0
  }

  u16(i: number): number {
    return this.paramLen(i) >= 2 ? this.dv.getUint16(this.offs[i]!, true) : 0
  }

  i16(i: number): number {
    return this.paramLen(i) >= 2 ? this.dv.getInt16(this.offs[i]!, true) : 0
  }

  u32(i: number): number {
    return this.paramLen(i) >= 4 ? this.dv.getUint32(this.offs[i]!, true) : 0
  }

  i32(i: number): number {
    return this.paramLen(i) >= 4 ? this.dv.getInt32(this.offs[i]!, true) : 0
  }

  /** Unsigned 64-bit value as a bigint (allocates; prefer i64/u64n where a number will do). */
  u64(i: number): bigint {
    return this.paramLen(i) >= 8 ? this.dv.getBigUint64(this.offs[i]!, true) : 0n
  }

  /** Signed 64-bit value as a bigint. */
  i64Big(i: number): bigint {
    return this.paramLen(i) >= 8 ? this.dv.getBigInt64(this.offs[i]!, true) : 0n
  }

  /**
   * Signed 64-bit value as a number, without allocating: exact while |v| <= 2^53
   * (fds, pids, errnos, sizes, -1 sentinels), rounded to the nearest double beyond.
   */
  i64(i: number): number {
    if (this.paramLen(i) < 8) return 0
    const o = this.offs[i]!
    return int64(this.dv.getInt32(o + 4, true), this.dv.getUint32(o, true))
  }

  /** Unsigned 64-bit value as a number: exact up to 2^53, rounded beyond. */
  u64n(i: number): number {
    if (this.paramLen(i) < 8) return 0
    const o = this.offs[i]!
    return int64(this.dv.getUint32(o + 4, true), this.dv.getUint32(o, true))
  }

  /** PT_DOUBLE. */
  f64(i: number): number {
    return this.paramLen(i) >= 8 ? this.dv.getFloat64(this.offs[i]!, true) : 0
  }

  /** Text of param i up to its first NUL: UTF-8, or latin1 when not valid UTF-8; '' when empty. */
  str(i: number): string {
    const n = this.paramLen(i)
    if (n === 0) return ''
    const o = this.offs[i]!
    return decodeText(this.buf, o, o + n)
  }

  /** The bytes of param i: a subarray of `buf`, valid until the next `reset` (copy to keep). */
  bytes(i: number): Uint8Array {
    const n = this.paramLen(i)
    if (n === 0) return EMPTY
    const o = this.offs[i]!
    return this.buf.subarray(o, o + n)
  }
}
