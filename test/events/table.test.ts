import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PF, PT } from '../../src/events/param-types.js'
import {
  DYN_PARAMS, EC, EF, EVENTS, PPM_EVENT_MAX, PPME, categoryName, eventCodesByName, isKnownEventName,
} from '../../src/events/table.js'
import { FLAG_TABLES, renderFlags, renderMode, resolveFlags } from '../../src/events/flags.js'
import {
  PPM_SC_MAX, PPM_SC_NAMES, eventsToPpmSc, ignoredEventNames, ignoredScSet, ignoredSyscallNames,
  ioScSet, ppmScByName, ppmScToEvents, scSetToEventNames, stateScSet, syscallByNr, syscallNameByNr,
  syscallNrByName, x86_64Syscalls,
} from '../../src/events/syscalls.js'

const sc = (name: string): number => {
  const code = ppmScByName(name)
  assert.ok(code !== undefined, `no ppm_sc named ${name}`)
  return code
}

test('the table has one entry per libs event code, 454 in libs 0.25', () => {
  assert.equal(PPM_EVENT_MAX, 454)
  assert.equal(EVENTS.length, 454)
  EVENTS.forEach((e, i) => assert.equal(e.code, i))
  assert.equal(PPME.SYSCALL_KEYCTL_X, 453)
})

test('even codes enter, odd codes exit, and both halves of a pair share a name', () => {
  for (let code = 0; code < EVENTS.length; code += 2) {
    const enter = EVENTS[code]!, exit = EVENTS[code + 1]!
    assert.equal(enter.dir, 'enter')
    assert.equal(exit.dir, 'exit')
    // Unused halves are named NA with the UNKNOWN category.
    if (enter.category !== EC.UNKNOWN && exit.category !== EC.UNKNOWN) assert.equal(enter.name, exit.name, `pair ${code}`)
    else assert.ok(enter.name === 'NA' || exit.name === 'NA', `pair ${code}`)
  }
})

test('openat exit carries fd, dirfd, name, flags, mode, dev and ino', () => {
  const e = EVENTS[PPME.SYSCALL_OPENAT_2_X]!
  assert.equal(e.code, 307)
  assert.equal(e.name, 'openat')
  assert.equal(e.category, EC.FILE | EC.SYSCALL)
  assert.equal(e.flags, EF.CREATES_FD | EF.MODIFIES_STATE | EF.CONVERTER_MANAGED)
  assert.deepEqual(e.params, [
    { name: 'fd', type: PT.FD, fmt: PF.DEC },
    { name: 'dirfd', type: PT.FD, fmt: PF.DEC },
    { name: 'name', type: PT.FSRELPATH, fmt: PF.NA, dirfd: 1 },
    { name: 'flags', type: PT.FLAGS32, fmt: PF.HEX, info: 'file_flags' },
    { name: 'mode', type: PT.UINT32, fmt: PF.OCT },
    { name: 'dev', type: PT.UINT32, fmt: PF.HEX },
    { name: 'ino', type: PT.UINT64, fmt: PF.DEC },
  ])
})

test('the current execve exit has 31 params, the executable file name last', () => {
  const e = EVENTS[PPME.SYSCALL_EXECVE_19_X]!
  assert.equal(e.params.length, 31)
  assert.deepEqual(e.params.slice(0, 3).map(p => [p.name, p.type]), [['res', PT.ERRNO], ['exe', PT.CHARBUF], ['args', PT.BYTEBUF]])
  assert.deepEqual(e.params.at(-1), { name: 'filename', type: PT.FSPATH, fmt: PF.NA })
  assert.equal(e.params.find(p => p.name === 'flags')?.info, 'execve_flags')
})

test('old versions and meta events are kept with their flags and categories', () => {
  assert.equal(EVENTS[PPME.SYSCALL_EXECVE_8_E]!.flags & EF.OLD_VERSION, EF.OLD_VERSION)
  assert.equal(EVENTS[PPME.CONTAINER_JSON_2_E]!.category & EC.METAEVENT, EC.METAEVENT)
  assert.equal(EVENTS[PPME.ASYNCEVENT_E]!.name, 'asyncevent')
  assert.equal(EVENTS[PPME.PLUGINEVENT_E]!.category & EC.PLUGIN, EC.PLUGIN)
  assert.equal(EVENTS[PPME.DROP_E]!.name, 'drop')
})

