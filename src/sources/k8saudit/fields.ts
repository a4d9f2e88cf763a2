// The extractors of every k8s_audit field: the generic evt.* class, the k8saudit plugin's
// ka.* fields (plugins/k8saudit v0.18.0 pkg/k8saudit/extract.go) and the json plugin's
// json.* / jevt.* fields (plugins/json v0.7.4 pkg/json/json.go), bound once per field use.
//
// What a value is, in the plugins' terms:
// - every ka.* and json.* field is a string (or a list of strings): a JSON string gives its
//   text, anything else its marshaled JSON ("true", "200", "null", '{"a":1}');
// - an extraction error (a wrong type on the way, a missing key, a URI Go cannot parse) and
//   an empty list both read as missing: libsinsp drops a result with no values;
// - ka.* fields exist only on events with an auditID key; json.* fields on every event;
// - list fields with an index argument ([N]) apply N to EVERY array met on the way, as the
//   plugin's getValuesRecursive does (ka.req.role.rules.verbs[1] = the verbs of rule 1).
// Quirks of the plugin are kept on purpose (rules written for Falco depend on them):
// ka.sourceips reads requestObject.rules[].sourceIPs; eff_run_as_user/group read the
// pod default from spec.runAsUser (not spec.securityContext) and each container's
// runAsUser (not its securityContext's), so they mostly give "0"; image.repository cuts at
// the first ':' (a registry port included); ka.req.binding.subject.has_name is always "true".

import { makeResolver } from '../../fields/resolver.js'
import { FF, type FieldRef, type FieldValue } from '../../fields/types.js'
import { tsToIso8601, tsToString } from '../syscall/times.js'
import type { K8sAuditEvent } from './event.js'
import { asText, getKey, getPath, isString, JObject, stringValue, type JValue } from './json.js'

export type K8sAuditExtractor = (ev: K8sAuditEvent) => FieldValue

const NS = 1_000_000_000n
const NA = (): FieldValue => undefined

// ---- shared key paths -----------------------------------------------------------------------

/**
 * A key path from the event object, shared by every field use that names it (ka.user.name
 * and jevt.value[/user/username] are one path). It remembers its value for the last event,
 * so rules that test the same field walk the JSON once per event; the memo lives here
 * rather than in a per-event map, so reading a field allocates nothing.
 */
class KeyPath {
  private lastEv: K8sAuditEvent | null = null
  private lastVal: JValue | undefined = undefined
  private textEv: K8sAuditEvent | null = null
  private lastText: string | undefined = undefined
  constructor(readonly keys: readonly string[]) {}

  value(ev: K8sAuditEvent): JValue | undefined {
    if (ev !== this.lastEv) {
      this.lastVal = getPath(ev.root, this.keys)
      this.lastEv = ev
    }
    return this.lastVal
  }

  /** jsonValueAsString of the value (marshaling done once per event). */
  text(ev: K8sAuditEvent): string | undefined {
    if (ev !== this.textEv) {
      const v = this.value(ev)
      this.lastText = v === undefined ? undefined : asText(v)
      this.textEv = ev
    }
    return this.lastText
  }
}

const PATHS = new Map<string, KeyPath>()
function keyPath(keys: readonly string[]): KeyPath {
  const id = keys.join('\u0000') + '\u0000' + keys.length // [] and [''] differ
  let p = PATHS.get(id)
  if (!p) PATHS.set(id, (p = new KeyPath(keys)))
  return p
}

// ---- the plugin's helpers -------------------------------------------------------------------

// getValuesRecursive: follows `keys`; an array met before a key is expanded (every element,
// a missing one as undefined) or, with an index filter, replaced by its element `filter`.
// undefined means "not available".
function valuesRecursive(v: JValue, filter: number, keys: readonly string[], from: number): (JValue | undefined)[] | undefined {
  for (let i = from; i < keys.length; i++) {
    if (Array.isArray(v)) {
      if (filter < 0) {
        const res: (JValue | undefined)[] = []
        for (const el of v) {
          const vals = valuesRecursive(el, filter, keys, i)
          if (vals === undefined) res.push(undefined)
          else for (const x of vals) res.push(x)
        }
        return res
      }
      if (filter >= v.length) return undefined
      v = v[filter]!
    }
    const k = keys[i]!
    if (k.length > 0) {
      const next = getKey(v, k)
      if (next === undefined) return undefined
      v = next
    }
  }
  return [v]
}

