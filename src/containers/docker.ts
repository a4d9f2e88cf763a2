// Docker's Engine API over its unix socket, for docker and for podman (whose socket serves the
// same API, plus its own /libpod one). What is asked and how the answer maps to the record
// follows the container plugin's docker.go and podman.go (go-worker/pkg/container):
//   GET /containers/{id}/json (?size=1 with with_size), then GET /images/{image id}/json
//   for the repository, tag and digest; podman: GET /v4.0.0/libpod/containers/{id}/json,
//   which names the image and its digest itself.
// Removals are followed with GET /events (type=container).

import { CT } from '../state/containers.js'
import type { ContainerMount, HealthProbe } from '../state/containers.js'
import { failure } from './client.js'
import type { ClientOptions, Lookup, Probe, RuntimeClient, RuntimeEvent, Watch } from './client.js'
import { ContainerRecord, countCpuSet, labelPairs, parseImageRepoTag, rfc3339Seconds, shortId } from './record.js'
import { UnixHttp } from './unix-http.js'
import type { HttpReply } from './unix-http.js'

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {})
const s = (o: Obj, k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '')
const n = (o: Obj, k: string): number => (typeof o[k] === 'number' ? (o[k] as number) : 0)
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

function lookupFailure(r: Extract<HttpReply, { ok: false }>, what: string): Lookup {
  if (r.status === 404) return failure('not-found', `${what}: no such container`)
  if (r.unavailable) return failure('unavailable', `${what}: ${r.reason}`)
  return failure(r.reason.startsWith('no answer') ? 'timeout' : 'error', `${what}: ${r.reason}`)
}

/** libsinsp's reading of a docker HEALTHCHECK: CMD exe args... or CMD-SHELL "cmd" (run by /bin/sh -c). */
export function healthcheckProbe(test: unknown): HealthProbe | null {
  const t = arr(test).filter((x): x is string => typeof x === 'string')
  if (t.length < 2) return null
  if (t[0] === 'CMD') return { type: 1, exe: t[1]!, args: t.slice(2) }
  if (t[0] === 'CMD-SHELL') return { type: 1, exe: '/bin/sh', args: ['-c', t[1]!] }
  return null
}

function mounts(v: unknown): ContainerMount[] {
  return arr(v).map(x => {
    const m = obj(x)
    return { source: s(m, 'Source'), dest: s(m, 'Destination'), mode: s(m, 'Mode'), rdwr: m.RW === true, propagation: s(m, 'Propagation') }
  })
}

/** The container's IPv4: the legacy top-level field, else the first network's (newer APIs dropped the former). */
function ipOf(net: Obj): string {
  const ip = s(net, 'IPAddress')
  if (ip !== '') return ip
  for (const v of Object.values(obj(net.Networks))) {
    const a = s(obj(v), 'IPAddress')
    if (a !== '') return a
  }
  return ''
}

export class DockerClient implements RuntimeClient {
  private readonly http: UnixHttp
  private runtimeName = ''

  constructor(readonly engine: 'docker' | 'podman', readonly socket: string, private readonly opts: ClientOptions) {
    this.http = new UnixHttp(socket)
  }

  async probe(timeoutMs: number): Promise<Probe> {
    const r = await this.http.getJson('/version', timeoutMs)
    if (!r.ok) return failure(r.unavailable ? 'unavailable' : 'error', `GET /version: ${r.reason}`)
    const v = obj(r.body)
    const comps = arr(v.Components).map(obj)
    this.runtimeName = comps.length > 0 ? s(comps[0]!, 'Name') : this.engine
    return { ok: true, runtimeName: this.runtimeName, version: s(v, 'Version') }
  }

  async inspect(id: string, timeoutMs: number): Promise<Lookup> {
    const deadline = Date.now() + timeoutMs
    const left = (): number => Math.max(1, deadline - Date.now())
    const size = this.opts.withSize ? '?size=1' : ''
    const eid = encodeURIComponent(id)
    if (this.engine === 'podman') {
      const r = await this.http.getJson(`/v4.0.0/libpod/containers/${eid}/json${size}`, left())
      if (r.ok) return { ok: true, info: this.fromPodman(obj(r.body)) }
      // A 404 from libpod can mean "no such container" or "no libpod API here" (a docker
      // socket configured as podman's): the compat call below tells them apart.
      if (r.status !== 404) return lookupFailure(r, `podman inspect ${id}`)
    }
    const r = await this.http.getJson(`/containers/${eid}/json${size}`, left())
    if (!r.ok) return lookupFailure(r, `${this.engine} inspect ${id}`)
    const c = obj(r.body)
    const hostCfg = obj(c.HostConfig)
    const img = s(c, 'Image')
    let image: Obj = {}
    if (img !== '') {
      const ir = await this.http.getJson(`/images/${encodeURIComponent(img)}/json`, left())
      if (ir.ok) image = obj(ir.body)
    }
    // A container sharing another's network (--network container:X) has that one's address.
    let ip = ipOf(obj(c.NetworkSettings))
    const netMode = s(hostCfg, 'NetworkMode')
    if (ip === '' && netMode.startsWith('container:')) {
      const sr = await this.http.getJson(`/containers/${encodeURIComponent(netMode.slice('container:'.length))}/json`, left())
      if (sr.ok) ip = ipOf(obj(obj(sr.body).NetworkSettings))
    }
    return { ok: true, info: this.fromDocker(c, image, ip) }
  }

