// The JSON schema of a rules file, as Falco 0.44.1 defines it (userspace/engine/
// rule_json_schema.h) and prints it with --rule-schema, and the check Falco makes with it
// when it reads a rules file (yaml_helper::validate_node). Schema failures never fail a load:
// they are collected per file as the load result's schema validation status.
import { fastNodeOf } from './yaml-node.js'
import type { Y, YamlFile } from './yaml-node.js'
import { MAP, SCALAR, SEQ } from './yaml-fast.js'
import type { FastNode } from './yaml-fast.js'

type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json }
export type JsonSchema = { readonly [k: string]: Json }

const ref = (name: string): JsonSchema => ({ $ref: `#/definitions/${name}` })
const ofType = (type: string): JsonSchema => ({ type })
const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items })
const closedObject = (title: string, properties: JsonSchema, required: readonly string[]): JsonSchema =>
  ({ type: 'object', additionalProperties: false, properties, required, title })

// The rule fields an `override:` may append to or replace; each says which.
const OVERRIDABLE = [
  'items', 'desc', 'condition', 'output', 'priority', 'enabled', 'exceptions', 'capture',
  'capture_duration', 'tags', 'warn_evttypes', 'skip-if-unknown-filter',
] as const

// One object type for every top-level item (rule, macro, list, required_engine_version,
// required_plugin_versions): nothing is required, unknown keys are not allowed.
const falcoRule = closedObject('FalcoRule', {
  required_engine_version: ofType('string'),
  required_plugin_versions: arrayOf(ref('RequiredPluginVersion')),
  macro: ofType('string'),
  condition: ofType('string'),
  list: ofType('string'),
  items: arrayOf(ref('Item')),
  rule: ofType('string'),
  desc: ofType('string'),
  enabled: ofType('boolean'),
  output: ofType('string'),
  append: ofType('boolean'),
  priority: ref('Priority'),
  capture: ofType('boolean'),
  capture_duration: ofType('integer'),
  source: ofType('string'),
  exceptions: arrayOf(ref('Exception')),
  override: ref('Override'),
  tags: arrayOf(ofType('string')),
  warn_evttypes: ofType('boolean'),
  'skip-if-unknown-filter': ofType('boolean'),
}, [])

const nameAndVersion = { name: ofType('string'), version: ofType('string') }

const SCHEMA: JsonSchema = {
  $schema: 'http://json-schema.org/draft-06/schema#',
  type: 'array',
  items: ref('FalcoRule'),
  definitions: {
    FalcoRule: falcoRule,
    Item: { anyOf: [ofType('integer'), ofType('string')], title: 'Item' },
    // fields, comps and values take any shape here; the loader checks them.
    Exception: closedObject('Exception', { name: ofType('string'), fields: {}, comps: {}, values: {} }, ['name']),
    Priority: {
      type: 'string',
      enum: ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'INFORMATIONAL', 'DEBUG'],
      title: 'Priority',
    },
    OverriddenItem: { type: 'string', enum: ['append', 'replace'], title: 'OverriddenItem' },
    // At least one field, and no `required` list (unlike the other closed objects).
    Override: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(OVERRIDABLE.map(k => [k, ref('OverriddenItem')])),
      minProperties: 1,
      title: 'Override',
    },
    RequiredPluginVersion: closedObject('RequiredPluginVersion', {
      ...nameAndVersion,
      alternatives: arrayOf(ref('Alternative')),
    }, ['name', 'version']),
    Alternative: closedObject('Alternative', nameAndVersion, ['name', 'version']),
  },
}

/**
 * Falco's rules file schema. Keys are in bytewise order at every level because Falco prints
 * the schema from an nlohmann::json, whose objects are sorted maps: so
 * JSON.stringify(ruleSchema, null, 2) is byte for byte what `falco --rule-schema` prints
 * (which has no final newline).
 */
export const ruleSchema: JsonSchema = sortKeys(SCHEMA) as JsonSchema

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return Object.freeze(v.map(sortKeys))
  if (v === null || typeof v !== 'object') return v
  const out: { [k: string]: Json } = {}
  const obj = v as { readonly [k: string]: Json }
  for (const k of Object.keys(obj).sort(bytewise)) out[k] = sortKeys(obj[k]!)
  return Object.freeze(out)
}

// ---- Falco's check: valijson over yaml-cpp nodes, with weak types -------------------------

/** The first entry of a file's schema status when its first document validated. */
export const SCHEMA_OK = 'ok'
/** schema_validation() of a file with no status at all (no document, or a YAML error). */
export const SCHEMA_NONE = 'none'

/**
 * A YAML document as yaml-cpp shows it to valijson: scalars are untyped text (`10`, `true`
 * and `yes` are all strings), null is null, and maps keep their pairs in document order,
 * duplicates included.
 */
