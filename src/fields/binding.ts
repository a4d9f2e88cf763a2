import type { FieldRef, FieldValue } from './types.js'

/** A resolved field together with the function that reads it from one source's events. */
export interface FieldBinding<E> {
  readonly ref: FieldRef
  readonly extract: (ev: E) => FieldValue
}

/**
 * What the filter compiler and the output formatter need from an event source: the
 * fields it knows and how to extract them. `bind` throws a FieldError carrying Falco's
 * message when the name is unknown or its argument is wrong.
 */
export interface FieldResolver<E> {
  readonly source: string
  bind(name: string, arg: string | undefined): FieldBinding<E>
  /** Whether `bind` would succeed, without the throw (optional: callers fall back to bind). */
  isField?(name: string, arg: string | undefined): boolean
  /**
   * A number that changes with every event of a stream (syscall: SyscallEvent.stamp); when given, the
   * checks that rules have in common are evaluated once per event (filter/compile.ts).
   */
  readonly eventStamp?: (ev: E) => number
  /** Fields whose extractor keeps state of its own per use (util.cnt): checks reading them are never shared. */
  readonly statefulFields?: ReadonlySet<string>
  /**
   * A check of `field` (no argument, no transformer) against literal values that the source
   * can make cheaper than extracting and comparing (syscall: evt.type by a table of event
   * codes), with the same result; undefined for the generic check.
   */
  readonly fastCheck?: (field: string, op: '=' | '!=' | 'in', values: readonly string[]) => FastCheck<E> | undefined
}

/**
 * A fastCheck's predicate. `forType(code)`, when given, is its result on every event whose
 * type (the matcher's index) is `code`, undefined where that depends on more than the code.
 */
export type FastCheck<E> = ((ev: E) => boolean) & { readonly forType?: (code: number) => boolean | undefined }

export class FieldError extends Error {}
