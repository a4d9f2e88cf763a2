// The outputs: what happens to an alert once a rule fired (userspace/falco/falco_outputs.cpp).
//
// emit() runs on the event path and never waits: it wraps the alert once, offers it to each
// channel's queue, and returns. Each channel has its own bounded queue and its own writer
// loop, so a slow channel (a stuck program, a webhook) delays and drops only its own alerts.
// Falco has one queue and one worker thread that visits the channels in turn, so one slow
// channel there holds up all of them; the capacity, the drop rule (the newest alert is
// dropped when the queue is full, try_push) and the drop counter are Falco's.
//
// Rendering is lazy and done at most once per form: the first channel to write an alert
// renders it (JSON with json_output, text otherwise), the others reuse the text. The alert
// itself already holds every value taken from the event, so rendering later is safe.
//
// Shutdown: close() waits for the queues to drain and the channels to flush and close,
// at most output_timeout ms for each of the two steps; what is still queued then is
// discarded, as Falco's stop_worker does. Call it (and await it) before the process exits,
// or buffered alerts are lost.
import { log as defaultLogger } from '../cli/log.js'
import type { SakerConfig } from '../config/types.js'
import { Alert, AlertRule, DEFAULT_RENDER_OPTIONS, renderOptionsFromConfig } from './alert.js'
import type { OutputFields, RenderOptions } from './alert.js'
import { OutputMessage } from './channels/channel.js'
import type { Channel, ChannelContext, OutputLog } from './channels/channel.js'
import { anyOutputEnabled, channelsFromConfig } from './channels/index.js'
import type { ChannelsOptions } from './channels/index.js'
import { hostname as osHostname } from 'node:os'
import { BoundedQueue } from './queue.js'

/** Alerts one write hands a channel at most, unless the channel says otherwise. */
const MAX_BATCH = 256

export interface OutputsOptions {
  /** json_output. */
  jsonOutput?: boolean
  render?: RenderOptions
  /** buffered_outputs (false after -U). */
  buffered?: boolean
  /** outputs_queue.capacity: alerts waiting per channel; 0 = unbounded. */
  queueCapacity?: number
  /** output_timeout, ms: a write taking longer is reported; shutdown waits this long. 0 = no limit. */
  timeoutMs?: number
  hostname?: string
  /** The channels, or a maker given the context each channel is made with. */
  channels?: readonly Channel[] | ((ctx: ChannelContext) => readonly Channel[])
  log?: OutputLog
}

export interface ChannelStats {
  name: string
  /** Alerts waiting in the queue. */
  queued: number
  /** Alerts the channel took (written, or held in its buffer). */
  delivered: number
  /** Alerts refused because the queue was full, or discarded at shutdown. */
  dropped: number
  /** Writes that failed (the alerts of a failed write are lost). */
  failures: number
}

/** FALCO_HOSTNAME when set (even empty, as getenv), else the host's name (init_outputs.cpp). */
export function resolveHostname(env: NodeJS.ProcessEnv = process.env): { hostname: string; fromEnv: boolean } {
  const h = env['FALCO_HOSTNAME']
  if (h !== undefined) return { hostname: h, fromEnv: true }
  return { hostname: osHostname(), fromEnv: false }
}

interface Control {
  readonly control: 'flush' | 'reopen'
  readonly done: () => void
}
type Item = OutputMessage | Control

const isControl = (i: Item): i is Control => !(i instanceof OutputMessage)

/** One channel with its queue and its writer loop. */
class Lane {
  readonly queue: BoundedQueue<Item>
  delivered = 0
  dropped = 0
  failures = 0
  private running = false
  private scheduled = false
  private waiters: (() => void)[] = []
  private lastError = ''
  private readonly maxBatch: number

  constructor(
    readonly channel: Channel,
    capacity: number,
    private readonly timeoutMs: number,
    private readonly log: OutputLog,
  ) {
    this.queue = new BoundedQueue<Item>(capacity)
    this.maxBatch = Math.max(1, channel.maxBatch ?? MAX_BATCH)
  }

  offer(m: OutputMessage): boolean {
    if (!this.queue.tryPush(m)) {
      this.dropped++
      return false
    }
    this.kick()
    return true
  }

