// What a runtime lookup returns: a ContainerInfo (src/state/containers.ts, so the container
// table takes it as it is) plus what the runtimes say that the plugin's record has no slot
// for: pod name/namespace/uid, annotations, pod ip, start time, which runtime answered.
// The k8s.* fields of Falco's container plugin read the labels io.kubernetes.pod.{name,
// namespace,uid} and io.kubernetes.sandbox.id, so every client fills those labels too.

import { CT, ContainerInfo } from '../state/containers.js'

export type EngineKind = 'docker' | 'podman' | 'cri' | 'containerd'

export const K8S_POD_NAME = 'io.kubernetes.pod.name'
export const K8S_POD_NAMESPACE = 'io.kubernetes.pod.namespace'
export const K8S_POD_UID = 'io.kubernetes.pod.uid'
export const K8S_SANDBOX_ID = 'io.kubernetes.sandbox.id'
export const K8S_CONTAINER_NAME = 'io.kubernetes.container.name'

export class ContainerRecord extends ContainerInfo {
  /** The engine (config key) that answered, and its socket as opened (host root included). */
  engine: EngineKind | '' = ''
  socket = ''
  /** The runtime's own name for itself (CRI Version.runtime_name, docker's "Docker Engine"...). */
  runtimeName = ''
  /** containerd namespace the container lives in (native API); '' elsewhere. */
  runtimeNamespace = ''
  podName = ''
  podNamespace = ''
  podUid = ''
  podIp = ''
  /** Sandbox (pod) annotations, CRI only; sorted by key. */
  podAnnotations: [string, string][] = []
  /** Container annotations (CRI) ; sorted by key. */
  annotations: [string, string][] = []
  /** Seconds since the epoch; 0 when the runtime does not say (or the container has not started). */
  startedTime = 0
  /**
   * 'created' when the runtime answered before the container started (at its create event):
   * the ip and start time may come later, so the provider asks again. '' when the runtime
   * does not say (containerd's native API keeps no such state).
   */
  state: 'created' | 'running' | 'exited' | '' = ''
  /** Date.now() when the runtime answered. */
  fetchedAt = 0
  /** Writable layer size in bytes when with_size asked for it; -1 otherwise (the plugin's default). */
  size = -1
  cpuPeriod = 100000
  cpuQuota = 0
  cpuShares = 1024
  cpusetCpuCount = 0
  memoryLimit = 0
  swapLimit = 0

  /** Fills pod name/namespace/uid from the labels Falco reads them from. */
  podFromLabels(): void {
    this.podName = this.label(K8S_POD_NAME) ?? this.podName
    this.podNamespace = this.label(K8S_POD_NAMESPACE) ?? this.podNamespace
    this.podUid = this.label(K8S_POD_UID) ?? this.podUid
  }
}

export const SHORT_ID_LEN = 12

export function shortId(id: string): string {
  return id.length > SHORT_ID_LEN ? id.slice(0, SHORT_ID_LEN) : id
}

