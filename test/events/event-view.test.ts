// EventView's 64-bit number readers: exact values across the 32-bit boundaries, and values that
// fit in 32 bits returned as V8 small integers (a heap number stored into a state field changes
// the field's representation and so the hidden class of every thread or fd object, which
// deoptimizes the code that handles them; see int64 in src/events/event.ts).

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { EventView } from '../../src/events/event.js'
import { PPME } from '../../src/events/table.js'
import { P, makeEvent } from '../capture/helpers.js'

setFlagsFromString('--allow-natives-syntax')
const isSmi = new Function('x', 'return %IsSmi(x)') as (x: unknown) => boolean

const SIGNED = [0n, 1n, -1n, 42n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), 2n ** 53n, -(2n ** 53n)]

function view(values: readonly bigint[], tid: bigint): EventView {
  const params = values.map(v => P.u64(BigInt.asUintN(64, v)))
  return new EventView().reset(makeEvent(PPME.SYSCALL_CLOSE_X, params, { tid: BigInt.asUintN(64, tid) }), 0)
}

test('i64 and the thread id read signed values exactly, as small integers when they fit in 32 bits', () => {
  for (const v of SIGNED) {
    const ev = view([v], v)
    const fits = v >= -(2n ** 31n) && v < 2n ** 31n
    assert.equal(ev.i64(0), Number(v), `i64 of ${v}`)
    assert.equal(ev.tid, Number(v), `tid ${v}`)
    assert.equal(isSmi(ev.i64(0)), fits, `i64 of ${v} is ${fits ? '' : 'not '}a small integer`)
    assert.equal(isSmi(ev.tid), fits, `tid ${v}`)
  }
})

test('u64n reads unsigned values exactly up to 2^53, as small integers below 2^31', () => {
  for (const v of [0n, 1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 5n, 2n ** 53n]) {
    const ev = view([v], 1n)
    assert.equal(ev.u64n(0), Number(v), `u64n of ${v}`)
    assert.equal(isSmi(ev.u64n(0)), v < 2n ** 31n, `u64n of ${v}`)
  }
})

test('timestamps read exactly and leave the view its hidden class, whatever the low half', () => {
  const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: unknown, b: unknown) => boolean
  const close = (ts: bigint): Uint8Array => makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0n)], { ts })
  const before = new EventView().reset(close(1_700_000_000n * 10n ** 9n), 0)
  // The second's low 32 bits pass 2^31; a view that stored them unsigned changed its map then,
  // and every optimized function that had seen the old one deoptimized.
  for (const ts of [0n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n + 2n ** 31n, 1_764_000_002_500_000_000n, 2n ** 64n - 1n]) {
    const ev = new EventView().reset(close(ts), 0)
    assert.equal(ev.ts, ts, `ts ${ts}`)
    assert.equal(ev.tsNumber, Number(ts), `tsNumber ${ts}`)
    assert.ok(haveSameMap(ev, before), `a view of ts ${ts} keeps the hidden class`)
  }
})

test('tsNumber stays optimized when the low half of the timestamp first passes 2^31', () => {
  const native = (body: string): ((...a: unknown[]) => unknown) => new Function('f', 'x', body) as (...a: unknown[]) => unknown
  const prepare = native('%PrepareFunctionForOptimization(f)')
  const optimizeNext = native('%OptimizeFunctionOnNextCall(f)')
  // bit 4 of %GetOptimizationStatus: optimized code (V8's OptimizationStatus::kOptimized)
  const optimized = (f: unknown): boolean => ((native('return %GetOptimizationStatus(f)')(f) as number) & (1 << 4)) !== 0
  const read = (ev: EventView): number => ev.tsNumber
  const at = (ts: bigint): EventView => new EventView().reset(makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0n)], { ts }), 0)
  const low = at(1_700_000_000_000_000_000n - (1_700_000_000_000_000_000n % 2n ** 32n) + 5n)
  prepare(read)
  for (let i = 0; i < 10; i++) read(low)
  optimizeNext(read)
  read(low)
  assert.ok(optimized(read), 'optimized on small low halves')
  const high = at(1_700_000_000_000_000_000n - (1_700_000_000_000_000_000n % 2n ** 32n) + 2n ** 31n + 5n)
  assert.equal(read(high), Number(1_700_000_000_000_000_000n - (1_700_000_000_000_000_000n % 2n ** 32n) + 2n ** 31n + 5n))
  assert.ok(optimized(read), 'still optimized after a low half past 2^31 (a `>>> 0` read deoptimized here)')
})
