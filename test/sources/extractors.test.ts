// Syscall-source extractors: value formats libsinsp 0.25 gives (times, rendered arguments,
// errno and signal names, fs.path quirks) on synthetic events, and, over every shared
// capture, that every field of the registry extracts without throwing and with a value of
// the kind its type promises.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { openCapture } from '../../src/capture/reader.js'
import type { EventView } from '../../src/events/event.js'
import { PT } from '../../src/events/param-types.js'
import { EVENTS } from '../../src/events/table.js'
import type { FieldBinding } from '../../src/fields/binding.js'
import { fieldsForSource } from '../../src/fields/registry.js'
import { FF, type FieldDef, type FieldScalar, type FieldValue } from '../../src/fields/types.js'
import { SyscallEvent } from '../../src/sources/syscall/event.js'
import { eventTypeName } from '../../src/sources/syscall/extract-evt.js'
import { syscallExtractors, syscallResolver } from '../../src/sources/syscall/extractors.js'
import { O } from '../../src/state/constants.js'
import { FDT } from '../../src/state/fd.js'
import { SystemState } from '../../src/state/system-state.js'
import { Harness, PPME, addr4, captureFd, captureFiles, captureThread, capturesMissing, section, tuple4 } from '../state/helpers.js'

process.env.TZ = 'UTC'

const TS = 1_700_000_000_123_456_789n // 2023-11-14 22:13:20.123456789 UTC

function catHost(): Harness {
  return new Harness(section([
    captureThread(1, { ptid: 0, comm: 'systemd', exe: '/sbin/init', exepath: '/usr/lib/systemd/systemd' }),
    captureThread(100, { comm: 'cat', exe: 'cat', exepath: '/usr/bin/cat', args: ['/etc/passwd'], cwd: '/root',
      fds: [captureFd(1, { type: FDT.FILE_V2, name: '/dev/pts/0' }), captureFd(7, { type: FDT.DIRECTORY, name: '/etc' })] }),
  ]))
}

describe('event fields of a successful openat', () => {
  const h = catHost()
  // OPENAT_2_X: fd dirfd name flags mode dev ino
  h.push(PPME.SYSCALL_OPENAT_2_X, 100, [3, -100, '/etc/passwd', O.RDONLY | O.CLOEXEC, 0, 0x803, 1234n], TS)

  test('every time form renders the event timestamp as libsinsp does (UTC here)', () => {
    assert.equal(h.field('evt.time'), '22:13:20.123456789')
    assert.equal(h.field('evt.time.s'), '22:13:20')
    assert.equal(h.field('evt.time.iso8601'), '2023-11-14T22:13:20.123456789+0000')
    assert.equal(h.field('evt.datetime'), '2023-11-14 22:13:20.123456789')
    assert.equal(h.field('evt.datetime.s'), '2023-11-14 22:13:20')
    assert.equal(h.field('evt.rawtime'), TS)
    assert.equal(h.field('evt.rawtime.s'), 1_700_000_000n)
    assert.equal(h.field('evt.rawtime.ns'), 123_456_789n)
  })

  test('evt.args renders fds with their names, AT_FDCWD, flag names and hex devices', () => {
    assert.equal(h.field('evt.args'),
      'fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) name=/etc/passwd flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=803 ino=1234')
    assert.equal(h.field('evt.arg[0]'), '<f>/etc/passwd')
    assert.equal(h.field('evt.arg.fd'), '<f>/etc/passwd')
    assert.equal(h.field('evt.arg.dirfd'), 'AT_FDCWD')
    assert.equal(h.field('evt.arg.flags'), 'O_RDONLY|O_CLOEXEC')
    assert.equal(h.field('evt.rawarg.flags'), O.RDONLY | O.CLOEXEC)
    assert.throws(() => h.field('evt.arg.nosuchparam'), /unknown event argument/)
  })

  test('the result, the type and the open classification', () => {
    assert.equal(h.field('evt.res'), 'SUCCESS')
    assert.equal(h.field('evt.rawres'), 3)
    assert.equal(h.field('evt.failed'), false)
    assert.equal(h.field('evt.type'), 'openat')
    assert.equal(h.field('evt.dir'), '<')
    assert.equal(h.field('evt.category'), 'file')
    assert.equal(h.field('evt.is_open_read'), true)
    assert.equal(h.field('evt.is_open_write'), false)
    assert.equal(h.field('evt.is_open_exec'), false)
  })

  test('the fd fields describe the new file, its device split into major and minor', () => {
    assert.equal(h.field('fd.num'), 3)
    assert.equal(h.field('fd.name'), '/etc/passwd')
    assert.equal(h.field('fd.type'), 'file')
    assert.equal(h.field('fd.typechar'), 'f')
    assert.equal(h.field('fd.directory'), '/etc')
    assert.equal(h.field('fd.filename'), 'passwd')
    assert.equal(h.field('fd.dev'), 0x803)
    assert.equal(h.field('fd.dev.major'), 8)
    assert.equal(h.field('fd.dev.minor'), 3)
    assert.equal(h.field('fd.ino'), 1234)
    assert.equal(h.field('fs.path.name'), '/etc/passwd')
    assert.equal(h.field('evt.abspath'), '/etc/passwd')
  })
})

