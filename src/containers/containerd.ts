// containerd's own API (not the CRI): containers that `ctr run`, nerdctl or any other
// client made, in any containerd namespace. As the container plugin's containerd.go:
//   namespaces.v1 List, then per namespace containers.v1 Get(id) (header
//   containerd-namespace), the OCI spec inside it (an Any holding JSON) for mounts, host
//   namespaces, privileges, env, user and resources, and images.v1 Get(image) for the digest.
// The cgroup gives only 12 characters of the id; when Get misses, containers.v1 List with
// the filter id~="^<prefix>" finds the full one. Removals come from events.v1 Subscribe on
// /containers/delete (creations on /containers/create fill the cache early, /tasks/start
// refreshes it).
//
// One difference: a mount's propagation is its own option (rprivate, rshared...) when it
// has one; the plugin puts the root filesystem's propagation on every mount.

import { CT } from '../state/containers.js'
import type { ContainerMount } from '../state/containers.js'
import { failure } from './client.js'
import type { ClientOptions, FailureCode, Lookup, Probe, RuntimeClient, RuntimeEvent, Watch } from './client.js'
import { GRPC, GrpcChannel } from './grpc.js'
import type { GrpcReply } from './grpc.js'
import { Writer, bytes, parse, str, strMap, sub, subs, timestampSeconds } from './protobuf.js'
import type { Msg } from './protobuf.js'
import { ContainerRecord, countCpuSet, labelPairs, parseImageRepoTag, shortId } from './record.js'

const CONTAINERS = '/containerd.services.containers.v1.Containers/'
const NS_HEADER = 'containerd-namespace'

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {})
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const num = (v: unknown): number => (typeof v === 'number' ? v : 0)

function codeOf(r: Extract<GrpcReply, { ok: false }>): FailureCode {
  if (r.code === GRPC.NOT_FOUND) return 'not-found'
  if (r.code === GRPC.UNAVAILABLE) return 'unavailable'
  if (r.code === GRPC.DEADLINE_EXCEEDED) return 'timeout'
  return 'error'
}

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable'])

/** containerd.go's privileged test (oci.WithPrivileged leaves no masked/readonly paths, no LSM, no seccomp, rw sysfs/cgroup). */
export function specPrivileged(spec: Obj): boolean {
  const linux = spec.linux
  const proc = spec.process
  if (linux === undefined || linux === null || proc === undefined || proc === null) return false
  const l = obj(linux)
  const p = obj(proc)
  const apparmor = typeof p.apparmorProfile === 'string' ? p.apparmorProfile : ''
  const nil = (v: unknown): boolean => v === undefined || v === null
  if (!(nil(l.maskedPaths) && nil(l.readonlyPaths) && (p.selinuxLabel ?? '') === '' && (apparmor === '' || apparmor === 'unconfined') && nil(l.seccomp))) return false
  for (const m of arr(spec.mounts).map(obj)) {
    if ((m.type === 'sysfs' || m.type === 'cgroup') && arr(m.options).includes('ro')) return false
  }
  return true
}

/** Regex-escapes an id prefix for containerd's filter language (a quoted string). */
function prefixFilter(prefix: string): string {
  const re = '^' + prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  return `id~=${JSON.stringify(re)}`
}

export class ContainerdClient implements RuntimeClient {
  readonly engine = 'containerd' as const
  private readonly ch: GrpcChannel

  constructor(readonly socket: string, private readonly opts: ClientOptions, channel?: GrpcChannel) {
    this.ch = channel ?? new GrpcChannel(socket)
  }

  async probe(timeoutMs: number): Promise<Probe> {
    const r = await this.ch.unary('/containerd.services.version.v1.Version/Version', Buffer.alloc(0), timeoutMs)
    if (!r.ok) return failure(codeOf(r), `containerd Version: ${r.message}`)
    const m = parse(r.message)
    return { ok: true, runtimeName: 'containerd', version: str(m, 1) }
  }

