// `${VAR}` expansion in configuration values, with Falco's exact semantics (yaml_helper.h
// pre_process_env_vars), applied to every scalar value of a file right after it is parsed —
// never to map keys and never to `-o` values:
//
// - `${VAR}` is replaced by the variable's value, or removed when the variable is unset;
// - the replacement is scanned again, so a variable whose value holds `${OTHER}` expands twice;
// - `$${VAR}` is the escape: it becomes the literal `${VAR}`;
// - `$VAR` (no braces) is left alone, and a `$` that starts neither form stops the scan for the
//   rest of the value (`$HOME/${X}` keeps `${X}` as written);
// - an unterminated `${` stops the scan too.

import { ConfigError } from './errors.js'
import type { YNode } from './node.js'

// Falco loops forever on a variable that contains itself (X='${X}'); we stop after this many
// replacements in one value.
const MAX_EXPANSIONS = 1000

export type Env = Readonly<Record<string, string | undefined>>

export function expandEnvInValue(input: string, env: Env): string {
  let value = input
  let expansions = 0
  let start = value.indexOf('$')
  while (start !== -1) {
    const rest = value.slice(start)
    if (rest.startsWith('${')) {
      const end = rest.indexOf('}')
      if (end === -1) break
      const name = rest.slice(2, end)
      const replacement = Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined
      value = value.slice(0, start) + (replacement ?? '') + value.slice(start + name.length + 3)
      if (++expansions > MAX_EXPANSIONS) {
        throw new ConfigError(
          `Config error: environment variable expansion in "${input}" does not terminate ` +
            `after ${MAX_EXPANSIONS} replacements`,
        )
      }
      // The scan resumes at the same position, over the text just substituted.
    } else if (rest.startsWith('$${')) {
      if (rest.indexOf('}') === -1) break
      value = value.slice(0, start) + value.slice(start + 1)
      start++
    } else {
      start += rest.length
    }
    start = value.indexOf('$', start)
  }
  return value
}

/** Expand every scalar value under `root` in place (each shared node once). */
export function expandEnv(root: YNode, env: Env): void {
  const seen = new Set<YNode>()
  const visit = (n: YNode): void => {
    if (seen.has(n)) return
    seen.add(n)
    if (n.kind === 'scalar') n.scalar = expandEnvInValue(n.scalar, env)
    else if (n.kind === 'seq') n.items.forEach(visit)
    else if (n.kind === 'map') n.entries.forEach(visit)
  }
  visit(root)
}
