import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import AjvModule from 'ajv'
import type { ValidateFunction } from 'ajv'
import { parseAllDocuments } from 'yaml'
import {
  NOT_AN_OBJECT, SCHEMA_OK, SchemaCheckAbort, ruleSchema, schemaStatus, schemaWarnings, yamlCppValue,
} from '../../src/rules/schema.js'
import type { JsonSchema, YamlCppMap, YamlCppValue } from '../../src/rules/schema.js'
import { YamlFile } from '../../src/rules/yaml-node.js'

// Tests run from dist/test/rules.
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const RULES_DIRS = ['latest', '3.2.0'].map(v => resolve(REPO_ROOT, '../shared/falco/rules', v))

function rulesFiles(): string[] {
  return RULES_DIRS.filter(existsSync).flatMap(d =>
    readdirSync(d).filter(f => f.endsWith('.yaml')).sort().map(f => join(d, f)))
}
const NO_RULES = RULES_DIRS.every(d => !existsSync(d)) && `no shared rules files: ${RULES_DIRS.join(' and ')} missing`

/** Falco's per-file schema status for a rules text. */
const status = (text: string): string[] => schemaStatus(new YamlFile(text))

/** The documents of a text as yaml-cpp shows them, as plain JSON (scalars stay text). */
function plainViews(text: string): unknown[] {
  const file = new YamlFile(text)
  return file.docs.map(d => toPlain(yamlCppValue(file.root(d))))
}
function toPlain(v: YamlCppValue): unknown {
  if (v === null || typeof v === 'string') return v
  if (Array.isArray(v)) return v.map(toPlain)
  return Object.fromEntries((v as YamlCppMap).pairs.map(([k, x]) => [k, toPlain(x)]))
}

const require = createRequire(import.meta.url)
function newAjv(): InstanceType<typeof AjvModule.default> {
  const ajv = new AjvModule.default({ allErrors: true, strict: true })
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as object)
  return ajv
}

/** ruleSchema as written: for JSON documents whose values carry their own types. */
const typed: ValidateFunction = newAjv().compile(ruleSchema)

/**
 * ruleSchema with Falco's weak types, for the yaml-cpp view where every scalar is text: a
 * boolean is the text true or false, an integer decimal digits. Everything else is unchanged.
 */
const weak: ValidateFunction = newAjv().compile(weaken(ruleSchema) as object)
function weaken(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(weaken)
  if (s === null || typeof s !== 'object') return s
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(s)) {
    if (k === 'type' && v === 'boolean') Object.assign(out, { type: 'string', enum: ['true', 'false'] })
    else if (k === 'type' && v === 'integer') Object.assign(out, { type: 'string', pattern: '^[ \\t\\n\\v\\f\\r]*[+-]?[0-9]+$' })
    else out[k] = k === 'enum' || k === 'required' ? v : weaken(v)
  }
  return out
}

const weakOk = (text: string): boolean => plainViews(text).every(d => weak(d))
const typedOk = (text: string): boolean => parseAllDocuments(text).every(d => typed(d.toJS()))

test('the schema prints as Falco prints it: keys sorted at every level, 2-space indent', () => {
  const printed = JSON.stringify(ruleSchema, null, 2)
  assert.ok(printed.startsWith('{\n  "$schema": "http://json-schema.org/draft-06/schema#",\n  "definitions": {\n    "Alternative": {\n'))
  assert.ok(printed.endsWith('\n  "items": {\n    "$ref": "#/definitions/FalcoRule"\n  },\n  "type": "array"\n}'))
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return
    if (Array.isArray(v)) return v.forEach(walk)
    const keys = Object.keys(v)
    assert.deepEqual(keys, [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
    Object.values(v).forEach(walk)
  }
  walk(ruleSchema)
})

test('the schema has Falco keys and constraints: one closed object type for every item', () => {
  const defs = ruleSchema['definitions'] as Record<string, JsonSchema>
  assert.deepEqual(Object.keys(defs), [
    'Alternative', 'Exception', 'FalcoRule', 'Item', 'OverriddenItem', 'Override', 'Priority', 'RequiredPluginVersion',
  ])
  const rule = defs['FalcoRule']!
  assert.equal(rule['additionalProperties'], false)
  assert.deepEqual(rule['required'], [])
  assert.deepEqual(Object.keys(rule['properties'] as object), [
    'append', 'capture', 'capture_duration', 'condition', 'desc', 'enabled', 'exceptions', 'items', 'list',
    'macro', 'output', 'override', 'priority', 'required_engine_version', 'required_plugin_versions', 'rule',
    'skip-if-unknown-filter', 'source', 'tags', 'warn_evttypes',
  ])
  assert.deepEqual(defs['Priority']!['enum'],
    ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'INFORMATIONAL', 'DEBUG'])
  assert.equal(defs['Override']!['minProperties'], 1)
  assert.equal(defs['Override']!['required'], undefined)
  assert.deepEqual(defs['Exception']!['required'], ['name'])
  assert.deepEqual(defs['RequiredPluginVersion']!['required'], ['name', 'version'])
  assert.deepEqual(defs['Item']!['anyOf'], [{ type: 'integer' }, { type: 'string' }])
})

