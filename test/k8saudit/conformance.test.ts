// Falco's public k8s_audit conformance cases, run in-process: the case's rules loaded by the
// engine with the k8s_audit resolver, its fixture replayed by the source, each event matched
// (rule_matching: first, Falco's default), then the case's expectations checked against the
// matcher's counts and the source's messages. The CLI run of the same cases is the lead's
// conformance harness; this one pins the source and the fields alone.

import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { Engine } from '../../src/engine/engine.js'
import { RuleMatcher } from '../../src/engine/matcher.js'
import { Outputs } from '../../src/outputs/dispatcher.js'
import { knownSources } from '../../src/sources/index.js'
import type { FieldResolver } from '../../src/fields/binding.js'
import { k8sAuditResolver } from '../../src/sources/k8saudit/fields.js'
import { replayFile } from '../../src/sources/k8saudit/source.js'
import { FALCO_TESTS, SHARED } from './helpers.js'

interface Case {
  name: string
  area: string
  run: { rules: string[]; options: string[] }
  expect: {
    alerts: { total?: number; total_min?: number; by_rule?: Record<string, number> }
    stderr_contains?: string[]
  }
}

const CASES = join(SHARED, 'conformance/public-cases.json')
const skip = existsSync(CASES) ? false : `Falco's conformance cases are not there: ${CASES} missing`
const cases: Case[] = skip ? [] : (JSON.parse(readFileSync(CASES, 'utf8')) as { cases: Case[] }).cases.filter((c) => c.area === 'k8s_audit')

async function runCase(c: Case) {
  const sources = knownSources()
  sources.set('k8s_audit', { name: 'k8s_audit', resolver: k8sAuditResolver as FieldResolver<unknown>, eventTypeCount: 1 })
  const engine = new Engine(sources)
  for (const r of c.run.rules) {
    const res = engine.load(r, readFileSync(join(FALCO_TESTS, r), 'utf8'))
    assert.ok(res.successful, `${r} loads`)
  }
  engine.buildRulesets(7) // debug: every priority
  const matcher = new RuleMatcher(engine.ruleset('k8s_audit')!, new Outputs({ channels: [] }), true)
  const open = c.run.options.find((o) => o.startsWith('plugins[0].open_params='))!
  const file = open.slice(open.indexOf('=') + 1).replace('{data}', FALCO_TESTS)
  const warnings: string[] = []
  await replayFile(file, (ev) => matcher.match(ev, 0, () => ev.ts), { onWarning: (w) => warnings.push(w) })
  const byRule: Record<string, number> = {}
  for (const line of matcher.summary().split('Triggered rules by rule name:\n')[1]!.split('\n')) {
    const m = /^ {3}(.*): (\d+)$/.exec(line)
    if (m) byRule[m[1]!] = Number(m[2])
  }
  return { total: matcher.total, byRule, warnings }
}

describe('Falco k8s_audit conformance cases (in-process)', { skip }, () => {
  test('there are k8s_audit cases to run', () => assert.ok(cases.length >= 40))
  for (const c of cases) {
    test(c.name, async () => {
      const got = await runCase(c)
      const want = c.expect.alerts
      if (want.total !== undefined) assert.equal(got.total, want.total, JSON.stringify(got.byRule))
      if (want.total_min !== undefined) assert.ok(got.total >= want.total_min, `${got.total} alerts, at least ${want.total_min} expected`)
      for (const [rule, n] of Object.entries(want.by_rule ?? {})) assert.equal(got.byRule[rule] ?? 0, n, rule)
      for (const s of c.expect.stderr_contains ?? []) assert.ok(got.warnings.some((w) => w.includes(s)), `a message contains "${s}"`)
    })
  }
})
