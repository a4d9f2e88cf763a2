// Saker live on this host, end to end: `saker` started as a user starts it, with Falco's own
// rules files, while this test acts like an attacker; each action must raise its rule with
// the fields that say who did what. Then the quiet side (an ordinary build and shell session
// raise none of them), a clean exit on every signal (no program left loaded), and a capture
// written with -w that sysdig and Saker's replay read back.
//
// Needs root, a BTF kernel, the built driver, ../shared/falco/rules and bpftool; every skip
// says which is missing. Every rule used here is enabled in its file, so no `-o rules[]`
// selection is needed. The actions themselves are in attacks.ts (default-rules.test.ts runs
// them too, against Saker's own rules).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openCapture } from '../../src/capture/reader.js'
import { EVENTS } from '../../src/events/table.js'
import {
  appendAuthorizedKey, appendShellRc, clearLog, execFromMemfd, hardlinkShadow, loadKernelModuleInContainer, ptraceAttach,
  readShadow, run, runFromDevShm, searchPrivateKeys, setSetuidBit, symlinkShadow,
} from './attacks.js'
import { ROOT, RULES_ARGS, SAKER_BIN, Saker, type Alert, loadedProgs, newSakerProgs, skipReason, waitUnloaded, wiringProblem } from './helpers.js'

