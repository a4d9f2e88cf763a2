// Container metadata for the engine: given the container id a thread's cgroup names, who is
// it (name, image, labels, mounts...) and which pod. One object per Saker run.
//
//  - Runtimes are found and re-found: every enabled socket (the plugin's engines config,
//    host root prefixed) is checked every `discoveryIntervalMs`; a socket that does not
//    exist yet, or whose runtime does not answer, is tried again later. Falco looks only at
//    start, so a runtime started after it (or a node where Falco wins the boot race) gives no
//    metadata until Falco restarts. A runtime whose event stream breaks (it stopped or
//    restarted) is marked down and probed again at once. A lookup probes the sockets not up
//    right away too: an unknown container may be the first of a runtime that just started.
//  - When a runtime comes up: the lookups that found nothing are retried, its containers are
//    listed into the cache, and cached containers it no longer has are dropped.
//  - lookup() asks the runtimes that are up, the hinted ones first, all at once; the best
//    answer in hint order wins. A runtime that has not heard of the id yet is asked again
//    every 30 ms for 150 ms (the plugin's fetcher does the same). The whole lookup is bounded
//    by `lookupTimeoutMs` and never rejects: null comes with a reason.
//  - Concurrent lookups of one id share one query; answers are cached by the 12-character
//    id until the runtime reports the container removed (or forget() is called); misses are
//    remembered for `negativeTtlMs`, or until a runtime comes up.

import { stat } from 'node:fs/promises'
import type { RuntimeClient, Watch } from './client.js'
import { NO_HINT } from './cgroup-hint.js'
import type { LookupHint } from './cgroup-hint.js'
import { ENGINE_KINDS, containerEngineConfig, socketPath } from './config.js'
import type { ContainerEngineConfig } from './config.js'
import { ContainerdClient } from './containerd.js'
import { CriClient } from './cri.js'
import { DockerClient } from './docker.js'
import { GrpcChannel } from './grpc.js'
import { shortId } from './record.js'
import { deadline } from './timer.js'
import type { Deadline } from './timer.js'
import type { ContainerRecord, EngineKind } from './record.js'

export interface MetadataOptions {
  /** The plugin's init_config, read (containerEngineConfig); default: its defaults. */
  config?: ContainerEngineConfig
  /** Ready-made clients instead of the ones the config names (tests, custom runtimes). */
  clients?: RuntimeClient[]
  /** Upper bound of one lookup, all runtimes and retries included. */
  lookupTimeoutMs?: number
  /** Upper bound of one call to one runtime. */
  callTimeoutMs?: number
  /** How long a runtime that does not know an id yet is asked again (the plugin: 150 ms)... */
  notFoundRetryMs?: number
  /** ...and how often (the plugin: 30 ms). */
  retryIntervalMs?: number
  /** How often absent or silent runtimes are looked for again. */
  discoveryIntervalMs?: number
  /** How long "no runtime knows this id" is believed. */
  negativeTtlMs?: number
  /** Cache size; the oldest entries go first. */
  maxEntries?: number
  /** List each runtime's containers into the cache when it comes up. */
  prefetch?: boolean
  /** Follow the runtimes' create/remove events. */
  watch?: boolean
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void
}

export interface LookupOutcome {
  info: ContainerRecord | null
  /** Why info is null ('' when it is not). */
  reason: string
  /** Answered from the cache (or the negative cache) without asking a runtime. */
  cached: boolean
  ms: number
}

export type MetadataChange = { kind: 'added'; info: ContainerRecord } | { kind: 'removed'; id: string }

export type EndpointState = 'absent' | 'down' | 'up'

export interface EndpointStatus {
  engine: EngineKind
  socket: string
  state: EndpointState
  /** Runtime name and version when up; why not otherwise. */
  detail: string
  /** Whether its create/remove events are followed. */
  watching: boolean
}

interface Endpoint {
  client: RuntimeClient
  state: EndpointState
  detail: string
  probing: Promise<void> | null
  watch: Watch | null
  /** false once the runtime said it has no event stream. */
  canWatch: boolean
  /** Date.now() of the last probe's start. */
  probedAt: number
}

