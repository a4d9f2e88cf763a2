// The savefile converter (src/capture/converter.ts) against what libs 0.25.4's converter does:
// its table, its rules for enter events, defaults and failures, and the shared captures read
// through it, with Debian's sysdig (older libs, no converter) as a witness for the values the
// converted exits take from their enter events.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { basename } from 'node:path'
import { describe, test } from 'node:test'
import {
  ACTION, CONVERSIONS, EventConverter, FROM, MAX_CONVERSIONS, conversionFor, defaultParam, verdictFor, VERDICT,
} from '../../src/capture/converter.js'
import { openCapture, openCaptureBytes } from '../../src/capture/reader.js'
import { EventView } from '../../src/events/event.js'
import { PF, PT } from '../../src/events/param-types.js'
import { EF, EVENTS, PPME } from '../../src/events/table.js'
import { CaptureBuilder, P, captureFiles, makeEvent, sharedMissing } from './helpers.js'

const view = (bytes: Uint8Array): EventView => new EventView().reset(bytes, 0)
const ev = (type: number, params: readonly Uint8Array[], tid = 42, large = false): EventView =>
  view(makeEvent(type, params, { tid, large }))
const idx = (type: number, name: string): number => {
  const i = EVENTS[type]!.params.findIndex(p => p.name === name)
  assert.ok(i >= 0, `${EVENTS[type]!.name} has a param ${name}`)
  return i
}
const lens = (e: EventView): number[] => Array.from({ length: e.nparams }, (_, i) => e.paramLen(i))
const isEnter = (type: number): boolean => (type & 1) === 0
const managed = (type: number): boolean => (EVENTS[type]!.flags & EF.CONVERTER_MANAGED) !== 0
const old = (type: number): boolean => (EVENTS[type]!.flags & EF.OLD_VERSION) !== 0

/** A param of the given type: its smallest width in 0x11 bytes, or a short string. */
function sample(type: number): Uint8Array {
  const d = defaultParam(type)
  if (d === null) return P.u8(0x11)
  return d.length === 0 ? P.str('x') : new Uint8Array(d.length).fill(0x11)
}
const full = (type: number, n = EVENTS[type]!.params.length): Uint8Array[] =>
  EVENTS[type]!.params.slice(0, n).map(p => sample(p.type))

// ---------------------------------------------------------------------------------------------

