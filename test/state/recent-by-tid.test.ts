// RecentByTid, the thread table's direct-mapped cache: answers as the map does, and lets go of
// what it was told to forget (a removed thread it kept would live on with its fd table until
// its slot was reused, and every young object it held would be promoted by the next scavenge).

import assert from 'node:assert/strict'
import { setImmediate as tick } from 'node:timers/promises'
import { test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { RecentByTid } from '../../src/state/recent-by-tid.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

test('answers follow the map once told of each change', () => {
  const map = new Map<number, string>([[7, 'a']])
  const recent = new RecentByTid(map)
  assert.equal(recent.get(7), 'a')
  assert.equal(recent.get(7 + 1024), undefined, 'same slot, other tid')
  assert.equal(recent.get(7), 'a')
  map.set(7, 'b')
  recent.forget(7)
  assert.equal(recent.get(7), 'b')
  map.clear()
  recent.clear()
  assert.equal(recent.get(7), undefined)
})

test('a forgotten or cleared entry is not kept alive', async () => {
  const map = new Map<number, object>()
  const recent = new RecentByTid(map)
  const refs = [5, 9].map(tid => {
    const entry = { tid, payload: new Array(1000).fill(tid) }
    map.set(tid, entry)
    recent.get(tid)
    return new WeakRef(entry)
  })
  map.clear()
  recent.forget(5)
  await tick()
  gc()
  assert.equal(refs[0]!.deref(), undefined, 'forget let go of it')
  assert.notEqual(refs[1]!.deref(), undefined, 'still cached: the test can tell')
  recent.clear()
  await tick()
  gc()
  assert.equal(refs[1]!.deref(), undefined, 'clear let go of it')
})
