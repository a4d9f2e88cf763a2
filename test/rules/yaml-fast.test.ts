import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml'
import type { Node as YNode } from 'yaml'
import { MAP, SCALAR, SEQ, parseRulesYaml } from '../../src/rules/yaml-fast.js'
import type { FastNode } from '../../src/rules/yaml-fast.js'
import { YamlFile } from '../../src/rules/yaml-node.js'

// Tests run from dist/test/rules.
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const SHARED = resolve(REPO_ROOT, '../shared/falco')
const DIRS = ['rules/latest', 'rules/3.2.0', 'tests/rules', 'tests/confs'].map((d) => join(SHARED, d))

function yamlFiles(): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    if (!existsSync(d)) return
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name))
      else if (e.name.endsWith('.yaml') || e.name.endsWith('.yml')) out.push(join(d, e.name))
    }
  }
  DIRS.forEach(walk)
  return out.sort()
}

/** What yaml gives for a text, in the fast reader's shape; null when it has errors or is not one document. */
function viaYaml(text: string): { tree: unknown; lines: LineCounter } | null {
  const lines = new LineCounter()
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false })
  if (docs.length !== 1 || docs[0]!.errors.length > 0) return null
  const conv = (n: YNode | null): unknown => {
    if (isScalar(n)) {
      const text = typeof n.value === 'string' ? n.value : String(n.source ?? n.value)
      return { kind: SCALAR, start: n.range![0], text, isNull: n.value === null }
    }
    if (isSeq(n)) return { kind: SEQ, start: n.range![0], items: n.items.map((i) => conv(i as YNode)) }
    if (isMap(n)) {
      return {
        kind: MAP,
        start: n.range![0],
        keys: n.items.map((p) => conv(p.key as YNode)),
        values: n.items.map((p) => conv(p.value as YNode)),
      }
    }
    return { other: String(n) }
  }
  return { tree: conv(docs[0]!.contents as YNode | null), lines }
}

function plain(n: FastNode): unknown {
  switch (n.kind) {
    case SCALAR:
      return { kind: n.kind, start: n.start, text: n.text, isNull: n.isNull }
    case SEQ:
      return { kind: n.kind, start: n.start, items: n.items.map(plain) }
    case MAP:
      return { kind: n.kind, start: n.start, keys: n.keys.map(plain), values: n.values.map(plain) }
  }
}

/** Every text the fast reader reads must give yaml's tree and yaml's line/column positions. */
function assertSameAsYaml(text: string, what: string): boolean {
  const fast = parseRulesYaml(text)
  if (fast === null) return false
  const ref = viaYaml(text)
  assert.ok(ref !== null, `${what}: read by the fast reader, refused by yaml`)
  assert.deepEqual(plain(fast), ref.tree, what)
  const file = new YamlFile(text)
  for (let off = 0; off <= text.length; off += 97) {
    const lc: { line: number; col: number } = ref.lines.linePos(off)
    assert.deepEqual(file.position(off), { offset: off, line: lc.line - 1, column: lc.col - 1 }, `${what}: position ${off}`)
  }
  return true
}

test('the fast reader gives the same tree and positions as yaml for the rules files of the test data', (t) => {
  const files = yamlFiles()
  if (files.length === 0) return t.skip('no shared rules files')
  let read = 0
  for (const f of files) if (assertSameAsYaml(readFileSync(f, 'utf8'), f)) read++
  // Falco's own rules files are all in the subset
  for (const f of files.filter((f) => /\/rules\/(latest|3\.2\.0)\/falco.*_rules\.yaml$/.test(f))) {
    assert.ok(parseRulesYaml(readFileSync(f, 'utf8')) !== null, f)
  }
  assert.ok(read > files.length / 2, `${read} of ${files.length} read`)
})

