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
}

export class FieldError extends Error {}