  /** Runs flush or reopen after everything queued before it. */
  control(control: Control['control']): Promise<void> {
    return new Promise<void>((done) => {
      this.queue.forcePush({ control, done })
      this.kick()
    })
  }

  /** Resolves once the queue is empty and no write is running. */
  idle(): Promise<void> {
    if (!this.running && !this.scheduled && this.queue.length === 0) return Promise.resolve()
    return new Promise<void>((r) => this.waiters.push(r))
  }

  /** Empties the queue; pending flush/reopen requests are answered. */
  discard(): void {
    for (let i = this.queue.shift(); i !== undefined; i = this.queue.shift()) {
      if (isControl(i)) i.done()
      else this.dropped++
    }
  }

  // The loop starts in a microtask, so alerts emitted by one synchronous run of the event
  // path (a whole buffer of events) reach the channel as one batch.
  private kick(): void {
    if (this.running || this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      void this.run()
    })
  }

  private async run(): Promise<void> {
    this.running = true
    try {
      const q = this.queue
      while (q.length > 0) {
        const head = q.peek()!
        if (isControl(head)) {
          q.shift()
          await this.guard(() => (head.control === 'flush' ? this.channel.flush() : this.channel.reopen()))
          head.done()
          continue
        }
        const batch: OutputMessage[] = []
        while (batch.length < this.maxBatch && q.length > 0 && !isControl(q.peek()!)) batch.push(q.shift() as OutputMessage)
        if (await this.guard(() => this.channel.write(batch))) this.delivered += batch.length
      }
    } finally {
      this.running = false
      const w = this.waiters
      this.waiters = []
      for (const r of w) r()
    }
  }

  /** Awaits one channel call, with Falco's watchdog message when it takes too long. */
  private async guard(call: () => Promise<void>): Promise<boolean> {
    const name = this.channel.name
    const timer =
      this.timeoutMs > 0
        ? setTimeout(() => this.log('critical', `"${name}" output timeout, the channel is blocked (its alerts wait, or drop when its queue is full)`), this.timeoutMs)
        : null
    timer?.unref()
    try {
      await call()
      this.lastError = ''
      return true
    } catch (e) {
      this.failures++
      const msg = name + ': ' + (e as Error).message
      // a channel that keeps failing the same way is reported once, until it recovers
      if (msg !== this.lastError) this.log('error', msg)
      this.lastError = msg
      return false
    } finally {
      if (timer !== null) clearTimeout(timer)
    }
  }
}

/** Resolves true when `p` settles within `ms` (always, when ms is 0), false otherwise. */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms <= 0) return p.then(() => true)
  return new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), ms)
    p.then(
      () => {
        clearTimeout(t)
        resolve(true)
      },
      () => {
        clearTimeout(t)
        resolve(true)
      },
    )
  })
}

export class Outputs {
  readonly hostname: string
  readonly jsonOutput: boolean
  readonly render: RenderOptions
  /**
   * Whether alerts need their output_fields: when false, the engine can skip
   * CompiledOutput.fields and pass null.
   */
  readonly wantsFields: boolean
  private readonly lanes: readonly Lane[]
  private readonly log: OutputLog
  private readonly timeoutMs: number
  private drops = 0
  private closing: Promise<void> | null = null
  private readonly internalRules = new Map<string, AlertRule>()

  constructor(opts: OutputsOptions = {}) {
    this.log = opts.log ?? ((level, msg) => defaultLogger.log(level, msg))
    this.jsonOutput = opts.jsonOutput ?? false
    this.render = opts.render ?? DEFAULT_RENDER_OPTIONS
    this.hostname = opts.hostname ?? resolveHostname().hostname
    this.timeoutMs = opts.timeoutMs ?? 2000
    const ctx: ChannelContext = {
      buffered: opts.buffered ?? false,
      jsonOutput: this.jsonOutput,
      hostname: this.hostname,
      render: this.render,
      log: this.log,
    }
    const capacity = opts.queueCapacity ?? 0
    const channels = typeof opts.channels === 'function' ? opts.channels(ctx) : (opts.channels ?? [])
    this.lanes = channels.map((c) => new Lane(c, capacity, this.timeoutMs, this.log))
    this.wantsFields =
      (this.jsonOutput && this.render.jsonIncludeOutputFieldsProperty) || channels.some((c) => c.needsFields === true)
  }

