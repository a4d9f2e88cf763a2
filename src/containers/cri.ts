// The Kubernetes CRI (runtime.v1.RuntimeService) on containerd's or cri-o's socket: what
// the kubelet created. Per the container plugin's cri.go (and libsinsp's cri.hpp before it):
//   ContainerStatus(id, verbose)   → the container, and its "info" JSON (config, runtimeSpec)
//   PodSandboxStatus(sandbox, verbose) → pod name/namespace/uid, labels, ip, namespaces, CNI
// An id that is not a container may be a sandbox (the pause process): PodSandboxStatus(id)
// then gives a record marked is_pod_sandbox. Version() names the runtime, which sets
// container.type (containerd, cri-o, or cri). Removals come from GetContainerEvents where
// the runtime has it (cri-o ≥ 1.26, containerd ≥ 1.7).
//
// Deliberate differences from the plugin, each a plugin slip: it asks PodSandboxStatus
// without verbose on lookups (so container.cni.json is always empty there) and its CNI
// marshalling keeps the result only on error; Saker asks verbose and builds the CNI JSON as
// libsinsp did (containerd: cniResult.Interfaces less lo, veth*, Mac and Sandbox; cri-o: the
// io.kubernetes.cri-o.CNIResult annotation). The image id is taken from config.image.image
// only when that is an image id (sha256:...), not a tag.

import type { ContainerMount } from '../state/containers.js'
import { failure } from './client.js'
import type { ClientOptions, FailureCode, Lookup, Probe, RuntimeClient, RuntimeEvent, Watch } from './client.js'
import { GRPC, GrpcChannel } from './grpc.js'
import type { GrpcReply } from './grpc.js'
import { Writer, bool, int, parse, str, strMap, sub, subs } from './protobuf.js'
import type { Msg } from './protobuf.js'
import {
  ContainerRecord, K8S_POD_NAME, K8S_POD_NAMESPACE, K8S_POD_UID, K8S_SANDBOX_ID, countCpuSet, criRuntimeType, labelPairs,
  parseImageRepoTag, setLabel, shortId,
} from './record.js'

const SVC = '/runtime.v1.RuntimeService/'
const MAX_CNI_LEN = 4096

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {})

function codeOf(r: Extract<GrpcReply, { ok: false }>): FailureCode {
  if (r.code === GRPC.NOT_FOUND) return 'not-found'
  if (r.code === GRPC.UNAVAILABLE) return 'unavailable'
  if (r.code === GRPC.DEADLINE_EXCEEDED) return 'timeout'
  return 'error'
}

function infoJson(resp: Msg | null): Obj {
  const text = strMap(resp, 2).get('info')
  if (text === undefined) return {}
  try {
    return obj(JSON.parse(text))
  } catch {
    return {}
  }
}

/** libsinsp's CNI result: containerd's interfaces less loopback/veth and Mac/Sandbox, or cri-o's annotation. */
export function cniResultOf(sandboxInfo: Obj): string {
  let out = ''
  const ifaces = obj(sandboxInfo.cniResult).Interfaces
  if (ifaces !== null && typeof ifaces === 'object' && !Array.isArray(ifaces)) {
    const kept: Obj = {}
    for (const [name, v] of Object.entries(ifaces as Obj)) {
      if (name === 'lo' || name.startsWith('veth')) continue
      const rest = { ...obj(v) }
      delete rest.Mac
      delete rest.Sandbox
      kept[name] = rest
    }
    out = JSON.stringify(kept)
  } else {
    const a = obj(obj(sandboxInfo.runtimeSpec).annotations)['io.kubernetes.cri-o.CNIResult']
    if (typeof a === 'string') out = a
  }
  if (out.endsWith('\n')) out = out.slice(0, -1)
  return out.length > MAX_CNI_LEN ? out.slice(0, MAX_CNI_LEN) : out
}

