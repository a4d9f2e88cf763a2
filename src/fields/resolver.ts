import { FieldError } from './binding.js'
import type { FieldBinding, FieldResolver } from './binding.js'
import { lookupField } from './registry.js'
import type { FieldRef, FieldValue } from './types.js'

/** Gives the extractor of a resolved field for one source's events, if the source has it. */
export type ExtractorFactory<E> = (ref: FieldRef) => ((ev: E) => FieldValue) | undefined

// A field the registry knows but the source cannot extract yet reads as missing (<NA>).
const notExtracted = (): FieldValue => undefined

/** A FieldResolver for `source`: names checked against the registry, values from `extractors`. */
export function makeResolver<E>(
  source: string,
  extractors: ExtractorFactory<E>,
  sharing: Pick<FieldResolver<E>, 'eventStamp' | 'statefulFields' | 'fastCheck'> = {},
): FieldResolver<E> {
  // Name resolution is a pure function of (name, arg); loading Falco's three rules files
  // resolves ~10k field uses of a few hundred fields, and the lookup was 10% of loading.
  // The extractor is still made per use: some (util.cnt) keep state of their own.
  const refs = new Map<string, FieldRef | { error: string }>()
  const lookup = (name: string, arg: string | undefined): FieldRef | { error: string } => {
    const key = arg === undefined ? name : name + '\0' + arg
    let ref = refs.get(key)
    if (ref === undefined) {
      ref = lookupField(source, name, arg)
      refs.set(key, ref)
    }
    return ref
  }
  return {
    source,
    ...sharing,
    bind(name: string, arg: string | undefined): FieldBinding<E> {
      const ref = lookup(name, arg)
      if ('error' in ref) throw new FieldError(ref.error)
      return { ref, extract: extractors(ref) ?? notExtracted }
    },
    isField(name: string, arg: string | undefined): boolean {
      return !('error' in lookup(name, arg))
    },
  }
}
