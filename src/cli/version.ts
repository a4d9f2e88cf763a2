// Version information, in Falco's `--version` shape. Saker reports the Falco, libs, driver
// and plugin API versions whose formats and semantics it follows.
import { createRequire } from 'node:module'
import { ENGINE_VERSION } from '../rules/loader.js'
import { versionString } from '../rules/collector.js'
import { BUILTIN_PLUGINS } from '../engine/engine.js'
import { LIST_EVENTS_SCHEMA_VERSION } from './list-events.js'

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string }
export const SAKER_VERSION: string = pkg.version

export function versionInfo(): Record<string, unknown> {
  return {
    falco_version: '0.44.1',
    libs_version: '0.25.4',
    plugin_api_version: '3.12.0',
    driver_api_version: '10.1.0',
    driver_schema_version: LIST_EVENTS_SCHEMA_VERSION,
    default_driver_version: '10.1.0',
    engine_version: String(ENGINE_VERSION.minor),
    engine_version_semver: versionString(ENGINE_VERSION),
    plugin_versions: Object.fromEntries(BUILTIN_PLUGINS.map((p) => [p.name, p.version])),
    saker_version: SAKER_VERSION,
  }
}
