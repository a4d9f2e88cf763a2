import assert from 'node:assert/strict'
import { basename } from 'node:path'
import { describe, test } from 'node:test'
import { openCapture } from '../../src/capture/reader.js'
import { SyscallEvent } from '../../src/sources/syscall/event.js'
import { syscallResolver } from '../../src/sources/syscall/extractors.js'
import { SystemState } from '../../src/state/system-state.js'
import { captureFiles, capturesMissing } from './helpers.js'

const skip = capturesMissing()

// The state's own consistency: every entry in the table is live, thread groups hold their
// members, fd tables are keyed by the fd numbers their entries carry.
function checkInvariants(st: SystemState, where: string): void {
  for (const [tid, t] of st.threads) {
    assert.equal(t.tid, tid, `${where}: thread ${tid} keyed by its tid`)
    assert.equal(t.removed, false, `${where}: thread ${tid} in the table is not removed`)
    if (t.group !== null) assert.ok(t.group.threads.includes(t), `${where}: thread ${tid} is in its group`)
    for (const [fd, f] of t.fds) assert.equal(f.fd, fd, `${where}: thread ${tid} fd ${fd} keyed by its number`)
    assert.ok(t.fds.size <= 4096, `${where}: thread ${tid} fd table within MAX_FD_TABLE_SIZE`)
  }
  for (const [pid, g] of st.groups) assert.equal(g.pid, pid, `${where}: group ${pid} keyed by its pid`)
}

interface Seen {
  /** field values of the first event matching `when`, by field name */
  [field: string]: unknown
}

function firstMatch(path: string, when: Record<string, unknown>, fields: readonly string[], raw = false): Seen | null {
  const r = openCapture(path)
  const st = new SystemState()
  st.loadCapture(r.sections[0]!)
  const ev = new SyscallEvent(st)
  const bind = (f: string) => {
    const m = /^([^[]+)(?:\[(.*)\])?$/.exec(f)!
    return syscallResolver.bind(m[1]!, m[2])
  }
  const conds = Object.entries(when).map(([k, v]) => [bind(k), v] as const)
  const outs = fields.map(f => [f, bind(f)] as const)
  let found: Seen | null = null
  r.forEachEvent(view => {
    ev.next(view)
    for (const [b, v] of conds) if (b.extract(ev) !== v) return
    found = {}
    for (const [f, b] of outs) found[f] = b.extract(ev)
    return false
  }, { raw })
  return found
}

describe('the shared captures', { skip }, () => {
  for (const path of skip === false ? captureFiles() : []) {
    test(`${path.split('/falco/')[1]} replays through the state, converted and raw, keeping it consistent`, () => {
      for (const raw of [false, true]) {
        const r = openCapture(path)
        const st = new SystemState()
        st.loadCapture(r.sections[0]!)
        checkInvariants(st, `${basename(path)} after load`)
        const loaded = st.threads.size
        assert.ok(loaded > 0, 'threads loaded from the process list')
        const ev = new SyscallEvent(st)
        let n = 0
        r.forEachEvent(view => {
          ev.next(view)
          n++
          assert.equal(ev.num, n)
        }, { raw })
        assert.equal(r.error, null)
        checkInvariants(st, `${basename(path)} after ${raw ? 'raw' : 'converted'} events`)
      }
    })
  }

  test('a TCP connect to localhost names the socket after both ends', { skip }, () => {
    const path = captureFiles().find(p => p.endsWith('traces/connect_localhost.scap'))
    if (path === undefined) return
    const seen = firstMatch(path, { 'evt.type': 'connect', 'evt.dir': '<' }, ['fd.name', 'fd.l4proto', 'fd.sport', 'evt.res'])
    assert.deepEqual(seen, { 'fd.name': '127.0.0.1:47192->127.0.0.1:80', 'fd.l4proto': 'tcp', 'fd.sport': 80, 'evt.res': 'EINPROGRESS' })
  })

  test('a file written in a docker container carries the container metadata of the capture', { skip }, () => {
    const path = captureFiles().find(p => p.endsWith('write_tmp_test.scap'))
    if (path === undefined) return
    const seen = firstMatch(path, { 'evt.type': 'open', 'fd.name': '/tmp/test' },
      ['proc.name', 'evt.arg.flags', 'container.id', 'container.name', 'container.image', 'user.uid'])
    assert.deepEqual(seen, {
      'proc.name': 'bash', 'evt.arg.flags': 'O_TRUNC|O_CREAT|O_WRONLY', 'container.id': '697956520d89',
      'container.name': 'hopeful_taussig', 'container.image': 'nginx', 'user.uid': 0,
    })
  })

  test('an IPv6 bind makes an IPv6 server socket', { skip }, () => {
    const path = captureFiles().find(p => p.endsWith('single_ipv6_conn.scap'))
    if (path === undefined) return
    const seen = firstMatch(path, { 'evt.type': 'bind', 'evt.dir': '<' }, ['fd.name', 'fd.sip', 'fd.sport', 'fd.type', 'fd.is_server'])
    assert.deepEqual(seen, { 'fd.name': '2001:db8::3:1234', 'fd.sip': '2001:db8::3', 'fd.sport': 1234, 'fd.type': 'ipv6', 'fd.is_server': true })
  })

  test('an execve in a container updates the process and keeps its container', { skip }, () => {
    const path = captureFiles().find(p => p.endsWith('run_as_user_65534_container.scap'))
    if (path === undefined) return
    const seen = firstMatch(path, { 'evt.type': 'execve', 'evt.dir': '<' }, ['proc.name', 'proc.exe', 'proc.exepath', 'container.id', 'proc.cmdline'])
    assert.deepEqual(seen, {
      'proc.name': 'nologin', 'proc.exe': '-su', 'proc.exepath': '/usr/sbin/nologin', 'container.id': '697956520d89',
      'proc.cmdline': 'nologin ls',
    })
  })
})
