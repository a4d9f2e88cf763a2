// The few protobuf wire-format pieces the CRI and containerd clients need, by hand: the
// messages are small, their field numbers are fixed by the published .proto files
// (k8s.io/cri-api runtime/v1 api.proto, containerd api/services/*), and a generated
// client would pull in a protobuf runtime plus a gRPC stack for six calls.

/** A decoded message: field number → values in wire order (varints as bigint, the rest as bytes). */
export type Msg = Map<number, (bigint | Buffer)[]>

export class ProtoError extends Error {}

// ---------------------------------------------------------------------------------------
// Encoding

function varint(n: bigint | number): Buffer {
  let v = BigInt.asUintN(64, BigInt(n))
  const out: number[] = []
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return Buffer.from(out)
}

/** Builds a message field by field; numbers and text are written only when non-empty, as proto3 does. */
export class Writer {
  private readonly parts: Buffer[] = []

  string(field: number, s: string): this {
    if (s !== '') this.bytes(field, Buffer.from(s, 'utf8'))
    return this
  }

  bytes(field: number, b: Uint8Array): this {
    this.parts.push(varint((field << 3) | 2), varint(b.length), Buffer.from(b))
    return this
  }

  uint(field: number, v: number | bigint): this {
    if (v !== 0 && v !== 0n) this.parts.push(varint(field << 3), varint(v))
    return this
  }

  bool(field: number, v: boolean): this {
    return this.uint(field, v ? 1 : 0)
  }

  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish())
  }

  finish(): Buffer {
    return Buffer.concat(this.parts)
  }
}

// ---------------------------------------------------------------------------------------
// Decoding

/** Parses one message level; nested messages stay bytes until asked for with `sub`. */
export function parse(buf: Buffer): Msg {
  const m: Msg = new Map()
  let i = 0
  const readVarint = (): bigint => {
    let v = 0n
    let shift = 0n
    for (;;) {
      if (i >= buf.length) throw new ProtoError('truncated varint')
      const b = buf[i++]!
      v |= BigInt(b & 0x7f) << shift
      if (b < 0x80) return v
      shift += 7n
      if (shift > 63n) throw new ProtoError('varint too long')
    }
  }
  while (i < buf.length) {
    const key = readVarint()
    const field = Number(key >> 3n)
    const wire = Number(key & 7n)
    let value: bigint | Buffer
    switch (wire) {
      case 0:
        value = readVarint()
        break
      case 1:
        if (i + 8 > buf.length) throw new ProtoError('truncated fixed64')
        value = buf.subarray(i, i + 8)
        i += 8
        break
      case 2: {
        const len = Number(readVarint())
        if (i + len > buf.length) throw new ProtoError(`field ${field}: length ${len} past the end`)
        value = buf.subarray(i, i + len)
        i += len
        break
      }
      case 5:
        if (i + 4 > buf.length) throw new ProtoError('truncated fixed32')
        value = buf.subarray(i, i + 4)
        i += 4
        break
      default:
        throw new ProtoError(`unsupported wire type ${wire} (field ${field})`)
    }
    const list = m.get(field)
    if (list === undefined) m.set(field, [value])
    else list.push(value)
  }
  return m
}

function last(m: Msg | null, field: number): bigint | Buffer | undefined {
  const l = m?.get(field)
  return l === undefined ? undefined : l[l.length - 1]
}

export function str(m: Msg | null, field: number): string {
  const v = last(m, field)
  return Buffer.isBuffer(v) ? v.toString('utf8') : ''
}

export function bytes(m: Msg | null, field: number): Buffer | null {
  const v = last(m, field)
  return Buffer.isBuffer(v) ? v : null
}

/** An unsigned or int64 varint field (two's complement read back as signed). */
export function int(m: Msg | null, field: number): bigint {
  const v = last(m, field)
  return typeof v === 'bigint' ? BigInt.asIntN(64, v) : 0n
}

export function bool(m: Msg | null, field: number): boolean {
  return int(m, field) !== 0n
}

export function sub(m: Msg | null, field: number): Msg | null {
  const v = last(m, field)
  return Buffer.isBuffer(v) ? parse(v) : null
}

export function subs(m: Msg | null, field: number): Msg[] {
  const out: Msg[] = []
  for (const v of m?.get(field) ?? []) if (Buffer.isBuffer(v)) out.push(parse(v))
  return out
}

export function strs(m: Msg | null, field: number): string[] {
  const out: string[] = []
  for (const v of m?.get(field) ?? []) if (Buffer.isBuffer(v)) out.push(v.toString('utf8'))
  return out
}

/** A map<string, string> field (repeated entries of key = 1, value = 2), later keys winning. */
export function strMap(m: Msg | null, field: number): Map<string, string> {
  const out = new Map<string, string>()
  for (const e of subs(m, field)) out.set(str(e, 1), str(e, 2))
  return out
}

/** google.protobuf.Timestamp as seconds since the epoch (0 when absent). */
export function timestampSeconds(m: Msg | null, field: number): number {
  const t = sub(m, field)
  return t === null ? 0 : Number(int(t, 1))
}
