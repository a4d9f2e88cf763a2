import { test } from 'node:test'
import assert from 'node:assert/strict'
import { genericSyscallNames, libcxxStringHash, listEventEntries, listEvents } from '../../src/cli/list-events.js'
import { LIST_EVENTS_SCHEMA_VERSION } from '../../src/cli/version.js'

const lines = (s: string): string[] => s.split('\n')
const OPENAT2_FLAGS = 'O_LARGEFILE, O_DIRECTORY, O_DIRECT, O_TRUNC, O_SYNC, O_NONBLOCK, O_EXCL, O_DSYNC, ' +
  'O_APPEND, O_CREAT, O_RDWR, O_WRONLY, O_RDONLY, O_CLOEXEC, O_NONE, O_TMPFILE, O_F_CREATED, ' +
  'FD_UPPER_LAYER, FD_LOWER_LAYER'
const RESOLVE_FLAGS = 'RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, ' +
  'RESOLVE_NO_XDEV, RESOLVE_CACHED'

test('the text listing starts with the schema version and the syscall heading, then a blank line', () => {
  assert.equal(LIST_EVENTS_SCHEMA_VERSION, '4.5.1')
  assert.deepEqual(lines(listEvents('text')).slice(0, 3), [
    'The events below are valid for Falco *Schema Version*: 4.5.1',
    '## Syscall events',
    '',
  ])
})

test('the openat2 exit line lists every param with its type and the flag names', () => {
  const line = lines(listEvents('text')).find(l => l.startsWith('< openat2('))
  assert.equal(line,
    `< openat2(FD **fd**, FD **dirfd**, FSRELPATH **name**, FLAGS32 **flags**: ${OPENAT2_FLAGS}, ` +
    `UINT32 **mode**, FLAGS32 **resolve**: ${RESOLVE_FLAGS}, UINT32 **dev**, UINT64 **ino**)`)
})

test('dynamic params are typed DYNAMIC, as libsinsp names PT_DYN', () => {
  const text = listEvents('text')
  assert.match(text, /^< setsockopt\(ERRNO \*\*res\*\*, FD \*\*fd\*\*, ENUMFLAGS8 \*\*level\*\*: SOL_SOCKET, SOL_TCP, UNKNOWN, ENUMFLAGS8 \*\*optname\*\*: .*, DYNAMIC \*\*val\*\*, UINT32 \*\*optlen\*\*\)$/m)
  assert.ok(!/\bDYN \*\*/.test(text), 'no bare DYN type name')
})

test('each category ends with a blank line and the four categories come in Falco order', () => {
  const text = listEvents('text')
  const headings = lines(text).filter(l => l.startsWith('## '))
  assert.deepEqual(headings, ['## Syscall events', '## Tracepoint events', '## Plugin events', '## Metaevents'])
  assert.ok(text.endsWith(')\n\n'))
  assert.match(text, /\)\n\n## Tracepoint events\n\n> switch\(/)
})

