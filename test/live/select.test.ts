// Which syscalls the probe is asked for (Falco's configure_interesting_sets). No root needed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PPME } from '../../src/events/table.js'
import { ppmScByName, syscallNrByName } from '../../src/events/syscalls.js'
import { ppmScTable, selectForEvents, selectNames } from '../../src/sources/live/select.js'

const nr = (name: string): number => syscallNrByName(name)!

test('with no rules the selection is libsinsp\'s state set, without read/write, with procexit', () => {
  const s = selectForEvents([])
  for (const name of ['execve', 'clone', 'openat', 'close', 'connect', 'accept4', 'setuid', 'chdir']) {
    assert.ok(s.selectedSyscalls.includes(nr(name)), name)
  }
  for (const name of ['read', 'write', 'sendfile']) assert.ok(!s.selectedSyscalls.includes(nr(name)), name)
  assert.equal(s.procExit, true)
  assert.deepEqual(s.enterSyscalls, [])
})

test('rules on read keep it only with `all`, as Falco\'s -A', () => {
  assert.ok(!selectForEvents([PPME.SYSCALL_READ_X]).selectedSyscalls.includes(nr('read')))
  assert.ok(selectForEvents([PPME.SYSCALL_READ_X], { all: true }).selectedSyscalls.includes(nr('read')))
})

test('rules on a generic event select syscalls that have no event type of their own', () => {
  const s = selectForEvents([PPME.GENERIC_X])
  assert.ok(s.genericSyscalls.includes(nr('getpid')))
  assert.ok(!s.selectedSyscalls.includes(nr('getpid')))
})

test('rules on mkdir select both mkdir and mkdirat', () => {
  const s = selectForEvents([PPME.SYSCALL_MKDIR_2_X, PPME.SYSCALL_MKDIRAT_X])
  assert.ok(s.selectedSyscalls.includes(nr('mkdir')))
  assert.ok(s.selectedSyscalls.includes(nr('mkdirat')))
})

test('enter events are asked only for the TOCTOU-sensitive syscalls', () => {
  const s = selectNames(['openat', 'close', 'connect'], { enterEvents: true })
  assert.deepEqual([...s.enterSyscalls].sort((a, b) => a - b), [nr('connect'), nr('openat')].sort((a, b) => a - b))
  assert.equal(s.procExit, false)
})

test('the socket message calls and getsockopt are in the state set, and rules on them keep them', () => {
  const names = ['sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'getsockopt']
  const rules = [PPME.SOCKET_SENDMSG_X, PPME.SOCKET_RECVMSG_X, PPME.SOCKET_SENDMMSG_X, PPME.SOCKET_RECVMMSG_X, PPME.SOCKET_GETSOCKOPT_X]
  for (const s of [selectForEvents([]), selectForEvents(rules)]) {
    for (const name of names) assert.ok(s.selectedSyscalls.includes(nr(name)), name)
  }
})

test('unknown names are refused with the name', () => {
  assert.throws(() => selectNames(['openat', 'no_such_call']), /no_such_call/)
})

test('the ppm_sc table maps native numbers to ppm_sc codes', () => {
  const t = ppmScTable()
  assert.equal(t.length, 512)
  assert.equal(t[nr('getpid')], ppmScByName('getpid'))
  assert.equal(t[nr('openat')], ppmScByName('openat'))
})

test('with the rules\' syscalls given, the selected syscalls no rule matches are state-only', () => {
  const rules = new Set([ppmScByName('execve')!, ppmScByName('openat')!])
  const s = selectForEvents([PPME.SYSCALL_EXECVE_19_X, PPME.SYSCALL_OPENAT_2_X], { rules })
  assert.ok(s.stateOnlySyscalls!.includes(nr('clone')))
  assert.ok(s.stateOnlySyscalls!.includes(nr('prlimit64')))
  assert.ok(!s.stateOnlySyscalls!.includes(nr('execve')))
  assert.ok(!s.stateOnlySyscalls!.includes(nr('openat')))
  assert.ok(s.stateOnlySyscalls!.every(n => s.selectedSyscalls.includes(n) || s.genericSyscalls.includes(n)))
  assert.deepEqual(selectForEvents([PPME.SYSCALL_EXECVE_19_X]).stateOnlySyscalls, [], 'without them (a capture is written) none is')
})
