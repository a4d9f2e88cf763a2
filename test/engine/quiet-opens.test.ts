// Quiet opens: which openat keys (path, flags, comm) the probe may keep to itself. Hand-written rules
// show each way a rule can depend on an open or its fd; over the shared captures, every open
// found quiet is checked by brute force against Falco's 3.2.0 rules.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { openCapture } from '../../src/capture/reader.js'
import { Engine } from '../../src/engine/engine.js'
import { QuietOpens } from '../../src/engine/quiet-opens.js'
import { EventView } from '../../src/events/event.js'
import { PPME } from '../../src/events/table.js'
import type { CaptureSection } from '../../src/capture/types.js'
import type { CompiledRule } from '../../src/rules/compiler.js'
import { knownSources } from '../../src/sources/index.js'
import { SyscallEvent } from '../../src/sources/syscall/event.js'
import { O } from '../../src/state/constants.js'
import { SystemState } from '../../src/state/system-state.js'
import type { ThreadInfo } from '../../src/state/thread.js'
import { Harness, REPO_ROOT, captureFiles, captureThread, capturesMissing, makeEvent, section, type Param } from '../state/helpers.js'

const FALCO_FILES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml']
const O_TRUNC = 0x100

/** The enabled syscall rules of `files` (name → text), as the CLI builds them. */
function enabledRules(files: readonly (readonly [string, string])[]): CompiledRule[] {
  const engine = new Engine(knownSources())
  for (const [name, text] of files) {
    const res = engine.load(name, text)
    assert.ok(res.successful, JSON.stringify(res))
  }
  engine.buildRulesets(7)
  return [...engine.ruleset('syscall')!.enabledRules]
}

/** Rules from `condition: output` pairs (output defaults to the rule's name). */
function rules(...defs: readonly (string | readonly [string, string])[]): CompiledRule[] {
  const yaml = defs.map((d, i) => {
    const [cond, out] = typeof d === 'string' ? [d, `r${i}`] : d
    return `- rule: r${i}\n  desc: d\n  condition: ${cond}\n  output: "${out}"\n  priority: WARNING\n`
  })
  return enabledRules([['test.yaml', yaml.join('')]])
}

let falco: CompiledRule[] | undefined

/** Falco's three 3.2.0 rules files, loaded once. */
function falcoRules(): CompiledRule[] {
  const dir = join(REPO_ROOT, '..', 'shared', 'falco', 'rules', '3.2.0')
  falco ??= enabledRules(FALCO_FILES.map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const))
  return falco
}

let nextFd = 3
/** With a clock that never moves: every new key is decided, however long it takes. */
const quiet = (rs: readonly CompiledRule[]): QuietOpens => new QuietOpens(rs, () => 0)

/** A harness after an openat of `path` by `comm` at AT_FDCWD (OPENAT_2_X: fd dirfd name flags mode dev ino). */
function opened(path: string, flags: number, fd = nextFd++, comm = 'cat'): Harness {
  const h = new Harness(section([captureThread(100, { comm, exe: '/bin/' + comm })]))
  h.push(PPME.SYSCALL_OPENAT_2_X, 100, [fd, -100, path, flags, 0, 0, 0n])
  return h
}

/** The key's text when `q` finds the open quiet, else its blocker. */
function decide(q: QuietOpens, path: string, flags: number, comm = 'cat'): string {
  const h = opened(path, flags, nextFd++, comm)
  const key = q.consider(h.ev)
  if (key === null) return q.blocker(h.ev)!
  return `quiet ${key.flags} ${new TextDecoder().decode(key.path)}`
}

