// Shared helpers for the outputs tests.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Alert, AlertRule, DEFAULT_RENDER_OPTIONS } from '../../src/outputs/alert.js'
import type { OutputFields, RenderOptions } from '../../src/outputs/alert.js'
import type { Channel, ChannelContext, OutputLog, OutputMessage } from '../../src/outputs/channels/channel.js'
import type { LogLevel } from '../../src/cli/log.js'

/** The repository root (tests run from dist/test/outputs). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** Falco's reference output files. */
export const OUTPUT_FILES = resolve(REPO_ROOT, '../shared/falco/tests/output_files')

export function referenceLines(name: string): string[] {
  return readFileSync(join(OUTPUT_FILES, name), 'utf8').split('\n').filter((l) => l !== '')
}

/** The rule of tests/rules/single_rule_with_tags.yaml, as the reference alerts show it. */
export const OPEN_FROM_CAT = new AlertRule('open_from_cat', 4, 'syscall', ['testing', 'filesystem', 'process'])

export const TEST_HOST = 'test-falco-hostname'

/** The event times of single_rule_with_cat_write.*, in order. */
export const CAT_WRITE_TIMES: readonly bigint[] = [
  1470327477881781397n,
  1470327477881785348n,
  1470327477881796705n,
  1470327477881799840n,
  1470327477882003104n,
  1470327477882008208n,
  1470327477882045694n,
  1470327477882054739n,
]

/** One alert of the reference run. */
export function catAlert(ts: bigint, rule: AlertRule = OPEN_FROM_CAT): Alert {
  return new Alert(rule, ts, 'An open was seen (command=cat /dev/null)', { 'proc.cmdline': 'cat /dev/null' }, TEST_HOST)
}

export function alertWith(output: string, fields: OutputFields | null, ts = CAT_WRITE_TIMES[0]!, rule = OPEN_FROM_CAT): Alert {
  return new Alert(rule, ts, output, fields, TEST_HOST)
}

export function renderWith(over: Partial<RenderOptions>): RenderOptions {
  return { ...DEFAULT_RENDER_OPTIONS, ...over }
}

/** JSON.parse that keeps integers too big for a double as their digits (strings). */
export function parseExact(line: string): unknown {
  return JSON.parse(line.replace(/([:,[]\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"$2"'))
}

export function tempDir(): { dir: string; path: (p: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'saker-outputs-'))
  return { dir, path: (p) => join(dir, p), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A logger that keeps what it is told. */
export function memoryLog(): { log: OutputLog; lines: { level: LogLevel; msg: string }[] } {
  const lines: { level: LogLevel; msg: string }[] = []
  return { log: (level, msg) => void lines.push({ level, msg }), lines }
}

export function context(over: Partial<ChannelContext> = {}): ChannelContext {
  return {
    buffered: false,
    jsonOutput: false,
    hostname: TEST_HOST,
    render: DEFAULT_RENDER_OPTIONS,
    log: () => {},
    ...over,
  }
}

/** A channel that keeps the lines it is given; `gate` holds every write until opened. */
export class MemoryChannel implements Channel {
  readonly lines: string[] = []
  readonly calls: string[] = []
  batches = 0
  destroyed = false
  private gateOpen = true
  private waiting: (() => void)[] = []

  constructor(readonly name = 'memory') {}

  /** Makes writes wait until open() (a slow consumer). */
  hold(): void {
    this.gateOpen = false
  }

  open(): void {
    this.gateOpen = true
    const w = this.waiting
    this.waiting = []
    for (const r of w) r()
  }

  async write(batch: readonly OutputMessage[]): Promise<void> {
    this.batches++
    if (!this.gateOpen) await new Promise<void>((r) => this.waiting.push(r))
    for (const m of batch) this.lines.push(m.line)
    this.calls.push('write:' + batch.length)
  }

  async flush(): Promise<void> {
    this.calls.push('flush')
  }

  async reopen(): Promise<void> {
    this.calls.push('reopen')
  }

  async close(): Promise<void> {
    if (!this.gateOpen) await new Promise<void>((r) => this.waiting.push(r))
    this.calls.push('close')
  }

  destroy(): void {
    this.destroyed = true
  }
}

/** Lets queued microtasks and I/O callbacks run. */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r))
