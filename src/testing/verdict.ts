// What a case's alerts mean: pass or fail, with every reason a failure has.

import type { RuleTestCase } from './cases.js'
import { closest } from './cases.js'

/** One alert, as Saker's (and Falco's) JSON output line carries it. */
export interface Alert {
  readonly rule: string
  readonly priority: string
  readonly output: string
  readonly outputFields: Readonly<Record<string, unknown>>
}

/** The alerts in a stream of output lines: the JSON objects with a rule; other lines are skipped. */
export function parseAlerts(stdout: string): Alert[] {
  const alerts: Alert[] = []
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue
    let o: unknown
    try {
      o = JSON.parse(line)
    } catch {
      continue
    }
    if (o === null || typeof o !== 'object') continue
    const r = o as Record<string, unknown>
    if (typeof r.rule !== 'string') continue
    alerts.push({
      rule: r.rule,
      priority: typeof r.priority === 'string' ? r.priority : '',
      output: typeof r.output === 'string' ? r.output : '',
      outputFields: r.output_fields !== null && typeof r.output_fields === 'object' ? (r.output_fields as Record<string, unknown>) : {},
    })
  }
  return alerts
}

/**
 * Checks a case's alerts against what it expects and forbids. `knownRules` (the rules the
 * files define) turns a misspelt rule name into a failure instead of a vacuous pass.
 * Returns the reasons of the failure; empty when the case passed.
 */
export function judge(c: RuleTestCase, alerts: readonly Alert[], knownRules: ReadonlySet<string> | null): string[] {
  const reasons: string[] = []
  if (knownRules !== null) {
    const named = [...c.expect.map((e) => e.rule), ...c.forbid.map((f) => f.rule)]
    for (const r of new Set(named)) {
      if (knownRules.has(r)) continue
      const hint = closest(r, [...knownRules])
      reasons.push(`rule '${r}' is not defined in the rules files${hint !== undefined ? ` (did you mean '${hint}'?)` : ''}`)
    }
    if (reasons.length > 0) return reasons
  }

  for (const e of c.expect) {
    const ofRule = alerts.filter((a) => a.rule === e.rule)
    const missing = [...e.fields.keys()].filter((f) => ofRule.length > 0 && ofRule.every((a) => !(f in a.outputFields)))
    if (missing.length > 0) {
      reasons.push(`${missing.map((f) => `'${f}'`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in the output of '${e.rule}' ` +
        `(its alerts carry ${Object.keys(ofRule[0]!.outputFields).join(', ')})`)
      continue
    }
    const matching = ofRule.filter((a) => fieldsMatch(a, e.fields))
    const want = e.count
    if (want === undefined ? matching.length > 0 : matching.length === want) continue
    const what = e.fields.size > 0 ? ` with ${describeFields(e.fields)}` : ''
    const wanted = want === undefined ? 'at least 1 alert' : `${want} alert${want === 1 ? '' : 's'}`
    let msg = `expected '${e.rule}'${what}: ${wanted}, got ${matching.length}`
    const others = ofRule.filter((a) => !matching.includes(a))
    if (others.length > 0) {
      msg += `; it raised ${others.length} with other fields: ` +
        others.slice(0, 3).map((a) => describeActual(a, e.fields)).join('; ') + (others.length > 3 ? '; ...' : '')
    } else if (matching.length === 0 && alerts.length > 0) {
      msg += `; alerts raised: ${summarize(alerts)}`
    } else if (alerts.length === 0) {
      msg += '; no alert was raised at all'
    }
    reasons.push(msg)
  }

  for (const f of c.forbid) {
    const hits = alerts.filter((a) => a.rule === f.rule)
    if (hits.length > 0) reasons.push(`forbidden '${f.rule}' raised ${hits.length} alert${hits.length === 1 ? '' : 's'}: ${clip(hits[0]!.output)}`)
  }

  if (c.expectNone && alerts.length > 0) {
    reasons.push(`expected no alerts, got ${alerts.length}: ${summarize(alerts)}; first: ${clip(alerts[0]!.output)}`)
  }
  return reasons
}

function fieldsMatch(a: Alert, fields: ReadonlyMap<string, unknown>): boolean {
  for (const [k, want] of fields) {
    const got = a.outputFields[k]
    if (want === null ? got !== null && got !== undefined : got === null || got === undefined || String(got) !== String(want)) return false
  }
  return true
}

function describeFields(fields: ReadonlyMap<string, unknown>): string {
  return [...fields].map(([k, v]) => `${k}=${v === null ? '<NA>' : String(v)}`).join(' ')
}

function describeActual(a: Alert, fields: ReadonlyMap<string, unknown>): string {
  return [...fields.keys()].map((k) => `${k}=${a.outputFields[k] === null || a.outputFields[k] === undefined ? '<NA>' : String(a.outputFields[k])}`).join(' ')
}

/** "Rule A ×2, Rule B ×1", in order of first appearance. */
export function summarize(alerts: readonly Alert[]): string {
  const counts = new Map<string, number>()
  for (const a of alerts) counts.set(a.rule, (counts.get(a.rule) ?? 0) + 1)
  return [...counts].map(([r, n]) => `'${r}' ×${n}`).join(', ')
}

function clip(s: string, max = 200): string {
  const one = s.replace(/\s+/g, ' ').trim()
  return one.length > max ? one.slice(0, max - 1) + '…' : one
}