  private async namespaces(timeoutMs: number): Promise<string[] | Extract<Lookup, { ok: false }>> {
    const r = await this.ch.unary('/containerd.services.namespaces.v1.Namespaces/List', Buffer.alloc(0), timeoutMs)
    if (!r.ok) return failure(codeOf(r), `containerd Namespaces.List: ${r.message}`)
    return subs(parse(r.message), 1).map(n => str(n, 1)).filter(n => n !== '')
  }

  /** The container message in one namespace: Get by id, then (a 12-character cgroup id) List by prefix. */
  private async find(ns: string, id: string, timeoutMs: number): Promise<Msg | Extract<Lookup, { ok: false }>> {
    const deadline = Date.now() + timeoutMs
    const md = { [NS_HEADER]: ns }
    const g = await this.ch.unary(CONTAINERS + 'Get', new Writer().string(1, id).finish(), timeoutMs, md)
    if (g.ok) {
      const c = sub(parse(g.message), 1)
      if (c !== null) return c
    } else if (g.code !== GRPC.NOT_FOUND) return failure(codeOf(g), `containerd Containers.Get ${ns}/${id}: ${g.message}`)
    if (id.length !== 12) return failure('not-found', `containerd: no container ${id} in ${ns}`)
    const l = await this.ch.unary(CONTAINERS + 'List', new Writer().string(1, prefixFilter(id)).finish(), Math.max(1, deadline - Date.now()), md)
    if (!l.ok) return failure(codeOf(l), `containerd Containers.List ${ns}/${id}*: ${l.message}`)
    const found = subs(parse(l.message), 1)
    if (found.length === 1) return found[0]!
    if (found.length > 1) return failure('error', `containerd: ${found.length} containers in ${ns} start with ${id}`)
    return failure('not-found', `containerd: no container ${id} in ${ns}`)
  }

  async inspect(id: string, timeoutMs: number): Promise<Lookup> {
    const deadline = Date.now() + timeoutMs
    const left = (): number => Math.max(1, deadline - Date.now())
    const nss = await this.namespaces(left())
    if (!Array.isArray(nss)) return nss
    // All namespaces at once; the first in namespace order that has it wins.
    const results = await Promise.all(nss.map(ns => this.find(ns, id, left())))
    let firstFailure: Extract<Lookup, { ok: false }> | null = null
    for (let i = 0; i < nss.length; i++) {
      const r = results[i]!
      if (r instanceof Map) return { ok: true, info: await this.record(nss[i]!, r, left()) }
      if (r.code !== 'not-found' && firstFailure === null) firstFailure = r
    }
    return firstFailure ?? failure('not-found', `containerd: no container ${id} in namespaces ${nss.join(', ') || '(none)'}`)
  }