describe('the conversion table', () => {
  test('has the 253 entries of libs 0.25.4, each for a converter-managed type', () => {
    assert.equal(CONVERSIONS.length, 253)
    for (const c of CONVERSIONS) {
      assert.ok(managed(c.type), `${c.type}/${c.nparams}: ${EVENTS[c.type]!.name} is converter-managed`)
      assert.equal(conversionFor(c.type, c.nparams), c)
      // An exit needs converting only when old or short of params.
      if (!isEnter(c.type)) assert.ok(old(c.type) || c.nparams < EVENTS[c.type]!.params.length, `${c.type}/${c.nparams}`)
    }
  })

  test('every instruction points at a param that exists, and every default has a width', () => {
    for (const c of CONVERSIONS) {
      const at = `${EVENTS[c.type]!.name} ${c.type}/${c.nparams}`
      const to = c.action === ACTION.CHANGE_TYPE ? c.to : c.type
      const first = c.action === ACTION.ADD_PARAMS ? c.nparams : 0
      if (c.action === ACTION.ADD_PARAMS || c.action === ACTION.CHANGE_TYPE) {
        assert.ok(first + c.instrs.length <= EVENTS[to]!.params.length, `${at}: result fits ${EVENTS[to]!.name} ${to}`)
      } else {
        assert.equal(c.instrs.length, 0, at)
      }
      c.instrs.forEach((ins, i) => {
        const target = EVENTS[to]!.params[first + i]!.type
        if (ins.from === FROM.OLD) assert.ok(ins.param < c.nparams, `${at}: old param ${ins.param}`)
        if (ins.from === FROM.ENTER) {
          assert.ok(!isEnter(c.type), `${at}: only exits take from an enter event`)
          assert.ok(ins.param < EVENTS[c.type - 1]!.params.length, `${at}: enter param ${ins.param}`)
        }
        const mayDefault = ins.from === FROM.DEFAULT || ((ins.from === FROM.ENTER || ins.from === FROM.CALLBACK) && !ins.emptyFallback)
        if (mayDefault) assert.ok(defaultParam(target) !== null, `${at}: param ${first + i} (type ${target}) has a default`)
      })
    }
  })

  test('every entry, fed an event of its shape after its enter event, ends delivered complete or dropped', () => {
    for (const c of CONVERSIONS) {
      const at = `${EVENTS[c.type]!.name} ${c.type}/${c.nparams}`
      const conv = new EventConverter()
      // Exits may take params from their enter event: give them one, complete.
      if (!isEnter(c.type)) conv.convert(ev(c.type - 1, full(c.type - 1)))
      const out = conv.convert(ev(c.type, full(c.type, c.nparams)))
      assert.equal(conv.error, null, at)
      if (out === null) {
        assert.ok(isEnter(c.type), `${at}: only enter events are dropped`)
        continue
      }
      assert.equal(out.error(), null, at)
      assert.equal(out.nparams, EVENTS[out.type]!.params.length, `${at} -> ${EVENTS[out.type]!.name} ${out.type}`)
      if (!isEnter(c.type)) {
        assert.equal(verdictFor(out.type, out.nparams), VERDICT.PASS, at)
        assert.ok(!old(out.type), `${at}: an exit ends as a current version`)
      }
    }
  })

  test('uid and gid defaults are 0xffffffff, other defaults zero bytes of the type width, and a few types have none', () => {
    assert.deepEqual(defaultParam(PT.UID), Uint8Array.of(255, 255, 255, 255))
    assert.deepEqual(defaultParam(PT.GID), Uint8Array.of(255, 255, 255, 255))
    assert.deepEqual(defaultParam(PT.ERRNO), new Uint8Array(8))
    assert.deepEqual(defaultParam(PT.FD), new Uint8Array(8))
    assert.deepEqual(defaultParam(PT.UINT16), new Uint8Array(2))
    assert.deepEqual(defaultParam(PT.IPV6ADDR), new Uint8Array(16))
    assert.deepEqual(defaultParam(PT.CHARBUF), new Uint8Array(0))
    assert.deepEqual(defaultParam(PT.SOCKTUPLE), new Uint8Array(0))
    assert.equal(defaultParam(PT.DOUBLE), null)
    assert.equal(defaultParam(PT.BOOL), null)
  })
})

// ---------------------------------------------------------------------------------------------

