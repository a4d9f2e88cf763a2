// Containers, as Falco's container plugin (falcosecurity/plugins plugins/container) keeps
// them: a thread's container id comes from its cgroups (docker, cri-o, containerd, podman,
// lxc, libvirt-lxc and bpm layouts); the metadata (name, image, labels, mounts...) comes
// from the container meta-events captures carry, or from a runtime lookup when live. The
// host is the entry of the empty id, whose id and name read "host".

/** container_type. */
export const CT = {
  DOCKER: 0, LXC: 1, LIBVIRT_LXC: 2, MESOS: 3, RKT: 4, CUSTOM: 5, CRI: 6, CONTAINERD: 7, CRIO: 8,
  BPM: 9, STATIC: 10, PODMAN: 11, HOST: 0xfffe, UNKNOWN: 0xffff,
} as const

export function containerTypeName(t: number): string {
  switch (t) {
    case CT.DOCKER: return 'docker'
    case CT.LXC: return 'lxc'
    case CT.LIBVIRT_LXC: return 'libvirt-lxc'
    case CT.MESOS: return 'mesos'
    case CT.CRI: return 'cri'
    case CT.CONTAINERD: return 'containerd'
    case CT.CRIO: return 'cri-o'
    case CT.RKT: return 'rkt'
    case CT.BPM: return 'bpm'
    case CT.PODMAN: return 'podman'
    case CT.HOST: return 'host'
    default: return ''
  }
}

export interface ContainerMount {
  source: string
  dest: string
  mode: string
  rdwr: boolean
  propagation: string
}

export interface HealthProbe {
  /** 1 healthcheck, 2 liveness probe, 3 readiness probe. */
  type: number
  exe: string
  args: string[]
}

export class ContainerInfo {
  id = ''
  fullId = ''
  type: number = CT.UNKNOWN
  name = ''
  image = ''
  imageId = ''
  imageRepo = ''
  imageTag = ''
  imageDigest = ''
  ip = ''
  privileged = false
  hostPid = false
  hostNetwork = false
  hostIpc = false
  mounts: ContainerMount[] = []
  /** Labels sorted by key (a std::map in the plugin). */
  labels: [string, string][] = []
  env: string[] = []
  user = ''
  podSandboxId = ''
  podSandboxLabels: [string, string][] = []
  podSandboxCniResult = ''
  isPodSandbox = false
  healthProbes: HealthProbe[] = []
  createdTime = 0

  label(key: string): string | undefined {
    for (const [k, v] of this.labels) if (k === key) return v
    return undefined
  }

  podLabel(key: string): string | undefined {
    for (const [k, v] of this.podSandboxLabels) if (k === key) return v
    return undefined
  }

  static host(): ContainerInfo {
    const c = new ContainerInfo()
    c.id = 'host'
    c.fullId = 'host'
    c.name = 'host'
    c.type = CT.HOST
    return c
  }
}

export function mountText(m: ContainerMount): string {
  return `${m.source}:${m.dest}:${m.mode}:${m.rdwr ? 'true' : 'false'}:${m.propagation}`
}

// -------------------------------------------------------------------------------------------
// JSON meta-events (CONTAINER_JSON_E / _2_E, and the plugin's "container" async event):
// {"container": {...}} with the keys the plugin's from_json reads.

const str = (o: Record<string, unknown>, k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '')
const bool = (o: Record<string, unknown>, k: string): boolean => o[k] === true
const num = (o: Record<string, unknown>, k: string, d: number): number => (typeof o[k] === 'number' ? (o[k] as number) : d)

function sortedPairs(v: unknown): [string, string][] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return []
  const out: [string, string][] = []
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out.push([k, typeof x === 'string' ? x : String(x)])
  // std::map order: by bytes (code units agree for the ASCII keys labels use).
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

const PROBE_NAMES = ['Healthcheck', 'LivenessProbe', 'ReadinessProbe']