// arrayAsStringsSkipNil; an empty result is "missing".
function textsSkipMissing(arr: readonly (JValue | undefined)[]): string[] | undefined {
  const out: string[] = []
  for (const v of arr) if (v !== undefined) out.push(asText(v))
  return out.length > 0 ? out : undefined
}

// arrayAsStrings: one missing element fails the whole field.
function textsStrict(arr: readonly (JValue | undefined)[]): string[] | undefined {
  const out: string[] = []
  for (const v of arr) {
    if (v === undefined) return undefined
    out.push(asText(v))
  }
  return out
}

const nonEmpty = (a: string[] | undefined): string[] | undefined => (a !== undefined && a.length > 0 ? a : undefined)

/** The index filter of a field use: -1 for none, 'crash' where the plugin would panic. */
function indexFilter(ref: FieldRef): number | 'crash' {
  // Without an index argument libsinsp passes arg_index = -1 (uint64 max), which the Go
  // plugin reads as int -1: no filter. That includes key arguments (ka.req.volume.hostpath[x]).
  if (ref.arg === undefined || !(ref.def.flags & FF.ARG_INDEX) || !/^[0-9]+$/.test(ref.arg)) return -1
  const n = BigInt(ref.arg)
  if (n === 0xffffffffffffffffn) return -1
  if (n >= 1n << 63n) return 'crash' // int(n) < 0: arr[n] panics in the plugin
  return Number(n)
}

// ---- ka.* -----------------------------------------------------------------------------------

/** extractFromKeys for a single value. */
function fromKeys(...keys: string[]): K8sAuditExtractor {
  const p = keyPath(keys)
  return (ev) => (ev.audit === null ? undefined : p.text(ev))
}

/** extractFromKeys for a list field: the value must be an array. */
function listFromKeys(...keys: string[]): K8sAuditExtractor {
  const p = keyPath(keys)
  return (ev) => {
    if (ev.audit === null) return undefined
    const v = p.value(ev)
    if (!Array.isArray(v) || v.length === 0) return undefined
    return v.map(asText)
  }
}

/** getValuesRecursive from the event object, then a conversion of the values found. */
function recursive(
  filter: number,
  keys: readonly string[],
  convert: (arr: (JValue | undefined)[], ev: K8sAuditEvent) => FieldValue,
): K8sAuditExtractor {
  return (ev) => {
    if (ev.audit === null) return undefined
    const arr = valuesRecursive(ev.root, filter, keys, 0)
    return arr === undefined ? undefined : convert(arr, ev)
  }
}

// extractRulesField: the arrays found under requestObject.rules[].<key>, flattened.
function rulesField(key: string, filter: number): K8sAuditExtractor {
  return recursive(filter, ['requestObject', 'rules', key], (arr) => {
    const out: string[] = []
    for (const v of arr) if (Array.isArray(v)) for (const x of v) out.push(asText(x))
    return nonEmpty(out)
  })
}

function subjectNames(kind: 'User' | 'ServiceAccount' | 'Group', namespaced: boolean): K8sAuditExtractor {
  const p = keyPath(['requestObject', 'subjects'])
  return (ev) => {
    if (ev.audit === null) return undefined
    const subjects = p.value(ev)
    if (!Array.isArray(subjects)) return undefined // missing, or ErrExtractWrongType
    const out: string[] = []
    for (const s of subjects) {
      const k = getKey(s, 'kind')
      const n = getKey(s, 'name')
      if (k === undefined || n === undefined || asText(k) !== kind) continue
      let name = asText(n)
      if (namespaced) {
        const ns = getKey(s, 'namespace')
        if (ns === undefined) continue
        name = asText(ns) + ':' + name
      }
      out.push(name)
    }
    return nonEmpty(out)
  }
}

// strings.Split(strings.Split(image, ":")[0], "@")[0]
const repository = (image: string): string => image.split(':')[0]!.split('@')[0]!

// Joins a container's command or args; undefined when one is not an array of strings.
function joinedStrings(arr: readonly (JValue | undefined)[]): string[] | undefined {
  const out: string[] = []
  for (const v of arr) {
    if (v === undefined) continue
    if (!Array.isArray(v)) return undefined
    const parts: string[] = []
    for (const x of v) {
      if (!isString(x)) return undefined
      parts.push(stringValue(x)!)
    }
    out.push(parts.join(' '))
  }
  return nonEmpty(out)
}

