// What the rest of Saker uses from the outputs: the alert record and its renderings, and
// the Outputs dispatcher with its channels. (format.ts, the output format compiler, is
// imported directly by the rules compiler.)
export { Alert, AlertRule, DEFAULT_RENDER_OPTIONS, INTERNAL_SOURCE, PRIORITY_NAMES, jsonLine, renderOptionsFromConfig, textLine } from './alert.js'
export type { FieldJson, OutputFields, RenderConfig, RenderOptions } from './alert.js'
export { Outputs, resolveHostname } from './dispatcher.js'
export type { ChannelStats, OutputsOptions } from './dispatcher.js'
export * from './channels/index.js'
export { sanitizeText } from './sanitize.js'
