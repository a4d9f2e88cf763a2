// Opening and closing the probe: clear errors for what a user can fix, nothing left loaded
// after the process goes away, and the optional enter events.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { PPME } from '../../src/events/table.js'
import { EVENTS } from '../../src/events/table.js'
import { openLive } from '../../src/sources/live/live.js'
import { selectForEvents, selectNames } from '../../src/sources/live/select.js'
import { Collector, ROOT, prog, run, skipReason, waitUnloaded, type Captured } from './helpers.js'

const skip = skipReason()
const liveModule = join(ROOT, 'dist', 'src', 'sources', 'live', 'index.js')

/** Runs a small ES module script in a fresh node process, with the live module as `live`. */
function nodeScript(body: string, prefix: string[] = []): { status: number | null; out: string; err: string } {
  const script = `import * as live from ${JSON.stringify(liveModule)};\n${body}`
  const r = spawnSync(prefix[0] ?? process.execPath, [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []),
    '--input-type=module', '-e', script], { encoding: 'utf8' })
  return { status: r.status, out: r.stdout.trim(), err: r.stderr }
}

describe('opening and closing the probe', { skip: skip ?? false }, () => {
  test('a process that exits without stop() leaves none of its programs loaded', async () => {
    const r = nodeScript(`
      const src = live.openLive({ selection: live.selectNames(['openat', 'execve', 'sched_process_exit']) })
      src.start(() => {})
      console.log(JSON.stringify(src.info().progIds))
      process.exit(0)`)
    assert.equal(r.status, 0, r.err)
    const ids = JSON.parse(r.out) as number[]
    assert.ok(ids.length >= 5)
    assert.deepEqual(await waitUnloaded(ids), [])
  })

  test('a user who may not load eBPF is told so, naming the step', () => {
    const r = nodeScript(`
      try { live.openLive({ selection: live.selectNames(['openat']) }) }
      catch (e) { console.log(e.message); process.exit(3) }`,
      ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'])
    assert.equal(r.status, 3, r.err)
    assert.match(r.out, /^saker: check: not permitted: loading the probe needs root/)
  })

  test('a kernel without BTF is reported as such', () => {
    assert.throws(() => openLive({ selection: selectNames(['openat']), btfPath: '/nonexistent/vmlinux' }),
      /^Error: saker: check: no kernel BTF at \/nonexistent\/vmlinux .*CONFIG_DEBUG_INFO_BTF/)
  })

  test('a ring size that is not a power of two is refused before anything loads', () => {
    assert.throws(() => openLive({ selection: selectNames(['openat']), ringBytes: 5000 }),
      /saker: check: ringBytes 5000 is not a power of two/)
  })

  test('with enter events, openat sends its enter event before its exit event', async () => {
    const live = openLive({ selection: selectNames(['openat'], { enterEvents: true }), enterEvents: true })
    try {
      const events = new Collector(live)
      const { pid } = run(prog('open_file'), ['/etc/hostname'])
      const isOurs = (type: number) => (c: Captured) =>
        c.tid === pid && c.type === type && Collector.view(c).str(1) === '/etc/hostname'
      const e = await events.find(isOurs(PPME.SYSCALL_OPENAT_2_E))
      assert.equal(e.i64(0), -100)
      await events.find(c => c.tid === pid && c.type === PPME.SYSCALL_OPENAT_2_X && Collector.view(c).str(2) === '/etc/hostname')
      const order = events.events.filter(c => c.tid === pid).map(c => c.type)
      assert.ok(order.indexOf(PPME.SYSCALL_OPENAT_2_E) < order.lastIndexOf(PPME.SYSCALL_OPENAT_2_X))
    } finally {
      live.stop()
    }
  })

  test('with dropFailedExit, a failed syscall sends nothing and a successful one its event', async () => {
    const missing = '/nonexistent/saker-missing'
    for (const dropFailedExit of [true, false]) {
      const live = openLive({ selection: selectNames(['openat']), dropFailedExit })
      try {
        const events = new Collector(live)
        const { pid, out } = run(prog('open_missing'), [missing, '/etc/hostname'])
        assert.ok(Number(out.split(' ')[0]) < 0, 'the first openat failed')
        // one task's events keep their order: the failed call's came first, if sent at all
        await events.find(c => c.tid === pid && c.type === PPME.SYSCALL_OPENAT_2_X && Collector.view(c).str(2) === '/etc/hostname')
        const failed = events.events.some(c => c.tid === pid && c.type === PPME.SYSCALL_OPENAT_2_X &&
          Collector.view(c).str(2) === missing && Collector.view(c).i64(0) < 0)
        assert.equal(failed, !dropFailedExit)
      } finally {
        live.stop()
      }
    }
  })

  test('the selection can change while events flow', async () => {
    const live = openLive({ selection: selectNames(['close']) })
    try {
      const events = new Collector(live)
      live.setSelection(selectNames(['openat']))
      const { pid } = run(prog('open_file'), ['/etc/hostname'])
      await events.find(c => c.tid === pid && c.type === PPME.SYSCALL_OPENAT_2_X)
      assert.ok(!events.events.some(c => c.tid === pid && c.type === PPME.SYSCALL_CLOSE_X))
    } finally {
      live.stop()
    }
  })

  test('with Falco\'s default selection plus I/O (-A), everything the host does arrives well formed', async () => {
    const live = openLive({ selection: selectForEvents([], { all: true }), ringBytes: 1 << 24 })
    try {
      const events = new Collector(live)
      run('/bin/sh', ['-c', 'ls -la / >/dev/null; cat /etc/hostname >/dev/null; (echo x | wc -c) >/dev/null; sleep 0.1'])
      await new Promise(r => setTimeout(r, 300))
      assert.ok(events.events.length > 100)
      const types = new Set<number>()
      for (const c of events.events) {
        const v = Collector.view(c)
        types.add(c.type)
        assert.equal(v.error(), null, `${EVENTS[c.type]?.name}: ${v.error()}`)
        assert.equal(v.nparams, EVENTS[c.type]!.params.length, EVENTS[c.type]!.name)
      }
      assert.ok(types.size > 8, `only ${types.size} event types`)
      assert.equal(live.stats().dropsBuffer, 0)
    } finally {
      live.stop()
    }
  })
})