const DEFAULT_ORDER: readonly EngineKind[] = ENGINE_KINDS // podman, docker, cri, containerd

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

/** Waits for `p`, at most `ms` (the timer is cleared either way). */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: Deadline | undefined
  try {
    await Promise.race([p, new Promise<void>(r => { timer = deadline(Math.max(0, ms), r) })])
  } finally {
    timer?.clear()
  }
}

/** Builds one client per enabled (engine, socket); CRI and containerd on one socket share a connection. */
export function clientsFor(cfg: ContainerEngineConfig): RuntimeClient[] {
  const opts = { labelMaxLen: cfg.labelMaxLen, withSize: cfg.withSize }
  const channels = new Map<string, GrpcChannel>()
  const channel = (p: string): GrpcChannel => {
    let c = channels.get(p)
    if (c === undefined) channels.set(p, (c = new GrpcChannel(p)))
    return c
  }
  const out: RuntimeClient[] = []
  for (const kind of ENGINE_KINDS) {
    const e = cfg.engines[kind]
    if (!e.enabled) continue
    for (const s of e.sockets) {
      const p = socketPath(cfg.hostRoot, s)
      if (kind === 'docker' || kind === 'podman') out.push(new DockerClient(kind, p, opts))
      else if (kind === 'cri') out.push(new CriClient(p, opts, channel(p)))
      else out.push(new ContainerdClient(p, opts, channel(p)))
    }
  }
  return out
}

export class ContainerMetadata {
  private readonly endpoints: Endpoint[]
  private readonly cache = new Map<string, ContainerRecord>()
  private readonly misses = new Map<string, { until: number; reason: string }>()
  private readonly inflight = new Map<string, Promise<LookupOutcome>>()
  /** Ids no runtime knew, retried when a runtime comes up (bounded, oldest dropped). */
  private readonly unresolved = new Map<string, { id: string; hint: LookupHint; at: number }>()
  private readonly listeners = new Set<(c: MetadataChange) => void>()
  private timer: NodeJS.Timeout | null = null
  private firstDiscovery: Promise<void> | null = null
  private closed = false
  private ticks = 0

  readonly lookupTimeoutMs: number
  private readonly callTimeoutMs: number
  private readonly notFoundRetryMs: number
  private readonly retryIntervalMs: number
  private readonly discoveryIntervalMs: number
  private readonly negativeTtlMs: number
  private readonly maxEntries: number
  private readonly prefetch: boolean
  private readonly follow: boolean
  private readonly log: (level: 'debug' | 'info' | 'warn', message: string) => void

  /** Lookups that asked a runtime, and their total time, for metrics. */
  readonly stats = { lookups: 0, hits: 0, misses: 0, runtimeQueries: 0, queryMsTotal: 0 }

  constructor(opts: MetadataOptions = {}) {
    const cfg = opts.config ?? containerEngineConfig().config
    this.endpoints = (opts.clients ?? clientsFor(cfg)).map(client => ({
      client, state: 'absent' as EndpointState, detail: 'not looked for yet', probing: null, watch: null, canWatch: true, probedAt: 0,
    }))
    // generous: a Saker busy with a burst of events turns its event loop slowly, and a
    // runtime marked down for a late answer gives no metadata until it is probed again
    this.lookupTimeoutMs = opts.lookupTimeoutMs ?? 3000
    this.callTimeoutMs = opts.callTimeoutMs ?? 3000
    this.notFoundRetryMs = opts.notFoundRetryMs ?? 150
    this.retryIntervalMs = opts.retryIntervalMs ?? 30
    this.discoveryIntervalMs = opts.discoveryIntervalMs ?? 1000
    this.negativeTtlMs = opts.negativeTtlMs ?? 10_000
    this.maxEntries = opts.maxEntries ?? 16_384
    this.prefetch = opts.prefetch ?? true
    this.follow = opts.watch ?? true
    this.log = opts.log ?? (() => {})
  }

