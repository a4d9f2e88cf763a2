// The C structs user space reads, as the built probe's BTF lays them out, against their
// TypeScript twins (src/sources/live/layout.ts); and the event codes of driver/bpf/ppm.h
// against the event table. Needs only the build output, not root.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PPME } from '../../src/events/table.js'
import { SYSCALL_TABLE_SIZE } from '../../src/events/syscalls.js'
import { COUNTERS, DROP_KINDS, QUIET_KEY, RECORD_CPU_BYTES, SAKER_MAX_EVENT, SAKER_SYSCALLS, SEL } from '../../src/sources/live/layout.js'
import { ROOT } from './helpers.js'

const obj = join(ROOT, 'driver', 'build', 'saker.bpf.o')
const built = existsSync(obj) ? false : `the probe is not built (${obj}): run make -C driver`

interface BtfType {
  id: number
  kind: string
  name?: string
  size?: number
  members?: { name: string; type_id: number; bits_offset: number }[]
}

function btfTypes(): BtfType[] {
  const out = execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', obj], { encoding: 'utf8', maxBuffer: 64 << 20 })
  return (JSON.parse(out) as { types: BtfType[] }).types
}

test('struct saker_counters in the probe matches COUNTERS', { skip: built }, () => {
  const t = btfTypes().find(x => x.kind === 'STRUCT' && x.name === 'saker_counters')
  assert.ok(t, 'struct saker_counters is in the BTF')
  assert.equal(t.size, COUNTERS.size)
  const offsets = Object.fromEntries(t.members!.map(m => [m.name, m.bits_offset / 8]))
  assert.deepEqual(offsets, {
    events: COUNTERS.fields.events,
    drops_buffer: COUNTERS.fields.dropsBuffer,
    drops_size: COUNTERS.fields.dropsSize,
    unsupported: COUNTERS.fields.unsupported,
    quiet: COUNTERS.fields.quiet,
    redundant: COUNTERS.fields.redundant,
    drops_kind: COUNTERS.fields.dropsKind,
  })
})


test('struct saker_quiet_key in the probe matches QUIET_KEY', { skip: built }, () => {
  const t = btfTypes().find(x => x.kind === 'STRUCT' && x.name === 'saker_quiet_key')
  assert.ok(t, 'struct saker_quiet_key is in the BTF')
  assert.equal(t.size, QUIET_KEY.size)
  const offsets = Object.fromEntries(t.members!.map(m => [m.name, m.bits_offset / 8]))
  assert.deepEqual(offsets, { flags: QUIET_KEY.flags, comm: QUIET_KEY.comm, path: QUIET_KEY.path })
})

const header = (name: string): string => readFileSync(join(ROOT, 'driver', 'bpf', name), 'utf8')
const defines = (text: string): Map<string, string> =>
  new Map([...text.matchAll(/^#define (\w+) (.+?)\s*(?:\/\*.*)?$/gm)].map(m => [m[1]!, m[2]!.trim()]))

test('every PPME_* code in driver/bpf/ppm.h is the table\'s', () => {
  const d = defines(header('ppm.h'))
  let n = 0
  for (const [name, value] of d) {
    if (!name.startsWith('PPME_')) continue
    const key = name.slice(5) as keyof typeof PPME
    assert.equal(Number(value), PPME[key], name)
    n++
  }
  assert.ok(n > 50)
})

test('driver/bpf/shared.h constants match their twins', () => {
  const d = defines(header('shared.h'))
  assert.equal(Number(d.get('SAKER_SYSCALLS')), SAKER_SYSCALLS)
  assert.equal(SAKER_SYSCALLS, SYSCALL_TABLE_SIZE)
  assert.equal(Number(d.get('SAKER_SEL_EXIT')), SEL.EXIT)
  assert.equal(Number(d.get('SAKER_SEL_GENERIC')), SEL.GENERIC)
  assert.equal(Number(d.get('SAKER_SEL_ENTER')), SEL.ENTER)
  assert.equal(Number(d.get('SAKER_SEL_STATE_ONLY')), SEL.STATE_ONLY)
  assert.equal(Number(d.get('SAKER_MAX_EVENT')), SAKER_MAX_EVENT)
  assert.equal(Number(d.get('SAKER_RECORD_CPU_BYTES')), RECORD_CPU_BYTES)
  assert.equal(Number(d.get('SAKER_QUIET_PATH')), QUIET_KEY.pathBytes)
  assert.equal(Number(d.get('SAKER_QUIET_COMM')), QUIET_KEY.commBytes)
})

test('enum saker_drop_kind in driver/bpf/shared.h lists DROP_KINDS in order', () => {
  // (the enum is not in the object's BTF: only its constants are used)
  const body = /enum saker_drop_kind \{([^}]*)\}/.exec(header('shared.h'))
  assert.ok(body, 'enum saker_drop_kind is in shared.h')
  const names = [...body[1]!.matchAll(/SAKER_DROP_(\w+)/g)].map(m => m[1]!).filter(n => n !== 'KINDS')
  assert.deepEqual(names, DROP_KINDS.map(k => k.toUpperCase()))
})