  /**
   * The outputs a configuration asks for. Throws Falco's message when no channel is
   * enabled. Reads FALCO_HOSTNAME from `env`.
   */
  static fromConfig(
    cfg: SakerConfig,
    opts: { env?: NodeJS.ProcessEnv; log?: OutputLog; channels?: ChannelsOptions } = {},
  ): Outputs {
    if (!anyOutputEnabled(cfg)) {
      throw new Error('No output configured, please make sure at least one output is configured and enabled.')
    }
    const log = opts.log ?? ((level, msg) => defaultLogger.log(level, msg))
    const host = resolveHostname(opts.env ?? process.env)
    if (host.fromEnv) log('info', 'Hostname value has been overridden via environment variable to: ' + host.hostname)
    return new Outputs({
      jsonOutput: cfg.json_output,
      render: renderOptionsFromConfig(cfg),
      buffered: cfg.buffered_outputs,
      queueCapacity: cfg.outputs_queue.capacity,
      timeoutMs: cfg.output_timeout,
      hostname: host.hostname,
      channels: (ctx) => channelsFromConfig(cfg, ctx, opts.channels),
      log,
    })
  }

  /** The channels, in configuration order. */
  get channels(): readonly Channel[] {
    return this.lanes.map((l) => l.channel)
  }

  /** Alerts that at least one channel had to drop (Falco's outputs_queue_num_drops). */
  get numDrops(): number {
    return this.drops
  }

  stats(): ChannelStats[] {
    return this.lanes.map((l) => ({
      name: l.channel.name,
      queued: l.queue.length,
      delivered: l.delivered,
      dropped: l.dropped,
      failures: l.failures,
    }))
  }

  /** Sends an alert to every channel. Never waits; an alert a full queue refuses is counted. */
  emit(alert: Alert): void {
    if (this.closing !== null) return
    const lanes = this.lanes
    if (lanes.length === 0) return
    const m = new OutputMessage(alert, this.render, this.jsonOutput)
    let dropped = false
    for (let i = 0; i < lanes.length; i++) if (!lanes[i]!.offer(m)) dropped = true
    if (dropped) {
      if (this.drops === 0) this.log('error', 'Outputs queue out of memory. Drop event and continue on ...')
      this.drops++
    }
  }

  /**
   * A message from Saker itself (Falco's handle_msg), e.g. rule "Falco internal: syscall
   * event drop" with msg "Falco internal: syscall event drop. 12 system calls dropped in
   * last second." and its counters as fields. It takes the same queues as alerts.
   *
   * @param ts ns since the epoch
   * @param priority 0..7
   * @param fields string, number, boolean or null values (printed as JSON in the text line)
   */
  internal(ts: bigint, priority: number, rule: string, msg: string, fields: OutputFields = {}): void {
    const key = priority + '\0' + rule
    let r = this.internalRules.get(key)
    if (r === undefined) {
      r = AlertRule.internalMessage(rule, priority)
      this.internalRules.set(key, r)
    }
    this.emit(new Alert(r, ts, msg, fields, this.hostname))
  }

  /** Resolves when everything emitted so far is written and the channels' buffers flushed. */
  async flush(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.control('flush')))
  }

  /** Closes and reopens files and programs, after what is queued (SIGUSR1). */
  async reopen(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.control('reopen')))
  }

  /** Writes what is queued and closes every channel; later emits are ignored. */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    const lanes = this.lanes
    if (!(await within(Promise.all(lanes.map((l) => l.idle())), this.timeoutMs))) {
      this.log('notice', 'output channels still blocked, discarding all remaining notifications')
      for (const l of lanes) l.discard()
    }
    // a channel closes once its own writes are over, so no write runs on a closed channel
    const closing = lanes.map(async (l) => {
      await l.idle()
      try {
        await l.channel.close()
      } catch (e) {
        this.log('error', l.channel.name + ': ' + (e as Error).message)
      }
    })
    if (!(await within(Promise.all(closing), this.timeoutMs))) {
      this.log('notice', 'output channels still blocked at close, stopping them')
      for (const l of lanes) l.channel.destroy()
    }
  }
}