describe('event fields of a failed openat', () => {
  const h = catHost()
  h.push(PPME.SYSCALL_OPENAT_2_X, 100, [-2, -100, 'nope', O.WRONLY | O.CREAT, 0o644, 0, 0n])

  test('the result is the errno name, evt.failed is true and rawres the negative value', () => {
    assert.equal(h.field('evt.res'), 'ENOENT')
    assert.equal(h.field('evt.rawres'), -2)
    assert.equal(h.field('evt.failed'), true)
  })

  test('the fd param renders as its errno and a relative name is shown resolved against the cwd', () => {
    assert.equal(h.field('evt.args'),
      'fd=-2(ENOENT) dirfd=-100(AT_FDCWD) name=nope(/root/nope) flags=6(O_CREAT|O_WRONLY) mode=0644 dev=0 ino=0')
    assert.equal(h.field('evt.arg.mode'), '0644')
  })

  test('fd.name comes from the event arguments since no fd was made', () => {
    assert.equal(h.field('fd.name'), '/root/nope')
    assert.equal(h.field('evt.abspath'), '/root/nope')
    assert.equal(h.field('evt.is_open_create'), false, 'O_F_CREATED is not set: nothing was created')
  })

  test('fs.path.name follows libsinsp: fd != -1 passes its check, and a relative openat path without an fd is <UNKNOWN>', () => {
    assert.equal(h.field('fs.path.name'), '<UNKNOWN>')
    assert.equal(h.field('fs.path.nameraw'), 'nope')
  })
})

describe('fields of other events', () => {
  test('a relative mkdirat path resolves against its directory fd', () => {
    const h = catHost()
    // MKDIRAT_X: res dirfd path mode
    h.push(PPME.SYSCALL_MKDIRAT_X, 100, [0, 7, 'newdir', 0o755])
    assert.equal(h.field('fs.path.name'), '/etc/newdir')
    assert.equal(h.field('fs.path.nameraw'), 'newdir')
  })

  test('kill renders its signal by name', () => {
    const h = catHost()
    h.push(PPME.SYSCALL_KILL_X, 100, [0, 200, 9])
    assert.equal(h.field('evt.args'), 'res=0 pid=200 sig=9(SIGKILL)')
    assert.equal(h.field('evt.arg.sig'), 'SIGKILL')
    assert.equal(h.field('evt.category'), 'signal')
  })

  test('a write on a TCP socket: buffer bytes, buffer length, net category', () => {
    const h = catHost()
    h.push(PPME.SOCKET_SOCKET_X, 100, [4, 2, 1, 0]) // fd=4 AF_INET SOCK_STREAM
    assert.equal(h.field('fd.type'), 'ipv4')
    h.push(PPME.SOCKET_CONNECT_X, 100, [0, tuple4('10.0.0.1', 5000, '1.2.3.4', 443), 4, addr4('1.2.3.4', 443)])
    assert.equal(h.field('fd.name'), '10.0.0.1:5000->1.2.3.4:443')
    assert.equal(h.field('evt.args'), 'res=0 tuple=10.0.0.1:5000->1.2.3.4:443 fd=4(<4t>10.0.0.1:5000->1.2.3.4:443) addr=1.2.3.4:443')
    h.push(PPME.SYSCALL_WRITE_X, 100, [5, 'hello', 4, 5])
    assert.deepEqual(h.field('evt.buffer'), new TextEncoder().encode('hello'))
    assert.equal(h.field('evt.buflen'), 5)
    assert.equal(h.field('evt.arg.data'), 'hello')
    assert.equal(h.field('evt.is_io_write'), true)
    assert.equal(h.field('evt.io_dir'), 'write')
    assert.equal(h.field('evt.category'), 'net')
    assert.equal(h.field('fd.l4proto'), 'tcp')
    assert.equal(h.field('fd.sip'), '1.2.3.4')
    assert.equal(h.field('fd.sport'), 443)
    assert.equal(h.field('fd.is_server'), false)
  })

  test('an unknown thread gets a placeholder entry; its unknown fd has an empty name, its parent none', () => {
    const h = new Harness()
    h.push(PPME.SYSCALL_WRITE_X, 4242, [5, 'hello', 9, 5])
    assert.equal(h.field('thread.tid'), 4242)
    assert.equal(h.field('proc.name'), '<NA>')
    assert.equal(h.field('proc.pid'), -1)
    assert.equal(h.field('fd.num'), 9)
    assert.equal(h.field('fd.name'), '', 'extract_fdname_from_event gives "" for events that do not name their fd')
    assert.equal(h.field('fd.type'), undefined)
    assert.equal(h.field('proc.pname'), undefined)
    assert.equal(h.field('proc.aname[3]'), undefined)
  })
})