test('every info names a flag table, every dyn a dynamic table, every dirfd an fd param', () => {
  const flagTypes: number[] = [PT.FLAGS8, PT.FLAGS16, PT.FLAGS32, PT.ENUMFLAGS8, PT.ENUMFLAGS16, PT.ENUMFLAGS32, PT.MODE]
  for (const e of EVENTS) {
    for (const p of e.params) {
      const where = `${e.code} ${e.name}.${p.name}`
      if (flagTypes.includes(p.type)) assert.ok(p.info !== undefined, where)
      if (p.info !== undefined) {
        assert.ok(p.info in FLAG_TABLES, where)
        assert.ok(flagTypes.includes(p.type), where)
      }
      if (p.type === PT.DYN) assert.ok(p.dyn !== undefined && p.dyn in DYN_PARAMS, where)
      if (p.type === PT.FSRELPATH) assert.equal(e.params[p.dirfd ?? -1]?.type, PT.FD, where)
    }
  }
})

test('an event name maps to all its versions, enter and exit', () => {
  assert.deepEqual(eventCodesByName('open'), [PPME.SYSCALL_OPEN_E, PPME.SYSCALL_OPEN_X])
  // The libs unit test's case: openat has two versions.
  assert.deepEqual([...eventCodesByName('openat')].sort((a, b) => a - b), [
    PPME.SYSCALL_OPENAT_E, PPME.SYSCALL_OPENAT_X, PPME.SYSCALL_OPENAT_2_E, PPME.SYSCALL_OPENAT_2_X,
  ].sort((a, b) => a - b))
  assert.ok(eventCodesByName('execve').includes(PPME.SYSCALL_EXECVE_19_X))
  assert.equal(eventCodesByName('execve').length, 16)
})

test('a syscall without its own event maps to the generic events, an unknown name to none', () => {
  assert.deepEqual(eventCodesByName('syncfs'), [PPME.GENERIC_E, PPME.GENERIC_X])
  assert.deepEqual(eventCodesByName('no_such_syscall'), [])
  // 'syscall' is the generic events' own name, which names_to_event_set skips.
  assert.deepEqual(eventCodesByName('syscall'), [])
  assert.deepEqual(eventCodesByName('my_async', new Set(['my_async'])), [PPME.ASYNCEVENT_E])
})

test('known event names are events, syscalls and declared async events', () => {
  assert.equal(isKnownEventName('openat'), true)
  assert.equal(isKnownEventName('syscall'), true)
  assert.equal(isKnownEventName('syncfs'), true)
  assert.equal(isKnownEventName('container'), true)
  assert.equal(isKnownEventName('opn'), false)
  assert.equal(isKnownEventName('my_async'), false)
  assert.equal(isKnownEventName('my_async', new Set(['my_async'])), true)
})

test('categories print as evt.category does', () => {
  assert.equal(categoryName(EVENTS[PPME.SYSCALL_OPEN_X]!.category), 'file')
  assert.equal(categoryName(EVENTS[PPME.SOCKET_SOCKET_X]!.category), 'net')
  assert.equal(categoryName(EVENTS[PPME.SYSCALL_PIPE_X]!.category), 'IPC')
  assert.equal(categoryName(EVENTS[PPME.SYSCALL_READ_X]!.category), 'unknown')
  assert.equal(categoryName(EVENTS[PPME.SYSCALL_READ_X]!.category, 'ipc'), 'ipc')
  assert.equal(categoryName(EVENTS[PPME.SCHEDSWITCH_6_E]!.category), 'scheduler')
})

