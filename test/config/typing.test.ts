import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cppBool, cppDouble, cppInt, cppString, toWeakJson } from '../../src/config/convert.js'
import { YNode } from '../../src/config/node.js'
import { parseYaml } from '../../src/config/parse.js'
import { load, throwsConfig } from './helper.js'

const s = (v: string): YNode => YNode.scalar(v)

test('booleans read like yaml-cpp: y/yes/true/on and their negatives, in three letter cases', () => {
  for (const t of ['true', 'True', 'TRUE', 'yes', 'Yes', 'on', 'ON', 'y', 'Y']) assert.equal(cppBool(s(t)), true, t)
  for (const f of ['false', 'False', 'no', 'off', 'n', 'N', 'OFF']) assert.equal(cppBool(s(f)), false, f)
  for (const x of ['tRUE', '1', '0', '', 'enabled', 'truee']) assert.equal(cppBool(s(x)), undefined, x)
  assert.equal(cppBool(YNode.null()), undefined)
})

test('integers read like a C++ stream with no fixed base', () => {
  assert.equal(cppInt(s('8765'), 'uint32'), 8765)
  assert.equal(cppInt(s('+5'), 'int32'), 5)
  assert.equal(cppInt(s('0x1F90'), 'uint32'), 8080)
  assert.equal(cppInt(s('010'), 'uint32'), 8)
  assert.equal(cppInt(s('-7'), 'int16'), -7)
  assert.equal(cppInt(s('12 '), 'uint32'), 12)
  for (const bad of ['08', '1.0', '1e3', ' 12', '12a', '', 'true', '0x']) assert.equal(cppInt(s(bad), 'int32'), undefined, bad)
})

test('integers out of the target type\'s range, or negative for an unsigned type, do not convert', () => {
  assert.equal(cppInt(s('-1'), 'uint32'), undefined)
  assert.equal(cppInt(s('4294967296'), 'uint32'), undefined)
  assert.equal(cppInt(s('4294967295'), 'uint32'), 4294967295)
  assert.equal(cppInt(s('256'), 'uint8'), undefined)
  assert.equal(cppInt(s('32768'), 'int16'), undefined)
})

test('doubles accept decimal forms and YAML infinities, not hex', () => {
  assert.equal(cppDouble(s('.1')), 0.1)
  assert.equal(cppDouble(s('.03333')), 0.03333)
  assert.equal(cppDouble(s('1e3')), 1000)
  assert.equal(cppDouble(s('-2.5')), -2.5)
  assert.equal(cppDouble(s('.inf')), Infinity)
  assert.equal(cppDouble(s('-.Inf')), -Infinity)
  assert.ok(Number.isNaN(cppDouble(s('.nan'))!))
  for (const bad of ['0x10', 'abc', '1e', '.', 'inf', '1e999']) assert.equal(cppDouble(s(bad)), undefined, bad)
})

test('a null value reads as the string "null" and as no boolean or number', () => {
  const doc = parseYaml('a:\nb: ~\nc: "null"\n')
  for (const k of ['a', 'b']) {
    const n = doc.get(k)!
    assert.equal(n.kind, 'null')
    assert.equal(cppString(n), 'null')
    assert.equal(cppInt(n, 'int32'), undefined)
  }
  assert.equal(doc.get('c')!.kind, 'scalar')
})

test('quoted and plain scalars convert the same way', () => {
  const r = load('json_output: "true"\nwebserver:\n  listen_port: "9000"\n')
  assert.equal(r.config.json_output, true)
  assert.equal(r.config.webserver.listen_port, 9000)
})

test('override values are typed when the key is read, as yaml-cpp types them', () => {
  assert.equal(load('', ['json_output=true']).config.json_output, true)
  assert.equal(load('', ['json_output=yes']).config.json_output, true)
  assert.equal(load('', ['json_output=Off']).config.json_output, false)
  // 1 is not a yaml-cpp boolean: the default stays.
  assert.equal(load('', ['json_output=1']).config.json_output, false)
  assert.equal(load('', ['json_include_output_property=1']).config.json_include_output_property, true)
  assert.equal(load('', ['webserver.listen_port=0x1F90']).config.webserver.listen_port, 8080)
  assert.equal(load('', ['webserver.listen_port=-1']).config.webserver.listen_port, 8765)
  assert.equal(load('', ['syscall_event_drops.rate=.5']).config.syscall_event_drops.rate, 0.5)
  assert.equal(load('', ['outputs_queue.capacity=18446744073709551615']).config.outputs_queue.capacity, 18446744073709551615)
  assert.equal(load('', ['log_level=debug']).config.log_level, 'debug')
})

test('an empty override value is an empty string, not null', () => {
  throwsConfig(
    () => load('', ['priority=']),
    'Unknown priority ""--must be one of emergency, alert, critical, error, warning, notice, informational, debug',
  )
  throwsConfig(
    () => load('priority:\n'),
    'Unknown priority "null"--must be one of emergency, alert, critical, error, warning, notice, informational, debug',
  )
})

test('a map converts to JSON with ints, then doubles, then booleans, then strings, keys sorted', () => {
  const doc = parseYaml('z: 1\na: 1.5\nm: yes\nh: 0x10\ns: text\nn:\nl: [1, "2"]\n')
  assert.equal(
    JSON.stringify(toWeakJson(doc)),
    '{"a":1.5,"h":16,"l":[1,2],"m":true,"n":null,"s":"text","z":1}',
  )
})