let skip = skipReason()
if (skip === null) {
  // one short run tells whether this saker can run live at all
  const probe = spawnSync(process.execPath, [SAKER_BIN, ...RULES_ARGS, '-o', 'engine.kind=modern_ebpf', '-o', 'stdout_output.enabled=true', '-M', '1'],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
  skip = wiringProblem(probe.stderr ?? '')
}

const f = (a: Alert, k: string): unknown => a.output_fields[k]

describe('an attacker on this host is seen', { skip: skip ?? false }, () => {
  let saker: Saker
  let work: string
  let home: string
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'saker-e2e-'))
    home = mkdtempSync('/home/saker-e2e-')
    saker = new Saker([])
    await saker.ready()
  })
  after(async () => {
    await saker?.stop('SIGINT')
    rmSync(work, { recursive: true, force: true })
    rmSync(home, { recursive: true, force: true })
  })

  test('reading /etc/shadow with a program not on the trusted list: Read sensitive file untrusted', async () => {
    readShadow()
    const a = await saker.alert('Read sensitive file untrusted', a => f(a, 'proc.name') === 'cat')
    assert.equal(f(a, 'proc.cmdline'), 'cat /etc/shadow')
    assert.equal(f(a, 'fd.name'), '/etc/shadow')
    assert.equal(f(a, 'user.name'), 'root')
    assert.equal(f(a, 'proc.pname'), 'node')
    assert.equal(f(a, 'evt.type'), 'openat')
  })

  test('searching for private keys: Search Private Keys or Passwords', async () => {
    searchPrivateKeys()
    const a = await saker.alert('Search Private Keys or Passwords', a => f(a, 'proc.name') === 'find')
    assert.equal(f(a, 'proc.cmdline'), 'find / -maxdepth 3 -name id_rsa')
    assert.equal(f(a, 'proc.pname'), 'node')
    assert.equal(f(a, 'user.name'), 'root')
    assert.equal(f(a, 'evt.type'), 'execve')
  })

  test('a symlink over /etc/shadow: Create Symlink Over Sensitive Files', async () => {
    const link = symlinkShadow(work)
    const a = await saker.alert('Create Symlink Over Sensitive Files', a => f(a, 'proc.name') === 'ln')
    assert.equal(f(a, 'proc.cmdline'), `ln -s /etc/shadow ${link}`)
    assert.equal(f(a, 'evt.arg.target'), '/etc/shadow')
    assert.equal(f(a, 'evt.arg.linkpath'), link)
    assert.equal(f(a, 'evt.type'), 'symlinkat')
    assert.equal(f(a, 'user.name'), 'root')
  })

  test('a hardlink over /etc/shadow: Create Hardlink Over Sensitive Files', async () => {
    const link = hardlinkShadow(work)
    const a = await saker.alert('Create Hardlink Over Sensitive Files', a => f(a, 'proc.name') === 'ln')
    assert.equal(f(a, 'proc.cmdline'), `ln /etc/shadow ${link}`)
    assert.equal(f(a, 'evt.arg.oldpath'), '/etc/shadow')
    assert.equal(f(a, 'evt.type'), 'linkat')
  })

  test('running a binary from /dev/shm: Execution from /dev/shm', async () => {
    const bin = runFromDevShm(`e2e-${process.pid}`)
    const a = await saker.alert('Execution from /dev/shm', a => f(a, 'proc.exepath') === bin)
    assert.equal(f(a, 'proc.name'), `e2e-${process.pid}`.slice(0, 15))
    assert.equal(f(a, 'proc.pname'), 'node')
    assert.equal(f(a, 'evt.type'), 'execve')
  })

  test('executing a program from a memfd: Fileless execution via memfd_create', async () => {
    execFromMemfd()
    const a = await saker.alert('Fileless execution via memfd_create')
    assert.match(String(f(a, 'proc.exepath')), /^\/?memfd:saker-e2e/)
    assert.equal(f(a, 'proc.pname'), 'node')
    assert.equal(f(a, 'evt.type'), 'execve')
    assert.equal(f(a, 'user.name'), 'root')
  })

  test('attaching ptrace to a process: PTRACE attached to process', async () => {
    ptraceAttach()
    const a = await saker.alert('PTRACE attached to process', a => f(a, 'proc.name') === 'ptrace_attach')
    assert.equal(f(a, 'evt.type'), 'ptrace')
    assert.equal(f(a, 'proc.pname'), 'node')
    assert.equal(f(a, 'user.name'), 'root')
  })

  test('setting the setuid bit: Set Setuid or Setgid bit', async () => {
    const file = setSetuidBit(work)
    const a = await saker.alert('Set Setuid or Setgid bit', a => f(a, 'proc.name') === 'chmod')
    assert.equal(f(a, 'proc.cmdline'), `chmod u+s ${file}`)
    assert.match(String(f(a, 'evt.arg.mode')), /S_ISUID/)
    assert.equal(f(a, 'evt.type'), 'fchmodat')
  })

  test('appending a key to ~/.ssh/authorized_keys: Adding ssh keys to authorized_keys', async () => {
    const keys = appendAuthorizedKey(home)
    const a = await saker.alert('Adding ssh keys to authorized_keys', a => f(a, 'fd.name') === keys)
    assert.equal(f(a, 'proc.name'), 'tee')
    assert.equal(f(a, 'proc.cmdline'), `tee -a ${keys}`)
    assert.equal(f(a, 'evt.type'), 'openat')
    assert.equal(f(a, 'user.name'), 'root')
  })

  test('writing to a shell configuration file: Modify Shell Configuration File', async () => {
    const rc = appendShellRc(home)
    const a = await saker.alert('Modify Shell Configuration File', a => f(a, 'fd.name') === rc)
    assert.equal(f(a, 'proc.name'), 'tee')
    assert.equal(f(a, 'proc.pname'), 'node')
    assert.equal(f(a, 'evt.type'), 'openat')
  })

  test('loading a kernel module (the attempt, from a container): Linux Kernel Module Injection Detected', async () => {
    loadKernelModuleInContainer('e2e')
    const a = await saker.alert('Linux Kernel Module Injection Detected')
    assert.equal(f(a, 'proc.name'), 'init_module_jun') // comm: 15 characters
    assert.equal(f(a, 'evt.type'), 'init_module')
    assert.equal(f(a, 'user.name'), 'root')
    assert.match(a.output, /res=-?E|res=-/)
  })

  test('clearing a log file: Clear Log Activities', async () => {
    const logFile = clearLog(`saker-e2e-${process.pid}`)
    const a = await saker.alert('Clear Log Activities', a => f(a, 'fd.name') === logFile)
    assert.equal(f(a, 'proc.name'), 'sh')
    assert.equal(f(a, 'proc.cmdline'), `sh -c echo entry >> ${logFile}; : > ${logFile}`)
    assert.equal(f(a, 'evt.type'), 'openat')
  })

  test('an ordinary build and shell session raise none of these rules', async () => {
    const watched = new Set([
      'Read sensitive file untrusted', 'Search Private Keys or Passwords', 'Create Symlink Over Sensitive Files',
      'Create Hardlink Over Sensitive Files', 'Execution from /dev/shm', 'Fileless execution via memfd_create',
      'PTRACE attached to process', 'Set Setuid or Setgid bit', 'Adding ssh keys to authorized_keys',
      'Modify Shell Configuration File', 'Linux Kernel Module Injection Detected', 'Clear Log Activities',
    ])
    const src = mkdtempSync(join(tmpdir(), 'saker-e2e-build-'))
    try {
      writeFileSync(join(src, 'hello.c'), '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n')
      writeFileSync(join(src, 'Makefile'), 'hello: hello.c\n\tcc -O2 -o $@ $<\n')
      const from = saker.alerts.length
      run('make', ['-C', src])
      run(join(src, 'hello'), [])
      run('sh', ['-c', `cd ${src} && ls -la && cat hello.c && grep -n main hello.c && wc -l Makefile && ls /etc > /dev/null && cat /etc/hostname`])
      // a marker we know is alerted: once its alert is in, everything before it was processed
      run('cat', ['/etc/shadow'])
      await saker.alert('Read sensitive file untrusted', a => saker.alerts.indexOf(a) >= from)
      const noisy = saker.alerts.slice(from).filter(a => watched.has(a.rule) && !(a.rule === 'Read sensitive file untrusted' && f(a, 'proc.cmdline') === 'cat /etc/shadow'))
      assert.deepEqual(noisy.map(a => `${a.rule}: ${String(f(a, 'proc.cmdline'))}`), [])
    } finally {
      rmSync(src, { recursive: true, force: true })
    }
  })
})

