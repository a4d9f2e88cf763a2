// Version information, in Falco's `--version` shape. Saker reports the Falco, libs, driver
// and plugin API versions whose formats and semantics it follows.
import { createRequire } from 'node:module'
import { BUILTIN_PLUGINS, ENGINE_VERSION, versionString } from '../rules/versions.js'

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string }
export const SAKER_VERSION: string = pkg.version

/** The driver schema version printed in --list-events' header (libs 0.25.4 driver/SCHEMA_VERSION). */
export const LIST_EVENTS_SCHEMA_VERSION = '4.5.1'

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
