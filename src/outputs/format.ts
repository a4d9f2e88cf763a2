// Output format strings, as libsinsp's sinsp_evt_formatter reads them:
//
//   "File opened by %user.name (cmd=%proc.cmdline %12proc.pid) %tolower(fd.name)"
//
// - `%` starts a field or a transformer over fields; the longest prefix that is a known
//   field wins, so in `%proc.namex` the field is proc.name and "x" is text;
// - digits after `%` give a width: the value is padded with spaces or cut to it;
// - a leading `*` lets the output print with missing values as "<NA>" (Falco always
//   adds it to rule outputs); without it a missing value makes the output unavailable;
// - there is no escape for '%' itself.
//
// Everything is resolved when the format compiles; rendering only concatenates.
// output_fields (Falco's JSON) carry every plain field of the format, also those inside
// transformers, with their raw values; transformed values appear in the text only.
import type { Expr } from '../filter/ast.js'
import type { FieldResolver } from '../fields/binding.js'
import { FF } from '../fields/types.js'
import type { FieldValue } from '../fields/types.js'
import { PF } from '../events/param-types.js'
import type { ParamType, PrintFormat } from '../events/param-types.js'
import { compileOperand, isList } from '../filter/operand.js'
import type { Operand } from '../filter/operand.js'
import { parseFieldOrTransformer } from '../filter/parser.js'
import { exprToString } from '../filter/print.js'
import { TRANSFORMERS } from '../filter/operators.js'
import { valueToJson, valueToString } from '../filter/render.js'
import type { JsonFieldValue } from '../filter/render.js'

export type { JsonFieldValue }

export const NOT_AVAILABLE = '<NA>'

/** A format that does not compile, with Falco's message. */
export class OutputFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OutputFormatError'
  }
}

export interface CompiledOutput<E> {
  readonly format: string
  /** False when the format starts with '*': missing values print as "<NA>". */
  readonly requireAllValues: boolean
  /** Keys of output_fields, in format order, without repeats (e.g. 'proc.aname[2]'). */
  readonly fieldNames: readonly string[]
  /** The text, with "<NA>" for every missing value. */
  render(ev: E): string
  /** The text, or undefined when a value is missing and the format does not start with '*'. */
  tryRender(ev: E): string | undefined
  /** output_fields: each field's value as Falco's JSON carries it (null when missing). */
  fields(ev: E): Record<string, JsonFieldValue>
  /** Each field's value as text ("<NA>" when missing), as Falco's get_field_values gives it. */
  fieldStrings(ev: E): Record<string, string>
}

interface Value<E> {
  readonly get: (ev: E) => FieldValue
  readonly type: ParamType
  readonly pf: PrintFormat
  readonly list: boolean
}

interface Slot<E> extends Value<E> {
  readonly width: number
}

