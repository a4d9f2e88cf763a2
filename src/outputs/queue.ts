// A FIFO with an optional bound, for alerts waiting on a channel. Pushing onto a full queue
// fails instead of waiting, as tbb::concurrent_bounded_queue::try_push does in Falco: the
// event path never waits for an output.

export class BoundedQueue<T> {
  private items: (T | undefined)[] = []
  private head = 0
  /** The most items held at once; Infinity when unbounded. */
  readonly capacity: number

  /** @param capacity the bound; 0 means unbounded, as `outputs_queue.capacity: 0` does */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`outputs_queue.capacity must be a whole number >= 0, got ${capacity}`)
    }
    this.capacity = capacity === 0 ? Infinity : capacity
  }

  get length(): number {
    return this.items.length - this.head
  }

  /** Adds `item` unless the queue is full; false when it was not added. */
  tryPush(item: T): boolean {
    if (this.length >= this.capacity) return false
    this.items.push(item)
    return true
  }

  /** Adds `item` even past the bound (control messages must not be lost). */
  forcePush(item: T): void {
    this.items.push(item)
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head++
    // drop the consumed prefix once it is the larger part, so memory follows the length
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    } else if (this.head === this.items.length) {
      this.items.length = 0
      this.head = 0
    }
    return item
  }

  /** Removes everything; returns how many items there were. */
  clear(): number {
    const n = this.length
    this.items = []
    this.head = 0
    return n
  }
}