describe('which opens are eligible', () => {
  const q = quiet(rules('evt.type = execve and proc.name = x'))

  it('takes a successful openat of an absolute path, keyed by the path, the flags less the late bits and the comm', () => {
    const h = opened('/tmp/a', O.WRONLY | O.CREAT | O.F_CREATED | O.FD_UPPER_LAYER)
    const key = q.consider(h.ev)!
    assert.equal(key.flags, O.WRONLY | O.CREAT)
    assert.equal(key.comm, 'cat')
    assert.deepEqual([...key.path], [...new TextEncoder().encode('/tmp/a')])
  })

  it('decides new keys for at most 20 ms of each second, and the others again later', () => {
    let now = 0
    const slow = new QuietOpens(rules('evt.type = execve and proc.name = x'), () => (now += 6)) // each decision "takes" 6 ms
    const decided = (path: string): boolean => slow.consider(opened(path, O.RDONLY).ev) !== null
    assert.deepEqual(['/a', '/b', '/c', '/d', '/e'].map(decided), [true, true, true, true, false])
    now = 2000 // a new second
    assert.equal(decided('/e'), true, 'a key refused for time is decided later')
  })

  it('leaves out relative paths, failed opens, directories and paths past the probe limit', () => {
    assert.equal(q.consider(opened('tmp/a', O.RDONLY).ev), null)
    assert.equal(q.consider(opened('/tmp/a', O.RDONLY, -2).ev), null)
    assert.equal(q.consider(opened('/tmp', O.RDONLY | O.DIRECTORY).ev), null)
    assert.equal(q.consider(opened('/' + 'a'.repeat(57), O.RDONLY).ev)?.path.length, 58)
    assert.equal(q.consider(opened('/' + 'a'.repeat(58), O.RDONLY).ev), null)
    const h = new Harness(section([captureThread(100)]))
    h.push(PPME.SYSCALL_CLOSE_X, 100, [0, 3])
    assert.match(q.blocker(h.ev)!, /not a successful openat/)
  })
})

describe('rules on the open itself', () => {
  it('a rule on the process name blocks every key of that name; one on other process fields every key', () => {
    const q = quiet(rules('evt.type = openat and proc.name = cat'))
    assert.equal(decide(q, '/tmp/a', O.RDONLY), "rule 'r0' on openat: it can match the open itself")
    assert.match(decide(q, '/etc/x', O.WRONLY), /r0/)
    assert.match(decide(q, '/tmp/a', O.RDONLY, 'dog'), /^quiet/)
    assert.match(decide(quiet(rules('evt.type = openat and proc.exe = /bin/cat')), '/tmp/a', O.RDONLY, 'dog'), /r0/)
  })

  it('a rule on fd.name blocks only the paths it can match', () => {
    const q = quiet(rules('evt.type = openat and fd.name startswith /etc and proc.name = cat'))
    assert.match(decide(q, '/etc/passwd', O.RDONLY), /r0/)
    assert.equal(decide(q, '/tmp/a', O.RDONLY), `quiet ${O.RDONLY} /tmp/a`)
  })

  it('flags checks decide by the key when the late bits cannot change them', () => {
    const q = quiet(rules('evt.type = openat and evt.arg.flags contains O_TRUNC and proc.name = cat'))
    assert.match(decide(q, '/tmp/a', O.WRONLY), /^quiet/)
    assert.match(decide(q, '/tmp/a', O.WRONLY | O_TRUNC), /r0/)
  })

  it('a check of the created bit or of the whole flags blocks, whatever bits this open had', () => {
    for (const cond of ['evt.arg.flags contains O_F_CREATED', 'evt.is_open_create = true', `evt.rawarg.flags = ${O.WRONLY}`]) {
      const q = quiet(rules(`evt.type = openat and ${cond} and fd.name = /tmp/a`))
      assert.match(decide(q, '/tmp/a', O.WRONLY), /r0/, cond)
      assert.match(decide(q, '/tmp/b', O.WRONLY), /^quiet/, cond)
    }
  })

  it('a later open may find the thread or fd table full, and its fields missing', () => {
    // a full fd table leaves no fd.type, a full thread table no fd field at all
    for (const cond of ['not fd.type exists', 'not fd.name exists', 'not fd.name startswith /']) {
      assert.match(decide(quiet(rules(`evt.type = openat and ${cond}`)), '/tmp/a', O.RDONLY), /r0/, cond)
    }
    const q = quiet(rules('evt.type = openat and fd.type exists and not fd.name startswith /'))
    assert.match(decide(q, '/tmp/a', O.RDONLY), /^quiet/)
  })

  it('fd.num and evt.rawres are known only as non-negative', () => {
    const q = quiet(rules(
      'evt.type = openat and fd.num = -1 and proc.name = cat',
      'evt.type = openat and fd.num < 0',
      'evt.type = openat and evt.rawres > 3 and fd.name = /tmp/a',
    ))
    assert.match(decide(q, '/tmp/b', O.RDONLY), /^quiet/)
    assert.match(decide(q, '/tmp/a', O.RDONLY), /r2/)
  })
})

