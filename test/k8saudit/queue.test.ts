// The bounded queue between the webhook and the rules: all-or-nothing offers, order, drops
// counted, consumer errors contained.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BoundedQueue } from '../../src/server/queue.js'

const tick = () => new Promise<void>((r) => setImmediate(r))

describe('BoundedQueue', () => {
  test('delivers every accepted item in order', async () => {
    const got: number[] = []
    const q = new BoundedQueue<number>(100, (n) => void got.push(n), { sliceSize: 7 })
    assert.ok(q.offer([1, 2, 3]))
    assert.ok(q.offer(Array.from({ length: 50 }, (_, i) => 4 + i)))
    await q.drained()
    assert.deepEqual(got, Array.from({ length: 53 }, (_, i) => i + 1))
    assert.equal(q.stats.delivered, 53)
  })

  test('takes a batch whole or not at all, and takes an oversized batch only when empty', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const q = new BoundedQueue<number>(4, () => gate)
    assert.ok(q.offer([1, 2, 3, 4, 5, 6]), 'empty: a batch over capacity is taken')
    assert.equal(q.offer([7]), false)
    assert.equal(q.stats.rejected, 1)
    release()
    await q.drained()
    assert.ok(q.offer([7, 8, 9, 10]))
    assert.equal(q.offer([11]), false, 'full again')
    await q.drained()
    assert.equal(q.stats.accepted, 10)
    assert.equal(q.stats.highWater, 6)
  })

  test('close without draining counts what is left as dropped and refuses new items', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const got: number[] = []
    const q = new BoundedQueue<number>(10, async (n) => {
      await gate
      got.push(n)
    })
    q.offer([1, 2, 3])
    await tick() // item 1 is in the consumer
    const closing = q.close({ drain: false })
    assert.equal(q.offer([4]), false)
    release()
    await closing
    assert.deepEqual(got, [1])
    assert.equal(q.stats.dropped, 2)
    assert.equal(q.stats.rejected, 1)
  })

  test('a consumer that throws or rejects is counted and does not stop delivery', async () => {
    const errors: unknown[] = []
    const got: number[] = []
    const q = new BoundedQueue<number>(10, async (n) => {
      if (n === 2) throw new Error('sync-ish')
      if (n === 3) return Promise.reject(new Error('async'))
      got.push(n)
    }, { onError: (e) => errors.push(e) })
    q.offer([1, 2, 3, 4])
    await q.drained()
    assert.deepEqual(got, [1, 4])
    assert.equal(q.stats.consumerErrors, 2)
    assert.equal(errors.length, 2)
  })

  test('a capacity that is not a positive integer is refused with its value', () => {
    assert.throws(() => new BoundedQueue<number>(0, () => {}), /positive integer, got 0/)
  })
})