// readContainerHostPorts: hostPort, else containerPort, of every port of every container.
function hostPorts(arr: readonly (JValue | undefined)[]): string[] | undefined {
  const out: string[] = []
  for (const ports of arr) {
    if (ports === undefined) continue
    if (!Array.isArray(ports)) return undefined
    for (const port of ports) {
      const hp = getKey(port, 'hostPort')
      if (hp !== undefined) {
        out.push(asText(hp))
        continue
      }
      const cp = getKey(port, 'containerPort')
      if (cp !== undefined) out.push(asText(cp))
    }
  }
  return nonEmpty(out)
}

/** ka.req.pod.{containers,initContainers,ephemeralContainers}.<sub> */
function containerField(list: string, sub: string, filter: number): K8sAuditExtractor | undefined {
  const at = (...subKeys: string[]) => ['requestObject', 'spec', list, ...subKeys]
  switch (sub) {
    case 'args':
    case 'command':
      return recursive(filter, at(sub), joinedStrings)
    case 'name':
    case 'image':
      return recursive(filter, at(sub), (arr) => nonEmpty(textsStrict(arr)))
    case 'image.repository':
      return recursive(filter, at('image'), (arr) => nonEmpty(textsStrict(arr)?.map(repository)))
    case 'host_port':
      return recursive(filter, at('ports'), hostPorts)
    case 'privileged':
      return recursive(filter, at('securityContext', 'privileged'), textsSkipMissing)
    case 'allow_privilege_escalation':
      return recursive(filter, at('securityContext', 'allowPrivilegeEscalation'), textsSkipMissing)
    case 'read_only_fs':
      return recursive(filter, at('securityContext', 'readOnlyRootFilesystem'), textsSkipMissing)
    case 'run_as_user':
      return recursive(filter, at('securityContext', 'runAsUser'), textsSkipMissing)
    case 'run_as_group':
      return recursive(filter, at('securityContext', 'runAsGroup'), textsSkipMissing)
    case 'proc_mount':
      return recursive(filter, at('securityContext', 'procMount'), textsSkipMissing)
    case 'add_capabilities':
      return recursive(filter, at('securityContext', 'capabilities', 'add'), textsSkipMissing)
    case 'eff_run_as_user':
    case 'eff_run_as_group': {
      // readFromContainerEffectively, as written in the plugin (see the header)
      const key = sub === 'eff_run_as_user' ? 'runAsUser' : 'runAsGroup'
      const pod = keyPath(['requestObject', 'spec', key])
      return recursive(filter, at(key), (arr, ev) => {
        const dflt = pod.text(ev) ?? '0'
        return nonEmpty(arr.map((v) => (v === undefined ? dflt : asText(v))))
      })
    }
    default:
      return undefined
  }
}