/** cri.go getPrivileged: runtimeSpec, then the CRI config's security context, then cri-o's top-level flag. */
function privilegedOf(info: Obj): boolean {
  for (const p of [
    obj(obj(obj(info.runtimeSpec).linux).security_context).privileged,
    obj(obj(obj(info.config).linux).security_context).privileged,
    info.privileged,
  ]) if (typeof p === 'boolean') return p
  return false
}

const PROPAGATION = ['private', 'rslave', 'rshared']

/** The pod of a container: the verbose info's sandboxID, else the runtime's spec annotations. */
function sandboxIdOf(info: Obj): string {
  const ann = obj(obj(info.runtimeSpec).annotations)
  for (const v of [info.sandboxID, ann['io.kubernetes.cri.sandbox-id'], ann['io.kubernetes.cri-o.SandboxID']]) {
    if (typeof v === 'string' && v !== '') return v
  }
  return ''
}

export class CriClient implements RuntimeClient {
  readonly engine = 'cri' as const
  private readonly ch: GrpcChannel
  private runtimeName = ''

  constructor(readonly socket: string, private readonly opts: ClientOptions, channel?: GrpcChannel) {
    this.ch = channel ?? new GrpcChannel(socket)
  }

  async probe(timeoutMs: number): Promise<Probe> {
    const r = await this.ch.unary(SVC + 'Version', new Writer().string(1, 'v1').finish(), timeoutMs)
    if (!r.ok) return failure(codeOf(r), `CRI Version: ${r.message}`)
    const m = parse(r.message)
    this.runtimeName = str(m, 2)
    return { ok: true, runtimeName: this.runtimeName, version: str(m, 3) }
  }

  async inspect(id: string, timeoutMs: number): Promise<Lookup> {
    const deadline = Date.now() + timeoutMs
    const left = (): number => Math.max(1, deadline - Date.now())
    if (this.runtimeName === '') {
      const p = await this.probe(left())
      if (!p.ok) return p
    }
    // containerd and cri-o both resolve a unique id prefix here, so the cgroup's 12
    // characters are enough (the plugin first lists with an id filter to the same end).
    const cr = await this.ch.unary(SVC + 'ContainerStatus', new Writer().string(1, id).bool(2, true).finish(), left())
    if (!cr.ok) {
      if (cr.code !== GRPC.NOT_FOUND) return failure(codeOf(cr), `CRI ContainerStatus ${id}: ${cr.message}`)
      return this.inspectSandbox(id, left())
    }
    const resp = parse(cr.message)
    const status = sub(resp, 1)
    if (status === null) return failure('not-found', `CRI ContainerStatus ${id}: no status`)
    const info = infoJson(resp)
    const sandboxId = sandboxIdOf(info)
    let sandbox: Msg | null = null
    let sandboxInfo: Obj = {}
    if (sandboxId !== '') {
      const sr = await this.ch.unary(SVC + 'PodSandboxStatus', new Writer().string(1, sandboxId).bool(2, true).finish(), left())
      if (sr.ok) {
        const sresp = parse(sr.message)
        sandbox = sub(sresp, 1)
        sandboxInfo = infoJson(sresp)
      }
    }
    return { ok: true, info: this.record(status, info, sandbox, sandboxInfo, sandboxId) }
  }