export type YamlCppValue = null | string | readonly YamlCppValue[] | YamlCppMap
export interface YamlCppMap {
  readonly pairs: readonly (readonly [key: string, value: YamlCppValue])[]
}

// The schema looks at most a few levels down (root, item, field, list element, alternative);
// deeper content is replaced by an empty node of the same kind, which keeps every answer the
// same and bounds the recursion on hostile nesting.
const MAX_VIEW_DEPTH = 32

/** The yaml-cpp view of a node read by src/rules/yaml-node.ts. */
export function yamlCppValue(y: Y, depth = 0): YamlCppValue {
  const fast = fastNodeOf(y)
  if (fast !== undefined) return fastValue(fast, depth)
  if (!y.isDefined || y.isNull) return null
  if (y.isScalar) return y.scalar
  if (y.isSequence) return depth >= MAX_VIEW_DEPTH ? [] : y.items().map(i => yamlCppValue(i, depth + 1))
  if (y.isMap) {
    return { pairs: depth >= MAX_VIEW_DEPTH ? [] : y.keys().map(k => [k.key, yamlCppValue(k.value, depth + 1)] as const) }
  }
  return null
}

/** yamlCppValue for a node of the fast reader's tree, without the Y views. */
function fastValue(n: FastNode | undefined, depth: number): YamlCppValue {
  if (n === undefined) return null
  switch (n.kind) {
    case SCALAR:
      return n.isNull ? null : n.text
    case SEQ:
      return depth >= MAX_VIEW_DEPTH ? [] : n.items.map((i) => fastValue(i, depth + 1))
    case MAP:
      return { pairs: depth >= MAX_VIEW_DEPTH ? [] : n.keys.map((k, i) => [k.text, fastValue(n.values[i], depth + 1)] as const) }
  }
}

/**
 * A rules file's schema status, as rule_loader::reader::read records it: the statuses of its
 * documents in order (['ok'] or the failures of each). A file with no document (empty, or
 * only comments) has none. Throws SchemaCheckAbort as schemaWarnings does.
 */
export function schemaStatus(file: YamlFile): string[] {
  return file.docs.flatMap(doc => schemaWarnings(yamlCppValue(file.root(doc))))
}

const isMap = (v: YamlCppValue): v is YamlCppMap => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * What Falco records for one document: ['ok'], or one "failed for <path>: <reason>" line per
 * valijson error, innermost first, in valijson 1.0.2's order and wording. Types are weak, as
 * Falco asks (Validator::kWeakTypes): any scalar is a string, a boolean is exactly `true` or
 * `false`, an integer is text that reads whole as an int64. Throws SchemaCheckAbort where
 * valijson throws.
 */
export function schemaWarnings(doc: YamlCppValue, schema: JsonSchema = ruleSchema): string[] {
  // Most documents are valid: a walk that only answers yes or no (no messages, no paths) says
  // so, and the Checker below runs when it does not. With the direct view of the fast
  // reader's tree (fastValue), checking Falco's three rules files became ~5x faster.
  const quick = new QuickCheck(schema)
  if (quick.valid(schema, doc) && !quick.aborted) return [SCHEMA_OK]
  const errors: string[] = []
  const ok = new Checker(schema, errors).check(schema, doc, '<root>')
  return ok ? [SCHEMA_OK] : errors
}

/** valijson's exception text when an object schema meets an empty sequence. */
export const NOT_AN_OBJECT = 'JSON value is not an object.'

/**
 * Thrown by schemaWarnings where valijson throws: a document with `[]` where the schema wants
 * a mapping (`- []`, `override: []`, `exceptions: [[]]`). Falco catches that exception
 * around its YAML loading, so the file fails with LOAD_ERR_YAML_PARSE and this message, in
 * the file's context, and gets no schema status at all.
 */
export class SchemaCheckAbort extends Error {}

const OBJECT_KEYWORDS = ['minProperties', 'properties', 'additionalProperties', 'required'] as const

// valijson applies a schema's keywords in its parser's fixed order, not the document's; only
// the keywords the rules schema uses are implemented.
const HANDLED = new Set([
  '$schema', '$ref', 'definitions', 'title', 'type', 'anyOf', 'enum', 'items', 'minProperties',
  'properties', 'additionalProperties', 'required',
])

class Checker {
  constructor(
    private readonly root: JsonSchema,
    private readonly out: string[],
  ) {}

  private fail(ctx: string, msg: string): void {
    this.out.push(`failed for ${ctx}: ${msg}`)
  }

