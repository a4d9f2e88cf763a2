// The probe's state-only syscalls (SAKER_SEL_STATE_ONLY in driver/bpf/shared.h): when no rule
// matches a selected syscall, its events that would change nothing in the state stay in the
// kernel (a clone caller's exit once its child's event was sent; limit calls other than a
// successful one about RLIMIT_NOFILE), and every other event of it is still sent.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { EventView } from '../../src/events/event.js'
import { PPME } from '../../src/events/table.js'
import { RLIMIT_NOFILE } from '../../src/state/constants.js'
import { openLive, type LiveSource } from '../../src/sources/live/live.js'
import { selectNames } from '../../src/sources/live/select.js'
import { Collector, prog, run, skipReason } from './helpers.js'

const skip = skipReason() ?? false
const NAMES = ['clone', 'clone3', 'fork', 'vfork', 'prlimit64', 'setrlimit', 'sched_process_exit']
const CLONES: ReadonlySet<number> = new Set([PPME.SYSCALL_CLONE_20_X, PPME.SYSCALL_FORK_20_X, PPME.SYSCALL_CLONE3_X])
const RLIMIT_STACK = 3
const RLIMIT_CORE = 4

interface Seen { type: number; tid: number; v: EventView }

/** Runs `name` under a probe with NAMES selected: its events and its child's, and the redundant count. */
async function runUnder(stateOnly: boolean, name: string): Promise<{ pid: number; out: string; events: Seen[]; redundant: number }> {
  const live: LiveSource = openLive({ selection: selectNames(NAMES, stateOnly ? { rules: new Set() } : {}) })
  try {
    const events = new Collector(live)
    const before = live.stats().redundant
    const r = run(prog(name), [])
    await events.find(c => c.tid === r.pid && c.type === PPME.PROCEXIT_1_E)
    const own = events.events.filter(c => c.tid === r.pid || String(c.tid) === r.out)
    return { ...r, events: own.map(c => ({ type: c.type, tid: c.tid, v: Collector.view(c) })), redundant: live.stats().redundant - before }
  } finally {
    live.stop()
  }
}

describe('state-only syscalls', { skip }, () => {
  test('a clone caller\'s exit stays in the kernel once its child\'s event was sent, unless a rule matches clone', async () => {
    for (const stateOnly of [true, false]) {
      const { pid, out, events, redundant } = await runUnder(stateOnly, 'fork_exit')
      const child = Number(out)
      const clones = events.filter(e => CLONES.has(e.type))
      assert.deepEqual(clones.filter(e => e.tid === child).map(e => e.v.i64(0)), [0], 'the child\'s own event is always sent')
      // (the program's own birth, from its spawner, is a child event of its pid too: res 0)
      const caller = clones.filter(e => e.tid === pid && e.v.i64(0) !== 0).map(e => e.v.i64(0))
      assert.deepEqual(caller, stateOnly ? [] : [child], stateOnly ? 'the caller\'s event is held back' : 'a rule on clone gets both events')
      if (stateOnly) assert.ok(redundant >= 1, `counted as redundant (${redundant})`)
    }
  })

  test('limit calls other than a successful one about RLIMIT_NOFILE stay in the kernel, unless a rule matches them', async () => {
    for (const stateOnly of [true, false]) {
      const { events } = await runUnder(stateOnly, 'rlimits')
      // [resource, res] of each limit call the probe sent (the loader makes a prlimit64 of RLIMIT_STACK first)
      const calls = (type: number, resource: number) => events.filter(e => e.type === type).map(e => [e.v.u8(resource), e.v.i64(0) < 0 ? -1 : 0])
      const prlimits = calls(PPME.SYSCALL_PRLIMIT_X, 6)
      const setrlimits = calls(PPME.SYSCALL_SETRLIMIT_X, 3)
      if (stateOnly) {
        assert.deepEqual(prlimits, [[RLIMIT_NOFILE, 0]], 'only the successful RLIMIT_NOFILE prlimit64 is sent')
        assert.deepEqual(setrlimits, [[RLIMIT_NOFILE, 0]])
      } else {
        assert.deepEqual(prlimits.slice(-4), [[RLIMIT_STACK, 0], [RLIMIT_NOFILE, 0], [RLIMIT_NOFILE, -1], [RLIMIT_CORE, 0]])
        assert.deepEqual(setrlimits, [[RLIMIT_CORE, 0], [RLIMIT_NOFILE, 0]])
      }
    }
  })
})
