// Shared helpers for the `saker test` runner tests: cases files in a scratch directory, fake
// replays, rule listings and live runners, and a runRuleTests that records what it prints.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runRuleTests } from '../../src/testing/runner.js'
import type { ReplayRequest, RuleTestDeps } from '../../src/testing/runner.js'
import type { LiveRunner, LiveRunRequest, LiveRunResult } from '../../src/testing/live.js'
import type { Alert } from '../../src/testing/verdict.js'

/** The repository root (tests run from dist/test/testing). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** A scratch directory with files; `dispose` removes it. */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'saker-testing-test-'))

  file(name: string, text: string | Uint8Array): string {
    const p = join(this.dir, name)
    writeFileSync(p, text)
    return p
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}

export function alert(rule: string, fields: Record<string, unknown> = {}, output = `${rule} fired`): Alert {
  return { rule, priority: 'Warning', output, outputFields: fields }
}

/** A live runner that answers from a table (command → alerts), and records its calls. */
export class FakeLive implements LiveRunner {
  readonly calls: LiveRunRequest[] = []
  constructor(private readonly results: Record<string, LiveRunResult>, private readonly reason: string | null = null) {}
  async unavailable(): Promise<string | null> {
    return this.reason
  }
  async run(req: LiveRunRequest): Promise<LiveRunResult> {
    this.calls.push(req)
    return this.results[req.command] ?? { alerts: [] }
  }
}

export interface Recorded {
  readonly code: number
  readonly out: string
  readonly err: string
  readonly replays: ReplayRequest[]
}

/**
 * runRuleTests with fakes: `captures` maps a capture's file name (basename) to the alerts its
 * replay raises; rules listed are `rules`. Capture files must exist (the runner skips missing
 * ones), so tests create them in a Scratch.
 */
export async function run(
  args: string[],
  opts: { captures?: Record<string, Alert[] | { error: string }>; rules?: string[]; live?: LiveRunner; deps?: Partial<RuleTestDeps> } = {},
): Promise<Recorded> {
  let out = ''
  let err = ''
  const replays: ReplayRequest[] = []
  const code = await runRuleTests(args, {
    write: (s) => (out += s),
    writeError: (s) => (err += s),
    listRules: async () => ({ names: new Set(opts.rules ?? ['Rule A', 'Rule B', 'Rule C']) }),
    replay: async (req) => {
      replays.push(req)
      const name = req.capture.slice(req.capture.lastIndexOf('/') + 1)
      const r = opts.captures?.[name]
      if (r === undefined) return { alerts: [] }
      return Array.isArray(r) ? { alerts: r } : r
    },
    liveRunner: opts.live ?? new FakeLive({}, 'no live source in these tests'),
    jobs: 4,
    ...opts.deps,
  })
  return { code, out, err, replays }
}
