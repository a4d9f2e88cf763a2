// The event sources Saker knows, with their fields. Rules for any of them load and
// validate; a source produces events only when it is enabled (syscall by the engine kind,
// k8s_audit by the k8saudit plugin configuration).
import type { EngineSource } from '../engine/engine.js'
import { PPM_EVENT_MAX } from '../events/table.js'
import type { FieldResolver } from '../fields/binding.js'
import { k8sAuditResolver } from './k8saudit/fields.js'
import { syscallResolver } from './syscall/extractors.js'

export function knownSources(): Map<string, EngineSource> {
  return new Map<string, EngineSource>([
    ['syscall', { name: 'syscall', resolver: syscallResolver as FieldResolver<unknown>, eventTypeCount: PPM_EVENT_MAX }],
    ['k8s_audit', { name: 'k8s_audit', resolver: k8sAuditResolver as FieldResolver<unknown>, eventTypeCount: 1 }],
  ])
}