describe('rules on later events of the fd', () => {
  it('a close rule on fd.name blocks the paths it matches (the close is not sent)', () => {
    const q = quiet(rules('evt.type = close and fd.name = /tmp/secret'))
    assert.equal(decide(q, '/tmp/secret', O.RDONLY), "rule 'r0' on close enter: it can match the close that is not sent")
    assert.match(decide(q, '/tmp/other', O.RDONLY), /^quiet/)
  })

  it('rules on other events of the fd do not block: the probe sends the open before them', () => {
    for (const cond of ['evt.type = dup and fd.name startswith /tmp', 'evt.type = fchmod and evt.arg.fd contains /tmp',
      'evt.type = openat and fd.directory = /dev and evt.failed = true']) {
      assert.match(decide(quiet(rules([cond, 'file=%fd.name'])), '/tmp/a', O.RDONLY), /^quiet/, cond)
    }
  })

  it('a rule reading the whole fd table blocks every key', () => {
    const q = quiet(rules('evt.type = execve and proc.fdopencount > 100'))
    assert.equal(decide(q, '/tmp/a', O.RDONLY), "rule 'r0' reads the whole fd table")
  })

  it('the values assumed on a close without an entry are those the extractors give', () => {
    const q = new QuietOpens([]) as unknown as { missingWorld(t: number): { state(u: { key: string; name: string; arg: undefined }): { kind: string; value?: () => unknown } } }
    const h = new Harness(section([captureThread(100)]))
    const events: [number, Param[]][] = [[PPME.SYSCALL_CLOSE_X, [0, 42]], [PPME.SYSCALL_CLOSE_E, [42]]]
    for (const [type, params] of events) {
      h.push(type, 100, params)
      for (const name of ['fd.name', 'fd.nameraw', 'fd.directory', 'fd.typechar', 'fd.type', 'fd.filename', 'fd.l4proto']) {
        const s = q.missingWorld(type).state({ key: name, name, arg: undefined })
        assert.equal(s.kind, 'known', `${name} on ${type}`)
        assert.equal(s.value!(), h.field(name), `${name} on ${type}`)
      }
    }
  })
})

describe("Falco's 3.2.0 rules", { skip: capturesMissing() }, () => {
  const cases: [string, number][] = [
    ['/tmp/x/target', O.RDONLY], ['/tmp/x/target', O.WRONLY], ['/etc/ld.so.cache', O.RDONLY | O.CLOEXEC],
    ['/lib/x86_64-linux-gnu/libc.so.6', O.RDONLY | O.CLOEXEC], ['/etc/shadow', O.RDONLY], ['/etc/passwd', O.RDONLY],
    ['/root/.ssh/authorized_keys', O.WRONLY], ['/root/.bash_history', O.RDONLY], ['/root/.bash_history', O.WRONLY | O_TRUNC],
  ]
  /** `[path, flags, comm]` cases where the comm decides. */
  const byComm: [string, number, string][] = [['/tmp/x/target', O.RDONLY, 'tar'], ['/etc/shadow', O.RDONLY, 'sshd']]

  it('leave the common opens quiet, and those a rule can see not', () => {
    const q = quiet(falcoRules())
    const got = [...cases.map(([path, flags]) => [path, flags, 'cat'] as const), ...byComm]
      .map(([path, flags, comm]) => `${comm} ${path} ${flags}: ${decide(q, path, flags, comm).replace(/^quiet.*/, 'quiet')}`)
    assert.deepEqual(got, [
      'cat /tmp/x/target 1: quiet',
      'cat /tmp/x/target 2: quiet',
      'cat /etc/ld.so.cache 4097: quiet',
      'cat /lib/x86_64-linux-gnu/libc.so.6 4097: quiet',
      "cat /etc/shadow 1: rule 'Read sensitive file untrusted' on openat: it can match the open itself",
      'cat /etc/passwd 1: quiet',
      "cat /root/.ssh/authorized_keys 2: rule 'Adding ssh keys to authorized_keys' on openat: it can match the open itself",
      'cat /root/.bash_history 1: quiet',
      `cat /root/.bash_history ${O.WRONLY | O_TRUNC}: rule 'Modify Shell Configuration File' on openat: it can match the open itself`,
      // tar in a container may be kubectl cp; sshd is among the readers of sensitive files both rules allow
      "tar /tmp/x/target 1: rule 'Exfiltrating Artifacts via Kubernetes Control Plane' on openat: it can match the open itself",
      'sshd /etc/shadow 1: quiet',
    ])
  })

  it('never quiet an open of the shared captures that a rule matches, in any process of that name, with any late bits', () => {
    const q = quiet(falcoRules())
    const forOpenat = falcoRules().filter((r) => r.evttypes === 'all' || r.evttypes.has(PPME.SYSCALL_OPENAT_2_X))
    const checked = new Set<string>()
    let opens = 0
    let stamp = 1 << 30
    for (const file of captureFiles()) {
      const r = openCapture(file)
      const state = new SystemState()
      const load = (sec: CaptureSection): void => state.loadCapture({ ...sec, threads: [...sec.threads, ...SUSPECTS] })
      load(r.sections[0]!)
      const ev = new SyscallEvent(state)
      const openat = new EventView()
      r.forEachEvent((view) => {
        // the captures have open, not openat: each open exit is replayed as the openat a live
        // probe would send (exits only), in the capture's own processes and state
        if (view.type === PPME.SYSCALL_OPEN_E) return
        if (view.type !== PPME.SYSCALL_OPEN_X) return void ev.next(view)
        ev.next(openat.reset(asOpenat(view), 0))
        opens++
        const key = q.consider(ev)
        if (key === null) return
        const id = key.flags + ' ' + key.comm + ' ' + new TextDecoder().decode(key.path)
        if (checked.has(id)) return
        checked.add(id)
        // every thread of that name, the suspects renamed to it, and a thread the state has no room for
        const named = [...state.threads.values()].filter((t) => t.comm === key.comm)
        const suspects = SUSPECTS.map((s) => renamedAs(state.threads.get(s.tid)!, key.comm))
        for (const t of [...named, ...suspects, null]) {
          for (const variant of asOtherOpens(ev, key.flags, t)) {
            variant.stamp = ++stamp
            for (const rule of forOpenat) assert.equal(rule.filter(variant), false, `${file}: ${id} by ${t?.comm} matches '${rule.name}'`)
          }
        }
      }, { onSection: load })
      r.close()
    }
    assert.ok(opens > 100 && checked.size > 10, `${opens} opens, ${checked.size} quiet keys`)
  })
})

