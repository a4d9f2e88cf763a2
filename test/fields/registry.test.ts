import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { PT } from '../../src/events/param-types.js'
import { FIELD_CLASSES, fieldsForSource, listFields, lookupField } from '../../src/fields/registry.js'
import type { FieldRef } from '../../src/fields/types.js'

// ---- helpers

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error('package.json not found above the test file')
    dir = up
  }
  return dir
}
// Falco's rules files live next to the repository, in ../shared (never copied into it).
const RULES_DIR = resolve(repoRoot(), '../shared/falco/rules')
const HAVE_RULES = existsSync(RULES_DIR)

/** Resolves `text` as written in a rule: `name` or `name[arg]`. */
function resolveText(source: string, text: string): FieldRef | { error: string } {
  const m = /^([^[]*)\[(.*)\]$/.exec(text)
  return m ? lookupField(source, m[1], m[2]) : lookupField(source, text, undefined)
}
function ok(source: string, text: string): FieldRef {
  const r = resolveText(source, text)
  if ('error' in r) assert.fail(`${text} (${source}) did not resolve: ${r.error}`)
  return r
}
function err(source: string, text: string): string {
  const r = resolveText(source, text)
  if (!('error' in r)) assert.fail(`${text} (${source}) resolved to ${r.def.name}, expected an error`)
  return r.error
}
/** The part of a text listing that belongs to one class. */
function textSection(listing: string, header: string): string {
  const sep = '-------------------------------\n'
  const start = listing.indexOf(sep + header + '\n')
  assert.notEqual(start, -1, `no class "${header}" in the listing`)
  const end = listing.indexOf(sep, start + sep.length)
  return listing.slice(start, end < 0 ? undefined : end)
}

// ---- the classes

test('the classes come in the order falco --list prints them', () => {
  const shortdesc = (c: object) => ('shortdesc' in c ? String(c.shortdesc) : '')
  assert.deepEqual(FIELD_CLASSES.map((c) => [c.name, shortdesc(c)]), [
    ['evt', 'All event types'], ['evt', 'Syscall events only'], ['process', ''], ['user', ''], ['group', ''],
    ['fd', ''], ['fs.path', ''], ['fdlist', ''], ['container (plugin)', ''], ['json (plugin)', ''],
    ['k8saudit (plugin)', ''],
  ])
})

test('each class holds the number of fields Falco 0.44 defines for it', () => {
  const counts = Object.fromEntries(FIELD_CLASSES.map((c) => [`${c.name}/${c.sources.join(',')}`, c.fields.length]))
  assert.deepEqual(counts, {
    'evt/': 18, 'evt/syscall': 58, 'process/syscall': 90, 'user/syscall': 6, 'group/syscall': 2, 'fd/syscall': 46,
    'fs.path/syscall': 6, 'fdlist/syscall': 6, 'container (plugin)/syscall': 61, 'json (plugin)/k8s_audit,syscall': 6,
    'k8saudit (plugin)/k8s_audit': 100,
  })
})

test('no class repeats a field name and every searched class belongs to its source', () => {
  for (const cls of FIELD_CLASSES) {
    const names = cls.fields.map((f) => f.name)
    assert.equal(new Set(names).size, names.length, `duplicate names in ${cls.name}`)
  }
  for (const source of ['syscall', 'k8s_audit']) {
    for (const cls of fieldsForSource(source)) {
      assert.ok(cls.sources.length === 0 || cls.sources.includes(source), `${cls.name} searched for ${source}`)
    }
  }
})

// ---- lookups that resolve

test('a plain field resolves to its class with no argument', () => {
  const r = ok('syscall', 'proc.name')
  assert.equal(r.def.name, 'proc.name')
  assert.equal(r.cls.name, 'process')
  assert.equal(r.def.type, PT.CHARBUF)
  assert.equal(r.arg, undefined)
})

test('an ancestor field takes a numeric index or none', () => {
  assert.equal(ok('syscall', 'proc.aname[2]').arg, '2')
  assert.equal(ok('syscall', 'proc.aname').arg, undefined)
  assert.equal(ok('syscall', 'proc.aexepath[1]').def.name, 'proc.aexepath')
  assert.equal(ok('syscall', 'proc.aexe[1]').def.name, 'proc.aexe')
  assert.equal(ok('syscall', 'proc.apid[+3]').arg, '3')
})

test('keyed fields keep their key as the argument', () => {
  assert.equal(ok('syscall', 'proc.env[HOME]').arg, 'HOME')
  assert.equal(ok('syscall', 'proc.env').arg, undefined)
  const label = ok('syscall', 'container.label[app]')
  assert.equal(label.cls.name, 'container (plugin)')
  assert.equal(label.arg, 'app')
  assert.equal(ok('syscall', 'k8s.pod.label[app.kubernetes.io/name]').arg, 'app.kubernetes.io/name')
  assert.equal(ok('syscall', 'container.mount.dest[/var/run/docker.sock]').arg, '/var/run/docker.sock')
  assert.equal(ok('syscall', 'container.mount[0]').arg, '0')
  assert.equal(ok('k8s_audit', 'jevt.value[/user/name]').cls.name, 'json (plugin)')
})

test('dotted arguments resolve where libsinsp parses them', () => {
  const arg = ok('syscall', 'evt.arg.name')
  assert.equal(arg.def.name, 'evt.arg')
  assert.equal(arg.arg, 'name')
  assert.equal(ok('syscall', 'evt.arg[1]').arg, '1')
  const raw = ok('syscall', 'evt.rawarg.res')
  assert.equal(raw.def.name, 'evt.rawarg')
  assert.equal(raw.def.type, PT.ERRNO, 'evt.rawarg takes the type of the parameter it names')
  assert.equal(ok('syscall', 'evt.type.is.open').arg, 'open')
  assert.equal(ok('syscall', 'evt.type.is.3').arg, '3')
  assert.equal(ok('syscall', 'evt.abspath.dst').arg, 'dst')
  assert.equal(ok('syscall', 'evt.abspath').arg, undefined)
  assert.equal(ok('syscall', 'thread.cgroup.cpuacct').arg, 'cpuacct')
  assert.equal(ok('syscall', 'evt.around[1000]').arg, '1000')
  assert.equal(ok('syscall', 'fd.types[0]').arg, '0')
})

test('generic evt fields resolve for every source and class fields only for theirs', () => {
  assert.equal(ok('k8s_audit', 'evt.time').cls.sources.length, 0)
  assert.equal(ok('syscall', 'evt.time').def, ok('k8s_audit', 'evt.time').def)
  assert.equal(ok('k8s_audit', 'ka.user.name').cls.name, 'k8saudit (plugin)')
  assert.equal(err('k8s_audit', 'proc.name'), 'filter_check called with nonexistent field proc.name')
  assert.equal(err('syscall', 'ka.user.name'), 'filter_check called with nonexistent field ka.user.name')
  assert.equal(ok('syscall', 'util.cnt').cls.name, 'util', 'the hidden util class still resolves')
})

// ---- lookups that fail, with libsinsp's messages

test('an unknown field gets the nonexistent-field message', () => {
  assert.equal(err('syscall', 'proc.nobody'), 'filter_check called with nonexistent field proc.nobody')
  assert.equal(err('syscall', 'evt.numx'), 'filter_check called with nonexistent field evt.numx')
  assert.equal(err('syscall', 'nothing'), 'filter_check called with nonexistent field nothing')
  assert.equal(err('syscall', 'evt.type.is.nope'), 'filter_check called with nonexistent field evt.type.is.nope')
  assert.equal(err('syscall', 'evt.arg.namefoo'), 'filter_check called with nonexistent field evt.arg.namefoo')
})

test('a field that requires an argument and has none is refused', () => {
  assert.equal(err('syscall', 'container.label'), "filter 'container.label': container.label requires an argument but none provided")
  assert.equal(err('k8s_audit', 'ka.uri.param'), "filter 'ka.uri.param': ka.uri.param requires an argument but none provided")
  assert.equal(err('syscall', 'evt.arg'), 'filter syntax error: evt.arg')
  assert.equal(err('syscall', 'evt.type.is'), 'filter syntax error: evt.type.is')
  assert.equal(err('syscall', 'thread.cgroup'), 'filter syntax error: thread.cgroup')
  // the dotted label form the container plugin's description mentions is not parsed by libsinsp 0.25
  assert.equal(err('syscall', 'k8s.pod.label.app'), "filter 'k8s.pod.label.app': k8s.pod.label requires an argument but none provided")
})

test('an argument where none is allowed is refused', () => {
  assert.equal(err('syscall', 'proc.name[1]'), 'filter_check called with nonexistent field proc.name[1]')
  assert.equal(err('syscall', 'container.name[1]'),
    "filter 'container.name[1]': container.name does not allow nor require an argument but one is provided: 1")
  assert.equal(err('syscall', 'evt.rawarg[0]'), 'evt.arg fields must be expressed explicitly')
})

test('a bad index is refused the way each class refuses it', () => {
  assert.equal(err('syscall', 'proc.aname[x]'), 'filter_check called with nonexistent field proc.aname[x]')
  assert.equal(err('syscall', 'evt.arg[x]'), 'x is not a valid number')
  assert.equal(err('syscall', 'fd.types[a]'), 'a is not a valid number')
  assert.equal(err('k8s_audit', 'ka.req.pod.containers.image[x]'),
    'filter ka.req.pod.containers.image[x] ka.req.pod.containers.image has an invalid index argument not composed only by digits: x')
  assert.equal(err('k8s_audit', 'ka.req.pod.containers.image[01]'),
    'filter ka.req.pod.containers.image[01] ka.req.pod.containers.image has an invalid index argument starting with 0: 01')
  assert.equal(ok('k8s_audit', 'ka.req.pod.containers.image[1]').arg, '1')
  assert.equal(err('syscall', 'evt.arg.zzz'), 'unknown event argument zzz')
  assert.equal(err('syscall', 'evt.around.x'), 'wrong syntax for evt.around')
})

// ---- Falco's own rules

test("every field used by Falco's official rules resolves", { skip: HAVE_RULES ? false : `no rules at ${RULES_DIR}` }, () => {
  // The brief's pattern, widened to upper case after the first dot (ka.req.pod.initContainers.*).
  const FIELD = /[a-z][a-z0-9_]*\.[A-Za-z0-9_.]+(\[[^\]]*\])?/g
  const PREFIX = /^(evt|syscall|proc|thread|fd|fdlist|fs|user|group|container|k8s|ka|json|jevt)\./
  // %container.info is not a field: Falco's rule compiler rewrites it before formatting.
  const NOT_FIELDS = new Set(['container.info'])
  let checked = 0
  for (const version of ['latest', '3.2.0']) {
    const dir = join(RULES_DIR, version)
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const items: unknown = parse(readFileSync(join(dir, file), 'utf8'))
      assert.ok(Array.isArray(items))
      const fileSource = file.startsWith('k8s_audit') ? 'k8s_audit' : 'syscall'
      for (const item of items as Record<string, unknown>[]) {
        const source = typeof item.source === 'string' ? item.source : fileSource
        const texts = [item.condition, item.rule !== undefined ? item.output : undefined]
        for (const text of texts) {
          if (typeof text !== 'string') continue
          for (const m of text.matchAll(FIELD)) {
            // skip values such as k8s.gcr.io/x or /var/log/user.log
            const before = text.charAt((m.index ?? 0) - 1)
            const after = text.charAt((m.index ?? 0) + m[0].length)
            if (/[\w./-]/.test(before) || /[/:-]/.test(after)) continue
            const field = m[0].replace(/\.+$/, '')
            if (!PREFIX.test(field) || NOT_FIELDS.has(field)) continue
            const r = resolveText(source, field)
            if ('error' in r) assert.fail(`${version}/${file}: ${field} (${source}): ${r.error}`)
            checked++
          }
        }
      }
    }
  }
  assert.ok(checked > 1000, `only ${checked} field uses found`)
})