describe('converting events', () => {
  test('an exit takes the params its old version lacks from the enter event of the same thread', () => {
    const c = new EventConverter()
    assert.equal(c.convert(ev(PPME.SYSCALL_READ_E, [P.u64(5), P.u32(100)], 1)), null)
    assert.equal(c.convert(ev(PPME.SYSCALL_READ_E, [P.u64(7), P.u32(9)], 2)), null)
    assert.equal(c.pendingCount, 2)
    const a = c.convert(ev(PPME.SYSCALL_READ_X, [P.u64(3), P.str('ab')], 2))!
    assert.deepEqual([a.type, a.nparams, a.i64(0), a.str(1), a.i64(2), a.u32(3)], [PPME.SYSCALL_READ_X, 4, 3, 'ab', 7, 9])
    assert.equal(a.error(), null)
    const b = c.convert(ev(PPME.SYSCALL_READ_X, [P.u64(100), P.str('cd')], 1))!
    assert.deepEqual([b.i64(0), b.str(1), b.i64(2), b.u32(3), b.tid], [100, 'cd', 5, 100, 1])
    assert.deepEqual(c.stats, { converted: 2, dropped: 2, mismatchedEnters: 0 })
  })

  test('an exit without its enter event gets default values, or empty ones where libs falls back to empty', () => {
    const c = new EventConverter()
    const r = c.convert(ev(PPME.SYSCALL_READ_X, [P.u64(0), P.empty()]))!
    assert.deepEqual(lens(r), [8, 0, 8, 4])
    assert.deepEqual([r.i64(2), r.u32(3)], [0, 0])
    const o = c.convert(ev(PPME.SYSCALL_OPENAT_X, [P.u64(3)]))!
    assert.equal(o.type, PPME.SYSCALL_OPENAT_2_X)
    assert.deepEqual(lens(o), [8, 0, 0, 0, 0, 0, 0])
    assert.equal(o.i64(0), 3)
    // accept4: flags from the enter event, a default (0, 8 bytes... of its type) when absent.
    const a = c.convert(ev(PPME.SOCKET_ACCEPT4_X, [P.u64(4), P.empty(), P.u8(0)]))!
    assert.equal(a.type, PPME.SOCKET_ACCEPT4_6_X)
    assert.deepEqual(lens(a), [8, 0, 1, 4, 4, 4])
  })

  test('an enter event serves one exit: a second exit on the thread finds none', () => {
    const c = new EventConverter()
    c.convert(ev(PPME.SYSCALL_CLOSE_E, [P.u64(9)]))
    assert.equal(c.convert(ev(PPME.SYSCALL_CLOSE_X, [P.u64(0)]))!.i64(1), 9)
    const again = c.convert(ev(PPME.SYSCALL_CLOSE_X, [P.u64(0)]))!
    assert.deepEqual([again.nparams, again.paramLen(1), again.i64(1)], [2, 8, 0])
  })

  test('an exit whose thread holds the enter of another syscall converts as if it had none (libscap would stop)', () => {
    const c = new EventConverter()
    // connect's enter is kept *and* passed; its complete exit passes without using it.
    assert.ok(c.convert(ev(PPME.SOCKET_CONNECT_E, [P.u64(3), P.empty()])) !== null)
    assert.ok(c.convert(ev(PPME.SOCKET_CONNECT_X, full(PPME.SOCKET_CONNECT_X))) !== null)
    const r = c.convert(ev(PPME.SYSCALL_READ_X, [P.u64(0), P.empty()]))!
    assert.equal(c.error, null)
    assert.equal(r.type, PPME.SYSCALL_READ_X)
    assert.equal(r.nparams, EVENTS[PPME.SYSCALL_READ_X]!.params.length)
    assert.equal(c.stats.mismatchedEnters, 1)
  })

  test('a thread\'s procexit forgets its pending enter event', () => {
    const c = new EventConverter()
    c.convert(ev(PPME.SYSCALL_CLOSE_E, [P.u64(9)], 7))
    c.convert(ev(PPME.SYSCALL_CLOSE_E, [P.u64(9)], 8))
    const exit = ev(PPME.PROCEXIT_1_E, [P.u64(0)], 7)
    assert.equal(c.convert(exit), exit)
    assert.equal(c.pendingCount, 1)
    // The old procexit is converted to the current one, and forgets too.
    const oldExit = c.convert(ev(PPME.PROCEXIT_E, [], 8))!
    assert.deepEqual([oldExit.type, lens(oldExit)], [PPME.PROCEXIT_1_E, [0, 0, 0, 0, 0]])
    assert.equal(c.pendingCount, 0)
  })

  test('events libs does not manage pass as stored, even short of params; old unmanaged enters and unused types are dropped', () => {
    const c = new EventConverter()
    const procexit = ev(PPME.PROCEXIT_1_E, [P.u64(0)])
    assert.equal(c.convert(procexit), procexit)
    const setsockopt = ev(PPME.SOCKET_SETSOCKOPT_X, [])
    assert.equal(c.convert(setsockopt), setsockopt)
    assert.equal(c.convert(ev(PPME.SOCKET_GETSOCKNAME_E, [])), null)
    assert.equal(c.convert(ev(PPME.SYSCALL_CLONE_20_E, [])), null)
    assert.equal(c.convert(ev(PPME.PROCEXIT_X, [])), null)
    assert.equal(c.error, null)
    assert.deepEqual(c.stats, { converted: 0, dropped: 3, mismatchedEnters: 0 })
  })

  test('a complete current exit passes as the caller\'s own view, a converted one through the converter\'s one view', () => {
    const c = new EventConverter()
    const done = ev(PPME.SYSCALL_CLOSE_X, [P.u64(0), P.u64(3)])
    assert.equal(c.convert(done), done)
    const a = c.convert(ev(PPME.SYSCALL_CLOSE_X, [P.u64(0)]))
    const b = c.convert(ev(PPME.SYSCALL_CLOSE_X, [P.u64(1)]))
    assert.ok(a !== null && a === b)
    assert.equal(b.i64(0), 1)
    // Feeding the converter its own output back is safe.
    const again = c.convert(ev(PPME.SYSCALL_OPEN_X, [P.u64(3), P.str('/x'), P.u32(1), P.u32(0)]))!
    const twice = c.convert(again)
    assert.equal(twice, again)
    assert.equal(c.convert(ev(PPME.SYSCALL_OPEN_E, []))!.str(0), '')
  })

  test('the execve exit climbs from version 16 to 19, its params in their new places and the file name from its enter event', () => {
    const c = new EventConverter()
    // The version-16 enter (no params) climbs to version 19 (an empty file name), kept and passed.
    const enter16 = c.convert(ev(PPME.SYSCALL_EXECVE_16_E, []))!
    assert.deepEqual([enter16.type, lens(enter16)], [PPME.SYSCALL_EXECVE_19_E, [0]])
    const enter = c.convert(ev(PPME.SYSCALL_EXECVE_19_E, [P.str('/bin/ls')]))!
    assert.equal(enter.str(0), '/bin/ls')
    const params16 = [
      P.u64(0), P.str('ls'), P.str('-l'), P.u64(42), P.u64(42), P.u64(1), P.str('/root'), P.u64(1024),
      P.u64(1), P.u64(2), P.u32(3), P.u32(4), P.u32(5), P.str('ls'), P.str('cpu=/'), P.str('HOME=/root'),
    ]
    const x = c.convert(ev(PPME.SYSCALL_EXECVE_16_X, params16))!
    const T = PPME.SYSCALL_EXECVE_19_X
    assert.deepEqual([x.type, x.nparams], [T, 31])
    assert.equal(x.error(), null)
    assert.deepEqual(
      [x.str(idx(T, 'exe')), x.str(idx(T, 'cwd')), x.u32(idx(T, 'vm_swap')), x.str(idx(T, 'comm')),
        x.str(idx(T, 'cgroups')), x.str(idx(T, 'env')), x.str(idx(T, 'filename'))],
      ['ls', '/root', 5, 'ls', 'cpu=/', 'HOME=/root', '/bin/ls'])
    for (const name of ['tty', 'vpgid', 'loginuid', 'flags', 'cap_inheritable', 'exe_ino', 'uid', 'trusted_exepath', 'pgid', 'gid']) {
      assert.equal(x.paramLen(idx(T, name)), 0, `${name} is empty`)
    }
    assert.equal(c.pendingCount, 0, 'the enter event was used')
  })

  test('an old container event becomes the JSON container event libs builds from its fields', () => {
    const c = new EventConverter()
    const out = c.convert(ev(PPME.CONTAINER_E, [P.str('abc123'), P.u32(1), P.str('web'), P.str('nginx:1')], -1))!
    assert.equal(out.type, PPME.CONTAINER_JSON_2_E)
    assert.equal(out.str(0), '{"id":"abc123","type":1,"name":"web","image":"nginx:1"}')
    assert.equal(out.paramLen(0), 56, 'with its NUL')
    // An empty string param makes libs' callback throw: the JSON param falls back to empty.
    const bad = c.convert(ev(PPME.CONTAINER_E, [P.empty(), P.u32(1), P.str('web'), P.str('nginx:1')], -1))!
    assert.deepEqual([bad.type, lens(bad)], [PPME.CONTAINER_JSON_2_E, [0]])
  })

  test('bpf\'s 8-byte command from the enter event is cut to the 4 bytes of the new param', () => {
    const c = new EventConverter()
    c.convert(ev(PPME.SYSCALL_BPF_E, [P.u64(0x1_0000_0005n)]))
    const x = c.convert(ev(PPME.SYSCALL_BPF_X, [P.u64(3)]))!
    assert.deepEqual([x.type, lens(x), x.u32(1)], [PPME.SYSCALL_BPF_2_X, [8, 4], 5])
  })

  test('an exit with more params than the table is an error, as in libs', () => {
    const c = new EventConverter()
    assert.equal(c.convert(ev(PPME.SYSCALL_CLOSE_X, [P.u64(0), P.u64(1), P.u64(2)])), null)
    assert.match(c.error ?? '', /more params \(3\) than expected \(2\)/)
    assert.equal(MAX_CONVERSIONS, 50)
  })
})