  /** The pause container of a pod: its processes carry the sandbox id in their cgroup. */
  private async inspectSandbox(id: string, timeoutMs: number): Promise<Lookup> {
    const sr = await this.ch.unary(SVC + 'PodSandboxStatus', new Writer().string(1, id).bool(2, true).finish(), timeoutMs)
    if (!sr.ok) {
      // containerd says NotFound; cri-o some other error text for an unknown sandbox.
      const code = codeOf(sr)
      return failure(code === 'error' && /not found|not exist/i.test(sr.message) ? 'not-found' : code, `CRI: no container or sandbox ${id}: ${sr.message}`)
    }
    const sresp = parse(sr.message)
    const sb = sub(sresp, 1)
    if (sb === null) return failure('not-found', `CRI PodSandboxStatus ${id}: no status`)
    const r = new ContainerRecord()
    this.base(r)
    r.fullId = str(sb, 1)
    r.id = shortId(r.fullId)
    r.isPodSandbox = true
    const meta = sub(sb, 2)
    r.name = str(meta, 1)
    const sinfo = infoJson(sresp)
    r.image = typeof sinfo.image === 'string' ? sinfo.image : ''
    ;[r.imageRepo, r.imageTag] = parseImageRepoTag(r.image)
    r.createdTime = Number(int(sb, 4) / 1_000_000_000n)
    this.pod(r, sb, sinfo, r.fullId)
    r.labels = labelPairs(r.podSandboxLabels, Number.MAX_SAFE_INTEGER)
    this.podLabels(r, sb, r.fullId)
    return { ok: true, info: r }
  }

  private base(r: ContainerRecord): void {
    r.engine = 'cri'
    r.socket = this.socket
    r.runtimeName = this.runtimeName
    r.type = criRuntimeType(this.runtimeName)
  }

  /** Pod-level facts from the sandbox status (cri.go: ip, host namespaces, pod labels; CNI). */
  private pod(r: ContainerRecord, sb: Msg | null, sandboxInfo: Obj, sandboxId: string): void {
    r.podSandboxId = sb !== null ? str(sb, 1) || sandboxId : sandboxId
    if (sb === null) return
    r.podSandboxLabels = labelPairs(strMap(sb, 7), this.opts.labelMaxLen)
    r.podAnnotations = labelPairs(strMap(sb, 8), Number.MAX_SAFE_INTEGER)
    const net = sub(sb, 5)
    r.ip = str(net, 1)
    r.podIp = r.ip
    const nsOpts = sub(sub(sub(sb, 6), 1), 2)
    if (nsOpts !== null) {
      // NamespaceMode NODE = 2: the node's (host's) namespace.
      r.hostNetwork = int(nsOpts, 1) === 2n
      r.hostPid = int(nsOpts, 2) === 2n
      r.hostIpc = int(nsOpts, 3) === 2n
    }
    r.podSandboxCniResult = cniResultOf(sandboxInfo)
  }

  /** The labels the k8s.* fields read: sandbox id and the pod's metadata (cri.go sets them the same way). */
  private podLabels(r: ContainerRecord, sb: Msg | null, sandboxId: string): void {
    setLabel(r.labels, K8S_SANDBOX_ID, sandboxId)
    const meta = sub(sb, 2)
    if (meta !== null) {
      setLabel(r.labels, K8S_POD_UID, str(meta, 2))
      setLabel(r.labels, K8S_POD_NAME, str(meta, 1))
      setLabel(r.labels, K8S_POD_NAMESPACE, str(meta, 3))
    }
    r.podFromLabels()
  }

  private record(st: Msg, info: Obj, sb: Msg | null, sandboxInfo: Obj, sandboxId: string): ContainerRecord {
    const r = new ContainerRecord()
    this.base(r)
    r.fullId = str(st, 1)
    r.id = shortId(r.fullId)
    r.name = str(sub(st, 2), 1)
    r.createdTime = Number(int(st, 4) / 1_000_000_000n)
    r.startedTime = Number(int(st, 5) / 1_000_000_000n)
    // ContainerState: CREATED 0, RUNNING 1, EXITED 2, UNKNOWN 3.
    const state = int(st, 3)
    r.state = state === 0n ? 'created' : state === 1n ? 'running' : state === 2n ? 'exited' : ''
    r.labels = labelPairs(strMap(st, 12), this.opts.labelMaxLen)
    r.annotations = labelPairs(strMap(st, 13), Number.MAX_SAFE_INTEGER)
    r.mounts = subs(st, 14).map((m): ContainerMount => ({
      source: str(m, 2),
      dest: str(m, 1),
      mode: '',
      rdwr: !bool(m, 3),
      propagation: PROPAGATION[Number(int(m, 5))] ?? 'unknown',
    }))
    const res = sub(sub(st, 16), 1)
    if (res !== null) {
      const period = Number(int(res, 1))
      const shares = Number(int(res, 3))
      if (period > 0) r.cpuPeriod = period
      if (shares > 0) r.cpuShares = shares
      r.cpuQuota = Number(int(res, 2))
      r.cpusetCpuCount = countCpuSet(str(res, 6))
      r.memoryLimit = Number(int(res, 4))
      r.swapLimit = Number(int(res, 10))
    }
    r.user = String(int(sub(sub(st, 18), 1), 1))
    const cfg = obj(info.config)
    r.env = Array.isArray(cfg.envs) ? cfg.envs.map(e => `${obj(e).key ?? ''}=${obj(e).value ?? ''}`) : []
    r.privileged = privilegedOf(info)

