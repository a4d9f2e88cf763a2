// Shared helpers for the k8s audit tests: where Falco's audit fixtures live, field binding by
// the name a rule would write, and events built from inline JSON.

import { existsSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { K8sAuditEvent, K8sAuditStream, parseAuditPayload } from '../../src/sources/k8saudit/event.js'
import { k8sAuditResolver } from '../../src/sources/k8saudit/fields.js'
import { replayFile } from '../../src/sources/k8saudit/source.js'
import type { FieldValue } from '../../src/fields/types.js'

/** The repository root: tests run from dist/test/k8saudit. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const SHARED = resolve(REPO_ROOT, process.env.SAKER_SHARED ?? '../shared')
export const FALCO_TESTS = join(SHARED, 'falco/tests')
export const AUDIT_DIR = join(FALCO_TESTS, 'trace_files/k8s_audit')

/** Why Falco's audit fixtures cannot be used (the test is skipped with it), or false. */
export function fixturesMissing(): string | false {
  return existsSync(AUDIT_DIR) ? false : `Falco's k8s audit fixtures are not there: ${AUDIT_DIR} missing`
}

export function fixtureFiles(): string[] {
  return readdirSync(AUDIT_DIR).filter((f) => f.endsWith('.json')).sort()
}

/** Every event of a fixture file, replayed as the source replays it. */
export async function fixtureEvents(name: string): Promise<K8sAuditEvent[]> {
  const out: K8sAuditEvent[] = []
  await replayFile(join(AUDIT_DIR, name), (ev) => void out.push(ev), { onWarning: () => {} })
  return out
}

/** A field as written in a rule ("ka.uri.param[command]"), bound to the k8s_audit resolver. */
export function field(text: string): (ev: K8sAuditEvent) => FieldValue {
  const m = /^([^[]+)(?:\[(.*)\])?$/.exec(text)
  if (!m) throw new Error(`not a field: ${text}`)
  return k8sAuditResolver.bind(m[1]!, m[2]).extract
}

/** The value of `text` for `ev`. */
export const value = (text: string, ev: K8sAuditEvent): FieldValue => field(text)(ev)

const STAMP = '2024-01-02T03:04:05.123456789Z'

/** One event from inline JSON text (a stageTimestamp is added to objects that lack one). */
export function eventFromText(text: string, stream = new K8sAuditStream()): K8sAuditEvent {
  const r = parseAuditPayload(text, { maxEventSize: 1 << 30, stream })
  if (!r.ok) throw new Error(r.error)
  if (r.events.length !== 1) throw new Error(`expected one event, got ${r.events.length}: ${r.problems.join('; ')}`)
  return stream.stamp(r.events[0]!)
}

/** One event from an object: kind Event, an auditID and a stageTimestamp unless given. */
export function auditEvent(obj: Record<string, unknown>): K8sAuditEvent {
  return eventFromText(JSON.stringify({ kind: 'Event', auditID: 'a-1', stageTimestamp: STAMP, ...obj }))
}
