// Extractors of container.* and k8s.* (Falco's container plugin, caps/extract/extract.cpp).
// The container is the one of the event's thread (by its cgroup-derived id); a container
// meta-event shows the container it carries. The host's record reads "host".

import { PPME } from '../../events/table.js'
import type { FieldValue } from '../../fields/types.js'
import { type ContainerInfo, containerTypeName, mountText } from '../../state/containers.js'
import type { SyscallEvent } from './event.js'
import type { Extractor } from './extract-evt.js'

interface Found {
  info: ContainerInfo | undefined
  id: string
  pidnsInitStartTs: bigint
}
const found: Found = { info: undefined, id: '', pidnsInitStartTs: 0n }

function isContainerEvent(ev: SyscallEvent): boolean {
  const t = ev.view.type
  if (t === PPME.CONTAINER_E || t === PPME.CONTAINER_JSON_E || t === PPME.CONTAINER_JSON_2_E) return true
  if (t !== PPME.ASYNCEVENT_E) return false
  const name = ev.view.str(1)
  return name === 'container' || name === 'container_added' || name === 'container_removed'
}

/** The container an event belongs to; false when the plugin could not tell (no thread entry). */
function lookup(ev: SyscallEvent): Found | false {
  const c = ev.state.containers
  found.pidnsInitStartTs = 0n
  if (isContainerEvent(ev) && c.lastEventNum === ev.num) {
    found.info = c.lastInfo ?? undefined
    found.id = ''
    return found
  }
  const t = ev.state.findThread(ev.view.tid)
  if (t === null) return false
  found.id = t.containerId
  found.info = c.get(t.containerId)
  found.pidnsInitStartTs = t.pidnsInitStartTs
  return found
}

function withInfo(fn: (c: ContainerInfo, ev: SyscallEvent) => FieldValue): Extractor {
  return ev => {
    const f = lookup(ev)
    if (f === false || f.info === undefined) return undefined
    return fn(f.info, ev)
  }
}

/** Labels joined "k:v, k2:v2", skipping annotation.* and io.kubernetes.* (the plugin's rule). */
function labelsText(labels: readonly [string, string][]): string {
  let s = ''
  for (const [k, v] of labels) {
    if (k.startsWith('annotation.') || k.startsWith('io.kubernetes.')) continue
    if (s !== '') s += ', '
    s += v === '' ? k : `${k}:${v}`
  }
  return s
}

function sandbox(ev: SyscallEvent, c: ContainerInfo): ContainerInfo | undefined {
  if (c.podSandboxCniResult !== '') return undefined
  return ev.state.containers.get(c.podSandboxId.slice(0, 12))
}

function mountFn(name: string, arg: string | undefined): Extractor {
  const part = name.slice('container.mount'.length)
  const index = arg !== undefined && /^\d+$/.test(arg) && (arg === '0' || !arg.startsWith('0')) ? Number(arg) : -1
  let re: RegExp | null = null
  if (index < 0 && arg !== undefined) {
    try {
      re = new RegExp(arg, 'm')
    } catch {
      re = null
    }
  }
  return withInfo(c => {
    let m = index >= 0 ? c.mounts[index] : undefined
    if (index < 0 && re !== null) {
      const byDest = part === '.source'
      m = c.mounts.find(x => re!.test(byDest ? x.dest : x.source))
    }
    if (m === undefined) return undefined
    switch (part) {
      case '': return mountText(m)
      case '.source': return m.source
      case '.dest': return m.dest
      case '.mode': return m.mode
      case '.rdwr': return m.rdwr ? 'true' : 'false'
      case '.propagation': return m.propagation
      default: return undefined
    }
  })
}