  check(schema: JsonSchema, v: YamlCppValue, ctx: string): boolean {
    const target = typeof schema['$ref'] === 'string' ? this.resolve(schema['$ref']) : schema
    for (const k of Object.keys(target)) if (!HANDLED.has(k)) throw new Error(`schema keyword '${k}' is not supported`)
    let ok = true
    if (target['type'] !== undefined && !this.checkType(target['type'], v)) {
      this.fail(ctx, "Value type not permitted by 'type' constraint.")
      ok = false
    }
    if (Array.isArray(target['anyOf']) && !this.checkAnyOf(target['anyOf'] as JsonSchema[], v, ctx)) ok = false
    if (Array.isArray(target['enum']) && !(typeof v === 'string' && (target['enum'] as Json[]).includes(v))) {
      this.fail(ctx, 'Failed to match against any enum values.')
      ok = false
    }
    const items = target['items']
    if (isSchema(items) && Array.isArray(v)) {
      v.forEach((item, i) => {
        if (!this.check(items, item, `${ctx}[${i}]`)) {
          this.fail(ctx, `Failed to validate item #${i} in array.`)
          ok = false
        }
      })
    }
    if (!isMap(v)) {
      // valijson also lets object keywords look at an empty sequence (its maybeObject), then
      // fails to read it as an object and throws out of the whole validation.
      if (Array.isArray(v) && v.length === 0 && OBJECT_KEYWORDS.some(k => target[k] !== undefined)) {
        throw new SchemaCheckAbort(NOT_AN_OBJECT)
      }
      return ok
    }
    const obj = v.pairs
    const minProps = target['minProperties']
    if (typeof minProps === 'number' && obj.length < minProps) {
      this.fail(ctx, `Object should have no fewer than ${minProps} properties.`)
      ok = false
    }
    if (target['properties'] !== undefined || target['additionalProperties'] !== undefined) {
      if (!this.checkProperties(target, obj, ctx)) ok = false
    }
    if (Array.isArray(target['required'])) {
      for (const name of target['required'] as string[]) {
        if (!obj.some(([k]) => k === name)) {
          this.fail(ctx, `Missing required property '${name}'.`)
          ok = false
        }
      }
    }
    return ok
  }

  private checkType(type: Json, v: YamlCppValue): boolean {
    return checkType(type, v)
  }

  // Errors of the alternatives are kept only when none matches, each followed by its number.
  private checkAnyOf(alternatives: readonly JsonSchema[], v: YamlCppValue, ctx: string): boolean {
    const mine: string[] = []
    const sub = new Checker(this.root, mine)
    for (let i = 0; i < alternatives.length; i++) {
      if (sub.check(alternatives[i]!, v, ctx)) return true
      mine.push(`failed for ${ctx}: Failed to validate against child schema #${i}.`)
    }
    this.out.push(...mine)
    this.fail(ctx, 'Failed to validate against any schemas allowed by anyOf constraint.')
    return false
  }

  // Declared properties in name order (valijson keeps them in a std::map), each checked
  // against the first pair with its key; then, with additionalProperties false, the first
  // key no declared property matched (valijson compares counts, so a repeated key trips it
  // too and is reported as '').
  private checkProperties(schema: JsonSchema, pairs: YamlCppMap['pairs'], ctx: string): boolean {
    let ok = true
    const props = (schema['properties'] ?? {}) as { readonly [k: string]: JsonSchema }
    const matched = new Set<string>()
    for (const name of Object.keys(props).sort(bytewise)) {
      const pair = pairs.find(([k]) => k === name)
      if (!pair) continue
      matched.add(name)
      if (!this.check(props[name]!, pair[1], `${ctx}[${name}]`)) {
        this.fail(ctx, `Failed to validate against schema associated with property name '${name}'.`)
        ok = false
      }
    }
    const additional = schema['additionalProperties']
    if (additional === false && matched.size !== pairs.length) {
      const unwanted = pairs.find(([k]) => !matched.has(k))?.[0] ?? ''
      this.fail(ctx, "Object contains a property that could not be validated using 'properties' " +
        `or 'additionalProperties' constraints: '${unwanted}'.`)
      return false
    }
    if (isSchema(additional)) {
      for (const [k, val] of pairs) {
        if (matched.has(k)) continue
        if (!this.check(additional, val, `${ctx}[${k}]`)) {
          this.fail(ctx, 'Failed to validate against additional properties schema')
          ok = false
        }
      }
    }
    return ok
  }

  private resolve(pointer: string): JsonSchema {
    const m = /^#\/definitions\/(.+)$/.exec(pointer)
    const defs = this.root['definitions'] as { readonly [k: string]: JsonSchema } | undefined
    const target = m ? defs?.[m[1]!] : undefined
    if (!target) throw new Error(`schema reference '${pointer}' cannot be resolved`)
    return target
  }
}

