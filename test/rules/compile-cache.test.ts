import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Collector } from '../../src/rules/collector.js'
import { compileCollected } from '../../src/rules/compiler.js'
import type { CompileOutput } from '../../src/rules/compiler.js'
import { RulesLoader } from '../../src/rules/loader.js'
import { ENGINE_VERSION } from '../../src/rules/versions.js'
import { LoadResult } from '../../src/rules/load-result.js'
import { readRulesFile } from '../../src/rules/reader.js'
import { knownSources } from '../../src/sources/index.js'

// Tests run from dist/test/rules.
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const RULES = resolve(REPO_ROOT, '../shared/falco/rules/3.2.0')
const FILES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => join(RULES, f))

const APPENDS = `
- list: shell_binaries
  items: [my_shell]
  override:
    items: append
- macro: open_write
  condition: or evt.num = 1
  override:
    condition: append
- rule: Terminal shell in container
  exceptions:
    - name: mine
      fields: [proc.name]
      values: [[x]]
  override:
    exceptions: append
`

/** What a compilation gave, as plain data (closures aside). */
function summary(out: CompileOutput | undefined, res: LoadResult): unknown {
  return {
    result: res.asJson(new Map()),
    rules: out?.rules.map((r) => ({
      name: r.name,
      condition: r.condition,
      evttypes: r.evttypes === 'all' ? 'all' : [...r.evttypes],
      output: r.formatter.format,
      fields: r.formatter.fieldNames,
    })),
    macros: out && [...out.macros.values()].map((m) => [m.name, m.used]),
    lists: out && [...out.lists.values()].map((l) => [l.name, l.items, l.used]),
  }
}

test('the compilations of one load share work without changing what each gives', (t) => {
  if (!FILES.every(existsSync)) return t.skip('no shared rules files')
  const texts = [...FILES.map((f) => [f, readFileSync(f, 'utf8')] as const), ['appends.yaml', APPENDS] as const]
  const sources = knownSources()

  // each compilation on its own (no shared cache)
  const isValidField = (s: (typeof sources extends Map<string, infer V> ? V : never), f: string): boolean => {
    const m = /^([^[\]]+)(?:\[(.*)\])?$/.exec(f)
    return m !== null && s.resolver.isField!(m[1]!, m[2])
  }
  const col = new Collector(ENGINE_VERSION, new Map([...sources].map(([n, s]) => [n, { name: n, isValidField: (f: string) => isValidField(s, f) }])))
  const alone: unknown[] = []
  for (const [name, text] of texts) {
    const res = new LoadResult(name)
    const out = readRulesFile(name, text, col, res) ? compileCollected(col, { sources, extraOutputs: [] }, res) : undefined
    alone.push(summary(out, res))
  }

  // the loader, whose compilations share a cache
  const loader = new RulesLoader({ sources, extraOutputs: [] })
  const shared = texts.map(([name, text]) => {
    const res = loader.load(name, text)
    return summary(res.successful ? loader.compiled : undefined, res)
  })
  assert.deepEqual(shared, alone)
  // every file compiled, the appends too
  assert.ok(shared.every((s) => (s as { rules?: unknown[] }).rules !== undefined))
})