/** Extractors of container.* and k8s.* (and the deprecated proc.is_container_* the plugin owns). */
export function containerExtractor(name: string, arg: string | undefined): Extractor | undefined {
  switch (name) {
    case 'container.id': return ev => {
      const f = lookup(ev)
      if (f === false) return undefined
      return f.info !== undefined ? f.info.id : f.id
    }
    case 'container.full_id': return withInfo(c => c.fullId)
    case 'container.name': return withInfo(c => c.name)
    case 'container.image': return withInfo(c => c.image)
    case 'container.image.id': return withInfo(c => c.imageId)
    case 'container.type': return withInfo(c => containerTypeName(c.type))
    case 'container.privileged': return withInfo(c => c.privileged)
    case 'container.mounts': return withInfo(c => c.mounts.map(mountText).join(','))
    case 'container.mount':
    case 'container.mount.source':
    case 'container.mount.dest':
    case 'container.mount.mode':
    case 'container.mount.rdwr':
    case 'container.mount.propagation':
      return mountFn(name, arg)
    case 'container.image.repository': return withInfo(c => c.imageRepo)
    case 'container.image.tag': return withInfo(c => c.imageTag)
    case 'container.image.digest': return withInfo(c => c.imageDigest)
    case 'container.start_ts': return ev => {
      const f = lookup(ev)
      return f === false || f.pidnsInitStartTs === 0n ? undefined : f.pidnsInitStartTs
    }
    case 'container.duration': return ev => {
      const f = lookup(ev)
      return f === false || f.pidnsInitStartTs === 0n ? undefined : BigInt.asUintN(64, ev.view.ts - f.pidnsInitStartTs)
    }
    case 'container.ip': return withInfo(c => c.ip)
    case 'container.cni.json': return withInfo(c => c.podSandboxCniResult)
    case 'container.host_pid': return withInfo(c => c.hostPid)
    case 'container.host_network': return withInfo(c => c.hostNetwork)
    case 'container.host_ipc': return withInfo(c => c.hostIpc)
    case 'container.label': {
      const key = arg ?? ''
      return withInfo(c => c.label(key))
    }
    case 'container.labels': return withInfo(c => labelsText(c.labels))
    case 'k8s.pod.name': return withInfo(c => c.label('io.kubernetes.pod.name'))
    case 'k8s.ns.name': return withInfo(c => c.label('io.kubernetes.pod.namespace'))
    case 'k8s.pod.id':
    case 'k8s.pod.uid':
      return withInfo(c => c.label('io.kubernetes.pod.uid'))
    case 'k8s.pod.sandbox_id': return withInfo(c => c.podSandboxId.slice(0, 12))
    case 'k8s.pod.full_sandbox_id': return withInfo(c => c.podSandboxId)
    case 'k8s.pod.label': {
      const key = arg ?? ''
      return withInfo((c, ev) => sandbox(ev, c)?.podLabel(key) ?? c.podLabel(key))
    }
    case 'k8s.pod.labels': return withInfo((c, ev) => labelsText((sandbox(ev, c) ?? c).podSandboxLabels))
    case 'k8s.pod.ip': return withInfo((c, ev) => {
      if (c.podSandboxCniResult !== '') return c.ip
      return sandbox(ev, c)?.ip
    })
    case 'k8s.pod.cni.json': return withInfo((c, ev) => {
      if (c.podSandboxCniResult !== '') return c.podSandboxCniResult
      return sandbox(ev, c)?.podSandboxCniResult
    })
    // Deprecated in the plugin: registered, never given a value.
    case 'container.healthcheck': case 'container.liveness_probe': case 'container.readiness_probe':
    case 'proc.is_container_healthcheck': case 'proc.is_container_liveness_probe': case 'proc.is_container_readiness_probe':
    case 'k8s.rc.name': case 'k8s.rc.id': case 'k8s.rc.label': case 'k8s.rc.labels':
    case 'k8s.svc.name': case 'k8s.svc.id': case 'k8s.svc.label': case 'k8s.svc.labels':
    case 'k8s.ns.id': case 'k8s.ns.label': case 'k8s.ns.labels':
    case 'k8s.rs.name': case 'k8s.rs.id': case 'k8s.rs.label': case 'k8s.rs.labels':
    case 'k8s.deployment.name': case 'k8s.deployment.id': case 'k8s.deployment.label': case 'k8s.deployment.labels':
      return () => undefined
    default:
      return undefined
  }
}
