// The configuration module: load saker.yaml / falco.yaml with Falco 0.44's semantics.

export { loadConfig, loadConfigText, applyOverride } from './load.js'
export type { LoadOptions, LoadResult, FileValidation } from './load.js'
export { ConfigError } from './errors.js'
export { configSchema, CONFIG_KEYS } from './schema.js'
export { DEFAULTS, DEFAULT_PLUGINS_DIR, DEFAULT_CONFIG_NAME } from './defaults.js'
export { NO_RULES_FILES_MESSAGE, parsePrometheusInterval, isValidListenAddress } from './build.js'
export { expandRulesPaths } from './rules-paths.js'
export type { RulesPaths } from './rules-paths.js'
export type * from './types.js'
