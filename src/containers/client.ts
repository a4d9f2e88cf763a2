// What every runtime client offers the provider. Each call is bounded by a time limit and
// never throws: failures come back as values with a reason a user can read.

import type { ContainerRecord, EngineKind } from './record.js'

/**
 * not-found: the runtime answered and does not know the id (ask the next one);
 * unavailable: nobody answered on the socket (the runtime is down or restarting);
 * timeout / error: it answered late or wrongly.
 */
export type FailureCode = 'not-found' | 'unavailable' | 'timeout' | 'error'

export type Lookup = { ok: true; info: ContainerRecord } | { ok: false; code: FailureCode; reason: string }

export type Probe = { ok: true; runtimeName: string; version: string } | { ok: false; code: FailureCode; reason: string }

/** A change the runtime reports by itself. */
export interface RuntimeEvent {
  /** start: what was cached at create (no ip, no start time yet) is out of date. */
  kind: 'create' | 'start' | 'remove'
  id: string
}

export interface Watch {
  cancel(): void
}

export interface ClientOptions {
  labelMaxLen: number
  withSize: boolean
}

export interface RuntimeClient {
  readonly engine: EngineKind
  /** The socket as opened (host root included). */
  readonly socket: string
  /** Is the runtime there and answering? Also learns its name (CRI: containerd or cri-o). */
  probe(timeoutMs: number): Promise<Probe>
  /** The container with this id: full, or a prefix of at least 12 characters (the cgroup's short id). */
  inspect(id: string, timeoutMs: number): Promise<Lookup>
  /** Ids of the containers the runtime has now (to fill the cache ahead of events); null when it cannot say. */
  list(timeoutMs: number): Promise<string[] | null>
  /**
   * Follows creations and removals. `onEnd` is called once if the stream ends by itself
   * (runtime stopped or restarted), with `unsupported` when the runtime has no such stream.
   */
  watch(onEvent: (e: RuntimeEvent) => void, onEnd: (reason: string, unsupported: boolean) => void): Watch
  close(): void
}

export function failure(code: FailureCode, reason: string): { ok: false; code: FailureCode; reason: string } {
  return { ok: false, code, reason }
}