describe('the reader with the converter', () => {
  const capture = (): Uint8Array => new CaptureBuilder().shb()
    .event(makeEvent(PPME.SYSCALL_READ_E, [P.u64(5), P.u32(64)], { ts: 1n }))
    .event(makeEvent(PPME.SOCKET_GETSOCKNAME_E, [], { ts: 2n }))
    .event(makeEvent(PPME.SYSCALL_READ_X, [P.u64(2), P.str('hi')], { ts: 3n }), { cpuid: 3 })
    .bytes()

  test('converts by default and gives the stored events with raw: true', () => {
    const r = openCaptureBytes(capture())
    const got: unknown[] = []
    assert.equal(r.forEachEvent((e, _f, cpu) => { got.push([e.ts, e.type, e.nparams, e.i64(2), e.u32(3), cpu, e.cpuid]) }), 1)
    assert.deepEqual(got, [[3n, PPME.SYSCALL_READ_X, 4, 5, 64, 3, 3]])
    assert.deepEqual([r.stats.events, r.stats.convertedEvents, r.stats.droppedEvents], [1, 1, 2])
    const raw: number[] = []
    assert.equal(r.forEachEvent(e => { raw.push(e.type) }, { raw: true }), 3)
    assert.deepEqual(raw, [PPME.SYSCALL_READ_E, PPME.SOCKET_GETSOCKNAME_E, PPME.SYSCALL_READ_X])
    assert.deepEqual([r.stats.convertedEvents, r.stats.droppedEvents], [0, 0])
    // A replay starts with no pending enter event from the last one.
    assert.equal(r.forEachEvent(() => {}), 1)
  })

  test('an event the converter cannot convert stops reading with a BAD_EVENT error after the events before it', () => {
    const b = new CaptureBuilder().shb()
      .event(makeEvent(PPME.SOCKET_CONNECT_E, [P.u64(3), P.empty()]))
      .event(makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), P.u64(1), P.u64(2)]))
    const r = openCaptureBytes(b.event(makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), P.u64(3)])).bytes())
    assert.equal(r.forEachEvent(() => {}), 1)
    assert.equal(r.error?.code, 'BAD_EVENT')
    assert.match(r.error!.message, /cannot convert event: .*more params \(3\) than expected \(2\)/)
    assert.equal(r.forEachEvent(() => {}, { raw: true }), 3)
    assert.equal(r.error, null)
  })
})

