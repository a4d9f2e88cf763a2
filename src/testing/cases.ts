// Rule test cases: the YAML format `saker test` reads, parsed into checked records.
//
//   root: ../..                      # optional: what relative paths are relative to, itself
//                                    # relative to this file's directory (default: that directory)
//   cases:
//     - name: cat reading /etc/shadow is reported
//       run: cat /etc/shadow > /dev/null      # a command run live, as root, with /bin/sh -c
//       expect:
//         - rule: Credential File Read by Untrusted Program
//           count: 1                          # optional: exactly this many (default: at least one)
//           fields: {proc.name: cat, fd.name: /etc/shadow}   # optional: output fields to match
//     - name: an ordinary capture raises nothing
//       capture: ../shared/falco/traces/cat_write.scap      # or a capture file, replayed
//       expect_none: true
//     - name: passwd writing /etc/shadow is not reported
//       capture: rules/tests/captures/account-database.benign.scap
//       forbid: [Account Database Modified Outside Account Tools]
//
// Other keys of a case: cleanup (live cases: a command run after Saker stopped watching, for
// scratch files the check itself must not see removed), options (list of `key=value`
// configuration overrides, as -o takes them), requires (programs that must be on PATH, else the case is skipped), scope (live
// cases: `session`, the default, keeps the alerts of the command's own processes; `system`
// keeps every alert raised while it ran, for commands whose work happens elsewhere, e.g. in a
// container started through docker), timeout (seconds), skip (a reason: the case is reported
// as skipped).
//
// Every problem is reported with the file, line and column it concerns; a file with any
// problem runs none of its cases.

import { dirname, isAbsolute, resolve } from 'node:path'
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml'
import type { Node as YamlNode, Pair, YAMLMap } from 'yaml'

export type FieldExpectation = string | number | boolean | null

export interface Expectation {
  readonly rule: string
  /** Exactly this many matching alerts; undefined: at least one. */
  readonly count: number | undefined
  /** Output fields every counted alert must carry with these values. */
  readonly fields: ReadonlyMap<string, FieldExpectation>
  readonly line: number
}

export type CaseSource =
  | { readonly kind: 'capture'; readonly path: string; readonly shown: string }
  | { readonly kind: 'run'; readonly command: string; readonly cleanup: string | undefined }

export interface RuleTestCase {
  readonly name: string
  /** The cases file, as given on the command line. */
  readonly file: string
  readonly line: number
  /** The directory relative paths are resolved against; live commands run there. */
  readonly root: string
  readonly source: CaseSource
  readonly expect: readonly Expectation[]
  readonly forbid: readonly { readonly rule: string; readonly line: number }[]
  readonly expectNone: boolean
  /** -o overrides, each `key=value`. */
  readonly options: readonly string[]
  readonly requires: readonly string[]
  readonly scope: 'session' | 'system'
  readonly timeoutMs: number | undefined
  readonly skip: string | undefined
}

export interface CaseProblem {
  readonly file: string
  readonly line: number
  readonly column: number
  readonly message: string
}

