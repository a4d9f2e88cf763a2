// Checking one configuration file against the schema, the way Falco does it: valijson (>= 1.0.2)
// with weak types over yaml-cpp nodes. There every scalar is a string, and a scalar is also a
// boolean if it reads exactly `true` or `false`, an integer if it is decimal digits, a number if
// strtod takes all of it; null is a null node or an empty scalar.
//
// ajv does the walking; the schema handed to it has `type`, `minimum` and `maximum` replaced by
// keywords that apply those rules to the scalar text. The result is Falco's status string:
// "ok", or "failed for <root>[key][0]: <what>" for the outermost violation.

import { createRequire } from 'node:module'
import type { ErrorObject, ValidateFunction } from 'ajv'
import { toPlain } from './convert.js'
import type { YNode } from './node.js'
import { configSchema } from './schema.js'

export const VALIDATION_OK = 'ok'
export const VALIDATION_FAILED = 'failed'

const INT64_MIN = -9223372036854775808n
const INT64_MAX = 9223372036854775807n
const STRTOD_FULL =
  /^[ \t\n\v\f\r]*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?|inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)$/i

function strtod(s: string): number | undefined {
  if (!STRTOD_FULL.test(s)) return undefined
  const t = s.trim().toLowerCase()
  const sign = t.startsWith('-') ? -1 : 1
  const body = t.replace(/^[+-]/, '')
  if (body.startsWith('inf')) return sign * Infinity
  if (body.startsWith('nan')) return NaN
  if (body.startsWith('0x')) {
    const m = /^0x([0-9a-f]*)\.?([0-9a-f]*)(?:p([+-]?[0-9]+))?$/.exec(body)!
    const digits = m[1]! + m[2]!
    const v = Number.parseInt(digits === '' ? '0' : digits, 16) * 2 ** (-4 * m[2]!.length)
    return sign * v * 2 ** Number(m[3] ?? '0')
  }
  return sign * Number(body)
}

/** Does a value (from toPlain: text, null, array or object) pass `type: t` under weak typing? */
export function weakTypeMatches(t: string, data: unknown): boolean {
  switch (t) {
    case 'string':
      return typeof data === 'string'
    case 'boolean':
      return data === 'true' || data === 'false'
    case 'integer': {
      if (typeof data !== 'string' || !/^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(data)) return false
      const v = BigInt(data.trim())
      return v >= INT64_MIN && v <= INT64_MAX
    }
    case 'number':
      return typeof data === 'string' && strtod(data) !== undefined
    case 'null':
      return data === null || data === ''
    case 'object':
      return typeof data === 'object' && data !== null && !Array.isArray(data)
    case 'array':
      return Array.isArray(data)
    default:
      return false
  }
}

function weakNumber(data: unknown): number | undefined {
  return typeof data === 'string' ? strtod(data) : undefined
}

/** The schema with the typing keywords swapped for their weak twins. */
function weaken(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(weaken)
  if (typeof schema !== 'object' || schema === null) return schema
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$schema' || k === 'format') continue
    if (k === 'properties' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries(v as object).map(([name, sub]) => [name, weaken(sub)]))
    } else if (k === 'enum' || k === 'required') {
      out[k] = v
    } else if (k === 'type') {
      out.weakType = v
    } else if (k === 'minimum') {
      out.weakMinimum = v
    } else if (k === 'maximum') {
      out.weakMaximum = v
    } else {
      out[k] = weaken(v)
    }
  }
  return out
}

let compiled: ValidateFunction | null = null

function validator(): ValidateFunction {
  if (compiled !== null) return compiled
  // ajv is loaded on the first validation: a run without a configuration file never needs it (~30 ms of a start)
  const Ajv = (createRequire(import.meta.url)('ajv') as typeof import('ajv')).default
  const ajv = new Ajv({ strict: false, allErrors: false, verbose: true })
  ajv.addKeyword({
    keyword: 'weakType',
    schemaType: 'string',
    validate: (t: string, data: unknown) => weakTypeMatches(t, data),
  })
  ajv.addKeyword({
    keyword: 'weakMinimum',
    schemaType: 'number',
    // valijson skips the bound when the value does not read as a number.
    validate: (min: number, data: unknown) => {
      const v = weakNumber(data)
      return v === undefined || Number.isNaN(v) || v >= min
    },
  })
  ajv.addKeyword({
    keyword: 'weakMaximum',
    schemaType: 'number',
    validate: (max: number, data: unknown) => {
      const v = weakNumber(data)
      return v === undefined || Number.isNaN(v) || v <= max
    },
  })
  compiled = ajv.compile(weaken(configSchema) as object)
  return compiled
}

function context(instancePath: string): string {
  // valijson names the place as "<root>" followed by one "[name]" per step.
  const steps = instancePath === '' ? [] : instancePath.slice(1).split('/')
  return '<root>' + steps.map(s => `[${s.replace(/~1/g, '/').replace(/~0/g, '~')}]`).join('')
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'weakType':
      return `value is not of type '${String(e.schema)}'`
    case 'additionalProperties':
      return `unknown key '${String(p.additionalProperty)}'`
    case 'required':
      return `missing required key '${String(p.missingProperty)}'`
    case 'minProperties':
      return `expected at least ${String(p.limit)} key(s)`
    case 'enum':
      return `value must be one of: ${(e.schema as unknown[]).join(', ')}`
    case 'oneOf':
      return 'value must match exactly one of the accepted forms'
    case 'anyOf':
      return 'value matches none of the accepted forms'
    case 'weakMinimum':
      return `value must be >= ${String(e.schema)}`
    case 'weakMaximum':
      return `value must be <= ${String(e.schema)}`
    default:
      return e.message ?? e.keyword
  }
}

/** Falco's validation status for one parsed file: "ok" or "failed for <where>: <what>". */
export function validateNode(root: YNode): string {
  const validate = validator()
  if (validate(toPlain(root) ?? null)) return VALIDATION_OK
  const errors = validate.errors ?? []
  // Sub-schema errors of a failed anyOf/oneOf come first; the last one is the outermost.
  const top = errors[errors.length - 1]
  if (top === undefined) return VALIDATION_FAILED
  return `${VALIDATION_FAILED} for ${context(top.instancePath)}: ${describe(top)}`
}