// ---- falco --list

test('the text listing lays a class out as libsinsp does', () => {
  // Column 30 for values, a trailing space after every word, descriptions wrapped at 90
  // characters with continuation lines indented by 30, a blank line after the header and one
  // after the class.
  const expected =
    '-------------------------------\n' +
    'Field Class:                  user\n' +
    'Description:                  Information about the user executing the specific event. \n' +
    'Event Sources:                syscall \n' +
    '\n' +
    'user.uid                      user ID. \n' +
    'user.name                     user name. \n' +
    'user.homedir                  home directory of the user. \n' +
    "user.shell                    user's shell. \n" +
    'user.loginuid                 audit user id (auid), internally the loginuid is of type `uint32_t`. However, if an \n' +
    '                              invalid uid corresponding to UINT32_MAX is encountered, it is returned as -1 to support \n' +
    '                              familiar filtering conditions. \n' +
    'user.loginname                audit user name (auid). \n' +
    '\n'
  assert.equal(textSection(listFields({ format: 'text' }), 'Field Class:                  user'), expected)
})

test('the text listing shows tags, long names, shared sources and verbose types', () => {
  const all = listFields({ format: 'text' })
  const gen = textSection(all, 'Field Class:                  evt (All event types)')
  assert.match(gen, /\nEvent Sources: {16}k8s_audit syscall \n/)
  const proc = textSection(all, 'Field Class:                  process')
  assert.match(proc, /\nproc\.aname {20}\(ARG_ALLOWED,EPF_NO_RHS,EPF_NO_TRANSFORMER\) The proc\.name/)
  assert.doesNotMatch(proc, /thread\.nametid/, 'TABLE_ONLY fields are not listed')
  const evt = textSection(all, 'Field Class:                  evt (Syscall events only)')
  assert.doesNotMatch(evt, /evt\.latency|evt\.dir |evt\.outputtime/, 'deprecated and PRINT_ONLY fields are not listed')
  assert.match(evt, /\nevt\.around {20}\(ARG_REQUIRED,EPF_NO_RHS,EPF_NO_TRANSFORMER,FILTER_ONLY\) /)
  const ka = textSection(listFields({ format: 'text', source: 'k8s_audit', verbose: true }), 'Field Class:                  k8saudit (plugin)')
  assert.match(ka, /\nka\.req\.binding\.subjects\.user_names\n {30}\(Type: CHARBUF\) \(EPF_IS_LIST\) When /)
  const genK8s = textSection(listFields({ format: 'text', source: 'k8s_audit' }), 'Field Class:                  evt (All event types)')
  assert.match(genK8s, /\nEvent Sources: {16}k8s_audit \n/)
})