  private common(r: ContainerRecord, c: Obj): void {
    const cfg = obj(c.Config)
    const hostCfg = obj(c.HostConfig)
    r.engine = this.engine
    r.socket = this.socket
    r.runtimeName = this.runtimeName
    r.fullId = s(c, 'Id')
    r.id = shortId(r.fullId)
    r.name = s(c, 'Name').replace(/^\//, '')
    r.isPodSandbox = r.name.includes('k8s_POD')
    r.user = s(cfg, 'User')
    r.env = arr(cfg.Env).filter((x): x is string => typeof x === 'string')
    r.labels = labelPairs(obj(cfg.Labels), this.opts.labelMaxLen)
    r.privileged = hostCfg.Privileged === true
    r.hostIpc = s(hostCfg, 'IpcMode') === 'host'
    r.hostNetwork = s(hostCfg, 'NetworkMode') === 'host'
    r.hostPid = s(hostCfg, 'PidMode') === 'host'
    r.mounts = mounts(c.Mounts)
    r.createdTime = rfc3339Seconds(c.Created)
    r.startedTime = rfc3339Seconds(obj(c.State).StartedAt)
    const status = s(obj(c.State), 'Status')
    r.state = status === 'created' || status === 'configured' || status === 'initialized' ? 'created' : status === 'running' || status === 'paused' ? 'running' : status === '' ? '' : 'exited'
    r.cpuShares = n(hostCfg, 'CpuShares') > 0 ? n(hostCfg, 'CpuShares') : 1024
    r.cpuPeriod = n(hostCfg, 'CpuPeriod') > 0 ? n(hostCfg, 'CpuPeriod') : 100000
    r.cpuQuota = n(hostCfg, 'CpuQuota')
    r.cpusetCpuCount = countCpuSet(s(hostCfg, 'CpusetCpus'))
    r.memoryLimit = n(hostCfg, 'Memory')
    r.swapLimit = n(hostCfg, 'MemorySwap')
    r.size = typeof c.SizeRw === 'number' ? c.SizeRw : -1
    const hc = healthcheckProbe(obj(cfg.Healthcheck).Test)
    if (hc !== null) r.healthProbes = [hc]
    r.podFromLabels()
  }

  /** docker.go ctrToInfo: repository and digest from the image's RepoDigests, tag from its RepoTags. */
  private fromDocker(c: Obj, image: Obj, ip: string): ContainerRecord {
    const r = new ContainerRecord()
    r.type = CT.DOCKER
    this.common(r, c)
    if (this.engine === 'podman') r.type = CT.PODMAN
    r.image = s(obj(c.Config), 'Image')
    r.ip = ip
    let repo = ''
    let digest = ''
    const digests: string[] = []
    for (const rd of arr(image.RepoDigests)) {
      if (typeof rd !== 'string') continue
      const parts = rd.split('@')
      if (parts.length !== 2) continue
      if (repo === '') repo = parts[0]!
      digests.push(parts[1]!)
      if (rd.includes(repo)) {
        digest = parts[1]!
        break
      }
    }
    if (digest === '' && digests.length === 1) digest = digests[0]!
    let tag = ''
    for (const rt of arr(image.RepoTags)) {
      if (typeof rt !== 'string') continue
      const [rp, tg] = parseImageRepoTag(rt)
      if (rp === '' || tg === '') continue
      if (repo === '') repo = rp
      if (rt.includes(repo)) {
        tag = tg
        break
      }
    }
    r.imageRepo = repo
    r.imageTag = tag
    r.imageDigest = digest
    r.imageId = s(image, 'Id').replace(/^sha256:/, '')
    return r
  }

  /** podman.go ctrToInfo: the image named by the container itself. */
  private fromPodman(c: Obj): ContainerRecord {
    const r = new ContainerRecord()
    r.type = CT.PODMAN
    this.common(r, c)
    r.image = s(c, 'ImageName')
    ;[r.imageRepo, r.imageTag] = parseImageRepoTag(r.image)
    r.imageDigest = s(c, 'ImageDigest')
    r.imageId = s(c, 'Image')
    r.ip = ipOf(obj(c.NetworkSettings))
    return r
  }

  async list(timeoutMs: number): Promise<string[] | null> {
    const r = await this.http.getJson('/containers/json?all=1', timeoutMs)
    if (!r.ok) return null
    return arr(r.body).map(x => s(obj(x), 'Id')).filter(id => id !== '')
  }

  watch(onEvent: (e: RuntimeEvent) => void, onEnd: (reason: string, unsupported: boolean) => void): Watch {
    const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }))
    return this.http.follow(`/events?filters=${filters}`, v => {
      const e = obj(v)
      const action = s(e, 'Action') || s(e, 'status')
      const id = s(obj(e.Actor), 'ID') || s(e, 'id')
      if (id === '' || (s(e, 'Type') !== '' && s(e, 'Type') !== 'container')) return
      // docker says destroy, podman says remove.
      if (action === 'destroy' || action === 'remove') onEvent({ kind: 'remove', id })
      else if (action === 'create') onEvent({ kind: 'create', id })
      else if (action === 'start') onEvent({ kind: 'start', id })
    }, reason => onEnd(reason, reason === 'HTTP 404'))
  }

  close(): void {
    this.http.close()
  }
}