/** Sorted [key, value] pairs (std::map order), dropping values longer than `maxLen` as the plugin does. */
export function labelPairs(src: Iterable<[string, string]> | Record<string, unknown> | null | undefined, maxLen: number): [string, string][] {
  const out: [string, string][] = []
  if (src === null || src === undefined) return out
  const entries: Iterable<[string, unknown]> = Symbol.iterator in src ? (src as Iterable<[string, string]>) : Object.entries(src)
  for (const [k, v] of entries) {
    const s = typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v)
    if (s.length <= maxLen) out.push([k, s])
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

/** Sets (or adds) one label keeping the order. */
export function setLabel(labels: [string, string][], key: string, value: string): void {
  const i = labels.findIndex(p => p[0] === key)
  if (i >= 0) labels[i] = [key, value]
  else {
    labels.push([key, value])
    labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  }
}

/**
 * Repository and tag of an image reference, as the plugin's parseImageRepoTag: the digest
 * goes first, and a colon counts as a tag separator only after the last slash (so a
 * registry port stays in the repository).
 */
export function parseImageRepoTag(image: string): [repo: string, tag: string] {
  if (image === '') return ['', '']
  const at = image.indexOf('@')
  if (at >= 0) image = image.slice(0, at)
  const slash = image.lastIndexOf('/')
  const colon = image.lastIndexOf(':')
  if (colon < 0 || (slash >= 0 && colon < slash)) return [image, '']
  return [image.slice(0, colon), image.slice(colon + 1)]
}

/** Seconds since the epoch of an RFC 3339 time; 0 for Go's zero time or garbage. */
export function rfc3339Seconds(s: unknown): number {
  if (typeof s !== 'string' || s === '' || s.startsWith('0001-01-01')) return 0
  const ms = Date.parse(s)
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0
}

/** "1-4,7" → 5 (the plugin's countCPUSet; 0 when malformed). */
export function countCpuSet(set: string): number {
  if (set === '') return 0
  let n = 0
  for (const part of set.split(',')) {
    const d = part.split('-')
    if (d.length > 2) return 0
    if (d.length === 2) {
      const a = Number.parseInt(d[0]!, 10)
      const b = Number.parseInt(d[1]!, 10)
      if (!Number.isFinite(a) || !Number.isFinite(b)) return 0
      n += b - a + 1
    } else n++
  }
  return n
}

const pairsObject = (p: [string, string][]): Record<string, string> => Object.fromEntries(p)

/**
 * The record as the plugin's container JSON ({"container": {...}}), the payload of its async
 * event and of CONTAINER_JSON meta-events: what a capture written by Saker carries, and what
 * parseContainerJson (src/state/containers.ts) reads back.
 */
export function toContainerJson(c: ContainerInfo): string {
  const r = c instanceof ContainerRecord ? c : null
  const o: Record<string, unknown> = {
    type: c.type,
    id: c.id,
    name: c.name,
    image: c.image,
    imagedigest: c.imageDigest,
    imageid: c.imageId,
    imagerepo: c.imageRepo,
    imagetag: c.imageTag,
    User: c.user,
    cni_json: c.podSandboxCniResult,
    cpu_period: r?.cpuPeriod ?? 100000,
    cpu_quota: r?.cpuQuota ?? 0,
    cpu_shares: r?.cpuShares ?? 1024,
    cpuset_cpu_count: r?.cpusetCpuCount ?? 0,
    created_time: c.createdTime,
    env: c.env,
    full_id: c.fullId,
    host_ipc: c.hostIpc,
    host_network: c.hostNetwork,
    host_pid: c.hostPid,
    ip: c.ip,
    size: r?.size ?? -1,
    is_pod_sandbox: c.isPodSandbox,
    labels: pairsObject(c.labels),
    memory_limit: r?.memoryLimit ?? 0,
    swap_limit: r?.swapLimit ?? 0,
    pod_sandbox_id: c.podSandboxId,
    privileged: c.privileged,
    pod_sandbox_labels: c.podSandboxLabels.length > 0 ? pairsObject(c.podSandboxLabels) : null,
    port_mappings: [],
    Mounts: c.mounts.map(m => ({ Source: m.source, Destination: m.dest, Mode: m.mode, RW: m.rdwr, Propagation: m.propagation })),
  }
  const probeNames = ['Healthcheck', 'LivenessProbe', 'ReadinessProbe']
  for (const p of c.healthProbes) {
    const name = probeNames[p.type - 1]
    if (name !== undefined) o[name] = { exe: p.exe, args: p.args }
  }
  return JSON.stringify({ container: o })
}

/** The CT_* value the CRI runtime name maps to (libsinsp cri.hpp, the plugin's getRuntime). */
export function criRuntimeType(runtimeName: string): number {
  if (runtimeName === 'containerd') return CT.CONTAINERD
  if (runtimeName === 'cri-o') return CT.CRIO
  return CT.CRI
}