test('every shared Falco rules file (latest, 3.2.0) passes: ajv on the yaml-cpp view, and Falco\'s check', { skip: NO_RULES }, () => {
  const files = rulesFiles()
  assert.ok(files.length >= 7, `found ${files.length} rules files`)
  for (const f of files) {
    const text = readFileSync(f, 'utf8')
    assert.ok(weakOk(text), `${f}: ${JSON.stringify(weak.errors)}`)
    assert.deepEqual(status(text), [SCHEMA_OK], f)
  }
})

test('typed YAML is the wrong input: ajv rejects `required_engine_version: 15`, which Falco accepts', { skip: NO_RULES }, () => {
  // yaml-cpp keeps 15 as text, and valijson's weak types take any scalar as a string.
  const f = resolve(RULES_DIRS[0]!, 'k8s_audit_rules.yaml')
  if (!existsSync(f)) return
  const text = readFileSync(f, 'utf8')
  assert.match(text, /^- required_engine_version: 15$/m)
  assert.equal(typedOk(text), false)
  assert.ok(weakOk(text))
  // The Falco rules the others are, with versions like 0.57.0, pass either way.
  for (const g of rulesFiles().filter(x => x !== f)) assert.ok(typedOk(readFileSync(g, 'utf8')), g)
})

const MISSING_RULE_NAME = '- rule:\n  desc: no name\n'
const BAD_PRIORITIES = '- rule: r\n  priority: [a]\n- rule: s\n  priority: info\n'
const UNKNOWN_ITEM = '- foo: bar\n'

test('a rule without a name is rejected, as Falco words it', () => {
  assert.deepEqual(status(MISSING_RULE_NAME), [
    "failed for <root>[0][rule]: Value type not permitted by 'type' constraint.",
    "failed for <root>[0]: Failed to validate against schema associated with property name 'rule'.",
    'failed for <root>: Failed to validate item #0 in array.',
  ])
  assert.equal(weakOk(MISSING_RULE_NAME), false)
  assert.equal(typedOk(MISSING_RULE_NAME), false)
})

test('a priority of the wrong type, or not among the upper-case names, is rejected', () => {
  assert.deepEqual(status(BAD_PRIORITIES), [
    "failed for <root>[0][priority]: Value type not permitted by 'type' constraint.",
    'failed for <root>[0][priority]: Failed to match against any enum values.',
    "failed for <root>[0]: Failed to validate against schema associated with property name 'priority'.",
    'failed for <root>: Failed to validate item #0 in array.',
    'failed for <root>[1][priority]: Failed to match against any enum values.',
    "failed for <root>[1]: Failed to validate against schema associated with property name 'priority'.",
    'failed for <root>: Failed to validate item #1 in array.',
  ])
  assert.equal(weakOk(BAD_PRIORITIES), false)
  assert.equal(typedOk(BAD_PRIORITIES), false)
})

test('an unknown top-level item is rejected (the loader itself only warns LOAD_UNKNOWN_ITEM)', () => {
  assert.deepEqual(status(UNKNOWN_ITEM), [
    "failed for <root>[0]: Object contains a property that could not be validated using 'properties' or " +
      "'additionalProperties' constraints: 'foo'.",
    'failed for <root>: Failed to validate item #0 in array.',
  ])
  assert.equal(weakOk(UNKNOWN_ITEM), false)
  assert.equal(typedOk(UNKNOWN_ITEM), false)
})

test('a rules file that is not a sequence fails at the root', () => {
  assert.deepEqual(status('rule: r\n'), ["failed for <root>: Value type not permitted by 'type' constraint."])
  assert.deepEqual(status('---\n'), ["failed for <root>: Value type not permitted by 'type' constraint."])
  assert.equal(weakOk('rule: r\n'), false)
})

test('types are weak: text true/false is boolean, digits are an integer, any scalar is a string', () => {
  const ok = '- rule: 15\n  enabled: false\n  capture_duration: "10"\n  warn_evttypes: true\n- list: l\n  items: [1, a, 2.5, true]\n'
  assert.deepEqual(status(ok), [SCHEMA_OK])
  assert.ok(weakOk(ok))
  const bad = '- rule: r\n  enabled: True\n- rule: s\n  capture_duration: 1.5\n'
  assert.deepEqual(status(bad), [
    "failed for <root>[0][enabled]: Value type not permitted by 'type' constraint.",
    "failed for <root>[0]: Failed to validate against schema associated with property name 'enabled'.",
    'failed for <root>: Failed to validate item #0 in array.',
    "failed for <root>[1][capture_duration]: Value type not permitted by 'type' constraint.",
    "failed for <root>[1]: Failed to validate against schema associated with property name 'capture_duration'.",
    'failed for <root>: Failed to validate item #1 in array.',
  ])
  assert.equal(weakOk(bad), false)
})