describe('saker leaves nothing loaded', { skip: skip ?? false }, () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    test(`after ${sig}, none of its programs is loaded and it exits 0`, async () => {
      const before = new Set(loadedProgs().map(p => p.id))
      const s = new Saker([])
      await s.ready()
      const mine = newSakerProgs(before).map(p => p.id)
      assert.ok(mine.length >= 5, `saker's programs: ${mine.length}`)
      const exit = await s.stop(sig)
      assert.equal(exit.code, 0, s.stderr.slice(-2000))
      assert.match(s.stdout, /Events detected: \d+/)
      assert.match(s.stderr, /Syscall event drop monitoring/)
      assert.deepEqual(await waitUnloaded(mine), [])
    })
  }

  test('after SIGKILL the kernel unloads them, and a fresh start and stop leaves none either', async () => {
    const before = new Set(loadedProgs().map(p => p.id))
    const s = new Saker([])
    await s.ready()
    const killed = newSakerProgs(before).map(p => p.id)
    await s.stop('SIGKILL')
    assert.deepEqual(await waitUnloaded(killed), [])
    const again = new Saker([])
    await again.ready()
    const mine = newSakerProgs(before).map(p => p.id)
    assert.ok(mine.length >= 5)
    assert.equal((await again.stop('SIGINT')).code, 0)
    assert.deepEqual(await waitUnloaded(mine), [])
  })
})

describe('a capture written with -w', { skip: skip ?? false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'saker-e2e-w-'))
  const file = join(dir, 'live.scap')
  let live: Saker
  let captured = 0
  before(async () => {
    live = new Saker(['-v', '-w', file])
    await live.ready()
    run('cat', ['/etc/shadow'])
    run('ln', ['-s', '/etc/shadow', join(dir, 'sym')])
    run('find', [dir, '-name', 'id_rsa'])
    await live.alert('Create Symlink Over Sensitive Files')
    await live.alert('Search Private Keys or Passwords')
    const exit = await live.stop('SIGINT')
    assert.equal(exit.code, 0, live.stderr.slice(-2000))
    captured = Number(/Captured Events: (\d+)/.exec(live.stderr)?.[1] ?? -1)
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('holds every event saker processed, with the process list first', () => {
    const r = openCapture(file)
    assert.ok(r.threads.length > 5)
    assert.ok(r.users.some(u => u.name === 'root'))
    assert.equal(r.forEachEvent(() => {}, { raw: true }), captured)
    assert.equal(r.error, null)
  })

  test('opens in sysdig -r: every event type it knows, each with saker\'s count', { skip: spawnSync('sysdig', ['--version']).status === 0 ? false : 'sysdig is not installed' }, () => {
    const r = spawnSync('sysdig', ['-r', file, '-p', '%evt.type %evt.dir'], { encoding: 'utf8', maxBuffer: 1 << 28 })
    assert.equal(r.status, 0, r.stderr)
    const theirs = new Map<string, number>()
    for (const l of r.stdout.split('\n')) if (l !== '') theirs.set(l, (theirs.get(l) ?? 0) + 1)
    const ours = new Map<string, { n: number; code: number }>()
    openCapture(file).forEachEvent(v => {
      const k = `${EVENTS[v.type]!.name} ${(v.type & 1) === 1 ? '<' : '>'}`
      const e = ours.get(k) ?? { n: 0, code: v.type }
      e.n++
      ours.set(k, e)
    }, { raw: true })
    // sysdig 0.29 (libs of 2022) skips event types newer than its table: those must be the
    // only difference, and be newer than every type it shows
    const shownMax = Math.max(...[...theirs.keys()].map(k => ours.get(k)?.code ?? -1))
    let skipped = 0
    for (const [k, { n, code }] of ours) {
      if (theirs.has(k)) assert.equal(theirs.get(k), n, k)
      else {
        assert.ok(code > shownMax, `sysdig does not show ${k} (code ${code}), which is older than types it shows`)
        skipped += n
      }
    }
    const total = [...theirs.values()].reduce((a, b) => a + b, 0)
    assert.equal(total + skipped, captured)
  })

  test('replayed in saker, raises the alerts the live run raised', () => {
    const r = spawnSync(process.execPath, [SAKER_BIN, ...RULES_ARGS, '-o', 'engine.kind=replay', '-o', `engine.replay.capture_file=${file}`,
      '-o', 'json_output=true', '-o', 'stdout_output.enabled=true'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 })
    assert.equal(r.status, 0, r.stderr)
    const key = (a: Alert): string => `${a.rule} | ${String(a.output_fields['proc.cmdline'])} | ${String(a.output_fields['evt.time'])}`
    const replayed = r.stdout.split('\n').filter(l => l.startsWith('{')).map(l => key(JSON.parse(l) as Alert)).sort()
    assert.deepEqual(replayed, live.alerts.map(key).sort())
  })
})
