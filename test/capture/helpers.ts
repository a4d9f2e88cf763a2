// Shared helpers for the capture tests: where Falco's captures live, and a small
// builder that writes synthetic captures block by block (for the block versions and
// broken shapes no shared capture has).

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'

/** The repository root: tests run from dist/test/capture. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const SHARED = resolve(REPO_ROOT, '../shared')
export const CAPTURE_DIRS = [join(SHARED, 'falco/traces'), join(SHARED, 'falco/tests/trace_files')]

/** Why the shared captures cannot be used, or false when they can. */
export function sharedMissing(): string | false {
  return CAPTURE_DIRS.some(d => existsSync(d)) ? false : `no shared captures: ${CAPTURE_DIRS.join(' and ')} missing`
}

export function captureFiles(): string[] {
  const out: string[] = []
  for (const d of CAPTURE_DIRS) {
    if (!existsSync(d)) continue
    for (const f of readdirSync(d).sort()) if (f.endsWith('.scap')) out.push(join(d, f))
  }
  return out
}

/** The capture's bytes, decompressed when it is gzip. */
export function plainBytes(path: string): Uint8Array {
  const raw = readFileSync(path)
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw
}

/** Offsets of every block in a plain capture, with their types. */
export function blockOffsets(bytes: Uint8Array): { offset: number; type: number; total: number }[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = []
  for (let off = 0; off + 8 <= bytes.length;) {
    const type = dv.getUint32(off, true)
    const total = dv.getUint32(off + 4, true)
    out.push({ offset: off, type, total })
    if (total < 12) break
    off += total
  }
  return out
}

// ---------------------------------------------------------------------------
// Writing captures

/** A little-endian byte writer. */
export class Bytes {
  private parts: number[] = []

  u8(v: number): this {
    this.parts.push(v & 0xff)
    return this
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8)
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(Math.floor(v / 65536) & 0xffff)
  }
  u64(v: bigint | number): this {
    const b = BigInt.asUintN(64, BigInt(v))
    return this.u32(Number(b & 0xffffffffn)).u32(Number(b >> 32n))
  }
  raw(b: Uint8Array | readonly number[]): this {
    for (const x of b) this.parts.push(x)
    return this
  }
  /** Text bytes, no terminator. */
  text(s: string): this {
    return this.raw(Buffer.from(s, 'utf8'))
  }
  /** u16 length + text. */
  lenText(s: string): this {
    const b = Buffer.from(s, 'utf8')
    return this.u16(b.length).raw(b)
  }
  get length(): number {
    return this.parts.length
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts)
  }
}

export const BT = {
  SHB: 0x0a0d0d0a, MI: 0x201, PL_V1: 0x202, PL_V2: 0x207, PL_V3: 0x209, PL_V4: 0x210, PL_V5: 0x211,
  PL_V6: 0x212, PL_V7: 0x213, PL_V8: 0x214, PL_V9: 0x215, FDL: 0x203, FDL_V2: 0x218, EV: 0x204,
  EV_V2: 0x216, EV_V2_LARGE: 0x221, EVF: 0x208, EVF_V2: 0x217, EVF_V2_LARGE: 0x222, IL: 0x205,
  IL_V2: 0x219, UL: 0x206, UL_V2: 0x220,
} as const

/** Builds a capture: each method appends one block, framed and padded as scap frames it. */
export class CaptureBuilder {
  private out = new Bytes()

  block(type: number, body: Uint8Array, trailer?: number): this {
    const padded = (body.length + 3) & ~3
    const total = 12 + padded
    this.out.u32(type).u32(total).raw(body)
    for (let i = body.length; i < padded; i++) this.out.u8(0)
    this.out.u32(trailer ?? total)
    return this
  }

  shb(opts: { magic?: number; major?: number; minor?: number } = {}): this {
    const b = new Bytes().u32(opts.magic ?? 0x1a2b3c4d).u16(opts.major ?? 1).u16(opts.minor ?? 2).u64(-1n)
    return this.block(BT.SHB, b.bytes())
  }

  mi(hostname = 'saker-test', cpus = 4): this {
    const name = new Uint8Array(128)
    name.set(Buffer.from(hostname))
    const b = new Bytes().u32(cpus).u64(8n << 30n).u64(4194304).raw(name).u64(1_700_000_000_000_000_000n).u64(0).u64(0).u64(0)
    return this.block(BT.MI, b.bytes())
  }

  /** Appends one event block; `event` is the event's bytes (any layout). */
  event(event: Uint8Array, opts: { type?: number; cpuid?: number; flags?: number } = {}): this {
    const type = opts.type ?? BT.EV_V2
    const withFlags = type === BT.EVF || type === BT.EVF_V2 || type === BT.EVF_V2_LARGE
    const b = new Bytes().u16(opts.cpuid ?? 0)
    if (withFlags) b.u32(opts.flags ?? 0)
    b.raw(event)
    return this.block(type, b.bytes())
  }

  raw(bytes: Uint8Array): this {
    this.out.raw(bytes)
    return this
  }

  bytes(): Uint8Array {
    return this.out.bytes()
  }
}

/** Param bytes helpers. */
export const P = {
  u8: (v: number) => new Bytes().u8(v).bytes(),
  u16: (v: number) => new Bytes().u16(v).bytes(),
  u32: (v: number) => new Bytes().u32(v).bytes(),
  u64: (v: bigint | number) => new Bytes().u64(v).bytes(),
  str: (s: string) => new Bytes().text(s).u8(0).bytes(),
  raw: (b: readonly number[]) => Uint8Array.from(b),
  empty: () => new Uint8Array(0),
}

/** An event in the V2 layout (26-byte header with nparams). */
export function makeEvent(
  type: number, params: readonly Uint8Array[], opts: { ts?: bigint; tid?: number | bigint; large?: boolean; nparams?: number } = {},
): Uint8Array {
  const ls = opts.large === true ? 4 : 2
  const len = 26 + params.length * ls + params.reduce((a, p) => a + p.length, 0)
  const b = new Bytes().u64(opts.ts ?? 1_000n).u64(opts.tid ?? 42).u32(len).u16(type).u32(opts.nparams ?? params.length)
  for (const p of params) if (ls === 4) b.u32(p.length); else b.u16(p.length)
  for (const p of params) b.raw(p)
  return b.bytes()
}

/** An event in the old V1 layout (22-byte header, no nparams). */
export function makeEventV1(type: number, params: readonly Uint8Array[], opts: { ts?: bigint; tid?: number; lenDelta?: number } = {}): Uint8Array {
  const len = 22 + params.length * 2 + params.reduce((a, p) => a + p.length, 0)
  const b = new Bytes().u64(opts.ts ?? 1_000n).u64(opts.tid ?? 42).u32(len + (opts.lenDelta ?? 0)).u16(type)
  for (const p of params) b.u16(p.length)
  for (const p of params) b.raw(p)
  return b.bytes()
}