/** Parses a container JSON payload; null when it is not one. */
export function parseContainerJson(text: string): ContainerInfo | null {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    return null
  }
  if (doc === null || typeof doc !== 'object') return null
  const c = (doc as Record<string, unknown>).container
  if (c === null || typeof c !== 'object') return null
  const o = c as Record<string, unknown>
  const info = new ContainerInfo()
  info.type = num(o, 'type', CT.UNKNOWN)
  info.id = str(o, 'id')
  info.name = str(o, 'name')
  info.image = str(o, 'image')
  info.imageDigest = str(o, 'imagedigest')
  info.imageId = str(o, 'imageid')
  info.imageRepo = str(o, 'imagerepo')
  info.imageTag = str(o, 'imagetag')
  info.user = str(o, 'User')
  info.podSandboxCniResult = str(o, 'cni_json')
  info.createdTime = num(o, 'created_time', 0)
  info.env = Array.isArray(o.env) ? o.env.filter((x): x is string => typeof x === 'string') : []
  info.fullId = str(o, 'full_id')
  info.hostIpc = bool(o, 'host_ipc')
  info.hostNetwork = bool(o, 'host_network')
  info.hostPid = bool(o, 'host_pid')
  info.ip = str(o, 'ip')
  info.isPodSandbox = bool(o, 'is_pod_sandbox')
  info.labels = sortedPairs(o.labels)
  info.podSandboxId = str(o, 'pod_sandbox_id')
  info.privileged = bool(o, 'privileged')
  info.podSandboxLabels = sortedPairs(o.pod_sandbox_labels)
  if (Array.isArray(o.Mounts)) {
    for (const m of o.Mounts) {
      if (m === null || typeof m !== 'object') continue
      const mo = m as Record<string, unknown>
      info.mounts.push({
        source: str(mo, 'Source'), dest: str(mo, 'Destination'), mode: str(mo, 'Mode'),
        rdwr: bool(mo, 'RW'), propagation: str(mo, 'Propagation'),
      })
    }
  }
  for (let t = 0; t < PROBE_NAMES.length; t++) {
    const p = o[PROBE_NAMES[t]!]
    if (p === undefined) continue
    const po = p !== null && typeof p === 'object' ? (p as Record<string, unknown>) : {}
    const args = Array.isArray(po.args) ? po.args.filter((x): x is string => typeof x === 'string') : []
    info.healthProbes.push({ type: t + 1, exe: str(po, 'exe'), args })
  }
  return info
}

// -------------------------------------------------------------------------------------------
// Container ids from cgroup paths (the plugin's matchers, in its default engine order).

const ID_LEN = 64
const SHORT_ID = 12

function isHexFrom(s: string, start: number, end: number): boolean {
  // The plugin checks that the first non-hex character from `start` is at index >= 64
  // (an absolute position): a lax check, kept as it is.
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
    if (!hex) return i >= ID_LEN
  }
  void end
  return true
}

function matchOne(cgroup: string, prefix: string, suffix: string, containerd: boolean): string | null {
  let start = cgroup.lastIndexOf(prefix)
  if (start < 0) return null
  start += prefix.length
  let end: number
  if (suffix === '') end = cgroup.length
  else {
    end = cgroup.lastIndexOf(suffix)
    if (end < 0) return null
  }
  const len = end - start
  if (len === ID_LEN && isHexFrom(cgroup, start, end)) return cgroup.substr(start, SHORT_ID)
  if (len > ID_LEN || len <= 0) return null
  if (containerd && !cgroup.endsWith('.service') && !cgroup.endsWith('.slice') && !cgroup.endsWith('.scope')) {
    return cgroup.substr(start, Math.min(len, SHORT_ID))
  }
  return null
}

