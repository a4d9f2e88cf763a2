// Timeouts that let pending I/O go first. Node runs expired timers before it polls for I/O:
// when the event loop was busy past a deadline (a big batch of events), an answer that
// arrived in time would lose to its own timeout. These fire only after one more poll.

export interface Deadline {
  clear(): void
}

/** Calls `fn` once `ms` passed and the I/O that was ready by then has been handled. */
export function deadline(ms: number, fn: () => void): Deadline {
  let immediate: NodeJS.Immediate | null = null
  const timer = setTimeout(() => {
    immediate = setImmediate(fn)
  }, ms)
  return {
    clear(): void {
      clearTimeout(timer)
      if (immediate !== null) clearImmediate(immediate)
    },
  }
}