test('the fast reader agrees with yaml or leaves the text to it, construct by construct', () => {
  const cases = [
    '- a: 1\n  b: true\n  d: ~\n  e: "x\\ty\\u00e9\\x41"\n  f: [a, "b c", 3]\n',
    "- a: 'it''s'\n  b: [[a, b], [c]]\n  c: []\n",
    '- g: >\n    line1\n    line2\n\n    line3\n\n\n  h: |\n    x\n     y\n\n  i: >-\n    z\n    w\n',
    '- i: plain\n    continued\n\n    after blank\n  j: x # comment\n',
    '- list: l\n  items: [\n    a, b,\n    c\n    ]\n',
    '- list: l\n  items: [\n    a, b,\n    c\n  ]\n',
    '- list: l\n  items: [a, # c\n    b]\n',
    '- rule: r\n  tags:\n  - a\n  - b\n  priority: INFO\n',
    '- rule: r\n  tags:\n    - a\n    - b\n  override:\n    condition: append\n',
    '- rule: r\n  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      values:\n        - [a, "b"]\n',
    '- macro: m\n  condition:\n    evt.type = open\n    and proc.name = x\n',
    '- plain item\n- "quoted item"\n- [flow]\n- -1\n',
    '# c\n\n- a: b\n\n# end\n',
    '- a: b\n  c: d\n- e: f\n',
    '- a: >\n    x\n  b: c',
    '- a: |\n    x',
    '- a: |\n    x\n\n',
    '- a: >\n\n    x\n',
    '- a: >\n    x\n      more\n    y\n',
    '- a: |+\n    x\n\n',
    '- a: >2\n    x\n',
    '- a:\n  b: c\n',
    '- a: b: c\n',
    '- a: &x b\n',
    '- a: {b: c}\n',
    '- a: [b, , c]\n',
    '- a: [b, c, ]\n',
    '- a: "unclosed\n  more"\n',
    '---\n- a: b\n',
    '- a: b\n---\n- c: d\n',
    '- a: b\n\tc: d\n',
    '- a: b\r\n',
    '- a: x\n   y: z\n',
    '- a: "x" y\n',
    '- a: [x]\n    b: c\n',
    '- a: http://x.y/z\n',
    '- a: x\n  - b\n',
    'a: b\n',
    '',
    '# only comments\n',
    '- a: null\n  b: Null\n  c: nULL\n  d: ~x\n',
    '- [a: b]\n',
    '- key with spaces: v\n',
    '- a: "\\e\\0\\N\\_\\L\\P\\ \\/"\n',
    '- a: "\\q"\n',
    '- a: >\n    x\n      more\n\n      more2\n    y\n\n    z\n',
    '- a: |-\n    x\n      more\n\n    y\n',
    '- [a,\n  b\n  ]\n',
    '- [a,\n  b\n]\n',
    '- a: [[x,\n    y]\n  ]\n',
    '- a: b#c\n  d: "e" # f\n',
  ]
  for (const c of cases) {
    if (parseRulesYaml(c) === null) continue
    assertSameAsYaml(c, JSON.stringify(c))
  }
  // the subset really is read (these must not be left to yaml)
  for (const c of cases.slice(0, 14)) assert.ok(parseRulesYaml(c) !== null, JSON.stringify(c))
})

test('the fast reader agrees with yaml on damaged copies of Falco\'s rules files', (t) => {
  const files = yamlFiles().filter((f) => /\/rules\/3\.2\.0\/falco.*_rules\.yaml$/.test(f))
  if (files.length === 0) return t.skip('no shared rules files')
  // Windows of lines with a few characters inserted, deleted or replaced, from a fixed seed;
  // whatever the fast reader accepts must be what yaml reads, without errors.
  let seed = 42
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed % n
  }
  const bits = [' ', '\n', '-', ':', '#', '[', ']', ',', '"', "'", '>', '|', 'a', '  ', '\n  ', '\n    ', '\\', '~', '- ', ': ', '{', '&', '\n\n', ' #', '>-', '    ']
  let accepted = 0
  for (const f of files) {
    const lines = readFileSync(f, 'utf8').split('\n')
    for (let i = 0; i < 300; i++) {
      const a = rnd(Math.max(1, lines.length - 40))
      let text = lines.slice(a, a + 5 + rnd(40)).join('\n')
      const k = text.indexOf('\n- ')
      if (k >= 0) text = text.slice(k + 1)
      for (let m = rnd(4); m > 0; m--) {
        const p = rnd(text.length + 1)
        const op = rnd(3)
        const bit = bits[rnd(bits.length)]!
        text = op === 0 ? text.slice(0, p) + bit + text.slice(p) : op === 1 ? text.slice(0, p) + text.slice(p + 1 + rnd(3)) : text.slice(0, p) + bit + text.slice(p + 1)
      }
      if (assertSameAsYaml(text, JSON.stringify(text))) accepted++
    }
  }
  assert.ok(accepted > 100, `${accepted} accepted`)
})