  /** Starts looking for runtimes; resolves when every socket has been looked at once. */
  start(): Promise<void> {
    if (this.firstDiscovery === null) {
      this.firstDiscovery = this.discover()
      this.timer = setInterval(() => void this.discover(), this.discoveryIntervalMs)
      this.timer.unref()
    }
    return this.firstDiscovery
  }

  close(): void {
    this.closed = true
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    for (const ep of this.endpoints) {
      ep.watch?.cancel()
      ep.watch = null
      ep.client.close()
    }
    this.listeners.clear()
  }

  onChange(cb: (c: MetadataChange) => void): () => void {
    this.listeners.add(cb)
    return () => this.listeners.delete(cb)
  }

  status(): EndpointStatus[] {
    return this.endpoints.map(ep => ({
      engine: ep.client.engine, socket: ep.client.socket, state: ep.state, detail: ep.detail, watching: ep.watch !== null,
    }))
  }

  /** The cached record of an id (short or full), without asking anyone. */
  peek(id: string): ContainerRecord | undefined {
    return this.cache.get(shortId(id))
  }

  /** Drops an id: the container is gone (its pid namespace's init exited, as the plugin decides). */
  forget(id: string): void {
    const key = shortId(id)
    this.misses.delete(key)
    this.unresolved.delete(key)
    if (this.cache.delete(key)) this.emit({ kind: 'removed', id: key })
  }

  /** The container's record, or null when no runtime knows it in time. Never rejects. */
  async lookup(id: string, hint: LookupHint | EngineKind = NO_HINT): Promise<ContainerRecord | null> {
    return (await this.resolve(id, hint)).info
  }

  /** lookup() with the reason for a null and where the answer came from. */
  resolve(id: string, hint: LookupHint | EngineKind = NO_HINT, fresh = false): Promise<LookupOutcome> {
    const t0 = Date.now()
    const key = shortId(id)
    this.stats.lookups++
    let hit = fresh ? undefined : this.cache.get(key)
    // Cached at its create event, before it ran: ask again (at most every 250 ms), since a
    // lookup means some process of it runs now.
    if (hit !== undefined && hit.state === 'created' && t0 - hit.fetchedAt > 250) {
      hit = undefined
      fresh = true
    }
    if (hit !== undefined) {
      this.stats.hits++
      return Promise.resolve({ info: hit, reason: '', cached: true, ms: 0 })
    }
    const miss = fresh ? undefined : this.misses.get(key)
    if (miss !== undefined) {
      if (miss.until > t0) return Promise.resolve({ info: null, reason: miss.reason, cached: true, ms: 0 })
      this.misses.delete(key)
    }
    const running = this.inflight.get(key)
    if (running !== undefined) return running
    const h: LookupHint = typeof hint === 'string' ? { engines: [hint], fullId: '' } : hint
    const p = this.query(key, id, h, t0)
      .catch((e: unknown) => ({ info: null, reason: `internal error: ${(e as Error).message}`, cached: false, ms: Date.now() - t0 }))
      .finally(() => this.inflight.delete(key))
    this.inflight.set(key, p)
    return p
  }

  private ordered(hint: LookupHint): Endpoint[] {
    const rank = (k: EngineKind): number => {
      const i = hint.engines.indexOf(k)
      return i >= 0 ? i : hint.engines.length + DEFAULT_ORDER.indexOf(k)
    }
    return this.endpoints
      .filter(ep => ep.state === 'up')
      .sort((a, b) => rank(a.client.engine) - rank(b.client.engine))
  }

