// Every file under rules/ loads with zero errors and zero warnings, alone and together (in
// either order), and every rule carries what the project asks of a default rule.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { parse } from 'yaml'
import { REPO_ROOT, describeRules, rulesFiles, validate } from './helpers.js'
import type { LoadResult } from './helpers.js'

function assertClean(results: LoadResult[], files: readonly string[]): void {
  assert.deepEqual(results.map((r) => r.name), files)
  for (const r of results) {
    const problems = [...r.errors, ...r.warnings].map((p) => `${p.code}: ${p.message}`)
    assert.deepEqual(problems, [], `${r.name} loads without errors or warnings`)
    assert.equal(r.successful, true, r.name)
    assert.equal(r.schema_valid, true, r.name)
    assert.deepEqual(r.schema_warnings, [], r.name)
  }
}

// The fields an analyst needs in every alert (the network and file rules add fd.* / fs.path.*).
const REQUIRED_OUTPUT_FIELDS = [
  'evt.type', 'user.name', 'user.uid', 'proc.name', 'proc.cmdline', 'proc.pname', 'proc.exepath', 'container.id',
  'container.name', 'container.image.repository', 'k8s.ns.name', 'k8s.pod.name',
]
const PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug']

describe('the default rules files', () => {
  const files = rulesFiles()

  test('there are a stable file and opt-in ones', () => {
    assert.deepEqual(files, ['rules/saker_rules.yaml', 'rules/saker_rules_incubating.yaml', 'rules/saker_rules_sandbox.yaml'])
  })

  for (const f of files) {
    test(`${f} validates alone with zero errors and zero warnings`, () => assertClean(validate([f]), [f]))
  }

  test('all of them validate together, in load order and in reverse', () => {
    assertClean(validate(files), files)
    const reversed = [...files].reverse()
    assertClean(validate(reversed), reversed)
  })

  test('every rule has a description, a priority, its maturity, scope and MITRE tags, and the analyst\'s fields', () => {
    for (const f of files) {
      const maturity = f.endsWith('_incubating.yaml') ? 'maturity_incubating' : f.endsWith('_sandbox.yaml') ? 'maturity_sandbox' : 'maturity_stable'
      const { rules } = describeRules([f])
      assert.ok(rules.length > 0, f)
      for (const { info, details } of rules) {
        const where = `${f}: ${info.name}`
        assert.ok(info.description.length > 80, `${where}: a description that explains the rule`)
        assert.ok(PRIORITIES.includes(info.priority), `${where}: priority ${info.priority}`)
        assert.deepEqual(info.tags.filter((t) => t.startsWith('maturity_')), [maturity], `${where}: the file's maturity tag`)
        assert.ok(info.tags.includes('host') || info.tags.includes('container'), `${where}: host and/or container tag`)
        assert.ok(info.tags.some((t) => /^mitre_[a-z_]+$/.test(t)), `${where}: a MITRE tactic tag`)
        assert.ok(info.tags.some((t) => /^T\d{4}(\.\d{3})?$/.test(t)), `${where}: a MITRE technique id`)
        const missing = REQUIRED_OUTPUT_FIELDS.filter((x) => !details.output_fields.includes(x))
        assert.deepEqual(missing, [], `${where}: output fields`)
        assert.ok(details.events.length > 0 && details.events.length < 20, `${where}: restricted to a few event types (${details.events.length})`)
      }
    }
  })

  test('rule names are unique across the files, and lists and macros keep to Saker\'s names', () => {
    const all = describeRules(files)
    const names = all.rules.map((r) => r.info.name)
    assert.equal(new Set(names).size, names.length)
    // saker_* and user_known_saker_* cannot collide with Falco's own rules files loaded beside them.
    for (const item of [...all.macros, ...all.lists]) {
      assert.match(item.info.name, /^(saker_|user_known_saker_)/, item.info.name)
    }
  })

  test('shared building blocks read the same in every file, and each tuning item lives in one file', () => {
    const seen = new Map<string, { file: string; body: string }>()
    const problems: string[] = []
    for (const f of files) {
      const items = parse(readFileSync(join(REPO_ROOT, f), 'utf8')) as Record<string, unknown>[]
      for (const item of items) {
        const name = (item.macro ?? item.list) as string | undefined
        if (name === undefined) continue
        const body = JSON.stringify(item)
        const first = seen.get(name)
        if (first === undefined) {
          seen.set(name, { file: f, body })
          continue
        }
        if (/trusted|allowed|^user_known_/.test(name)) problems.push(`${name}: a tuning item defined in ${first.file} and again in ${f}`)
        else if (first.body !== body) problems.push(`${name}: ${f} defines it differently from ${first.file}`)
      }
    }
    assert.deepEqual(problems, [])
  })
})