  private async record(ns: string, c: Msg, timeoutMs: number): Promise<ContainerRecord> {
    const r = new ContainerRecord()
    r.type = CT.CONTAINERD
    r.engine = 'containerd'
    r.socket = this.socket
    r.runtimeName = 'containerd'
    r.runtimeNamespace = ns
    r.fullId = str(c, 1)
    r.id = shortId(r.fullId)
    r.name = r.id
    const labels = strMap(c, 2)
    r.labels = labelPairs(labels, this.opts.labelMaxLen)
    r.image = str(c, 3)
    ;[r.imageRepo, r.imageTag] = parseImageRepoTag(r.image)
    r.createdTime = timestampSeconds(c, 8)
    r.isPodSandbox = labels.get('io.cri-containerd.kind') === 'sandbox'

    let spec: Obj = {}
    const specAny = sub(c, 5)
    const raw = bytes(specAny, 2)
    if (raw !== null) {
      try {
        spec = obj(JSON.parse(raw.toString('utf8')))
      } catch {
        // not a JSON spec: leave the spec-derived fields empty
      }
    }
    const proc = obj(spec.process)
    const linux = obj(spec.linux)
    r.env = arr(proc.env).filter((x): x is string => typeof x === 'string')
    r.user = String(num(obj(proc.user).uid))
    const rootProp = typeof linux.rootfsPropagation === 'string' ? linux.rootfsPropagation : ''
    r.mounts = arr(spec.mounts).map(obj).map((m): ContainerMount => {
      const opts = arr(m.options).filter((x): x is string => typeof x === 'string')
      const mode = opts.find(o => o.startsWith('mode='))
      return {
        source: typeof m.source === 'string' ? m.source : '',
        dest: typeof m.destination === 'string' ? m.destination : '',
        mode: mode === undefined ? '' : mode.slice(5),
        rdwr: !opts.includes('ro'),
        propagation: opts.find(o => PROPAGATIONS.has(o)) ?? rootProp,
      }
    })
    // A namespace missing from the spec is the host's (oci.WithHostNamespace removes it).
    const nsTypes = new Set(arr(linux.namespaces).map(n => obj(n).type))
    r.hostPid = !nsTypes.has('pid')
    r.hostNetwork = !nsTypes.has('network')
    r.hostIpc = !nsTypes.has('ipc')
    r.privileged = specPrivileged(spec)
    const cpu = obj(obj(linux.resources).cpu)
    if (num(cpu.period) > 0) r.cpuPeriod = num(cpu.period)
    if (num(cpu.shares) > 0) r.cpuShares = num(cpu.shares)
    r.cpuQuota = num(cpu.quota)
    r.cpusetCpuCount = countCpuSet(typeof cpu.cpus === 'string' ? cpu.cpus : '')
    const mem = obj(obj(linux.resources).memory)
    r.memoryLimit = num(mem.limit)
    r.swapLimit = num(mem.swap)

    const ann = obj(spec.annotations)
    r.podSandboxId = str(c, 11) || (typeof ann['io.kubernetes.cri.sandbox-id'] === 'string' ? (ann['io.kubernetes.cri.sandbox-id'] as string) : '')
    r.podFromLabels()

    if (r.image !== '') {
      const ir = await this.ch.unary('/containerd.services.images.v1.Images/Get', new Writer().string(1, r.image).finish(), timeoutMs, { [NS_HEADER]: ns })
      if (ir.ok) {
        const target = sub(sub(parse(ir.message), 1), 3)
        r.imageDigest = str(target, 2)
        if (this.opts.withSize && target !== null) r.size = Number(target.get(3)?.[0] ?? -1)
      }
    }
    return r
  }

  async list(timeoutMs: number): Promise<string[] | null> {
    const deadline = Date.now() + timeoutMs
    const nss = await this.namespaces(timeoutMs)
    if (!Array.isArray(nss)) return null
    const out: string[] = []
    for (const ns of nss) {
      const l = await this.ch.unary(CONTAINERS + 'List', Buffer.alloc(0), Math.max(1, deadline - Date.now()), { [NS_HEADER]: ns })
      if (!l.ok) return null
      for (const c of subs(parse(l.message), 1)) out.push(str(c, 1))
    }
    return out
  }

  watch(onEvent: (e: RuntimeEvent) => void, onEnd: (reason: string, unsupported: boolean) => void): Watch {
    const req = new Writer().string(1, 'topic=="/containers/create"').string(1, 'topic=="/containers/delete"').string(1, 'topic=="/tasks/start"').finish()
    return this.ch.stream('/containerd.services.events.v1.Events/Subscribe', req, m => {
      const env = parse(m)
      const topic = str(env, 3)
      const id = str(parse(bytes(sub(env, 4), 2) ?? Buffer.alloc(0)), 1)
      if (id === '') return
      // ContainerCreate/ContainerDelete.id and TaskStart.container_id are all field 1.
      if (topic === '/containers/delete') onEvent({ kind: 'remove', id })
      else if (topic === '/containers/create') onEvent({ kind: 'create', id })
      else if (topic === '/tasks/start') onEvent({ kind: 'start', id })
    }, (code, message) => onEnd(`containerd Events.Subscribe: ${message || `status ${code}`}`, code === GRPC.UNIMPLEMENTED))
  }

  close(): void {
    this.ch.close()
  }
}