const CONTAINER = ['cpu=/docker/' + 'ad64969c62e5596b839d08cf1b05986dabdfa797f02c424ec877f050afc63a8d']
/** Processes Falco's rules look for, added to each capture's own: a key is quiet in every process. */
const SUSPECTS = [
  captureThread(900_001, { ptid: 1, comm: 'runc', exe: 'runc', cgroups: CONTAINER }),
  captureThread(900_002, { ptid: 900_001, comm: 'tar', exe: 'tar', tty: 0, cgroups: CONTAINER }),
  captureThread(900_003, { ptid: 1, comm: 'bash', exe: '/bin/bash', tty: 34816 }),
  captureThread(900_004, { ptid: 900_003, comm: 'sshd', exe: '/usr/sbin/sshd' }),
]

/** A copy of thread `t` with the comm `comm` (its context, container and parent kept). */
function renamedAs(t: ThreadInfo, comm: string): ThreadInfo {
  return Object.assign(Object.create(Object.getPrototypeOf(t) as object) as ThreadInfo, t, { comm })
}

/** An open exit (fd name flags mode dev ino) as an openat exit (fd dirfd name flags mode dev ino) at AT_FDCWD. */
function asOpenat(v: EventView): Uint8Array {
  const at = (i: number, read: () => Param): Param => (i < v.nparams && v.paramLen(i) > 0 ? read() : null)
  return makeEvent(PPME.SYSCALL_OPENAT_2_X, v.tid, v.ts, [
    v.i64(0), -100, v.bytes(1), at(2, () => v.u32(2)), at(3, () => v.u32(3)), at(4, () => v.u32(4)), at(5, () => v.u64(5)),
  ])
}

/** `ev` as the same open by thread `t` (none: no thread, no fd entry), with each setting of the late flag bits. */
function asOtherOpens(ev: SyscallEvent, flags: number, t: ThreadInfo | null): SyscallEvent[] {
  const v = ev.view
  const out: SyscallEvent[] = []
  for (let bits = 0; bits < 8; bits++) {
    const bytes = v.buf.slice(v.offset, v.offset + v.len)
    const dv = new DataView(bytes.buffer)
    const late = (bits & 1 ? O.F_CREATED : 0) | (bits & 2 ? O.FD_UPPER_LAYER : 0) | (bits & 4 ? O.FD_LOWER_LAYER : 0)
    dv.setUint32(v.paramOffset(3) - v.offset, (flags | late) >>> 0, true)
    dv.setBigInt64(8, BigInt(t?.tid ?? 0x7fffffff), true)
    const c = new SyscallEvent(ev.state)
    c.view = new EventView().reset(bytes, 0)
    c.num = ev.num
    c.thread = t
    c.fd = t === null ? null : ev.fd
    out.push(c)
  }
  return out
}