test('failed alternatives of a list item are each reported before the anyOf failure', () => {
  assert.deepEqual(status('- list: l\n  items: [1, a, ~]\n'), [
    "failed for <root>[0][items][2]: Value type not permitted by 'type' constraint.",
    'failed for <root>[0][items][2]: Failed to validate against child schema #0.',
    "failed for <root>[0][items][2]: Value type not permitted by 'type' constraint.",
    'failed for <root>[0][items][2]: Failed to validate against child schema #1.',
    'failed for <root>[0][items][2]: Failed to validate against any schemas allowed by anyOf constraint.',
    'failed for <root>[0][items]: Failed to validate item #2 in array.',
    "failed for <root>[0]: Failed to validate against schema associated with property name 'items'.",
    'failed for <root>: Failed to validate item #0 in array.',
  ])
})

test('properties are checked in name order, then required ones; an empty override is rejected', () => {
  assert.deepEqual(status('- rule: r\n  override: {}\n  exceptions:\n    - fields: [a]\n'), [
    "failed for <root>[0][exceptions][0]: Missing required property 'name'.",
    'failed for <root>[0][exceptions]: Failed to validate item #0 in array.',
    "failed for <root>[0]: Failed to validate against schema associated with property name 'exceptions'.",
    'failed for <root>[0][override]: Object should have no fewer than 1 properties.',
    "failed for <root>[0]: Failed to validate against schema associated with property name 'override'.",
    'failed for <root>: Failed to validate item #0 in array.',
  ])
  assert.deepEqual(status('- required_plugin_versions:\n    - name: k8saudit\n      alternatives:\n        - name: k8saudit-eks\n'), [
    "failed for <root>[0][required_plugin_versions][0][alternatives][0]: Missing required property 'version'.",
    'failed for <root>[0][required_plugin_versions][0][alternatives]: Failed to validate item #0 in array.',
    "failed for <root>[0][required_plugin_versions][0]: Failed to validate against schema associated with property name 'alternatives'.",
    "failed for <root>[0][required_plugin_versions][0]: Missing required property 'version'.",
    'failed for <root>[0][required_plugin_versions]: Failed to validate item #0 in array.',
    "failed for <root>[0]: Failed to validate against schema associated with property name 'required_plugin_versions'.",
    'failed for <root>: Failed to validate item #0 in array.',
  ])
})

test('a repeated key trips the unknown-key check with an empty name, as valijson counts keys', () => {
  assert.deepEqual(status('- rule: a\n  rule: b\n'), [
    "failed for <root>[0]: Object contains a property that could not be validated using 'properties' or " +
      "'additionalProperties' constraints: ''.",
    'failed for <root>: Failed to validate item #0 in array.',
  ])
})

test('each document adds its own statuses; a file without documents has none', () => {
  assert.deepEqual(status('- rule: r\n---\n- macro: m\n  condition: [x]\n'), [
    SCHEMA_OK,
    "failed for <root>[0][condition]: Value type not permitted by 'type' constraint.",
    "failed for <root>[0]: Failed to validate against schema associated with property name 'condition'.",
    'failed for <root>: Failed to validate item #0 in array.',
  ])
  assert.deepEqual(status(''), [])
  assert.deepEqual(status('# only a comment\n'), [])
})

test('an empty sequence where a mapping belongs aborts the check, as valijson throws', () => {
  for (const text of ['- []\n', '- rule: r\n  override: []\n', '- rule: r\n  exceptions: [[]]\n']) {
    assert.throws(() => status(text), (e: unknown) => e instanceof SchemaCheckAbort && e.message === NOT_AN_OBJECT, text)
  }
  // An empty sequence where a list or a scalar belongs is an ordinary failure.
  assert.equal(status('- list: l\n  items: [[]]\n').length, 8)
})

test('deep nesting is bounded and does not change the answer', () => {
  // Deeper than the view keeps (32 levels); the yaml parser itself gives up near 1000.
  const deep = '- list: l\n  items: ' + '['.repeat(300) + ']'.repeat(300) + '\n'
  const file = new YamlFile(deep)
  const got = schemaWarnings(yamlCppValue(file.root(file.docs[0]!)))
  assert.equal(got.at(-1), 'failed for <root>: Failed to validate item #0 in array.')
  assert.ok(got.includes('failed for <root>[0][items]: Failed to validate item #0 in array.'))
})
