// The live syscall source: see live.ts.
export { openLive, type LiveCounters, type LiveOptions, type LiveSource, type LiveStats } from './live.js'
export {
  ENTER_EVENT_SYSCALLS,
  ppmScTable,
  selectForEvents,
  selectionEventNames,
  selectNames,
  selectPpmSc,
  type LiveSelection,
  type SelectOptions,
} from './select.js'
export { addonPath, loadAddon, type AddonInfo, type BatchCallback } from './addon.js'
export { COUNTERS, SAKER_MAX_EVENT, SAKER_SYSCALLS, SEL } from './layout.js'