  private async query(key: string, id: string, hint: LookupHint, t0: number): Promise<LookupOutcome> {
    const deadline = t0 + this.lookupTimeoutMs
    const left = (): number => deadline - Date.now()
    // A container nobody knows may be the first of a runtime that just started (or came
    // back): look for the sockets not up now, not at the next discovery round (whose timer a
    // busy event loop delays). While sockets are probed, wait for those of the hinted
    // runtimes (all of them when none is up), within the bound, rather than answer "no
    // runtime"; a slow unrelated runtime must not hold the lookup.
    for (const ep of this.endpoints) {
      if (ep.state !== 'up' && ep.probing === null && t0 - ep.probedAt >= 100) void this.probe(ep)
    }
    const noneUp = !this.endpoints.some(ep => ep.state === 'up')
    const pending = this.endpoints
      .filter(ep => noneUp || hint.engines.length === 0 || hint.engines.includes(ep.client.engine))
      .map(ep => ep.probing)
      .filter((p): p is Promise<void> => p !== null)
    if (pending.length > 0) await within(Promise.all(pending), left())
    const qid = hint.fullId !== '' && hint.fullId.startsWith(key) ? hint.fullId : id
    let reason = ''
    // containerd's native API knows a CRI container a moment before the CRI plugin does (its
    // /containers/create event comes first): keep asking the CRI for the richer answer, and
    // settle for the native one only when time runs out.
    let fallback: ContainerRecord | null = null
    for (;;) {
      const eps = this.ordered(hint)
      if (eps.length === 0) {
        reason = `no container runtime is reachable (${this.endpoints.map(ep => `${ep.client.engine} ${ep.client.socket}: ${ep.detail}`).join('; ') || 'none enabled'})`
        break
      }
      this.stats.runtimeQueries++
      const q0 = Date.now()
      const answers = eps.map(ep => ep.client.inspect(qid, Math.max(1, Math.min(this.callTimeoutMs, left()))))
      const reasons: string[] = []
      let winner: ContainerRecord | null = null
      for (let i = 0; i < eps.length && winner === null; i++) {
        const r = await answers[i]!
        const ep = eps[i]!
        if (r.ok) {
          if (r.info.engine === 'containerd' && r.info.label('io.cri-containerd.kind') !== undefined) {
            // Made by the CRI plugin: the CRI answer on the same socket (pod, ip...) is better.
            const j = eps.findIndex(e => e.client.engine === 'cri' && e.client.socket === r.info.socket)
            const cri = j >= 0 ? await answers[j]! : null
            if (cri !== null && cri.ok) winner = cri.info
            else if (cri !== null && cri.code === 'not-found') fallback = r.info
            else winner = r.info
          } else winner = r.info
          continue
        }
        reasons.push(r.reason)
        if (r.code === 'unavailable') this.markDown(ep, r.reason)
      }
      this.stats.queryMsTotal += Date.now() - q0
      if (winner !== null) {
        if (!this.closed) this.store(winner)
        return { info: winner, reason: '', cached: false, ms: Date.now() - t0 }
      }
      reason = reasons.join('; ')
      const elapsed = Date.now() - t0
      if (left() <= this.retryIntervalMs) break
      if (fallback === null && elapsed + this.retryIntervalMs > this.notFoundRetryMs) break
      await sleep(this.retryIntervalMs)
    }
    if (fallback !== null) {
      if (!this.closed) this.store(fallback)
      return { info: fallback, reason: '', cached: false, ms: Date.now() - t0 }
    }
    this.stats.misses++
    if (!this.closed) {
      this.misses.set(key, { until: Date.now() + this.negativeTtlMs, reason })
      this.unresolved.delete(key)
      this.unresolved.set(key, { id, hint, at: Date.now() })
      if (this.unresolved.size > 1024) this.unresolved.delete(this.unresolved.keys().next().value as string)
    }
    return { info: null, reason, cached: false, ms: Date.now() - t0 }
  }

  /** Asks again for a container already cached (after its start), after any lookup in flight. */
  private async refresh(id: string, hint: LookupHint): Promise<void> {
    await this.inflight.get(shortId(id))
    await this.resolve(id, hint, true)
  }

