// The container plugin's init_config keys, read the way its plugin_config.cpp reads them:
//
//   plugins:
//     - name: container
//       init_config:
//         label_max_len: 100        # longer label values are dropped
//         with_size: false          # ask for the writable layer size (slow)
//         host_root: /host          # default: $HOST_ROOT; prefixed to every socket
//         engines:
//           docker:     { enabled: true, sockets: [/var/run/docker.sock] }
//           podman:     { enabled: true, sockets: [/run/podman/podman.sock] }
//           cri:        { enabled: true, sockets: [/run/containerd/containerd.sock, /run/crio/crio.sock] }
//           containerd: { enabled: true, sockets: [/run/host-containerd/containerd.sock] }
//
// An engine is enabled unless it says enabled: false; an empty or missing sockets list takes
// the defaults below. One difference: the plugin looks for its sockets once, at start;
// Saker keeps looking (src/containers/provider.ts), so a socket that appears later is used.

import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { EngineKind } from './record.js'

export interface SocketsEngine {
  enabled: boolean
  sockets: string[]
}

export interface ContainerEngineConfig {
  labelMaxLen: number
  withSize: boolean
  hostRoot: string
  engines: Record<EngineKind, SocketsEngine>
}

export const DEFAULT_LABEL_MAX_LEN = 100

/**
 * The plugin's default sockets, plus, for containerd's native API, the usual containerd
 * socket: the plugin only looks at Bottlerocket's /run/host-containerd there, so a `ctr run`
 * container on an ordinary node (something worth knowing about) gets no metadata in Falco.
 */
export function defaultSockets(kind: EngineKind, hostRoot: string): string[] {
  switch (kind) {
    case 'docker':
      return ['/var/run/docker.sock']
    case 'podman': {
      const out = ['/run/podman/podman.sock']
      // Rootless podman of each user that has a socket now (the plugin's scan of /run/user).
      try {
        for (const uid of readdirSync(join(hostRoot || '/', 'run/user')).sort()) {
          const p = `/run/user/${uid}/podman/podman.sock`
          try {
            statSync(join(hostRoot || '/', p))
            out.push(p)
          } catch {
            // no socket for this user
          }
        }
      } catch {
        // no /run/user
      }
      return out
    }
    case 'cri':
      return ['/run/containerd/containerd.sock', '/run/crio/crio.sock', '/run/k3s/containerd/containerd.sock', '/run/host-containerd/containerd.sock']
    case 'containerd':
      return ['/run/containerd/containerd.sock', '/run/host-containerd/containerd.sock']
  }
}

export const ENGINE_KINDS: readonly EngineKind[] = ['podman', 'docker', 'cri', 'containerd']

export interface ConfigProblem {
  key: string
  message: string
}

/**
 * Reads the plugin's init_config (an object, or its JSON text as falco.yaml may give it).
 * Unknown keys are ignored as the plugin ignores them; wrong types are reported and the
 * default is used.
 */
export function containerEngineConfig(init: unknown = {}, env: NodeJS.ProcessEnv = process.env): { config: ContainerEngineConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = []
  let o: Record<string, unknown> = {}
  if (typeof init === 'string') {
    if (init.trim() !== '') {
      try {
        const v: unknown = JSON.parse(init)
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) o = v as Record<string, unknown>
        else problems.push({ key: 'init_config', message: 'expected an object' })
      } catch (e) {
        problems.push({ key: 'init_config', message: `not JSON: ${(e as Error).message}` })
      }
    }
  } else if (init !== null && typeof init === 'object' && !Array.isArray(init)) o = init as Record<string, unknown>
  else if (init !== null && init !== undefined) problems.push({ key: 'init_config', message: 'expected an object' })

  const num = (k: string, d: number): number => {
    const v = o[k]
    if (v === undefined) return d
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v
    problems.push({ key: k, message: `expected a non-negative integer, got ${JSON.stringify(v)}` })
    return d
  }
  const flag = (obj: Record<string, unknown>, k: string, d: boolean, where: string): boolean => {
    const v = obj[k]
    if (v === undefined) return d
    if (typeof v === 'boolean') return v
    problems.push({ key: where, message: `expected true or false, got ${JSON.stringify(v)}` })
    return d
  }
  let hostRoot = env.HOST_ROOT ?? ''
  if (o.host_root !== undefined) {
    if (typeof o.host_root === 'string') hostRoot = o.host_root
    else problems.push({ key: 'host_root', message: 'expected a path' })
  }
  hostRoot = hostRoot.replace(/\/+$/, '')

  const enginesIn = o.engines !== null && typeof o.engines === 'object' && !Array.isArray(o.engines) ? (o.engines as Record<string, unknown>) : {}
  if (o.engines !== undefined && enginesIn !== o.engines) problems.push({ key: 'engines', message: 'expected an object' })
  const engines = {} as Record<EngineKind, SocketsEngine>
  for (const kind of ENGINE_KINDS) {
    const e = enginesIn[kind]
    const eo = e !== null && typeof e === 'object' && !Array.isArray(e) ? (e as Record<string, unknown>) : {}
    if (e !== undefined && eo !== e) problems.push({ key: `engines.${kind}`, message: 'expected an object' })
    let sockets: string[] = []
    if (eo.sockets !== undefined) {
      if (Array.isArray(eo.sockets) && eo.sockets.every(s => typeof s === 'string')) sockets = eo.sockets as string[]
      else problems.push({ key: `engines.${kind}.sockets`, message: 'expected a list of paths' })
    }
    engines[kind] = {
      enabled: flag(eo, 'enabled', true, `engines.${kind}.enabled`),
      sockets: sockets.length > 0 ? sockets : defaultSockets(kind, hostRoot),
    }
  }
  return {
    config: { labelMaxLen: num('label_max_len', DEFAULT_LABEL_MAX_LEN), withSize: flag(o, 'with_size', false, 'with_size'), hostRoot, engines },
    problems,
  }
}

/** A socket path as opened: the host root prefixed (as the plugin's filepath.Join does), "unix://" dropped. */
export function socketPath(hostRoot: string, socket: string): string {
  const p = socket.startsWith('unix://') ? socket.slice('unix://'.length) : socket
  return hostRoot === '' ? p : join(hostRoot, p)
}
