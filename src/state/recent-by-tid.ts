// A thread-id keyed Map's recent answers, kept in a direct-mapped array: the paths that look a
// thread up for every event (the state's thread table, the converter's pending enter events)
// meet a few hundred tids at a time, and a typed-array compare is cheaper than Map.get.

const SLOTS = 1024

export class RecentByTid<T> {
  private readonly tids = new Float64Array(SLOTS).fill(NaN)
  private readonly values: (T | undefined)[] = new Array<T | undefined>(SLOTS).fill(undefined)

  /** Its owner calls `forget` (or `clear`) whenever it changes `map`'s entry for a tid. */
  constructor(private readonly map: ReadonlyMap<number, T>) {}

  get(tid: number): T | undefined {
    const slot = tid & (SLOTS - 1)
    if (this.tids[slot] === tid) return this.values[slot]
    const v = this.map.get(tid)
    this.tids[slot] = tid
    this.values[slot] = v
    return v
  }

  // The value goes too: a removed thread kept here would live on (with its fd table) until its
  // slot was reused, and every young object it holds would be promoted to the old generation.
  forget(tid: number): void {
    const slot = tid & (SLOTS - 1)
    this.tids[slot] = NaN
    this.values[slot] = undefined
  }

  clear(): void {
    this.tids.fill(NaN)
    this.values.fill(undefined)
  }
}