// ---------------------------------------------------------------------------------------------
// The shared captures. All are old: enter+exit pairs, older event versions.

const skip = sharedMissing()
const files = skip === false ? captureFiles() : []
const find = (name: string): string | undefined => files.find(p => p.endsWith(`/traces/${name}`))

// Events libs delivers with fewer params than the table lists: types the converter does not
// manage pass as stored (libsinsp reads the missing params as absent).
const SHORT_BUT_PASSED = new Set([`${PPME.PROCEXIT_1_E}/1`, `${PPME.SOCKET_SETSOCKOPT_X}/0`, `${PPME.SOCKET_GETSOCKOPT_X}/0`])
// Managed enter events libs delivers: converted to a complete version and then passed
// (open, creat, openat, openat2, execveat) or kept for the exit *and* passed (execve, connect).
// execve's version-19 enter is even an EF_OLD_VERSION type, the only one libs lets through.
const ENTERS_PASSED = new Set<number>([
  PPME.SYSCALL_OPEN_E, PPME.SYSCALL_CREAT_E, PPME.SYSCALL_OPENAT_2_E, PPME.SYSCALL_OPENAT2_E, PPME.SYSCALL_EXECVEAT_E,
  PPME.SYSCALL_EXECVE_19_E, PPME.SOCKET_CONNECT_E,
])
const OLD_BUT_PASSED = new Set<number>([PPME.SYSCALL_EXECVE_19_E])

// Per capture: events stored, and delivered / converted / dropped by the converter.
const COUNTS: Record<string, readonly [raw: number, delivered: number, converted: number, dropped: number]> = {
  'cat_write.scap': [345, 307, 46, 38],
  'connect_localhost.scap': [374, 371, 5, 3],
  'curl_google.scap': [1536, 991, 641, 545],
  'open-multiple-files.scap': [1272, 1243, 57, 29],
  'ping_sendto.scap': [1526, 1516, 10, 10],
  'privileged.scap': [2059, 2059, 1, 0],
  'run_as_user_0_container.scap': [4143, 2795, 1161, 1348],
  'run_as_user_65534_container.scap': [241, 241, 2, 0],
  'single_ipv6_conn.scap': [1728, 1717, 16, 11],
  'syscall.scap': [368, 366, 10, 2],
  'test_ipv6_client.scap': [326, 297, 37, 29],
  'write_tmp_test.scap': [229, 229, 3, 0],
  'empty.scap': [143, 143, 0, 0],
}