test('old versions, generic codes, unused and iterator events are left out; current ones stay', () => {
  const text = listEvents('text')
  assert.ok(!text.includes('\n> close('), 'close enter is an old version')
  assert.ok(text.includes('\n< close(ERRNO **res**, FD **fd**)\n'))
  assert.ok(!text.includes('(SYSCALLID **ID**, UINT16 **nativeID**)\n> syscall('), 'no line named after the generic event')
  assert.ok(!/^[<>] syscall\(/m.test(text))
  assert.ok(!/^[<>] task(_file_\w+)?\(/m.test(text), 'iterator events belong to no category')
})

test('counts per category: 167 own syscall events plus an enter and an exit per generic-only syscall', () => {
  const counts = Object.fromEntries(listEventEntries().map(c => [c.title, c.events.length]))
  assert.equal(genericSyscallNames().length, 272)
  assert.deepEqual(counts, {
    'Syscall events': 167 + 2 * 272,
    'Tracepoint events': 4,
    'Plugin events': 1,
    'Metaevents': 13,
  })
})

test('generic syscalls are listed by name, enter then exit, with the generic event params', () => {
  const text = listEvents('text')
  assert.match(text, /\n> adjtimex\(SYSCALLID \*\*ID\*\*, UINT16 \*\*nativeID\*\*\)\n< adjtimex\(SYSCALLID \*\*ID\*\*, UINT16 \*\*nativeID\*\*\)\n/)
  assert.ok(!genericSyscallNames().includes('unknown'))
  assert.ok(!genericSyscallNames().includes('openat'), 'openat has its own events')
})

test('generic names come in the iteration order of a libc++ unordered_set, as Falco release builds print them', () => {
  // Orders and hashes recorded from clang++ -stdlib=libc++ (std::unordered_set<std::string>,
  // std::hash<std::string>) on the same insertions.
  assert.deepEqual(genericSyscallNames().slice(0, 12), [
    'adjtimex', 'exit', 'sethostname', 'getsid', 'fstatfs', 'pivot_root', 'oldstat', 'umask',
    'madvise', 'statfs64', 'iopl', 'swapon',
  ])
  const hashes: [string, string][] = [
    ['', '11160318154034397263'],
    ['a', '2603192927274642682'],
    ['abc', '4220206313085259313'],
    ['exit', '5906234872930446524'],
    ['openat2', '4719648454911067029'],
    ['sethostname', '9082083404776486200'],
    ['sched_get_priority_max', '8218680287223819774'],
    ['set_mempolicy_home_node_and_then_some_more', '4759230222493607248'],
  ]
  for (const [s, h] of hashes) assert.equal(libcxxStringHash(s).toString(), h, JSON.stringify(s))
})

test('markdown has one table per category with a Default column: No for the ignored I/O events', () => {
  const md = listEvents('markdown')
  assert.deepEqual(lines(md).slice(0, 6), [
    'The events below are valid for Falco *Schema Version*: 4.5.1',
    '## Syscall events',
    '',
    'Default | Dir | Name | Params ',
    ':-------|:----|:-----|:-----',
    'Yes | `>` | `open` | FSPATH **name**, FLAGS32 **flags**: *O_LARGEFILE*, *O_DIRECTORY*, *O_DIRECT*, ' +
      '*O_TRUNC*, *O_SYNC*, *O_NONBLOCK*, *O_EXCL*, *O_DSYNC*, *O_APPEND*, *O_CREAT*, *O_RDWR*, *O_WRONLY*, ' +
      '*O_RDONLY*, *O_CLOEXEC*, *O_NONE*, *O_TMPFILE*, *O_F_CREATED*, *FD_UPPER_LAYER*, *FD_LOWER_LAYER*, ' +
      'UINT32 **mode**',
  ])
  assert.ok(md.includes('\nNo | `<` | `read` | ERRNO **res**, BYTEBUF **data**, FD **fd**, UINT32 **size**\n'))
  assert.ok(md.includes('\nYes | `<` | `close` | ERRNO **res**, FD **fd**\n'))
  assert.equal(lines(md).filter(l => l.startsWith('Default | Dir')).length, 4)
})

test('the text layout shows no availability marker', () => {
  const text = listEvents('text')
  assert.ok(text.includes('\n< read(ERRNO **res**, BYTEBUF **data**, FD **fd**, UINT32 **size**)\n'))
  assert.ok(!/^(Yes|No) /m.test(text))
})

test('json parses, with categories and schema_version as keys in nlohmann order', () => {
  const out = listEvents('json')
  assert.ok(out.endsWith('}\n'))
  const doc = JSON.parse(out) as Record<string, unknown>
  assert.deepEqual(Object.keys(doc), ['Metaevents', 'Plugin events', 'Syscall events', 'Tracepoint events', 'schema_version'])
  assert.equal(doc['schema_version'], '4.5.1')
  const syscalls = doc['Syscall events'] as { available: boolean; dir: string; name: string; params: object[] }[]
  assert.equal(syscalls.length, 711)
  for (const e of syscalls) assert.deepEqual(Object.keys(e), ['available', 'dir', 'name', 'params'])
  const read = syscalls.find(e => e.name === 'read' && e.dir === '<')
  assert.deepEqual(read, {
    available: false,
    dir: '<',
    name: 'read',
    params: [
      { name: 'res', type: 'ERRNO' }, { name: 'data', type: 'BYTEBUF' },
      { name: 'fd', type: 'FD' }, { name: 'size', type: 'UINT32' },
    ],
  })
  const openat2 = syscalls.find(e => e.name === 'openat2' && e.dir === '<')!
  const resolve = openat2.params[5] as Record<string, unknown>
  assert.deepEqual(Object.keys(resolve), ['flags', 'name', 'type'])
  assert.deepEqual(resolve['flags'], RESOLVE_FLAGS.split(', '))
})

test('json is laid out as nlohmann dump(2): two-space indent, one value per line', () => {
  const out = listEvents('json')
  assert.ok(out.startsWith('{\n  "Metaevents": [\n    {\n      "available": true,\n      "dir": ">",\n      "name": "drop",\n'))
  assert.ok(out.endsWith('\n  "schema_version": "4.5.1"\n}\n'))
})

test('the three formats agree on which events are unavailable', () => {
  const doc = JSON.parse(listEvents('json')) as Record<string, { available: boolean }[] | string>
  const unavailable = Object.values(doc).filter(Array.isArray).flat().filter(e => !e.available).length
  const noRows = lines(listEvents('markdown')).filter(l => l.startsWith('No | ')).length
  assert.ok(unavailable > 0)
  assert.equal(noRows, unavailable)
})
