import { test } from 'node:test'
import assert from 'node:assert/strict'
import { applyOverride } from '../../src/config/load.js'
import { parseYaml } from '../../src/config/parse.js'
import { toPlain } from '../../src/config/convert.js'
import { load, throwsConfig } from './helper.js'

function after(yaml: string, ...options: string[]): unknown {
  const doc = parseYaml(yaml)
  for (const o of options) applyOverride(doc, o)
  return toPlain(doc)
}

test('a dotted key sets a nested value and creates the maps on the way', () => {
  assert.deepEqual(after('', 'a.b=1'), { a: { b: '1' } })
  assert.deepEqual(after('a:\n  c: 2\n', 'a.b.d=x'), { a: { c: '2', b: { d: 'x' } } })
})

test('an override replaces an existing value and keeps the other keys', () => {
  assert.deepEqual(after('a: 1\nb: 2\n', 'a=3'), { a: '3', b: '2' })
})

test('an index addresses an item of a list', () => {
  assert.deepEqual(after('list:\n  - x: 1\n  - x: 2\n', 'list[1].x=y'), { list: [{ x: '1' }, { x: 'y' }] })
})

test('consecutive indexes are rejected, as Falco\'s key parser does despite its comment', () => {
  throwsConfig(
    () => after('m: [[1, 2], [3, 4]]\n', 'm[1][0]=9'),
    'Config error at key "m[1][0]": Parsing error: unexpected character at pos 4',
  )
})

test('an index equal to the length appends, and on an absent key starts a list', () => {
  assert.deepEqual(after('list: [a]\n', 'list[1]=b'), { list: ['a', 'b'] })
  assert.deepEqual(after('', 'plugins[0].name=json', 'plugins[0].library_path=libjson.so'), {
    plugins: [{ name: 'json', library_path: 'libjson.so' }],
  })
})

test('an index past the end turns the list into a map keyed by index, as yaml-cpp does', () => {
  assert.deepEqual(after('list: [a]\n', 'list[3]=d'), { list: { '0': 'a', '3': 'd' } })
})

test('empty brackets append a new item each time', () => {
  const doc = after('', 'rules[].disable.rule=x', 'rules[].enable.tag=y')
  assert.deepEqual(doc, { rules: [{ disable: { rule: 'x' } }, { enable: { tag: 'y' } }] })
  assert.deepEqual(after('rules:\n  - disable: {tag: a}\n', 'rules[].enable.rule=b'), {
    rules: [{ disable: { tag: 'a' } }, { enable: { rule: 'b' } }],
  })
})

test('empty brackets on a null value are an index error, as in Falco', () => {
  throwsConfig(
    () => after('rules:\n', 'rules[].disable.rule=x'),
    `Config error at key "rules[].disable.rule": Parsing error: expected a numeric index, found ''`,
  )
})

test('backslash escapes put dots, brackets and backslashes into key names', () => {
  assert.deepEqual(after('', 'annotations.kubernetes\\.io/role=master'), {
    annotations: { 'kubernetes.io/role': 'master' },
  })
  assert.deepEqual(after('', 'a.example\\[0]=v'), { a: { 'example[0]': 'v' } })
  assert.deepEqual(after('', 'a.example\\[0\\]=v'), { a: { 'example[0]': 'v' } })
  assert.deepEqual(after('', 'a.back\\\\slash=v'), { a: { 'back\\slash': 'v' } })
  assert.deepEqual(after('', 'n.level1\\.with\\.dots.inner=v'), { n: { 'level1.with.dots': { inner: 'v' } } })
})

test('only the first equals sign separates the key from the value', () => {
  assert.deepEqual(after('', 'program_output.program=a=b c=d'), { program_output: { program: 'a=b c=d' } })
})

test('a value is a scalar text, never parsed, unless it is a braced map', () => {
  assert.deepEqual(after('', 'a=[1, 2]'), { a: '[1, 2]' })
  assert.deepEqual(after('', 'a='), { a: '' })
  assert.deepEqual(after('', 'a=null'), { a: 'null' })
  assert.deepEqual(after('', 'a={"b": {"c": 1}, "d": [x]}'), { a: { b: { c: '1' }, d: ['x'] } })
  assert.deepEqual(after('', 'rules[]={"disable": {"tag": "maturity_incubating"}}'), {
    rules: [{ disable: { tag: 'maturity_incubating' } }],
  })
})

test('malformed options and keys fail with Falco\'s messages', () => {
  throwsConfig(
    () => after('', 'json_output'),
    'Error parsing config option "json_output". Must be of the form key=val or key.subkey=val',
  )
  throwsConfig(() => after('', 'a\\=1'), 'Config error at key "a\\": Parsing error: trailing backslash at pos 1')
  throwsConfig(() => after('', 'a\\x=1'), `Config error at key "a\\x": Parsing error: invalid escape sequence '\\x' at pos 1`)
  throwsConfig(() => after('', 'a..b=1'), 'Config error at key "a..b": Parsing error: unexpected character at pos 2')
  throwsConfig(() => after('', 'a[0]b=1'), `Config error at key "a[0]b": Parsing error: expected '.' character at pos 3`)
  throwsConfig(() => after('', 'a[x]=1'), `Config error at key "a[x]": Parsing error: expected a numeric index, found 'x'`)
  throwsConfig(() => after('', '.a=1'), 'Config error at key ".a": Parsing error: unexpected character at pos 0')
})

test('a key through a scalar fails with yaml-cpp\'s subscript error and the scalar\'s position', () => {
  throwsConfig(
    () => after('engine:\n  kind: kmod\n', 'engine.kind.x=1'),
    'Config error at key "engine.kind.x": yaml-cpp: error at line 2, column 9: operator[] call on a scalar (key: "x")',
  )
  // A scalar set by an earlier override has no position.
  throwsConfig(
    () => after('', 'a=1', 'a.b=2'),
    'Config error at key "a.b": operator[] call on a scalar (key: "b")',
  )
})

test('a missing closing bracket is reported instead of looping like Falco', () => {
  throwsConfig(() => after('', 'a[0=1'), `Config error at key "a[0": Parsing error: missing ']' for the '[' at pos 1`)
})

test('overrides apply in order, later ones winning', () => {
  const r = load('', ['json_output=true', 'json_output=false', 'priority=error'])
  assert.equal(r.config.json_output, false)
  assert.equal(r.config.priority, 'error')
})

test('override values are not expanded from the environment', () => {
  const r = load('', ['file_output.filename=${HOME}/x'], { HOME: '/root' })
  assert.equal(r.config.file_output.filename, '${HOME}/x')
})

test('rules selections given on the command line land in order in the configuration', () => {
  const r = load('', [
    'rules[].disable.tag=maturity_incubating',
    'rules[].enable.rule=Adding ssh keys to authorized_keys',
    'rules[]={"disable": {"rule": "Terminal*"}}',
  ])
  assert.deepEqual(r.config.rules, [
    { op: 'disable', rule: null, tag: 'maturity_incubating' },
    { op: 'enable', rule: 'Adding ssh keys to authorized_keys', tag: null },
    { op: 'disable', rule: 'Terminal*', tag: null },
  ])
})