/** Would libs drop this stored event? Its rules restated from the flags, without the table. */
function dropsStored(type: number, nparams: number): boolean {
  const e = EVENTS[type]!
  if ((e.flags & EF.UNUSED) !== 0) return true
  if (!isEnter(type)) return false
  if (!managed(type)) return old(type)
  // Managed enters are kept for their exit (dropped), but for those libs passes; old execve
  // and connect enters climb to the passed ones, and old container, switch and procexit
  // events become current types the converter does not manage, which pass.
  const name = e.name
  return !(ENTERS_PASSED.has(type) || ['execve', 'container', 'switch', 'procexit'].includes(name) ||
    (type === PPME.SOCKET_CONNECT_E && nparams <= 2))
}

interface Seen {
  /** 1-based index of each delivered event among the stored ones (sysdig's evt.num). */
  rawIndex: number[]
  events: EventView[]
  rawTypes: number[]
  rawNparams: number[]
}

/** Reads a capture raw and converted, keeping copies of the converted events. */
function readBoth(path: string): Seen {
  const r = openCapture(path)
  const byOffset = new Map<number, number>()
  const rawTypes: number[] = []
  const rawNparams: number[] = []
  r.forEachEvent(e => {
    rawTypes.push(e.type)
    rawNparams.push(e.nparams)
    byOffset.set(r.eventOffset, rawTypes.length)
  }, { raw: true })
  assert.equal(r.error, null)
  const rawIndex: number[] = []
  const events: EventView[] = []
  r.forEachEvent(e => {
    rawIndex.push(byOffset.get(r.eventOffset)!)
    events.push(view(e.raw().slice()))
  })
  assert.equal(r.error, null)
  return { rawIndex, events, rawTypes, rawNparams }
}