function kaExtractor(ref: FieldRef): K8sAuditExtractor | undefined {
  const name = ref.def.name
  const filter = indexFilter(ref)
  if (filter === 'crash') return NA
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    const prefix = `ka.req.pod.${list}.`
    if (name.startsWith(prefix)) return containerField(list, name.slice(prefix.length), filter)
  }
  switch (name) {
    case 'ka.auditid': return fromKeys('auditID')
    case 'ka.stage': return fromKeys('stage')
    case 'ka.auth.decision': return fromKeys('annotations', 'authorization.k8s.io/decision')
    case 'ka.auth.reason': return fromKeys('annotations', 'authorization.k8s.io/reason')
    case 'ka.auth.openshift.decision': return fromKeys('annotations', 'authentication.openshift.io/decision')
    case 'ka.auth.openshift.username': return fromKeys('annotations', 'authentication.openshift.io/username')
    case 'ka.validations.admission.policy.failure': return fromKeys('annotations', 'validation.policy.admission.k8s.io/validation_failure')
    case 'ka.security.pod.violations': return fromKeys('annotations', 'pod-security.kubernetes.io/audit-violations')
    case 'ka.user.name': return fromKeys('user', 'username')
    case 'ka.user.groups': return listFromKeys('user', 'groups')
    case 'ka.impuser.name': return fromKeys('impersonatedUser', 'username')
    case 'ka.verb': return fromKeys('verb')
    case 'ka.uri': return fromKeys('requestURI')
    case 'ka.uri.param': {
      const key = ref.arg ?? ''
      return (ev) => (ev.audit === null ? undefined : ev.uriParams?.get(key))
    }
    case 'ka.target.name': return fromKeys('objectRef', 'name')
    case 'ka.target.namespace': return fromKeys('objectRef', 'namespace')
    case 'ka.target.resource': return fromKeys('objectRef', 'resource')
    case 'ka.target.subresource': return fromKeys('objectRef', 'subresource')
    case 'ka.target.pod.name': {
      const resource = keyPath(['objectRef', 'resource'])
      const subresource = keyPath(['objectRef', 'subresource'])
      const podName = fromKeys('responseObject', 'metadata', 'name')
      // GetStringBytes: a value that is not a string reads as ""
      return (ev) =>
        ev.audit !== null && stringValue(resource.value(ev)) === 'pods' && (stringValue(subresource.value(ev)) ?? '') === ''
          ? podName(ev)
          : undefined
    }
    case 'ka.req.binding.subjects': return listFromKeys('requestObject', 'subjects')
    case 'ka.req.binding.subjects.user_names': return subjectNames('User', false)
    case 'ka.req.binding.subjects.serviceaccount_names': return subjectNames('ServiceAccount', false)
    case 'ka.req.binding.subjects.serviceaccount_ns_names': return subjectNames('ServiceAccount', true)
    case 'ka.req.binding.subjects.group_names': return subjectNames('Group', false)
    case 'ka.req.binding.role': return fromKeys('requestObject', 'roleRef', 'name')
    // documented as N/A, always "true" in the plugin (kept from the original implementation)
    case 'ka.req.binding.subject.has_name': return (ev) => (ev.audit === null ? undefined : 'true')
    case 'ka.req.configmap.name': return fromKeys('objectRef', 'name')
    case 'ka.req.configmap.obj': return fromKeys('requestObject', 'data')
    case 'ka.req.container.image':
      return recursive(0, ['requestObject', 'spec', 'containers', 'image'], (arr) => textsStrict(arr)?.[0])
    case 'ka.req.container.image.repository':
      return recursive(0, ['requestObject', 'spec', 'containers', 'image'], (arr) => {
        const t = textsStrict(arr)?.[0]
        return t === undefined ? undefined : repository(t)
      })
    case 'ka.req.pod.host_ipc': return fromKeys('requestObject', 'spec', 'hostIPC')
    case 'ka.req.pod.host_network': return fromKeys('requestObject', 'spec', 'hostNetwork')
    case 'ka.req.container.host_network': return fromKeys('requestObject', 'spec', 'hostNetwork')
    case 'ka.req.pod.host_pid': return fromKeys('requestObject', 'spec', 'hostPID')
    case 'ka.req.container.privileged':
      return recursive(-1, ['requestObject', 'spec', 'containers', 'securityContext', 'privileged'], (arr) =>
        arr.some((v) => v === true) ? 'true' : 'false')
    case 'ka.req.pod.run_as_user': return fromKeys('requestObject', 'spec', 'securityContext', 'runAsUser')
    case 'ka.req.pod.run_as_group': return fromKeys('requestObject', 'spec', 'securityContext', 'runAsGroup')
    case 'ka.req.role.rules': return listFromKeys('requestObject', 'rules')
    case 'ka.req.role.rules.apiGroups': return rulesField('apiGroups', filter)
    case 'ka.req.role.rules.nonResourceURLs': return rulesField('nonResourceURLs', filter)
    case 'ka.req.role.rules.verbs': return rulesField('verbs', filter)
    case 'ka.req.role.rules.resources': return rulesField('resources', filter)
    case 'ka.req.pod.fs_group': return fromKeys('requestObject', 'spec', 'securityContext', 'fsGroup')
    case 'ka.req.pod.supplemental_groups': return listFromKeys('requestObject', 'spec', 'securityContext', 'supplementalGroups')
    case 'ka.req.service.type': return fromKeys('requestObject', 'spec', 'type')
    // the whole ports array, marshaled, as one value
    case 'ka.req.service.ports': return recursive(filter, ['requestObject', 'spec', 'ports'], textsSkipMissing)
    case 'ka.req.volume.hostpath': {
      const arg = ref.arg ?? ''
      if (arg === '') return NA // arg[:len(arg)-1] panics in the plugin
      const prefix = arg.endsWith('*') ? arg.slice(0, -1) : null
      return recursive(-1, ['requestObject', 'spec', 'volumes', 'hostPath', 'path'], (arr) => {
        for (const v of arr) {
          if (v === undefined) continue
          const t = asText(v)
          if ((prefix !== null && t.startsWith(prefix)) || t === arg) return 'true'
        }
        return 'false'
      })
    }
    case 'ka.req.pod.volumes.hostpath':
      return recursive(filter, ['requestObject', 'spec', 'volumes', 'hostPath', 'path'], textsSkipMissing)
    case 'ka.req.pod.volumes.flexvolume_driver':
      return recursive(filter, ['requestObject', 'spec', 'volumes', 'flexVolume', 'driver'], textsSkipMissing)
    case 'ka.req.pod.volumes.volume_type':
      // every key but "name" of each volume object
      return recursive(filter, ['requestObject', 'spec', 'volumes', ''], (arr) => {
        const out: string[] = []
        for (const v of arr) if (v instanceof JObject) for (const k of v.keys) if (k !== 'name') out.push(k)
        return nonEmpty(out)
      })
    case 'ka.resp.name': return fromKeys('responseObject', 'metadata', 'name')
    case 'ka.response.code': return fromKeys('responseStatus', 'code')
    case 'ka.response.reason': return fromKeys('responseStatus', 'reason')
    case 'ka.useragent': return fromKeys('userAgent')
    case 'ka.sourceips': return rulesField('sourceIPs', filter) // sic: under requestObject.rules
    case 'ka.cluster.name': return fromKeys('annotations', 'cluster_name')
    default: return undefined
  }
}