type Layout = readonly (readonly [string, string])[]
const PODMAN: Layout = [
  ['/libpod-', '.scope'], ['/libpod-', '.scope/container'], ['/libpod-', ''],
  ['/libpod-payload-', '.scope'], ['/libpod-payload-', '.scope/container'], ['/libpod-payload-', ''],
]
const DOCKER: Layout = [['/', ''], ['/docker-', '.scope']]
const CRI: Layout = [
  ['/', ''], ['/crio-', ''], ['/cri-containerd-', '.scope'], ['/crio-', '.scope'], [':cri-containerd:', ''],
  ['/docker-', '.scope'], ['/nerdctl-', '.scope'],
]
const CONTAINERD_NS = /\/([A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*)\//

function matchLayout(cgroup: string, layout: Layout, containerd = false): string | null {
  for (const [p, s] of layout) {
    const id = matchOne(cgroup, p, s, containerd)
    if (id !== null) return id
  }
  return null
}

function lxc(cgroup: string): string | null {
  for (const l of ['/lxc/', '/lxc.payload/', '/lxc.payload.']) {
    const pos = cgroup.indexOf(l)
    if (pos >= 0) {
      const s = pos + l.length
      const e = cgroup.indexOf('/', s)
      return e < 0 ? cgroup.slice(s) : cgroup.slice(s, e)
    }
  }
  return null
}

function libvirtLxc(cgroup: string): string | null {
  let pos = cgroup.indexOf('.libvirt-lxc')
  if (pos >= 0 && pos === cgroup.length - '.libvirt-lxc'.length) {
    const pos2 = cgroup.lastIndexOf('/')
    if (pos2 >= 0) return cgroup.slice(pos2 + 1, pos)
  }
  pos = cgroup.indexOf('-lxc\\x2')
  if (pos >= 0) {
    const delim = cgroup.includes('.scope/libvirt') ? '.scope/libvirt' : '.scope'
    const pos2 = cgroup.indexOf(delim)
    // sizeof("-lxc\\x2") counts the NUL: 8.
    if (pos2 >= 0 && pos2 === cgroup.length - delim.length) return cgroup.slice(pos + 8, pos2)
  }
  pos = cgroup.indexOf('/libvirt/lxc/')
  if (pos >= 0) return cgroup.slice(pos + '/libvirt/lxc/'.length)
  return null
}

function bpm(cgroup: string): string | null {
  const pos = cgroup.indexOf('bpm-')
  if (pos < 0) return null
  const s = pos + 4
  const e = cgroup.indexOf('.scope', s)
  const id = e < 0 ? cgroup.slice(s) : cgroup.slice(s, e)
  return id !== '' && /^[A-Za-z0-9._-]+$/.test(id) ? id : null
}

export interface CgroupMatch {
  id: string
  /** Engines that report no metadata of their own give a record right away. */
  info: ContainerInfo | null
}

function bare(id: string, type: number): ContainerInfo {
  const c = new ContainerInfo()
  c.id = id
  c.type = type
  return c
}

/** The container a cgroup path belongs to, or null for the host. */
export function matchCgroup(cgroup: string): CgroupMatch | null {
  let id = matchLayout(cgroup, PODMAN)
  if (id !== null) return { id, info: null }
  id = matchLayout(cgroup, DOCKER)
  if (id !== null) return { id, info: null }
  id = matchLayout(cgroup, CRI)
  if (id !== null) return { id, info: null }
  const ns = CONTAINERD_NS.exec(cgroup)
  if (ns !== null) {
    id = matchOne(cgroup, ns[0], '', true)
    if (id !== null) return { id, info: null }
  }
  id = lxc(cgroup)
  if (id !== null) return { id, info: bare(id, CT.LXC) }
  id = libvirtLxc(cgroup)
  if (id !== null) return { id, info: bare(id, CT.LIBVIRT_LXC) }
  id = bpm(cgroup)
  if (id !== null) return { id, info: bare(id, CT.BPM) }
  return null
}

/** Containers by id, the host under '' (as the plugin keeps them), plus a cgroup cache. */
export class ContainerTable {
  readonly byId = new Map<string, ContainerInfo>()
  private readonly cgroupCache = new Map<string, CgroupMatch | null>()
  /** The last container a meta-event added or removed, with that event's number. */
  lastEventNum = -1
  lastInfo: ContainerInfo | null = null

  constructor() {
    this.clear()
  }

  clear(): void {
    this.byId.clear()
    this.byId.set('', ContainerInfo.host())
    this.cgroupCache.clear()
    this.lastEventNum = -1
    this.lastInfo = null
  }

  get(id: string): ContainerInfo | undefined {
    return this.byId.get(id)
  }

  put(info: ContainerInfo): void {
    this.byId.set(info.id, info)
  }

  /** The container id of a thread from its cgroup paths ('' for the host). */
  idForCgroups(paths: readonly string[]): string {
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i]!
      if (p === '') continue
      let m = this.cgroupCache.get(p)
      if (m === undefined) {
        m = matchCgroup(p)
        if (this.cgroupCache.size > 4096) this.cgroupCache.clear()
        this.cgroupCache.set(p, m)
      }
      if (m !== null && m.id !== '') {
        if (m.info !== null) this.byId.set(m.id, m.info)
        return m.id
      }
    }
    return ''
  }
}