/**
 * Checker.check without messages: whether it would return true. It reads the document exactly
 * as far as check does when nothing fails (so it meets every abort check would meet), and may
 * stop at the first failure; `aborted` is set where check would throw SchemaCheckAbort.
 */
class QuickCheck {
  aborted = false
  private readonly refs = new Map<string, JsonSchema>()
  private readonly sortedProps = new Map<JsonSchema, string[]>()
  private readonly known = new Set<JsonSchema>()

  constructor(private readonly root: JsonSchema) {}

  valid(schema: JsonSchema, v: YamlCppValue): boolean {
    const ref = schema['$ref']
    const target = typeof ref === 'string' ? this.resolve(ref) : schema
    if (target === undefined || !this.isKnown(target)) return false // check throws: let it
    const type = target['type']
    if (type !== undefined && !checkType(type, v)) return false
    const anyOf = target['anyOf']
    if (Array.isArray(anyOf)) {
      let some = false
      for (const alt of anyOf as JsonSchema[]) {
        const ok = this.valid(alt, v)
        if (this.aborted) return false
        if (ok) {
          some = true
          break
        }
      }
      if (!some) return false
    }
    const en = target['enum']
    if (Array.isArray(en) && !(typeof v === 'string' && (en as Json[]).includes(v))) return false
    const items = target['items']
    if (isSchema(items) && Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (!this.valid(items, v[i]!) || this.aborted) return false
    }
    if (!isMap(v)) {
      if (Array.isArray(v) && v.length === 0 && OBJECT_KEYWORDS.some(k => target[k] !== undefined)) {
        this.aborted = true
        return false
      }
      return true
    }
    const pairs = v.pairs
    const minProps = target['minProperties']
    if (typeof minProps === 'number' && pairs.length < minProps) return false
    const additional = target['additionalProperties']
    if (target['properties'] !== undefined || additional !== undefined) {
      const props = (target['properties'] ?? {}) as { readonly [k: string]: JsonSchema }
      let matched = 0
      for (const name of this.propsOf(target, props)) {
        let pair: readonly [string, YamlCppValue] | undefined
        for (let i = 0; i < pairs.length; i++) {
          if (pairs[i]![0] === name) {
            pair = pairs[i]
            break
          }
        }
        if (pair === undefined) continue
        matched++
        if (!this.valid(props[name]!, pair[1]) || this.aborted) return false
      }
      if (additional === false && matched !== pairs.length) return false
      if (isSchema(additional)) {
        for (const [k, val] of pairs) {
          if (Object.hasOwn(props, k)) continue
          if (!this.valid(additional, val) || this.aborted) return false
        }
      }
    }
    const required = target['required']
    if (Array.isArray(required)) {
      for (const name of required as string[]) if (!pairs.some(([k]) => k === name)) return false
    }
    return true
  }

  private isKnown(target: JsonSchema): boolean {
    if (this.known.has(target)) return true
    for (const k of Object.keys(target)) if (!HANDLED.has(k)) return false
    this.known.add(target)
    return true
  }

  private propsOf(target: JsonSchema, props: { readonly [k: string]: JsonSchema }): string[] {
    let names = this.sortedProps.get(target)
    if (names === undefined) {
      names = Object.keys(props).sort(bytewise)
      this.sortedProps.set(target, names)
    }
    return names
  }

  private resolve(pointer: string): JsonSchema | undefined {
    let got = this.refs.get(pointer)
    if (got === undefined) {
      const m = /^#\/definitions\/(.+)$/.exec(pointer)
      const defs = this.root['definitions'] as { readonly [k: string]: JsonSchema } | undefined
      got = m ? defs?.[m[1]!] : undefined
      if (got === undefined) return undefined
      this.refs.set(pointer, got)
    }
    return got
  }
}

function checkType(type: Json, v: YamlCppValue): boolean {
  if (!Array.isArray(type)) return isOfType(type, v)
  for (const name of type) if (isOfType(name, v)) return true
  return false
}

function isOfType(name: Json, v: YamlCppValue): boolean {
  switch (name) {
    case 'array': return Array.isArray(v)
    case 'object': return isMap(v)
    case 'string': return typeof v === 'string'
    case 'boolean': return v === 'true' || v === 'false'
    case 'integer': return typeof v === 'string' && readsAsInt64(v)
    default: throw new Error(`schema type '${String(name)}' is not supported`)
  }
}

function isSchema(v: unknown): v is JsonSchema {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function bytewise(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

// `std::istringstream(s) >> int64_t` consuming all of s: leading white space, an optional
// sign, decimal digits, nothing after, and a value that fits.
function readsAsInt64(s: string): boolean {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(s)
  if (!m) return false
  const n = BigInt(m[1]!)
  return n >= INT64_MIN && n <= INT64_MAX
}