export function formatProblem(p: CaseProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}`
}

/** A cases file that cannot be used; `problems` holds every reason found. */
export class CasesFileError extends Error {
  constructor(readonly problems: readonly CaseProblem[]) {
    super(problems.map(formatProblem).join('\n'))
  }
}

const TOP_KEYS = ['root', 'cases'] as const
const CASE_KEYS = ['name', 'capture', 'run', 'cleanup', 'expect', 'forbid', 'expect_none', 'options', 'requires', 'scope', 'timeout', 'skip'] as const
const EXPECT_KEYS = ['rule', 'count', 'fields'] as const
// Bounds on what a cases file can ask for (they are read from files people share).
const MAX_CASES = 10_000
const MAX_TIMEOUT_S = 3600

/**
 * Parses one cases file. `file` is the name used in messages (as given); relative capture
 * paths are resolved against the file's `root`. Throws CasesFileError listing every problem.
 */
export function parseCasesFile(file: string, text: string): RuleTestCase[] {
  const lc = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true })
  const problems = new Problems(file, lc)
  const at: At = (offset, message) => problems.add(offset, message)
  const lineOf = (n: YamlNode | null | undefined): number => lc.linePos(n?.range?.[0] ?? 0).line
  for (const e of doc.errors) at(e.pos[0], `YAML error: ${firstLine(e.message)}`)
  if (problems.count > 0) throw new CasesFileError(problems.list)

  const top = doc.contents
  if (!isMap(top)) {
    at(top?.range?.[0], 'a cases file is a mapping with a `cases` list (and optionally `root`)')
    throw new CasesFileError(problems.list)
  }
  checkKeys(top, TOP_KEYS, 'the cases file', at)

  let root = dirname(resolve(file))
  const rootNode = top.get('root', true)
  if (rootNode !== undefined) {
    const r = scalarString(rootNode)
    if (r === undefined || r === '') at(nodeOffset(rootNode), '`root` must be a directory path')
    else root = isAbsolute(r) ? r : resolve(dirname(resolve(file)), r)
  }

  const casesNode = top.get('cases', true)
  if (casesNode === undefined) at(top.range?.[0], 'missing `cases`: the list of test cases')
  else if (!isSeq(casesNode)) at(nodeOffset(casesNode), '`cases` must be a list of test cases')
  else if (casesNode.items.length > MAX_CASES) at(nodeOffset(casesNode), `too many cases (${casesNode.items.length}, at most ${MAX_CASES})`)

  const cases: RuleTestCase[] = []
  const names = new Map<string, number>()
  if (isSeq(casesNode) && casesNode.items.length <= MAX_CASES) {
    for (const item of casesNode.items as YamlNode[]) {
      const c = parseCase(item, file, root, problems, lineOf)
      if (c === undefined) continue
      const seen = names.get(c.name)
      if (seen !== undefined) at(item.range?.[0], `duplicate case name '${c.name}' (first used at line ${seen})`)
      else names.set(c.name, c.line)
      cases.push(c)
    }
  }
  if (problems.count > 0) throw new CasesFileError(problems.list)
  return cases
}

type At = (offset: number | undefined, message: string) => void

/** The problems found in one file, each placed at its line and column. */
class Problems {
  readonly list: CaseProblem[] = []
  constructor(private readonly file: string, private readonly lc: LineCounter) {}
  add(offset: number | undefined, message: string): void {
    const pos = this.lc.linePos(offset ?? 0)
    this.list.push({ file: this.file, line: pos.line, column: pos.col, message })
  }
  get count(): number {
    return this.list.length
  }
}

function parseCase(item: YamlNode, file: string, root: string, problems: Problems, lineOf: (n: YamlNode) => number): RuleTestCase | undefined {
  const at: At = (offset, message) => problems.add(offset, message)
  if (!isMap(item)) {
    at(item?.range?.[0], 'each case is a mapping with at least `name`, `capture` or `run`, and what to check')
    return undefined
  }
  const before = problems.count
  checkKeys(item, CASE_KEYS, 'a case', at)
  const get = (k: string): YamlNode | undefined => item.get(k, true) as YamlNode | undefined

  const nameNode = get('name')
  const name = nameNode === undefined ? undefined : scalarString(nameNode)
  if (nameNode === undefined) at(item.range?.[0], 'a case needs a `name`')
  else if (name === undefined || name.trim() === '') at(nodeOffset(nameNode), '`name` must be a non-empty string')
  const label = name !== undefined && name.trim() !== '' ? `case '${name}'` : 'this case'

  const captureNode = get('capture')
  const runNode = get('run')
  let source: CaseSource | undefined
  if (captureNode !== undefined && runNode !== undefined) {
    at(nodeOffset(runNode), `${label} has both \`capture\` and \`run\`: give one`)
  } else if (captureNode !== undefined) {
    const p = scalarString(captureNode)
    if (p === undefined || p === '') at(nodeOffset(captureNode), '`capture` must be the path of a capture file')
    else source = { kind: 'capture', path: isAbsolute(p) ? p : resolve(root, p), shown: p }
  } else if (runNode !== undefined) {
    const cmd = scalarString(runNode)
    let cleanup: string | undefined
    const cleanupNode = get('cleanup')
    if (cleanupNode !== undefined) {
      cleanup = scalarString(cleanupNode)
      if (cleanup === undefined || cleanup.trim() === '') at(nodeOffset(cleanupNode), '`cleanup` must be a shell command')
    }
    if (cmd === undefined || cmd.trim() === '') at(nodeOffset(runNode), '`run` must be a shell command')
    else source = { kind: 'run', command: cmd, cleanup }
  } else {
    at(item.range?.[0], `${label} needs \`capture\` (a capture file to replay) or \`run\` (a command to run live)`)
  }

  const expect: Expectation[] = []
  const expectNode = get('expect')
  if (expectNode !== undefined) {
    if (!isSeq(expectNode) || expectNode.items.length === 0) {
      at(nodeOffset(expectNode), '`expect` must be a non-empty list of {rule, count?, fields?}')
    } else {
      for (const e of expectNode.items as YamlNode[]) {
        const x = parseExpectation(e, at, lineOf)
        if (x !== undefined) expect.push(x)
      }
    }
  }

  const forbid: { rule: string; line: number }[] = []
  const forbidNode = get('forbid')
  if (forbidNode !== undefined) {
    if (!isSeq(forbidNode) || forbidNode.items.length === 0) {
      at(nodeOffset(forbidNode), '`forbid` must be a non-empty list of rule names')
    } else {
      for (const f of forbidNode.items as YamlNode[]) {
        const r = scalarString(f)
        if (r === undefined || r === '') at(nodeOffset(f), '`forbid` items are rule names')
        else forbid.push({ rule: r, line: lineOf(f) })
      }
    }
  }

  let expectNone = false
  const noneNode = get('expect_none')
  if (noneNode !== undefined) {
    if (!isScalar(noneNode) || typeof noneNode.value !== 'boolean') at(nodeOffset(noneNode), '`expect_none` must be true or false')
    else expectNone = noneNode.value
  }
  if (expectNone && expect.length > 0) at(nodeOffset(noneNode), '`expect_none: true` contradicts `expect`: keep one')
  if (expectNone && forbid.length > 0) at(nodeOffset(noneNode), '`expect_none: true` already forbids every rule: drop `forbid`')
  if (!expectNone && expectNode === undefined && forbidNode === undefined) {
    at(item.range?.[0], `${label} checks nothing: add \`expect\`, \`forbid\` or \`expect_none: true\``)
  }

  const options = stringList(get('options'), 'options', at, (o) => (/^[^=\s]+=/.test(o) ? undefined : `option '${o}' is not key=value`))
  const requires = stringList(get('requires'), 'requires', at, (r) => (/^[\w.+-]+$/.test(r) ? undefined : `'${r}' is not a program name`))

  const cleanupNode = get('cleanup')
  if (cleanupNode !== undefined && runNode === undefined) at(nodeOffset(cleanupNode), '`cleanup` applies to live (`run`) cases only')

  let scope: 'session' | 'system' = 'session'
  const scopeNode = get('scope')
  if (scopeNode !== undefined) {
    const s = scalarString(scopeNode)
    if (s !== 'session' && s !== 'system') at(nodeOffset(scopeNode), '`scope` is `session` (the default) or `system`')
    else scope = s
    if (runNode === undefined) at(nodeOffset(scopeNode), '`scope` applies to live (`run`) cases only')
  }

  let timeoutMs: number | undefined
  const timeoutNode = get('timeout')
  if (timeoutNode !== undefined) {
    const t = isScalar(timeoutNode) ? timeoutNode.value : undefined
    if (typeof t !== 'number' || !(t > 0) || t > MAX_TIMEOUT_S) at(nodeOffset(timeoutNode), `\`timeout\` is a number of seconds, above 0 and at most ${MAX_TIMEOUT_S}`)
    else timeoutMs = Math.round(t * 1000)
  }

  let skip: string | undefined
  const skipNode = get('skip')
  if (skipNode !== undefined) {
    const s = scalarString(skipNode)
    if (s === undefined || s.trim() === '') at(nodeOffset(skipNode), '`skip` must give the reason the case is skipped')
    else skip = s
  }

  if (problems.count !== before || name === undefined || source === undefined) return undefined
  return {
    name, file, line: lineOf(item), root, source, expect, forbid, expectNone, options, requires, scope, timeoutMs, skip,
  }
}

