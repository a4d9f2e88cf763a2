import { FieldError } from './binding.js'
import type { FieldBinding, FieldResolver } from './binding.js'
import { lookupField } from './registry.js'
import type { FieldRef, FieldValue } from './types.js'

/** Gives the extractor of a resolved field for one source's events, if the source has it. */
export type ExtractorFactory<E> = (ref: FieldRef) => ((ev: E) => FieldValue) | undefined

// A field the registry knows but the source cannot extract yet reads as missing (<NA>).
const notExtracted = (): FieldValue => undefined

/** A FieldResolver for `source`: names checked against the registry, values from `extractors`. */
export function makeResolver<E>(source: string, extractors: ExtractorFactory<E>): FieldResolver<E> {
  return {
    source,
    bind(name: string, arg: string | undefined): FieldBinding<E> {
      const ref = lookupField(source, name, arg)
      if ('error' in ref) throw new FieldError(ref.error)
      return { ref, extract: extractors(ref) ?? notExtracted }
    },
  }
}
