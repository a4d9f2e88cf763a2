// Saker's own default rules, live: saker started as `make run` starts it (config/saker.yaml,
// which loads rules/saker_rules.yaml), while this test repeats each attacker action of the live
// end-to-end test (live.test.ts); each must raise a stable Saker rule with the fields an
// analyst reads. Needs root, a BTF kernel, the built driver and bpftool, not Falco's rules.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  appendAuthorizedKey, appendShellRc, clearLog, execFromMemfd, hardlinkShadow, loadKernelModuleInContainer, ptraceAttach,
  readShadow, runFromDevShm, searchPrivateKeys, setSetuidBit, symlinkShadow,
} from './attacks.js'
import { DEFAULT_CONFIG_ARGS, SAKER_BIN, ROOT, Saker, type Alert, skipReason, wiringProblem } from './helpers.js'

let skip = skipReason({ falcoRules: false })
if (skip === null) {
  const probe = spawnSync(process.execPath, [SAKER_BIN, ...DEFAULT_CONFIG_ARGS, '-o', 'webserver.enabled=false', '-M', '1'],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
  skip = wiringProblem(probe.stderr ?? '')
}

const f = (a: Alert, k: string): unknown => a.output_fields[k]

describe('make run\'s default rules see each attacker action', { skip: skip ?? false }, () => {
  let saker: Saker
  let work: string
  let home: string
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'saker-e2e-default-'))
    home = mkdtempSync('/home/saker-e2e-default-')
    // the health endpoint's port may be held by another saker on this machine
    saker = new Saker(['-o', 'webserver.enabled=false'], DEFAULT_CONFIG_ARGS)
    await saker.ready()
    assert.match(saker.stderr, /Loading rules from:\s+rules\/saker_rules\.yaml/)
  })
  after(async () => {
    await saker?.stop('SIGINT')
    rmSync(work, { recursive: true, force: true })
    rmSync(home, { recursive: true, force: true })
  })

  test('reading /etc/shadow: Credential File Read by Untrusted Program', async () => {
    readShadow()
    const a = await saker.alert('Credential File Read by Untrusted Program', a => f(a, 'proc.name') === 'cat')
    assert.equal(f(a, 'proc.cmdline'), 'cat /etc/shadow')
    assert.equal(f(a, 'fd.name'), '/etc/shadow')
    assert.equal(f(a, 'user.name'), 'root')
    assert.equal(f(a, 'proc.pname'), 'node')
    assert.equal(f(a, 'evt.type'), 'openat')
    assert.equal(a.priority, 'Warning')
  })

  test('searching for private keys: Search for Private Keys or Cloud Credentials', async () => {
    searchPrivateKeys()
    const a = await saker.alert('Search for Private Keys or Cloud Credentials', a => f(a, 'proc.name') === 'find')
    assert.equal(f(a, 'proc.cmdline'), 'find / -maxdepth 3 -name id_rsa')
    assert.equal(f(a, 'proc.pname'), 'node')
    assert.equal(f(a, 'evt.type'), 'execve')
  })

  test('a symlink to /etc/shadow: Link to Sensitive File Created', async () => {
    const link = symlinkShadow(work)
    const a = await saker.alert('Link to Sensitive File Created', a => f(a, 'evt.type') === 'symlinkat')
    assert.equal(f(a, 'proc.cmdline'), `ln -s /etc/shadow ${link}`)
    assert.equal(f(a, 'fs.path.target'), '/etc/shadow')
    assert.equal(f(a, 'fs.path.source'), link)
  })

  test('a hardlink to /etc/shadow: Link to Sensitive File Created', async () => {
    const link = hardlinkShadow(work)
    const a = await saker.alert('Link to Sensitive File Created', a => f(a, 'evt.type') === 'linkat')
    assert.equal(f(a, 'proc.cmdline'), `ln /etc/shadow ${link}`)
    assert.equal(f(a, 'fs.path.target'), '/etc/shadow')
    assert.equal(f(a, 'fs.path.source'), link)
  })

  test('running a binary from /dev/shm: Program Run from Memory or Shared Memory', async () => {
    const bin = runFromDevShm(`e2e-default-${process.pid}`)
    const a = await saker.alert('Program Run from Memory or Shared Memory', a => f(a, 'proc.exepath') === bin)
    assert.equal(f(a, 'proc.is_exe_from_memfd'), false)
    assert.equal(f(a, 'proc.pname'), 'node')
    assert.equal(f(a, 'evt.type'), 'execve')
  })

  test('executing a program from a memfd: Program Run from Memory or Shared Memory', async () => {
    execFromMemfd()
    const a = await saker.alert('Program Run from Memory or Shared Memory', a => f(a, 'proc.is_exe_from_memfd') === true)
    assert.match(String(f(a, 'proc.exepath')), /^\/?memfd:saker-e2e/)
    assert.equal(f(a, 'proc.pname'), 'node')
    assert.equal(a.priority, 'Error')
  })

  test('attaching ptrace to a process: Ptrace Attach or Memory Injection', async () => {
    ptraceAttach()
    const a = await saker.alert('Ptrace Attach or Memory Injection', a => f(a, 'proc.name') === 'ptrace_attach')
    assert.match(String(f(a, 'evt.arg.request')), /PTRACE_ATTACH/)
    assert.equal(f(a, 'evt.type'), 'ptrace')
    assert.equal(f(a, 'proc.pname'), 'node')
  })

  test('setting the setuid bit: Setuid or Setgid Bit Set on File', async () => {
    const file = setSetuidBit(work)
    const a = await saker.alert('Setuid or Setgid Bit Set on File', a => f(a, 'proc.name') === 'chmod')
    assert.equal(f(a, 'proc.cmdline'), `chmod u+s ${file}`)
    assert.equal(f(a, 'fs.path.name'), file)
    assert.match(String(f(a, 'evt.arg.mode')), /S_ISUID/)
    assert.equal(f(a, 'evt.type'), 'fchmodat')
  })

  test('appending a key to ~/.ssh/authorized_keys: SSH Authorized Keys or Server Configuration Modified', async () => {
    const keys = appendAuthorizedKey(home)
    const a = await saker.alert('SSH Authorized Keys or Server Configuration Modified', a => f(a, 'fd.name') === keys)
    assert.equal(f(a, 'proc.cmdline'), `tee -a ${keys}`)
    assert.equal(f(a, 'evt.type'), 'openat')
    assert.equal(f(a, 'user.name'), 'root')
  })

  test('writing to a shell configuration file: Shell Startup File Modified', async () => {
    const rc = appendShellRc(home)
    const a = await saker.alert('Shell Startup File Modified', a => f(a, 'fd.name') === rc)
    assert.equal(f(a, 'proc.name'), 'tee')
    assert.equal(f(a, 'proc.pname'), 'node')
    assert.equal(f(a, 'evt.type'), 'openat')
  })

  test('loading a kernel module (the attempt, from a container): Kernel Module Load Attempt', async () => {
    loadKernelModuleInContainer('e2d')
    const a = await saker.alert('Kernel Module Load Attempt', a => f(a, 'proc.name') === 'init_module_jun')
    assert.equal(f(a, 'evt.type'), 'init_module')
    assert.notEqual(f(a, 'container.id'), 'host')
    assert.match(String(f(a, 'evt.res')), /^E[A-Z]+$/) // refused: junk is no module
  })

  test('clearing a log file: System Log File Cleared or Removed', async () => {
    const logFile = clearLog(`saker-e2e-default-${process.pid}`)
    const a = await saker.alert('System Log File Cleared or Removed', a => f(a, 'fd.name') === logFile)
    assert.equal(f(a, 'proc.name'), 'sh')
    assert.match(String(f(a, 'evt.arg.flags')), /O_TRUNC/)
    assert.equal(f(a, 'evt.type'), 'openat')
  })
})
