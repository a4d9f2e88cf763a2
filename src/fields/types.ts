import type { ParamType, PrintFormat } from '../events/param-types.js'

// Field flags, with libsinsp's bit values (filter_field.h, filtercheck_field_flags).
export const FF = {
  FILTER_ONLY: 1 << 0,
  PRINT_ONLY: 1 << 1,
  ARG_REQUIRED: 1 << 2,
  TABLE_ONLY: 1 << 3,
  INFO: 1 << 4,
  CONVERSATION: 1 << 5,
  IS_LIST: 1 << 6,
  ARG_ALLOWED: 1 << 7,
  ARG_INDEX: 1 << 8,
  ARG_KEY: 1 << 9,
  DEPRECATED: 1 << 10,
  NO_TRANSFORMER: 1 << 11,
  NO_RHS: 1 << 12,
  NO_PTR_STABILITY: 1 << 13,
  FORMAT_SUGGESTED: 1 << 14,
} as const

/** One field of the registry: what `falco --list` shows for it. */
export interface FieldDef {
  readonly name: string
  readonly type: ParamType
  readonly flags: number
  readonly printFormat: PrintFormat
  readonly display: string
  readonly desc: string
}

/** A class of fields (`Field Class:` in `falco --list`). */
export interface FieldClass {
  readonly name: string
  readonly desc: string
  /** Event sources whose events carry these fields; empty means every source. */
  readonly sources: readonly string[]
  readonly fields: readonly FieldDef[]
}

/** A field name as written in a condition or output, resolved against the registry. */
export interface FieldRef {
  readonly def: FieldDef
  readonly cls: FieldClass
  /** The argument: `proc.aname[2]` gives '2', `evt.arg.fd` gives 'fd'; undefined when absent. */
  readonly arg: string | undefined
}

/**
 * A value extracted from an event. Integers are numbers, or bigints where 64 bits
 * matter (absolute times); strings for text, paths and IP addresses; Uint8Array for
 * byte buffers; arrays for list fields. `undefined` means the field has no value
 * for this event (printed `<NA>`).
 */
export type FieldValue = string | number | bigint | boolean | Uint8Array | readonly FieldScalar[] | undefined
export type FieldScalar = string | number | bigint | boolean | Uint8Array