function parseExpectation(e: YamlNode, at: At, lineOf: (n: YamlNode) => number): Expectation | undefined {
  if (!isMap(e)) {
    at(e?.range?.[0], '`expect` items are mappings: {rule: NAME, count?: N, fields?: {field: value}}')
    return undefined
  }
  checkKeys(e, EXPECT_KEYS, 'an expectation', at)
  const ruleNode = e.get('rule', true) as YamlNode | undefined
  const rule = ruleNode === undefined ? undefined : scalarString(ruleNode)
  if (ruleNode === undefined) at(e.range?.[0], 'an expectation needs the `rule` it expects')
  else if (rule === undefined || rule === '') at(nodeOffset(ruleNode), '`rule` must be a rule name')

  let count: number | undefined
  const countNode = e.get('count', true) as YamlNode | undefined
  if (countNode !== undefined) {
    const v = isScalar(countNode) ? countNode.value : undefined
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) at(nodeOffset(countNode), '`count` must be a whole number, 0 or more')
    else count = v
  }

  const fields = new Map<string, FieldExpectation>()
  const fieldsNode = e.get('fields', true) as YamlNode | undefined
  if (fieldsNode !== undefined) {
    if (!isMap(fieldsNode)) {
      at(nodeOffset(fieldsNode), '`fields` must map output field names to values, e.g. {proc.name: cat}')
    } else {
      for (const pair of fieldsNode.items as Pair<YamlNode, YamlNode>[]) {
        const k = scalarString(pair.key)
        const v = pair.value
        if (k === undefined || !/^[a-zA-Z][\w.]*(\[[^\]]*\])?$/.test(k)) {
          at(nodeOffset(pair.key), `'${String(k ?? '')}' is not a field name`)
        } else if (v !== null && !isScalar(v)) {
          at(nodeOffset(v), `the value of ${k} must be a string, number, boolean or null`)
        } else {
          const val = v === null ? null : (v.value as unknown)
          if (val !== null && typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean') {
            at(nodeOffset(v), `the value of ${k} must be a string, number, boolean or null`)
          } else fields.set(k, val)
        }
      }
    }
  }
  if (rule === undefined || rule === '') return undefined
  return { rule, count, fields, line: lineOf(e) }
}