describe('the shared captures, converted', { skip }, () => {
  const shortSeen = new Set<string>()
  for (const path of files) {
    const name = basename(path)
    test(`${path.split('/falco/')[1]}: every event has its table's param count and is a current version, but for what libs passes`, () => {
      const r = openCapture(path)
      const [raw, delivered, converted, dropped] = COUNTS[name]!
      let n = 0
      r.forEachEvent(e => {
        n++
        const info = EVENTS[e.type]!
        const at = `event ${n} (${info.name} ${e.type}/${e.nparams})`
        assert.equal(e.error(), null, at)
        if (e.nparams !== info.params.length) {
          assert.ok(!managed(e.type) && e.nparams < info.params.length, `${at}: table has ${info.params.length}`)
          assert.ok(SHORT_BUT_PASSED.has(`${e.type}/${e.nparams}`), `${at}: a short event libs passes`)
          shortSeen.add(`${e.type}/${e.nparams}`)
        }
        if (old(e.type)) assert.ok(OLD_BUT_PASSED.has(e.type), `${at}: an old version`)
        if (isEnter(e.type) && managed(e.type)) assert.ok(ENTERS_PASSED.has(e.type), `${at}: a managed enter event`)
      })
      assert.equal(r.error, null)
      assert.deepEqual([r.forEachEvent(() => {}, { raw: true }), n, r.forEachEvent(() => {}), r.stats.convertedEvents, r.stats.droppedEvents],
        [raw, delivered, delivered, converted, dropped])
      // The dropped ones are the enter events libs keeps or drops, and unused types.
      let expectDrops = 0
      r.forEachEvent(e => { if (dropsStored(e.type, e.nparams)) expectDrops++ }, { raw: true })
      assert.equal(raw - delivered, expectDrops)
    })
  }

  test('across the captures, the short events libs passes are procexit, setsockopt and getsockopt', () => {
    assert.deepEqual([...shortSeen].sort(), [...SHORT_BUT_PASSED].sort())
  })

  test('cat_write.scap: each open exit carries fd, name, flags and mode as sysdig prints them, and empty dev and ino', () => {
    const s = readBoth(find('cat_write.scap')!)
    const T = PPME.SYSCALL_OPEN_X
    const opens = s.events.map((e, i) => [e, s.rawIndex[i]!] as const).filter(([e]) => e.type === T)
      .map(([e, num]) => [num, e.nparams, e.i64(0), e.str(1), e.u32(2), e.u32(3), e.paramLen(4), e.paramLen(5)])
    // sysdig -r cat_write.scap -p '%evt.num %evt.args' 'evt.type=open and evt.dir=<'
    assert.deepEqual(opens, [
      [141, 6, 3, '/etc/ld.so.cache', 4097, 0, 0, 0],
      [151, 6, 3, '/lib/x86_64-linux-gnu/libc.so.6', 4097, 0, 0, 0],
      [187, 6, 3, '/usr/lib/locale/locale-archive', 4097, 0, 0, 0],
      [197, 6, 3, '/dev/null', 1, 0, 0, 0],
    ])
    // Their enter events held no params: libs passes them with three empty ones.
    const enters = s.events.filter(e => e.type === PPME.SYSCALL_OPEN_E)
    assert.equal(enters.length, 4)
    for (const e of enters) assert.deepEqual(lens(e), [0, 0, 0])
  })

  test('cat_write.scap: read, mmap and close exits carry the arguments of their enter events', () => {
    const s = readBoth(find('cat_write.scap')!)
    const at = (num: number): EventView => s.events[s.rawIndex.indexOf(num)]!
    // 152 read > fd=3 size=832; 153 read < res=832 data=(the first 80 bytes: the capture's snaplen)
    const read = at(153)
    assert.deepEqual([read.type, read.i64(0), read.paramLen(1), read.i64(idx(PPME.SYSCALL_READ_X, 'fd')), read.u32(3)],
      [PPME.SYSCALL_READ_X, 832, 80, 3, 832])
    // 144 mmap > addr=0 length=72949 prot=1 flags=2 fd=3 offset=0; 145 mmap < res=7FAD48770000 vm_size=440
    const M = PPME.SYSCALL_MMAP_X
    const mmap = at(145)
    assert.deepEqual(
      [mmap.u64(0), mmap.u32(1), mmap.u64(idx(M, 'addr')), mmap.u64(idx(M, 'length')), mmap.u32(idx(M, 'prot')),
        mmap.u32(idx(M, 'flags')), mmap.i64(idx(M, 'fd')), mmap.u64(idx(M, 'offset'))],
      [0x7fad48770000n, 440, 0n, 72949n, 1, 2, 3, 0n])
    // 146 close > fd=3; 147 close < res=0
    const close = at(147)
    assert.deepEqual([close.type, close.i64(0), close.i64(1)], [PPME.SYSCALL_CLOSE_X, 0, 3])
    assert.equal(s.events.some((_e, i) => s.rawIndex[i] === 146), false, 'the close enter is dropped')
  })

  test('cat_write.scap: the version-16 execve exit becomes version 19 with its fields in place, no file name (no enter)', () => {
    const s = readBoth(find('cat_write.scap')!)
    const x = s.events[s.rawIndex.indexOf(131)]!
    const T = PPME.SYSCALL_EXECVE_19_X
    assert.deepEqual([s.rawTypes[130], s.rawNparams[130], x.type, x.nparams], [PPME.SYSCALL_EXECVE_16_X, 16, T, 31])
    // sysdig: res=0 exe=cat args=/dev/null. tid=20072 pid=20072 ptid=11310 cwd=/mnt/sf_mstemm/... fdlimit=1024
    // pgft_maj=0 pgft_min=61 vm_size=360 vm_rss=4 vm_swap=0 comm=cat
    assert.deepEqual(
      [x.i64(0), x.str(1), x.i64(idx(T, 'tid')), x.i64(idx(T, 'ptid')), x.str(idx(T, 'cwd')), x.u64n(idx(T, 'fdlimit')),
        x.u64n(idx(T, 'pgft_min')), x.u32(idx(T, 'vm_size')), x.str(idx(T, 'comm'))],
      [0, 'cat', 20072, 11310, '/mnt/sf_mstemm/work/src/agent/build/release/userspace/dragent', 1024, 61, 360, 'cat'])
    assert.ok(x.str(idx(T, 'env')).startsWith('XDG_SESSION_ID=1'))
    assert.ok(x.str(idx(T, 'cgroups')).startsWith('cpuset=/user.slice'))
    assert.equal(x.paramLen(idx(T, 'tty')), 0)
    assert.equal(x.paramLen(idx(T, 'filename')), 0)
  })

  test('run_as_user_65534_container.scap: the execve exit carries the file name of its enter event, which libs passes too', () => {
    const s = readBoth(find('run_as_user_65534_container.scap')!)
    const T = PPME.SYSCALL_EXECVE_19_X
    const enter = s.events[s.rawIndex.indexOf(121)]!
    const x = s.events[s.rawIndex.indexOf(122)]!
    // sysdig: 121 execve > filename=/usr/sbin/nologin; 122 execve < res=0 exe=-su ... comm=nologin
    assert.deepEqual([enter.type, enter.nparams, enter.str(0)], [PPME.SYSCALL_EXECVE_19_E, 1, '/usr/sbin/nologin'])
    assert.deepEqual([x.type, x.nparams, x.i64(0), x.str(1), x.str(idx(T, 'comm')), x.str(idx(T, 'filename'))],
      [T, 31, 0, '-su', 'nologin', '/usr/sbin/nologin'])
  })
})