// ---- json.* / jevt.* ------------------------------------------------------------------------

/** A json.value argument as the json plugin reads it: one leading '/' dropped, then RFC 6901 tokens. */
export function pointerKeys(arg: string): string[] {
  const p = arg.charAt(0) === '/' ? arg.slice(1) : arg
  return p.split('/').map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'))
}

function jsonExtractor(ref: FieldRef): K8sAuditExtractor | undefined {
  switch (ref.def.name) {
    case 'json.value':
    case 'jevt.value': {
      const arg = ref.arg ?? ''
      if (arg === '') return (ev) => ev.data
      const p = keyPath(pointerKeys(arg))
      return (ev) => p.text(ev)
    }
    case 'json.obj':
    case 'jevt.obj':
      return (ev) => ev.indented
    case 'json.rawtime':
    case 'jevt.rawtime':
      return (ev) => ev.ts.toString()
    default:
      return undefined
  }
}

// ---- evt.* (libsinsp's generic event class on a plugin event) -------------------------------

function evtExtractor(name: string): K8sAuditExtractor | undefined {
  switch (name) {
    case 'evt.num': return (ev) => ev.num
    case 'evt.time': return (ev) => tsToString(ev.ts, false, true)
    case 'evt.time.s': return (ev) => tsToString(ev.ts, false, false)
    case 'evt.time.iso8601': return (ev) => tsToIso8601(ev.ts)
    case 'evt.datetime': return (ev) => tsToString(ev.ts, true, true)
    case 'evt.datetime.s': return (ev) => tsToString(ev.ts, true, false)
    case 'evt.rawtime': return (ev) => ev.ts
    case 'evt.rawtime.s': return (ev) => ev.ts / NS
    case 'evt.rawtime.ns': return (ev) => ev.ts % NS
    case 'evt.reltime': return (ev) => BigInt.asUintN(64, ev.ts - ev.stream.firstTs)
    case 'evt.reltime.s': return (ev) => BigInt.asUintN(64, ev.ts - ev.stream.firstTs) / NS
    case 'evt.reltime.ns': return (ev) => BigInt.asUintN(64, ev.ts - ev.stream.firstTs) % NS
    case 'evt.pluginname': return (ev) => ev.stream.pluginName
    // the plugin's String(): the event data
    case 'evt.plugininfo': return (ev) => ev.data
    case 'evt.source': return (ev) => ev.source
    case 'evt.is_async': return () => false
    case 'evt.asynctype': return NA
    case 'evt.hostname': return (ev) => ev.stream.hostname
    default: return undefined
  }
}

// ---- the resolver ---------------------------------------------------------------------------

/** The extractor of a resolved k8s_audit field; undefined for a field this source lacks. */
export function k8sAuditExtractors(ref: FieldRef): K8sAuditExtractor | undefined {
  switch (ref.cls.name.split(' ')[0]) {
    case 'evt': return evtExtractor(ref.def.name)
    case 'k8saudit': return kaExtractor(ref)
    case 'json': return jsonExtractor(ref)
    default: return undefined
  }
}

/** Field names and arguments checked against the registry; values from the audit event. */
export const k8sAuditResolver = makeResolver<K8sAuditEvent>('k8s_audit', k8sAuditExtractors)
