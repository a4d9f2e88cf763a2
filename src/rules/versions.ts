// Versions the rules' requirements are checked against: the engine's and the built-in
// plugins'. Apart from the loader so that `saker --version` need not load the rules compiler.

export interface Version {
  major: number
  minor: number
  patch: number
}

/** The engine version Saker presents to `required_engine_version` (Falco 0.44's). */
export const ENGINE_VERSION: Version = { major: 0, minor: 62, patch: 0 }

/**
 * The plugins whose support is built into Saker, with the versions whose fields and
 * semantics Saker follows; `required_plugin_versions` is checked against these.
 */
export const BUILTIN_PLUGINS: readonly { name: string; version: string }[] = [
  { name: 'container', version: '0.7.1' },
  { name: 'k8saudit', version: '0.18.0' },
  { name: 'json', version: '0.7.4' },
]

export function parseVersion(s: string): Version | undefined {
  const m = /^\s*(\d+)\.(\d+)\.(\d+)/.exec(s)
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch
}

export const versionString = (v: Version): string => `${v.major}.${v.minor}.${v.patch}`