// ---------------------------------------------------------------------------------------------
// sysdig 0.29.3 (Debian) reads these captures without a converter and prints each enter
// event's args: the params a converted exit took from its enter event must match them.

const sysdigMissing = ((): string | false => {
  if (skip !== false) return skip
  const r = spawnSync('sysdig', ['--version'], { encoding: 'utf8' })
  return r.error !== undefined || r.status !== 0 ? 'sysdig is not installed' : false
})()

describe('against sysdig', { skip: sysdigMissing }, () => {
  test('the params exits took from their enter events match the args sysdig prints for those enter events', t => {
    let compared = 0
    const typesCompared = new Set<string>()
    for (const path of files.filter(p => p.includes('/traces/'))) {
      const s = readBoth(path)
      const out = spawnSync('sysdig', ['-r', path, '-p', '%evt.num|%thread.tid|%evt.args', 'evt.dir=>'],
        { encoding: 'utf8', maxBuffer: 64 << 20 })
      assert.equal(out.status, 0, out.stderr)
      const args = new Map<number, Map<string, string>>()
      for (const line of out.stdout.split('\n')) {
        const m = /^(\d+)\|(\d+)\|(.*)$/.exec(line)
        if (m === null) continue
        const kv = new Map<string, string>()
        for (const tok of m[3]!.split(' ')) {
          const eq = tok.indexOf('=')
          if (eq > 0) kv.set(tok.slice(0, eq), tok.slice(eq + 1))
        }
        args.set(Number(m[1]), kv)
      }
      // The enter event a stored exit follows: the last stored event of its thread before it.
      const r = openCapture(path)
      const lastOfTid = new Map<number, number>()
      const enterOf = new Map<number, number>()
      let i = 0
      r.forEachEvent(e => {
        i++
        const prev = lastOfTid.get(e.tid)
        if (prev !== undefined) enterOf.set(i, prev)
        lastOfTid.set(e.tid, i)
      }, { raw: true })
      s.events.forEach((e, k) => {
        const num = s.rawIndex[k]!
        const storedN = s.rawNparams[num - 1]!
        const enterNum = enterOf.get(num)
        if (isEnter(e.type) || s.rawTypes[num - 1] !== e.type || enterNum === undefined) return
        if (s.rawTypes[enterNum - 1] !== e.type - 1) return
        const kv = args.get(enterNum)
        if (kv === undefined) return
        const params = EVENTS[e.type]!.params
        for (let p = storedN; p < e.nparams; p++) {
          const info = params[p]!
          const text: string | undefined = kv.get(info.name)
          const width = e.paramLen(p)
          if (text === undefined || width === 0 || width > 8 || info.type === PT.CHARBUF || info.type === PT.BYTEBUF) continue
          const lead = /^-?[0-9A-Fa-f]+/.exec(text)
          if (lead === null) continue
          // Hex params print in hex, but flags print their value in decimal before the names.
          const hex = info.fmt === PF.HEX && !/^\d+\(/.test(text)
          const want = BigInt.asUintN(width * 8, hex ? BigInt(`0x${lead[0]}`) : BigInt(lead[0]))
          let got = 0n
          for (let b = width - 1; b >= 0; b--) got = (got << 8n) | BigInt(e.buf[e.paramOffset(p) + b]!)
          assert.equal(got, want, `${basename(path)} event ${num} ${EVENTS[e.type]!.name} ${info.name}: sysdig printed ${text} for event ${enterNum}`)
          compared++
          typesCompared.add(EVENTS[e.type]!.name)
        }
      })
    }
    t.diagnostic(`${compared} values compared, in ${[...typesCompared].sort().join(' ')}`)
    assert.ok(compared > 1000, `${compared} values compared`)
    for (const t of ['read', 'write', 'close', 'mmap', 'fstat', 'futex', 'poll', 'ioctl']) assert.ok(typesCompared.has(t), `${t} compared`)
  })
})