// --- small helpers ----------------------------------------------------------------------------

function checkKeys(map: YAMLMap, allowed: readonly string[], what: string, at: At): void {
  for (const pair of map.items) {
    if (!isPair(pair)) continue
    const k = scalarString(pair.key as YamlNode)
    if (k === undefined || !allowed.includes(k)) {
      const hint = k === undefined ? '' : closest(k, allowed)
      at(nodeOffset(pair.key as YamlNode), `unknown key '${String(k ?? pair.key)}' in ${what}${hint ? ` (did you mean '${hint}'?)` : ''}; known keys: ${allowed.join(', ')}`)
    }
  }
}

function stringList(n: YamlNode | undefined, key: string, at: At, check: (s: string) => string | undefined): string[] {
  if (n === undefined) return []
  const items = isSeq(n) ? (n.items as YamlNode[]) : undefined
  if (items === undefined) {
    at(nodeOffset(n), `\`${key}\` must be a list of strings`)
    return []
  }
  const out: string[] = []
  for (const i of items) {
    const s = scalarString(i)
    const bad = s === undefined ? `\`${key}\` items must be strings` : check(s)
    if (bad !== undefined) at(nodeOffset(i), bad)
    else out.push(s!)
  }
  return out
}

/** A scalar's value as a string (numbers and booleans as written); undefined for anything else. */
function scalarString(n: unknown): string | undefined {
  if (!isScalar(n)) return undefined
  const v = n.value
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(n.source ?? v)
  return undefined
}

function nodeOffset(n: unknown): number | undefined {
  return (n as YamlNode | null | undefined)?.range?.[0]
}

function firstLine(s: string): string {
  const i = s.indexOf('\n')
  return i < 0 ? s : s.slice(0, i)
}

/** The allowed word closest to `word` when it is a likely typo (edit distance ≤ 2). */
export function closest(word: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const a of allowed) {
    const d = editDistance(word.toLowerCase(), a.toLowerCase())
    if (d < bestD) {
      bestD = d
      best = a
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined
}

export function editDistance(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Math.abs(a.length - b.length) + 200
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]!
}