// ---------------------------------------------------------------------------------------------
// Every field on every captured event

const syscallFields = (): FieldDef[] => fieldsForSource('syscall').flatMap(c => [...c.fields])

/** How a field that takes an argument is written for these checks. */
const SAMPLES: Record<string, string> = {
  'evt.type.is': 'evt.type.is.open', 'evt.arg': 'evt.arg[0]', 'evt.rawarg': 'evt.rawarg.fd', 'evt.around': 'evt.around[1000]',
  'evt.abspath': 'evt.abspath.src', 'thread.cgroup': 'thread.cgroup.cpu', 'fd.types': 'fd.types[0]',
  'json.value': 'json.value[/a]', 'jevt.value': 'jevt.value[/a]',
}

function bindSample(d: FieldDef): FieldBinding<SyscallEvent> {
  let spelled = SAMPLES[d.name]
  if (spelled === undefined) {
    spelled = d.name
    if ((d.flags & FF.ARG_REQUIRED) !== 0) spelled += (d.flags & FF.ARG_INDEX) !== 0 ? '[1]' : '[app]'
  }
  const m = /^([^[]+)(?:\[(.*)\])?$/.exec(spelled)!
  return syscallResolver.bind(m[1]!, m[2])
}

const NUMERIC = new Set<number>([PT.INT8, PT.INT16, PT.INT32, PT.INT64, PT.UINT8, PT.UINT16, PT.UINT32, PT.UINT64,
  PT.ERRNO, PT.FD, PT.PID, PT.PORT, PT.UID, PT.GID, PT.DOUBLE, PT.SIGTYPE, PT.FLAGS8, PT.FLAGS16, PT.FLAGS32,
  PT.MODE, PT.SYSCALLID, PT.ENUMFLAGS8, PT.ENUMFLAGS16, PT.ENUMFLAGS32, PT.FD32, PT.PID32])
const STRINGS = new Set<number>([PT.CHARBUF, PT.FSPATH, PT.FSRELPATH, PT.IPADDR, PT.IPV4ADDR, PT.IPV6ADDR, PT.IPNET,
  PT.IPV4NET, PT.IPV6NET, PT.L4PROTO, PT.SOCKFAMILY, PT.CHARBUFARRAY])

function kindProblem(d: FieldDef, v: FieldScalar): string | null {
  const t = d.type
  if (t === PT.ABSTIME || t === PT.RELTIME) return typeof v === 'bigint' || typeof v === 'number' ? null : 'a time'
  if (NUMERIC.has(t)) return typeof v === 'number' || typeof v === 'bigint' ? null : 'a number'
  if (t === PT.BOOL) return typeof v === 'boolean' ? null : 'a boolean'
  if (STRINGS.has(t)) return typeof v === 'string' ? null : 'a string'
  if (t === PT.BYTEBUF) return v instanceof Uint8Array || typeof v === 'string' ? null : 'bytes'
  return null
}

describe('every syscall field on every event of the shared captures', { skip: capturesMissing() }, () => {
  test('every field of the syscall classes has an extractor', () => {
    const missing: string[] = []
    for (const c of fieldsForSource('syscall')) {
      for (const d of c.fields) {
        if (syscallExtractors({ def: d, cls: c, arg: bindSample(d).ref.arg }) === undefined) missing.push(d.name)
      }
    }
    assert.deepEqual(missing, [])
  })

  test('values have the kind their type promises; lists are arrays only for list fields, and nothing throws', () => {
    const bound: { d: FieldDef; b: FieldBinding<SyscallEvent> }[] = []
    for (const d of syscallFields()) {
      bound.push({ d, b: bindSample(d) })
    }
    const problems = new Map<string, string>()
    const seen = new Set<string>()
    for (const file of captureFiles()) {
      const r = openCapture(file)
      const state = new SystemState()
      state.loadCapture(r.sections[0]!)
      const ev = new SyscallEvent(state)
      r.forEachEvent(view => {
        ev.next(view)
        for (const { d, b } of bound) {
          let v: FieldValue
          try {
            v = b.extract(ev)
          } catch (e) {
            problems.set(d.name, `throws on ${file} #${ev.num}: ${(e as Error).message}`)
            continue
          }
          if (v === undefined) continue
          seen.add(d.name)
          const isList = (d.flags & FF.IS_LIST) !== 0
          if (Array.isArray(v)) {
            // fd.ip / fd.port / fd.proto style fields give both ends as an array ("any of").
            for (const x of v as FieldScalar[]) {
              const p = kindProblem(d, x)
              if (p !== null) problems.set(d.name, `list element ${String(x)} is not ${p}`)
            }
          } else if (isList) {
            problems.set(d.name, `list field gave a ${typeof v}`)
          } else {
            const p = kindProblem(d, v as FieldScalar)
            if (p !== null) problems.set(d.name, `${typeof v} ${String(v)} is not ${p}`)
          }
        }
      }, { onSection: s => state.loadCapture(s) })
      r.close()
    }
    assert.deepEqual([...problems].map(([k, v]) => `${k}: ${v}`), [])
    // Most fields have a value somewhere in Falco's captures.
    assert.ok(seen.size > 150, `only ${seen.size} fields ever had a value`)
  })
})

describe('evt.type checks by event code (the resolver fastCheck)', () => {
  const fast = syscallResolver.fastCheck!
  const byName = (t: number): string => eventTypeName({ type: t } as EventView)

  test('give what comparing the extracted name gives, for every event code', () => {
    const checks: ['=' | '!=' | 'in', string[]][] = [['in', ['open', 'openat', 'openat2']], ['=', ['execve']], ['!=', ['close']], ['in', ['unknown', 'procexit']]]
    for (const [op, values] of checks) {
      const check = fast('evt.type', op, values)!
      for (let t = 0; t < EVENTS.length + 3; t++) {
        if (t === PPME.GENERIC_X || t === PPME.ASYNCEVENT_E) continue
        const name = byName(t)
        const want = op === '!=' ? name !== values[0] : values.includes(name)
        assert.equal(check({ view: { type: t } } as unknown as SyscallEvent), want, `${op} ${values.join(',')} on ${t} (${name})`)
      }
    }
  })

  test('name generic syscall events by their syscall', () => {
    const h = catHost()
    // GENERIC_X: ID (ppm_sc), nativeID
    h.push(PPME.GENERIC_X, 100, [5, 0], TS)
    const name = h.field('evt.type') as string
    const tableName = EVENTS[PPME.GENERIC_X]!.name
    assert.notEqual(name, tableName)
    assert.equal(fast('evt.type', '=', [name])!(h.ev), true)
    assert.equal(fast('evt.type', 'in', [tableName])!(h.ev), false)
  })

  test('only for evt.type', () => {
    assert.equal(fast('proc.name', '=', ['bash']), undefined)
  })
})