    // Image: image_ref is "repo@sha256:..." (then the name comes from it, the tag from the
    // image spec) or a bare "sha256:..." digest; a name that is itself a digest falls back to
    // the runtime's annotations (cri.go ctrToInfo).
    let imageName = str(sub(st, 8), 1)
    const imageRef = str(st, 9)
    let digest = ''
    let tagFromSpec = false
    const d = imageRef.indexOf('sha256:')
    if (d === 0) digest = imageRef
    else if (d > 0 && imageRef[d - 1] === '@') {
      imageName = imageRef.slice(0, d - 1)
      digest = imageRef.slice(d)
      tagFromSpec = true
    }
    if (imageName === '' || imageName.startsWith('sha256')) {
      const ann = obj(obj(info.runtimeSpec).annotations)
      const v = ann['io.kubernetes.cri.image-name'] ?? ann['io.kubernetes.cri-o.Image'] ?? ann['io.kubernetes.cri-o.ImageName']
      if (typeof v === 'string') {
        imageName = v
        tagFromSpec = false
      }
    }
    let [repo, tag] = parseImageRepoTag(imageName)
    if (tagFromSpec) {
      const [, t] = parseImageRepoTag(str(sub(st, 8), 1))
      if (t !== '') {
        tag = t
        imageName += ':' + t
      }
    }
    r.image = imageName
    r.imageRepo = repo
    r.imageTag = tag
    r.imageDigest = digest
    const cfgImage = obj(cfg.image).image
    if (typeof cfgImage === 'string' && cfgImage.startsWith('sha256:')) r.imageId = cfgImage.slice(7)
    else {
      const iid = str(st, 17) || (imageRef.startsWith('sha256:') ? imageRef : '')
      r.imageId = iid.replace(/^sha256:/, '')
    }

    this.pod(r, sb, sandboxInfo, sandboxId)
    this.podLabels(r, sb, r.podSandboxId)
    return r
  }

  async list(timeoutMs: number): Promise<string[] | null> {
    const r = await this.ch.unary(SVC + 'ListContainers', Buffer.alloc(0), timeoutMs)
    if (!r.ok) return null
    return subs(parse(r.message), 1).map(c => str(c, 1)).filter(id => id !== '')
  }

  watch(onEvent: (e: RuntimeEvent) => void, onEnd: (reason: string, unsupported: boolean) => void): Watch {
    return this.ch.stream(SVC + 'GetContainerEvents', Buffer.alloc(0), m => {
      const e = parse(m)
      const id = str(e, 1)
      const type = int(e, 2)
      if (id === '') return
      // ContainerEventType: CREATED 0, STARTED 1, STOPPED 2, DELETED 3.
      if (type === 3n) onEvent({ kind: 'remove', id })
      else if (type === 0n) onEvent({ kind: 'create', id })
      else if (type === 1n) onEvent({ kind: 'start', id })
    }, (code, message) => onEnd(`CRI GetContainerEvents: ${message || `status ${code}`}`, code === GRPC.UNIMPLEMENTED))
  }

  close(): void {
    this.ch.close()
  }
}