  private store(info: ContainerRecord): void {
    info.fetchedAt = Date.now()
    const key = shortId(info.id || info.fullId)
    this.misses.delete(key)
    this.unresolved.delete(key)
    this.cache.delete(key)
    this.cache.set(key, info)
    if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string)
    this.emit({ kind: 'added', info })
  }

  private emit(c: MetadataChange): void {
    for (const cb of this.listeners) {
      try {
        cb(c)
      } catch (e) {
        this.log('warn', `container metadata listener failed: ${(e as Error).message}`)
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // Discovery

  private async discover(): Promise<void> {
    if (this.closed) return
    this.ticks++
    await Promise.all(this.endpoints.map(ep => {
      if (ep.state !== 'up') return this.probe(ep)
      // A runtime whose events are followed is known to be alive; the others are asked now
      // and then (every 5th round), so a stopped one is not reported up for long.
      if (ep.watch === null && this.ticks % 5 === 0) return this.check(ep)
      return undefined
    }))
  }

  private async check(ep: Endpoint): Promise<void> {
    const p = await ep.client.probe(this.callTimeoutMs)
    if (!p.ok && p.code !== 'not-found') this.markDown(ep, p.reason)
  }

  private probe(ep: Endpoint): Promise<void> {
    if (ep.probing !== null) return ep.probing
    ep.probedAt = Date.now()
    ep.probing = (async () => {
      try {
        await stat(ep.client.socket)
      } catch (e) {
        this.setState(ep, 'absent', `no socket (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
        return
      }
      const p = await ep.client.probe(this.callTimeoutMs)
      if (this.closed) return
      if (!p.ok) {
        this.setState(ep, 'down', p.reason)
        return
      }
      this.setState(ep, 'up', `${p.runtimeName} ${p.version}`.trim())
      this.onUp(ep)
    })().finally(() => {
      ep.probing = null
    })
    return ep.probing
  }

  private setState(ep: Endpoint, state: EndpointState, detail: string): void {
    if (ep.state !== state) this.log(state === 'up' ? 'info' : 'debug', `container runtime ${ep.client.engine} at ${ep.client.socket}: ${state} (${detail})`)
    ep.state = state
    ep.detail = detail
  }

  /** The runtime behind this socket stopped answering: every client of that socket is down. */
  private markDown(ep: Endpoint, reason: string): void {
    for (const e of this.endpoints) {
      if (e.client.socket !== ep.client.socket || e.state !== 'up') continue
      e.watch?.cancel()
      e.watch = null
      this.setState(e, 'down', reason)
      // Probe again soon: a restarting runtime is usually back within a second.
      if (!this.closed) setTimeout(() => void this.probe(e), 100).unref()
    }
  }

  private onUp(ep: Endpoint): void {
    // What nobody knew before may be known now.
    this.misses.clear()
    if (this.follow && ep.canWatch) {
      ep.watch = ep.client.watch(
        e => {
          const hint = { engines: [], fullId: e.id.length === 64 ? e.id : '' }
          if (e.kind === 'remove') this.forget(e.id)
          // A container is known at create, but its ip and start time only once started.
          else if (e.kind === 'start') void this.refresh(e.id, hint)
          else if (!this.cache.has(shortId(e.id))) void this.resolve(e.id, hint)
        },
        (reason, unsupported) => {
          ep.watch = null
          if (unsupported) {
            ep.canWatch = false
            this.log('debug', `${ep.client.engine} at ${ep.client.socket} has no event stream: ${reason}`)
          } else this.markDown(ep, reason)
        },
      )
    }
    const retry = [...this.unresolved.values()]
    this.unresolved.clear()
    void this.refill(ep, retry)
  }

  private async refill(ep: Endpoint, retry: { id: string; hint: LookupHint }[]): Promise<void> {
    const work: { id: string; hint: LookupHint }[] = [...retry]
    if (this.prefetch) {
      const ids = await ep.client.list(this.lookupTimeoutMs)
      if (ids !== null) {
        const have = new Set(ids.map(shortId))
        // Containers this runtime answered for before and no longer has went away while it was down.
        for (const [key, info] of this.cache) {
          if (info.engine === ep.client.engine && info.socket === ep.client.socket && !have.has(key)) this.forget(key)
        }
        for (const id of ids) if (!this.cache.has(shortId(id))) work.push({ id, hint: NO_HINT })
      }
    }
    // A few at a time: a node may have hundreds of containers.
    const next = async (): Promise<void> => {
      for (let w = work.shift(); w !== undefined && !this.closed; w = work.shift()) await this.resolve(w.id, w.hint)
    }
    await Promise.all([next(), next(), next(), next()])
  }
}