test('the markdown listing matches the falco --list --format markdown layout', () => {
  const md = listFields({ format: 'markdown', source: 'syscall' })
  assert.ok(md.startsWith('## Field Class: evt\n\nThese fields can be used for all event types\n\nEvent Sources: syscall \n\n' +
    'Name | Type | Description\n:----|:-----|:-----------\n`evt.num` | UINT64 | event number.\n'))
  assert.ok(md.includes('## Field Class: group\n\nInformation about the user group.\n\nEvent Sources: syscall \n\n' +
    'Name | Type | Description\n:----|:-----|:-----------\n`group.gid` | UINT32 | group ID.\n`group.name` | CHARBUF | group name.\n\n'))
  assert.ok(md.includes('\n`fd.types` | LIST(CHARBUF) | '))
})

test('the json listing has nlohmann key order and argument descriptions', () => {
  const out = listFields({ format: 'json', source: 'k8s_audit' })
  assert.ok(out.startsWith('{\n  "fieldclasses": [\n    {\n      "desc": "These fields can be used for all event types",\n' +
    '      "event_sources": [\n        "k8s_audit"\n      ],\n      "fields": [\n        {\n          "argument": null,\n'))
  const doc = JSON.parse(out) as { fieldclasses: { name: string; desc?: string; fields: { name: string; argument: unknown; is_list: boolean }[] }[] }
  assert.deepEqual(doc.fieldclasses.map((c) => c.name), ['evt', 'k8saudit (plugin)', 'json (plugin)'])
  assert.equal(doc.fieldclasses[1].desc, undefined, 'plugin classes have no description')
  const image = doc.fieldclasses[1].fields.find((f) => f.name === 'ka.req.pod.containers.image')
  assert.deepEqual(image, {
    argument: { required: false, type: ['INDEX'] }, desc: "When the request object refers to a pod, the container's images.",
    is_list: true, name: 'ka.req.pod.containers.image', type: 'CHARBUF',
  })
  const all = JSON.parse(listFields({ format: 'json' })) as typeof doc
  const fdTypes = all.fieldclasses.find((c) => c.name === 'fd')?.fields.find((f) => f.name === 'fd.types')
  assert.deepEqual(fdTypes?.argument, { required: false, type: [] })
})

test('names-only listing prints each listed field once per line', () => {
  const names = listFields({ format: 'text', names: true }).split('\n')
  assert.equal(names.pop(), '')
  assert.equal(names[0], 'evt.num')
  assert.ok(names.includes('proc.aname') && names.includes('ka.user.name') && names.includes('container.id'))
  assert.ok(!names.includes('evt.latency') && !names.includes('evt.outputtime') && !names.includes('thread.nametid'))
  assert.equal(new Set(names).size, names.length)
  const json = JSON.parse(listFields({ format: 'json', names: true, source: 'k8s_audit' })) as { fieldnames: string[] }
  assert.equal(json.fieldnames[0], 'evt.num')
  assert.ok(json.fieldnames.includes('jevt.value'))
})
