// What a cgroup path says about its container beyond the 12-character id matchCgroup
// (src/state/containers.ts) returns: the full id when the path carries it, and which
// runtimes to ask first. The hint only orders the runtimes: every enabled one is still
// asked when the first ones do not know the id.

import type { EngineKind } from './record.js'

export interface LookupHint {
  /** Runtimes most likely to know the container, best first. */
  engines: EngineKind[]
  /** The full id (64 hex characters) when the cgroup path has it. */
  fullId: string
}

export const NO_HINT: LookupHint = { engines: [], fullId: '' }

const HEX64 = /^[0-9a-f]{64}$/

/** The id part of the last path component (prefix and .scope suffix removed). */
function idOf(component: string): string {
  let c = component
  const colon = c.lastIndexOf(':')
  if (colon >= 0) c = c.slice(colon + 1) // systemd driver: kubepods-...slice:cri-containerd:<id>
  c = c.replace(/\.scope$/, '')
  for (const p of ['libpod-payload-', 'libpod-conmon-', 'libpod-', 'docker-', 'cri-containerd-', 'crio-conmon-', 'crio-', 'nerdctl-']) {
    if (c.startsWith(p)) return c.slice(p.length)
  }
  return c
}

export function cgroupHint(cgroup: string): LookupHint {
  const parts = cgroup.split('/').filter(p => p !== '')
  // podman's own cgroup is libpod-<id>.scope/container (cgroup v2): the id is one level up.
  let last = parts[parts.length - 1] ?? ''
  if (last === 'container' && parts.length > 1) last = parts[parts.length - 2]!
  const id = idOf(last)
  const fullId = HEX64.test(id) ? id : ''
  let engines: EngineKind[]
  if (cgroup.includes('libpod')) engines = ['podman']
  else if (cgroup.includes('crio-') || cgroup.includes(':crio:')) engines = ['cri']
  else if (cgroup.includes('cri-containerd')) engines = ['cri', 'containerd']
  else if (cgroup.includes('kubepods')) engines = ['cri', 'containerd', 'docker']
  else if (cgroup.includes('/docker/') || cgroup.includes('docker-')) engines = ['docker', 'podman']
  else if (cgroup.includes('nerdctl-')) engines = ['containerd']
  else if (parts.length === 2) engines = ['containerd'] // /<containerd namespace>/<id>, as ctr run makes
  else engines = []
  return { engines, fullId }
}

/** The hint from a thread's cgroup paths: the first path that has one. */
export function cgroupsHint(paths: readonly string[]): LookupHint {
  let best: LookupHint = NO_HINT
  for (const p of paths) {
    const h = cgroupHint(p)
    if (h.fullId !== '') return h
    if (best.engines.length === 0 && h.engines.length > 0) best = h
  }
  return best
}
