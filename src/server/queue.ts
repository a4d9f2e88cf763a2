// The bounded queue between a server that accepts events and the (synchronous or slow)
// consumer that runs rules on them.
//
// A request's events enter all together or not at all: when they do not fit, offer()
// says no and the server answers 503, so the sender (the API server's audit webhook
// backend retries) knows, and nothing it was told was accepted is lost. Everything
// accepted is delivered in order; close() either delivers what is left or counts it as
// dropped. Delivery runs in slices of the event loop so the server keeps answering while
// a long queue drains, and a consumer that returns a promise is awaited (that is what
// lets a slow consumer fill the queue instead of memory).

export interface QueueStats {
  /** Items taken in by offer(). */
  accepted: number
  /** Items handed to the consumer (a consumer that threw included). */
  delivered: number
  /** Items refused by offer() because they did not fit or the queue was closed. */
  rejected: number
  /** Accepted items never delivered: left over at close({ drain: false }). */
  dropped: number
  /** Consumer calls that threw or rejected. */
  consumerErrors: number
  /** The most items queued at once. */
  highWater: number
}

export interface QueueOptions {
  /** Most items delivered per event-loop turn before yielding (default 4096). */
  readonly sliceSize?: number
  /**
   * Longest a turn of deliveries runs before yielding to the server, in ms (default 5).
   * Time rather than a count alone: with cheap items a turn delivers many (fewer turns, and
   * parsed events do not pile up while requests keep arriving), with costly ones it still
   * lets the server answer within a few ms.
   */
  readonly sliceMs?: number
  /** Told about each consumer error (the item is still counted as delivered). */
  readonly onError?: (err: unknown) => void
}

export type Consumer<T> = (item: T) => void | PromiseLike<void>

export class BoundedQueue<T> {
  readonly stats: QueueStats = { accepted: 0, delivered: 0, rejected: 0, dropped: 0, consumerErrors: 0, highWater: 0 }
  private items: (T | undefined)[] = []
  private head = 0
  private running = false
  private closed = false
  private idle: (() => void)[] = []
  private readonly sliceSize: number
  private readonly sliceMs: number

  constructor(
    /** Most items queued; one batch larger than this is still taken when the queue is empty. */
    readonly capacity: number,
    private readonly consumer: Consumer<T>,
    private readonly opts: QueueOptions = {},
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`)
    this.sliceSize = opts.sliceSize ?? 4096
    this.sliceMs = opts.sliceMs ?? 5
  }

  /** Items waiting for the consumer. */
  get size(): number {
    return this.items.length - this.head
  }

  /** Takes every item of `batch`, or none (false) when they do not fit or the queue is closed. */
  offer(batch: readonly T[]): boolean {
    const n = batch.length
    if (this.closed || (this.size > 0 && this.size + n > this.capacity)) {
      this.stats.rejected += n
      return false
    }
    if (n === 0) return true
    for (let i = 0; i < n; i++) this.items.push(batch[i])
    this.stats.accepted += n
    if (this.size > this.stats.highWater) this.stats.highWater = this.size
    if (!this.running) {
      this.running = true
      setImmediate(() => void this.run())
    }
    return true
  }

  /** Resolves once every accepted item has been delivered. */
  drained(): Promise<void> {
    if (!this.running && this.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }

  /** Refuses new items; delivers what is queued (drain) or drops it, counted. */
  async close(opts: { drain: boolean } = { drain: true }): Promise<void> {
    this.closed = true
    if (!opts.drain) {
      this.stats.dropped += this.size
      this.items = []
      this.head = 0
    }
    await this.drained()
  }

  private async run(): Promise<void> {
    let turn = 0
    let turnStart = performance.now()
    while (this.head < this.items.length) {
      const item = this.items[this.head] as T
      this.items[this.head++] = undefined
      this.stats.delivered++
      try {
        const r = this.consumer(item)
        if (r !== undefined && typeof (r as PromiseLike<void>).then === 'function') await r
      } catch (err) {
        this.stats.consumerErrors++
        this.opts.onError?.(err)
      }
      // the clock is read every 32 items: performance.now() is not free
      if (++turn >= this.sliceSize || ((turn & 31) === 0 && performance.now() - turnStart >= this.sliceMs)) {
        turn = 0
        this.compact()
        await new Promise<void>((resolve) => setImmediate(resolve))
        turnStart = performance.now()
      }
    }
    this.items = []
    this.head = 0
    this.running = false
    const waiting = this.idle
    this.idle = []
    for (const resolve of waiting) resolve()
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
  }
}
