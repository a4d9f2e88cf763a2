// What the reader hands the collector: rules-file items before compilation, each with
// the context that error messages point at.
import type { Context } from './load-result.js'

export const PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'] as const
/** 0 = Emergency ... 7 = Debug, as Falco numbers them. */
export type Priority = number

/** Falco's priority names match case-insensitively, and 'info' stands for Informational. */
export function parsePriority(s: string): Priority | undefined {
  const lower = s.toLowerCase()
  if (lower === 'info') return 6
  const i = PRIORITIES.findIndex((p) => p.toLowerCase() === lower)
  return i < 0 ? undefined : i
}

export interface ListInfo {
  name: string
  items: string[]
  ctx: Context
  index: number
  visibility: number
}

export interface MacroInfo {
  name: string
  cond: string
  ctx: Context
  condCtx: Context
  index: number
  visibility: number
}

/** A `fields`, `comps` or value entry of an exception: a string, or a list of entries. */
export interface ExceptionEntry {
  isList: boolean
  item: string
  items: ExceptionEntry[]
}

export interface ExceptionInfo {
  name: string
  fields: ExceptionEntry | undefined
  comps: ExceptionEntry | undefined
  values: ExceptionEntry[]
  ctx: Context
}

export interface RuleInfo {
  name: string
  source: string
  cond: string
  condCtx: Context
  output: string
  outputCtx: Context
  desc: string
  priority: Priority
  tags: Set<string>
  exceptions: ExceptionInfo[]
  enabled: boolean
  capture: boolean
  captureDuration: number
  warnEvttypes: boolean
  skipIfUnknownFilter: boolean
  unknownSource: boolean
  ctx: Context
  index: number
  visibility: number
}

/** An append or a selective replace of an existing rule: only the keys it carries. */
export interface RuleUpdate {
  name: string
  source: string
  ctx: Context
  condCtx?: Context
  cond?: string
  output?: string
  desc?: string
  tags?: Set<string>
  exceptions?: ExceptionInfo[]
  priority?: Priority
  capture?: boolean
  captureDuration?: number
  enabled?: boolean
  warnEvttypes?: boolean
  skipIfUnknownFilter?: boolean
}