test('flags render as the names of their set bits, 0 as the zero entry', () => {
  assert.equal(renderFlags('file_flags', 1 | 0x1000, false), 'O_RDONLY|O_CLOEXEC')
  assert.equal(renderFlags('file_flags', 3 | 4, false), 'O_CREAT|O_RDWR')
  assert.equal(renderFlags('file_flags', 0, false), 'O_NONE')
  assert.equal(renderFlags('prot_flags', 1 | 4, false), 'PROT_READ|PROT_EXEC')
  // Unnamed bits are dropped; a value with no named bit prints as a decimal number.
  assert.equal(renderFlags('clone_flags', 0x8000 | 0x40000000, false), 'CLONE_VM')
  assert.equal(resolveFlags('clone_flags', 0x80000000, false), '')
  assert.equal(renderFlags('clone_flags', 0x80000000, false), '2147483648')
})

test('enum flags render every entry equal to the value', () => {
  assert.equal(renderFlags('socket_families', 1, true), 'AF_LOCAL|AF_UNIX')
  assert.equal(renderFlags('socket_families', 10, true), 'AF_INET6')
  assert.equal(renderFlags('fcntl_commands', 999, true), '999')
})

test('modes render their bits, or the entry equal to the whole value', () => {
  assert.equal(renderMode('chmod_mode', 0o400, PF.OCT), 'S_IRUSR')
  assert.equal(renderMode('chmod_mode', 0o644, PF.OCT), 'S_IROTH|S_IRGRP|S_IWUSR|S_IRUSR')
  assert.equal(renderMode('chmod_mode', 0, PF.OCT), '0')
})

test('x86_64 native numbers map to kernel syscall names and back', () => {
  assert.equal(syscallNameByNr(0), 'read')
  assert.equal(syscallNameByNr(59), 'execve')
  assert.equal(syscallNameByNr(435), 'clone3')
  assert.equal(syscallNameByNr(511), undefined)
  assert.equal(syscallNrByName('openat'), 257)
  assert.equal(syscallNrByName('no_such'), undefined)
  assert.equal(x86_64Syscalls().length, 373)
  const openat = syscallByNr(257)!
  assert.equal(openat.enter, PPME.SYSCALL_OPENAT_2_E)
  assert.equal(openat.exit, PPME.SYSCALL_OPENAT_2_X)
  assert.equal(syscallByNr(306)!.exit, PPME.GENERIC_X) // syncfs
  for (const s of x86_64Syscalls()) assert.equal(PPM_SC_NAMES[s.ppmSc], s.name)
})

test('the ppm_sc table has 454 codes with one unused', () => {
  assert.equal(PPM_SC_MAX, 454)
  assert.equal(PPM_SC_NAMES.length, 454)
  assert.equal(PPM_SC_NAMES.filter(n => n === '').length, 1)
  assert.equal(PPM_SC_NAMES[0], 'unknown')
  assert.equal(sc('sched_process_exit'), 396)
})

test('syscalls of the generic events map back to the generic events only', () => {
  const generic = eventsToPpmSc(c => c === PPME.GENERIC_E || c === PPME.GENERIC_X)
  assert.deepEqual(ppmScToEvents(generic), [PPME.GENERIC_E, PPME.GENERIC_X])
})

test('syscall sets name themselves as libsinsp does', () => {
  const set = new Set(['kill', 'read', 'syncfs', 'sched_process_exit', 'sched_switch'].map(sc))
  assert.deepEqual(scSetToEventNames(set), ['kill', 'procexit', 'read', 'switch', 'syncfs'])
})

test('Falco ignores the 12 I/O syscalls libsinsp state does not need', () => {
  assert.equal(ioScSet().size, 18)
  const ignored = ignoredScSet()
  assert.equal(ignored.size, 12)
  const state = stateScSet()
  for (const s of ignored) assert.equal(state.has(s), false)
  assert.deepEqual(ignoredSyscallNames(), [
    'pread', 'preadv', 'pwrite', 'pwritev', 'read', 'readv', 'recv', 'send', 'sendfile', 'write', 'writev',
  ])
  assert.deepEqual(ignoredEventNames(), ignoredSyscallNames())
})
