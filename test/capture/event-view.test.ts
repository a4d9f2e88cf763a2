import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { EventView, decodeText } from '../../src/events/event.js'
import { PPME } from '../../src/events/table.js'
import { Bytes, P, makeEvent } from './helpers.js'

describe('EventView', () => {
  test('reads the header fields, with tid -1 kept as -1 and ts as a bigint', () => {
    const ev = new EventView().reset(makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), P.u64(3)], { ts: 1_700_000_000_123_456_789n, tid: -1 }), 0)
    assert.deepEqual([ev.ts, ev.tid, ev.len, ev.type, ev.nparams], [1_700_000_000_123_456_789n, -1, 46, PPME.SYSCALL_CLOSE_X, 2])
    assert.equal(ev.tsNumber, Number(1_700_000_000_123_456_789n))
    assert.equal(ev.error(), null)
  })

  test('the fixed-width readers give each width and sign', () => {
    const params = [
      P.u8(0xff), P.u16(0xfffe), P.u32(0xfffffffd), P.u64(-5n), P.u64(0xffffffffffffffffn), P.u64(2n ** 53n + 1n),
      new Bytes().raw(new Uint8Array(new Float64Array([1.5]).buffer)).bytes(),
    ]
    // Any type with enough params and 2-byte lengths will do: the view does not check param types.
    const ev = new EventView().reset(makeEvent(PPME.SYSCALL_EXECVE_19_X, params), 0)
    assert.equal(ev.error(), null)
    assert.deepEqual([ev.u8(0), ev.i8(0)], [255, -1])
    assert.deepEqual([ev.u16(1), ev.i16(1)], [0xfffe, -2])
    assert.deepEqual([ev.u32(2), ev.i32(2)], [0xfffffffd, -3])
    assert.deepEqual([ev.i64(3), ev.i64Big(3), ev.u64(3)], [-5, -5n, 2n ** 64n - 5n])
    assert.deepEqual([ev.u64(4), ev.u64n(4)], [2n ** 64n - 1n, 2 ** 64])
    assert.equal(ev.u64(5), 2n ** 53n + 1n)
    assert.equal(ev.i64(5), 2 ** 53, 'beyond 2^53 i64 rounds to the nearest double')
    assert.equal(ev.f64(6), 1.5)
  })

  test('missing, empty and short params read as zero or empty', () => {
    const ev = new EventView().reset(makeEvent(PPME.SYSCALL_OPEN_X, [P.u64(3), P.empty(), P.u16(1)]), 0)
    assert.equal(ev.isEmpty(1), true)
    assert.equal(ev.isEmpty(0), false)
    assert.equal(ev.str(1), '')
    assert.equal(ev.u32(2), 0, 'a 2-byte param is too short for u32')
    assert.equal(ev.paramLen(5), 0, 'a param the event does not carry')
    assert.equal(ev.u64(5), 0n)
    assert.equal(ev.i64(5), 0)
    assert.equal(ev.bytes(5).length, 0)
    assert.equal(ev.isEmpty(31), true)
    assert.equal(ev.isEmpty(1000), true)
  })

  test('str stops at the first NUL, decodes UTF-8, and falls back to latin1 without throwing', () => {
    const ev = new EventView().reset(makeEvent(PPME.SYSCALL_EXECVE_19_X, [
      P.str('/tmp/file'), P.raw([0x61, 0, 0x62, 0]), P.str('/tmp/ünïcødé-файл'), P.raw([0x2f, 0xff, 0xfe, 0x41, 0]),
      P.raw([0x41, 0x42]), P.str('x'.repeat(100) + 'é'),
    ]), 0)
    assert.equal(ev.str(0), '/tmp/file')
    assert.equal(ev.str(1), 'a')
    assert.equal(ev.str(2), '/tmp/ünïcødé-файл')
    assert.equal(ev.str(3), '/\u00ff\u00feA')
    assert.equal(ev.str(4), 'AB', 'no NUL terminator')
    assert.equal(ev.str(5), 'x'.repeat(100) + 'é')
  })

  test('bytes is a view into the event buffer, not a copy', () => {
    const buf = makeEvent(PPME.SYSCALL_WRITE_X, [P.u64(5), P.raw([1, 2, 3, 4, 5])])
    const ev = new EventView().reset(buf, 0)
    const b = ev.bytes(1)
    assert.deepEqual([...b], [1, 2, 3, 4, 5])
    assert.equal(b.buffer, buf.buffer)
    assert.equal(b.byteOffset, buf.byteOffset + ev.paramOffset(1))
  })

  test('large-payload types use 4-byte param lengths', () => {
    const json = '{"container":{"id":"abc"}}'
    const ev = new EventView().reset(makeEvent(PPME.CONTAINER_JSON_2_E, [P.str(json)], { large: true }), 0)
    assert.equal(ev.error(), null)
    assert.equal(ev.paramLen(0), json.length + 1)
    assert.equal(ev.str(0), json)
  })

  test('a malformed event is reported by error(), never thrown, and keeps the params before the bad one', () => {
    const buf = makeEvent(PPME.SYSCALL_OPEN_X, [P.u64(3), P.str('/etc/shadow'), P.u32(0)])
    new DataView(buf.buffer).setUint16(30, 1000, true) // third length
    const ev = new EventView().reset(buf, 0)
    assert.equal(ev.error(), 'param 2 len 1000 exceeds event len 56')
    assert.equal(ev.i64(0), 3)
    assert.equal(ev.str(1), '/etc/shadow')
    assert.equal(ev.u32(2), 0)
    assert.equal(ev.paramLen(2), 0)
  })

  test('bad headers and counts are reported by error()', () => {
    const v = new EventView()
    assert.equal(v.reset(new Uint8Array(10), 0).error(), 'event header needs 26 bytes, 10 available')
    const unknown = makeEvent(9999, [])
    assert.equal(v.reset(unknown, 0).error(), 'unknown event type 9999')
    const many = makeEvent(PPME.SYSCALL_CLOSE_X, [], { nparams: 40 })
    assert.equal(v.reset(many, 0).error(), 'nparams 40 exceeds the maximum 32')
    const overflow = makeEvent(PPME.SYSCALL_CLOSE_X, [], { nparams: 3 })
    assert.equal(v.reset(overflow, 0).error(), 'nparams 3 does not fit in event len 26')
    const short = makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(1)])
    new DataView(short.buffer).setUint32(16, 10, true)
    assert.equal(v.reset(short, 0).error(), 'len 10 is smaller than the header (26)')
    const long = makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(1)])
    new DataView(long.buffer).setUint32(16, 100, true)
    assert.equal(v.reset(long, 0).error(), 'len 100 runs past the 36 bytes available')
  })

  test('one view serves many events and buffers, at any offset', () => {
    const a = makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), P.u64(7)], { ts: 1n })
    const b = makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), P.u64(9)], { ts: 2n })
    const both = new Uint8Array(3 + a.length + b.length)
    both.set(a, 3)
    both.set(b, 3 + a.length)
    const v = new EventView()
    assert.deepEqual([v.reset(both, 3).ts, v.i64(1)], [1n, 7])
    assert.deepEqual([v.reset(both, 3 + a.length).ts, v.i64(1)], [2n, 9])
    assert.deepEqual([v.reset(a, 0).ts, v.i64(1)], [1n, 7])
    assert.deepEqual([...v.raw()], [...a])
  })
})

describe('decodeText', () => {
  test('reads a range up to its first NUL', () => {
    const b = Uint8Array.from([0x68, 0x69, 0, 0x7a])
    assert.equal(decodeText(b, 0, 4), 'hi')
    assert.equal(decodeText(b, 3, 4), 'z')
    assert.equal(decodeText(b, 2, 4), '')
  })
})