interface Named<E> extends Value<E> {
  readonly name: string
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'

export function compileOutput<E>(format: string, resolver: FieldResolver<E>): CompiledOutput<E> {
  if (format.length === 0) throw new OutputFormatError('empty formatting token')
  let fmt = format
  let requireAll = true
  if (fmt[0] === '*') {
    requireAll = false
    fmt = fmt.slice(1)
  }

  const parts: (string | Slot<E>)[] = []
  const named: Named<E>[] = []
  const len = fmt.length
  let textStart = 0
  let j = 0
  for (j = 0; j < len; j++) {
    if (fmt[j] !== '%') continue
    if (textStart !== j) parts.push(fmt.slice(textStart, j))
    if (j === len - 1) throw new OutputFormatError('invalid formatting syntax: formatting cannot end with a %')
    let width = 0
    if (isDigit(fmt[j + 1])) {
      let k = j + 1
      while (isDigit(fmt[k])) k++
      width = Math.min(Number(fmt.slice(j + 1, k)), 0x7fffffff)
      for (;;) {
        if (j === len - 1) throw new OutputFormatError('invalid formatting syntax: formatting cannot end with a number')
        if (isDigit(fmt[j + 1])) j++
        else break
      }
    }
    const start = j + 1
    const token = parseToken(fmt, start, resolver)
    collectFields(token.expr, resolver, named)
    const op = token.operand
    parts.push({ ...valueOf(op, token.expr.kind === 'transformer'), width })
    j = start + token.length - 1
    textStart = j + 1
  }
  if (textStart !== j) parts.push(fmt.slice(textStart, j))

  // the same field twice gives one key
  const seen = new Set<string>()
  const uniq = named.filter((n) => (seen.has(n.name) ? false : (seen.add(n.name), true)))
  return new Output(format, requireAll, parts, uniq)
}

function valueOf<E>(op: Operand<E>, transformed: boolean): Value<E> {
  let pf = op.base.printFormat
  // a transformer may turn text into a number (len): print it in decimal, not as nothing
  if (transformed && pf === PF.NA) pf = PF.DEC
  return { get: op.get, type: op.info.type, pf, list: isList(op.info) }
}

/**
 * The field or transformer starting at `start`: the longest prefix that parses and names
 * known fields (libsinsp tries shorter and shorter substrings until one compiles).
 */
function parseToken<E>(fmt: string, start: number, resolver: FieldResolver<E>): { expr: Expr; operand: Operand<E>; length: number } {
  let size = fmt.length - start
  let firstFieldError: string | undefined
  while (size > 0) {
    let expr: Expr
    let consumed: number
    try {
      const r = parseFieldOrTransformer(fmt.slice(start, start + size))
      expr = r.expr
      consumed = r.end
    } catch {
      size--
      continue
    }
    try {
      const operand = compileOperand(expr, resolver)
      if (expr.kind === 'field' && operand.base.flags & FF.FILTER_ONLY) {
        throw new OutputFormatError(fmt.slice(start) + ' is filter only and cannot be used as a display field')
      }
      return { expr, operand, length: consumed }
    } catch (err) {
      if (err instanceof OutputFormatError) throw err
      if (firstFieldError === undefined) firstFieldError = (err as Error).message
      // any size down to what was consumed parses the same: skip to shorter ones
      size = Math.min(size, consumed) - 1
    }
  }
  if (firstFieldError !== undefined && !firstFieldError.includes('nonexistent field')) {
    throw new OutputFormatError(firstFieldError)
  }
  // libsinsp 0.20 names what follows the transformers' opening parentheses
  let rest = start
  for (let again = true; again; ) {
    again = false
    for (const t of TRANSFORMERS) {
      if (fmt.startsWith(t, rest)) {
        rest += t.length
        again = true
      }
    }
  }
  throw new OutputFormatError('invalid formatting token ' + fmt.slice(rest))
}

/** The plain fields of a token, for output_fields (libsinsp formatter_visitor). */
function collectFields<E>(e: Expr, resolver: FieldResolver<E>, out: Named<E>[]): void {
  switch (e.kind) {
    case 'field': {
      const op = compileOperand(e, resolver)
      out.push({ name: exprToString(e), ...valueOf(op, false) })
      return
    }
    case 'transformer':
      for (const c of e.values) collectFields(c, resolver, out)
      return
    case 'transformer_list':
      for (const c of e.children) collectFields(c, resolver, out)
      return
    default:
      return
  }
}

class Output<E> implements CompiledOutput<E> {
  readonly fieldNames: readonly string[]

  constructor(
    readonly format: string,
    readonly requireAllValues: boolean,
    private readonly parts: readonly (string | Slot<E>)[],
    private readonly named: readonly Named<E>[],
  ) {
    this.fieldNames = named.map((n) => n.name)
  }

  render(ev: E): string {
    return this.build(ev, false) as string
  }

  tryRender(ev: E): string | undefined {
    return this.build(ev, this.requireAllValues)
  }

  private build(ev: E, strict: boolean): string | undefined {
    let out = ''
    const parts = this.parts
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!
      if (typeof p === 'string') {
        out += p
        continue
      }
      let s = valueToString(p.get(ev), p.type, p.pf, p.list)
      if (s === undefined) {
        if (strict) return undefined
        s = NOT_AVAILABLE
      }
      if (p.width !== 0) s = s.length >= p.width ? s.slice(0, p.width) : s.padEnd(p.width, ' ')
      out += s
    }
    return out
  }

  fields(ev: E): Record<string, JsonFieldValue> {
    const out: Record<string, JsonFieldValue> = {}
    for (const n of this.named) out[n.name] = valueToJson(n.get(ev), n.type, n.pf, n.list)
    return out
  }

  fieldStrings(ev: E): Record<string, string> {
    const out: Record<string, string> = {}
    for (const n of this.named) out[n.name] = valueToString(n.get(ev), n.type, n.pf, n.list) ?? NOT_AVAILABLE
    return out
  }
}

