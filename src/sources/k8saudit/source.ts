// The k8s_audit event source, built in, configured like Falco's k8saudit plugin:
//
//   plugins:
//     - name: k8saudit
//       library_path: libk8saudit.so        # names the plugin; nothing is loaded
//       init_config: { sslCertificate: /etc/falco/falco.pem, maxEventSize: 262144, ... }
//       open_params: "http://:9765/k8s-audit"   # or https://..., a file, a directory, file://...
//   load_plugins: [k8saudit, json]
//
// open_params, as the plugin's Open reads them (Go's url.Parse, then the scheme):
//   http://host:port/path, https://...  the webhook (https takes init_config.sslCertificate)
//   file:///path                        follow the file: lines appended after start
//   anything without a scheme           a file (one Event or EventList per line) or a
//                                       directory (its files, oldest first), replayed once
//
// Problems with single payloads or events are reported through onWarning (default: stderr,
// in the plugin's log format) and skipped; they never stop the source.

import { createReadStream, statSync, readdirSync, watch, openSync, readSync, closeSync, fstatSync, type FSWatcher } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { PluginConfig } from '../../config/types.js'
import { BoundedQueue, type QueueStats } from '../../server/queue.js'
import { loadPemPair } from '../../server/tls.js'
import { AuditWebhook, type WebhookStats } from '../../server/webhook.js'
import { K8sAuditEvent, K8sAuditStream, parseAuditPayload, type PayloadOptions } from './event.js'

export const K8SAUDIT_PLUGIN = 'k8saudit'

// ---- init_config ----------------------------------------------------------------------------

/** The plugin's init_config (pkg/k8saudit/config.go), defaults filled in. */
export interface K8sAuditConfig {
  /** PEM file with the certificate and its private key, for https:// open params. */
  readonly sslCertificate: string
  /** Accepted for compatibility; extraction here is always in-process. */
  readonly useAsync: boolean
  /** Longest event (marshaled JSON, bytes); longer events are skipped with a message. */
  readonly maxEventSize: number
  /** Longest webhook body (bytes); longer bodies get 413. Also the longest file line. */
  readonly webhookMaxBatchSize: number
}

export const K8SAUDIT_DEFAULTS: K8sAuditConfig = {
  sslCertificate: '/etc/falco/falco.pem',
  useAsync: true,
  maxEventSize: 262144, // the plugin SDK's DefaultEvtSize
  webhookMaxBatchSize: 12 * 1024 * 1024,
}

/** A configuration or open problem, with the message Falco users know where there is one. */
export class K8sAuditError extends Error {
  override name = 'K8sAuditError'
}

const CONFIG_TYPES: Record<keyof K8sAuditConfig, 'string' | 'boolean' | 'integer'> = {
  sslCertificate: 'string',
  useAsync: 'boolean',
  maxEventSize: 'integer',
  webhookMaxBatchSize: 'integer',
}

/**
 * Reads init_config text as Falco hands it to the plugin: empty means {}, else JSON checked
 * against the plugin's schema (libsinsp's messages), then decoded as Go's json.Unmarshal
 * does (keys matched exactly, else case-insensitively; unknown keys ignored).
 */
export function parseInitConfig(text: string): K8sAuditConfig {
  const src = text.trim() === '' ? '{}' : text
  let raw: unknown
  try {
    raw = JSON.parse(src)
  } catch {
    throw new K8sAuditError(`error in plugin ${K8SAUDIT_PLUGIN}: init config is not a valid json`)
  }
  const typeError = (where: string) =>
    new K8sAuditError(`error in plugin ${K8SAUDIT_PLUGIN} init config: In <root>${where}, Value type not permitted by 'type' constraint.`)
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw typeError('')
  const obj = raw as Record<string, unknown>
  const out: Record<string, unknown> = { ...K8SAUDIT_DEFAULTS }
  for (const key of Object.keys(CONFIG_TYPES) as (keyof K8sAuditConfig)[]) {
    const found = Object.hasOwn(obj, key) ? key : Object.keys(obj).find((k) => k.toLowerCase() === key.toLowerCase())
    if (found === undefined) continue
    const v = obj[found]
    const want = CONFIG_TYPES[key]
    const ok = want === 'integer' ? typeof v === 'number' && Number.isInteger(v) : typeof v === want
    if (!ok) throw typeError(`[${found}]`)
    if (want === 'integer' && ((v as number) < 0 || !Number.isSafeInteger(v))) {
      throw new K8sAuditError(
        `error in plugin ${K8SAUDIT_PLUGIN}: json: cannot unmarshal number ${String(v)} into Go struct field PluginConfig.${key} of type uint64`,
      )
    }
    out[key] = v
  }
  return out as unknown as K8sAuditConfig
}

// ---- open_params ----------------------------------------------------------------------------

export type OpenTarget =
  | { readonly kind: 'webhook'; readonly tls: boolean; readonly host: string; readonly port: number; readonly path: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'dir'; readonly path: string }
  | { readonly kind: 'tail'; readonly path: string }

// eslint-disable-next-line no-control-regex
const CTL = /[\x00-\x1f\x7f]/
const BAD_ESCAPE = /%(?![0-9a-fA-F]{2})/

function unescapePath(p: string, params: string): string {
  const bad = BAD_ESCAPE.exec(p)
  if (bad) throw new K8sAuditError(`parse ${JSON.stringify(params)}: invalid URL escape ${JSON.stringify(p.slice(bad.index, bad.index + 3))}`)
  try {
    return decodeURIComponent(p)
  } catch {
    return p // bytes that are not UTF-8: Go keeps them; so does the path we were given
  }
}

/** What the plugin's Open makes of open_params (Go's url.Parse, then the scheme); throws K8sAuditError. */
export function parseOpenParams(params: string): OpenTarget {
  if (CTL.test(params)) throw new K8sAuditError(`parse ${JSON.stringify(params)}: net/url: invalid control character in URL`)
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(params)
  if (params.startsWith(':')) throw new K8sAuditError(`parse ${JSON.stringify(params)}: missing protocol scheme`)
  const scheme = m ? m[1]!.toLowerCase() : ''
  let rest = m ? params.slice(m[0].length) : params
  const hash = rest.indexOf('#')
  if (hash >= 0) rest = rest.slice(0, hash)
  const q = rest.indexOf('?')
  if (q >= 0) rest = rest.slice(0, q)

  if (scheme === 'http' || scheme === 'https') {
    let host = ''
    let path = rest
    if (rest.startsWith('//')) {
      const slash = rest.indexOf('/', 2)
      host = slash < 0 ? rest.slice(2) : rest.slice(2, slash)
      path = slash < 0 ? '' : rest.slice(slash)
      const at = host.lastIndexOf('@')
      if (at >= 0) host = host.slice(at + 1)
    }
    path = unescapePath(path, params)
    if (path === '') throw new K8sAuditError(`open params ${JSON.stringify(params)}: the webhook URL needs a path, e.g. ${scheme}://:9765/k8s-audit`)
    // Go listens on u.Host: ":9765", "host:9765", "[::1]:9765"; an empty host means ":http"/":https"
    let name = host
    let port = scheme === 'https' ? 443 : 80
    if (host !== '') {
      const hp = /^(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/.exec(host)
      if (!hp || hp[2] === undefined) throw new K8sAuditError(`listen tcp ${host}: address ${host}: missing port in address`)
      name = hp[1]!.startsWith('[') ? hp[1]!.slice(1, -1) : hp[1]!
      if (!/^[0-9]+$/.test(hp[2]) || Number(hp[2]) > 65535) throw new K8sAuditError(`listen tcp ${host}: address ${host}: invalid port`)
      port = Number(hp[2])
    }
    return { kind: 'webhook', tls: scheme === 'https', host: name, port, path }
  }
  if (scheme === 'file') {
    let p = rest.startsWith('//') ? rest.slice(rest.indexOf('/', 2) < 0 ? rest.length : rest.indexOf('/', 2)) : rest
    p = unescapePath(p, params)
    if (p === '') throw new K8sAuditError(`open params ${JSON.stringify(params)}: no file to follow`)
    return { kind: 'tail', path: p }
  }
  if (scheme !== '') throw new K8sAuditError(`scheme "${scheme}" is not supported`)
  if (BAD_ESCAPE.test(rest)) unescapePath(rest, params) // throws Go's message
  const path = params.trim()
  let st
  try {
    st = statSync(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new K8sAuditError(`stat ${path}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`)
  }
  return { kind: st.isDirectory() ? 'dir' : 'file', path }
}

// ---- plugin entries -------------------------------------------------------------------------

/**
 * True for a `plugins` entry that configures the k8saudit plugin. Falco knows a plugin by the
 * library it loads, so a lib*.so file name decides (libk8saudit-eks.so is another plugin,
 * whatever the entry's name); without one, the entry's name does.
 */
export function isK8sAuditPlugin(p: PluginConfig): boolean {
  const file = basename(p.library_path)
  if (/^lib.+\.so$/.test(file)) return file === 'libk8saudit.so'
  return p.name === K8SAUDIT_PLUGIN
}

/** The k8saudit entry among the plugins to load, if any. */
export function k8sAuditPluginOf(plugins: readonly PluginConfig[]): PluginConfig | undefined {
  return plugins.find(isK8sAuditPlugin)
}

// ---- warnings -------------------------------------------------------------------------------

const p2 = (n: number) => String(n).padStart(2, '0')

/** A line as the plugin logs it: log.New(os.Stderr, "[k8saudit] ", LstdFlags|LUTC|Lmsgprefix). */
export function pluginLogLine(msg: string, now: Date = new Date()): string {
  return `${now.getUTCFullYear()}/${p2(now.getUTCMonth() + 1)}/${p2(now.getUTCDate())} ` +
    `${p2(now.getUTCHours())}:${p2(now.getUTCMinutes())}:${p2(now.getUTCSeconds())} [${K8SAUDIT_PLUGIN}] ${msg}\n`
}

const stderrWarning = (msg: string): void => void process.stderr.write(pluginLogLine(msg))

// At most `perSecond` messages a second reach onWarning; the rest are counted and summed up
// once the second is over, so a sender of bad bodies cannot flood the log.
function rateLimited(onWarning: (msg: string) => void, perSecond = 50): (msg: string) => void {
  let windowStart = 0
  let inWindow = 0
  let suppressed = 0
  return (msg) => {
    const now = Date.now()
    if (now - windowStart >= 1000) {
      if (suppressed > 0) onWarning(`${suppressed} more messages suppressed`)
      windowStart = now
      inWindow = 0
      suppressed = 0
    }
    if (++inWindow <= perSecond) onWarning(msg)
    else suppressed++
  }
}

// ---- common options -------------------------------------------------------------------------

export type OnEvent = (ev: K8sAuditEvent) => void | PromiseLike<void>

export interface SourceOptions {
  readonly config?: K8sAuditConfig
  /** Numbering, first time and hostname shared by the events; one per source instance. */
  readonly stream?: K8sAuditStream
  /** Where problems go (default: stderr, as the plugin logs them). */
  readonly onWarning?: (msg: string) => void
}

const isThenable = (r: unknown): r is PromiseLike<void> => r !== undefined && r !== null && typeof (r as PromiseLike<void>).then === 'function'

// ---- file replay ----------------------------------------------------------------------------

export interface ReplayStats {
  /** Non-empty lines read. */
  lines: number
  /** Events handed to onEvent. */
  events: number
  /** Lines not used: not JSON, not audit data, or longer than the limit. */
  badLines: number
  /** Events skipped inside good lines (no or bad stageTimestamp, over maxEventSize). */
  skippedEvents: number
}

export interface ReplayOptions extends SourceOptions {
  /** Stops the replay after the line in progress. */
  readonly signal?: AbortSignal
}

/**
 * Replays a file (one Event or EventList, or an array of them, per line) or a directory
 * (its files, oldest modification first). A line that is not audit data is reported with
 * its file and line number and skipped. Resolves when everything has been handed to onEvent
 * (promises it returns are awaited); rejects only when a file cannot be read.
 */
export async function replayFile(path: string, onEvent: OnEvent, opts: ReplayOptions = {}): Promise<ReplayStats> {
  const config = opts.config ?? K8SAUDIT_DEFAULTS
  const stream = opts.stream ?? new K8sAuditStream()
  const warn = opts.onWarning ?? stderrWarning
  const stats: ReplayStats = { lines: 0, events: 0, badLines: 0, skippedEvents: 0 }
  const payload: PayloadOptions = { maxEventSize: config.maxEventSize, stream }
  for (const file of filesOf(path)) {
    await readLines(file, config.webhookMaxBatchSize, opts.signal, async (line, n) => {
      stats.lines++
      const where = `${file}:${n}`
      if (line === null) {
        stats.badLines++
        warn(`${where}: line longer than ${config.webhookMaxBatchSize} bytes (webhookMaxBatchSize), skipped`)
        return
      }
      const r = parseAuditPayload(line, payload)
      if (!r.ok) {
        stats.badLines++
        warn(`${where}: ${r.error}`)
        return
      }
      for (const p of r.problems) warn(`${where}: ${p}`)
      stats.skippedEvents += r.problems.length
      for (const ev of r.events) {
        stats.events++
        const res = onEvent(stream.stamp(ev))
        if (isThenable(res)) await res
      }
    })
    if (opts.signal?.aborted) break
  }
  return stats
}

// The files a path names: itself, or a directory's regular files, oldest first (the
// plugin's sort by ModTime; equal times keep name order).
function filesOf(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path, { withFileTypes: true })
    .filter((d) => !d.isDirectory())
    .map((d) => ({ p: join(path, d.name), t: statSync(join(path, d.name)).mtimeMs }))
    .sort((a, b) => a.t - b.t || (a.p < b.p ? -1 : a.p > b.p ? 1 : 0))
    .map((f) => f.p)
}

// Calls `each` with every non-empty line (trailing \r dropped, as bufio.ScanLines does) and
// its 1-based number; a line over `maxLine` bytes is given as null, without being kept.
async function readLines(
  file: string,
  maxLine: number,
  signal: AbortSignal | undefined,
  each: (line: string | null, n: number) => Promise<void>,
): Promise<void> {
  let parts: Buffer[] = []
  let partLen = 0
  let tooLong = false
  let n = 0
  const finish = async (last: Buffer | null) => {
    n++
    if (tooLong) {
      tooLong = false
      parts = []
      partLen = 0
      await each(null, n)
      return
    }
    let buf = last === null ? Buffer.concat(parts, partLen) : parts.length === 0 ? last : Buffer.concat([...parts, last])
    parts = []
    partLen = 0
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1)
    if (buf.length === 0) return
    await each(buf.toString('utf8'), n)
  }
  const input = createReadStream(file, { highWaterMark: 1 << 20 })
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let from = 0
      for (let nl = chunk.indexOf(0x0a, from); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
        const piece = chunk.subarray(from, nl)
        if (!tooLong && partLen + piece.length > maxLine) tooLong = true
        await finish(tooLong ? null : piece)
        from = nl + 1
        if (signal?.aborted) return
      }
      const rest = chunk.subarray(from)
      if (!tooLong) {
        if (partLen + rest.length > maxLine) {
          tooLong = true
          parts = []
          partLen = 0
        } else if (rest.length > 0) {
          parts.push(Buffer.from(rest)) // a copy: the stream may reuse its chunk
          partLen += rest.length
        }
      }
    }
    if (partLen > 0 || tooLong) await finish(null)
  } finally {
    input.destroy()
  }
}

// ---- file follow (file://) ------------------------------------------------------------------

export interface TailHandle {
  readonly stats: ReplayStats
  /** Stops following; resolves when the line in progress is done. */
  close(): Promise<void>
}

/**
 * Follows a file as the plugin's file:// form does: starts at its end, reads lines as they
 * are appended, starts over when the file is truncated or replaced (log rotation). Only
 * complete lines are read; a last line without its newline waits for it.
 */
export function tailFile(path: string, onEvent: OnEvent, opts: SourceOptions = {}): TailHandle {
  const abs = resolve(path)
  const config = opts.config ?? K8SAUDIT_DEFAULTS
  const stream = opts.stream ?? new K8sAuditStream()
  const warn = opts.onWarning ?? stderrWarning
  const payload: PayloadOptions = { maxEventSize: config.maxEventSize, stream }
  const stats: ReplayStats = { lines: 0, events: 0, badLines: 0, skippedEvents: 0 }
  let fd: number | null = null
  let offset = 0
  let partial: Buffer = Buffer.alloc(0)
  let lineNo = 0
  let busy: Promise<void> = Promise.resolve()
  let closed = false

  const open = (atEnd: boolean) => {
    if (fd !== null) closeSync(fd)
    fd = null
    partial = Buffer.alloc(0)
    try {
      fd = openSync(abs, 'r')
      offset = atEnd ? fstatSync(fd).size : 0
    } catch {
      fd = null
    }
  }
  const handleLine = async (line: string) => {
    stats.lines++
    const r = parseAuditPayload(line, payload)
    if (!r.ok) {
      stats.badLines++
      warn(`${abs}:${lineNo}: ${r.error}`)
      return
    }
    for (const p of r.problems) warn(`${abs}:${lineNo}: ${p}`)
    stats.skippedEvents += r.problems.length
    for (const ev of r.events) {
      stats.events++
      const res = onEvent(stream.stamp(ev))
      if (isThenable(res)) await res
    }
  }
  const readNew = async () => {
    if (fd === null || closed) return
    const size = fstatSync(fd).size
    if (size < offset) {
      offset = 0 // truncated (copytruncate rotation)
      partial = Buffer.alloc(0)
    }
    const buf = Buffer.alloc(1 << 20)
    while (offset < size && !closed) {
      const got = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset)
      if (got <= 0) break
      offset += got
      let data = partial.length > 0 ? Buffer.concat([partial, buf.subarray(0, got)]) : Buffer.from(buf.subarray(0, got))
      let from = 0
      for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, from)) {
        lineNo++
        let line = data.subarray(from, nl)
        from = nl + 1
        if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1)
        if (line.length > 0) await handleLine(line.toString('utf8'))
      }
      data = data.subarray(from)
      if (data.length > config.webhookMaxBatchSize) {
        lineNo++
        stats.badLines++
        warn(`${abs}:${lineNo}: line longer than ${config.webhookMaxBatchSize} bytes (webhookMaxBatchSize), skipped`)
        data = Buffer.alloc(0) // the rest of that line is read as a line of its own
      }
      partial = Buffer.from(data)
    }
  }
  const schedule = (fn: () => void | Promise<void>) => {
    busy = busy.then(fn).catch((e: unknown) => warn(`file watcher error: ${(e as Error).message}`))
  }

  open(true)
  let watcher: FSWatcher | null = null
  try {
    watcher = watch(dirname(abs), (_event, name) => {
      if (closed || (name !== null && name !== basename(abs))) return
      schedule(async () => {
        let exists = true
        let sameFile = false
        try {
          const st = statSync(abs)
          sameFile = fd !== null && fstatSync(fd).ino === st.ino
        } catch {
          exists = false
        }
        if (!exists) {
          if (fd !== null) closeSync(fd)
          fd = null
          return
        }
        if (!sameFile) open(false) // created or replaced: read it from the start
        await readNew()
      })
    })
  } catch (e) {
    if (fd !== null) closeSync(fd)
    throw new K8sAuditError(`cannot watch ${dirname(abs)}: ${(e as Error).message}`)
  }
  return {
    stats,
    async close() {
      closed = true
      watcher?.close()
      await busy
      if (fd !== null) closeSync(fd)
      fd = null
    },
  }
}

// ---- webhook --------------------------------------------------------------------------------

export interface WebhookOptions extends SourceOptions {
  /** Events queued between the server and onEvent (default 10000); a body that does not fit gets 503. */
  readonly queueCapacity?: number
  /** How long close() lets requests in progress finish, in ms (default 5000). */
  readonly closeGraceMs?: number
}

export interface K8sAuditWebhookStats {
  readonly server: WebhookStats
  readonly queue: QueueStats
  /** Events skipped inside accepted bodies (no or bad stageTimestamp, over maxEventSize). */
  readonly skippedEvents: number
}

export interface K8sAuditWebhook {
  /** The endpoint's URL (with the port chosen when 0 was asked). */
  readonly url: string
  readonly address: AddressInfo
  stats(): K8sAuditWebhookStats
  /** Resolves when every accepted event has been handed to onEvent. */
  drained(): Promise<void>
  /**
   * Stops the server (requests in progress get closeGraceMs), then delivers the events
   * already accepted (drain, the default) or counts them as dropped.
   */
  close(opts?: { drain?: boolean }): Promise<void>
}

/** Starts the audit webhook for an http(s) open target; rejects when it cannot listen or read the certificate. */
export async function startWebhook(
  target: Extract<OpenTarget, { kind: 'webhook' }>,
  onEvent: OnEvent,
  opts: WebhookOptions = {},
): Promise<K8sAuditWebhook> {
  const config = opts.config ?? K8SAUDIT_DEFAULTS
  const stream = opts.stream ?? new K8sAuditStream()
  const warn = rateLimited(opts.onWarning ?? stderrWarning)
  const tls = target.tls ? loadPemPair(config.sslCertificate) : null
  const queue = new BoundedQueue<K8sAuditEvent>(opts.queueCapacity ?? 10_000, (ev) => onEvent(stream.stamp(ev)), {
    onError: (e) => warn(`event consumer error: ${e instanceof Error ? e.message : String(e)}`),
  })
  const payload: PayloadOptions = { maxEventSize: config.maxEventSize, stream }
  let skipped = 0
  const server = await AuditWebhook.start({
    host: target.host,
    port: target.port,
    path: target.path,
    tls,
    maxBodyBytes: config.webhookMaxBatchSize,
    closeGraceMs: opts.closeGraceMs,
    ingest: (body) => {
      const r = parseAuditPayload(body.toString('utf8'), payload)
      if (!r.ok) {
        warn(r.error)
        return { ok: false, status: 400, reason: r.error }
      }
      for (const p of r.problems) warn(p)
      skipped += r.problems.length
      if (!queue.offer(r.events)) return { ok: false, status: 503, reason: 'event queue full, retry later' }
      return { ok: true }
    },
  })
  return {
    url: server.url,
    address: server.address(),
    stats: () => ({ server: { ...server.stats }, queue: { ...queue.stats }, skippedEvents: skipped }),
    drained: () => queue.drained(),
    async close(o = {}) {
      await server.close()
      await queue.close({ drain: o.drain ?? true })
    },
  }
}

// ---- one call from a plugin entry -----------------------------------------------------------

export interface K8sAuditSource {
  readonly target: OpenTarget
  readonly config: K8sAuditConfig
  /** The webhook, for http(s) targets. */
  readonly webhook: K8sAuditWebhook | null
  /** Resolves when the source has no more events: end of replay, or after close(). */
  readonly done: Promise<void>
  /** Stops the source (a replay after its current line; the webhook as its close()). */
  close(): Promise<void>
}

export interface OpenOptions extends WebhookOptions {
  /** evt.hostname; pass os.hostname() when plugins_hostinfo is on. */
  readonly hostname?: string
}

/**
 * Opens the k8s_audit source a `plugins` entry describes: init_config (init_config_text)
 * and open_params read as the plugin reads them, then a replay, a follow or a webhook.
 * Throws/rejects with K8sAuditError for a bad configuration or an unusable target.
 */
export async function openK8sAuditSource(entry: PluginConfig, onEvent: OnEvent, opts: OpenOptions = {}): Promise<K8sAuditSource> {
  const config = parseInitConfig(entry.init_config_text)
  const target = parseOpenParams(entry.open_params)
  const stream = opts.stream ?? new K8sAuditStream(K8SAUDIT_PLUGIN, opts.hostname)
  const common = { ...opts, config, stream }
  switch (target.kind) {
    case 'file':
    case 'dir': {
      const stop = new AbortController()
      const done = replayFile(target.path, onEvent, { ...common, signal: stop.signal }).then(() => undefined)
      return {
        target,
        config,
        webhook: null,
        done,
        async close() {
          stop.abort()
          await done.catch(() => undefined)
        },
      }
    }
    case 'tail': {
      const tail = tailFile(target.path, onEvent, common)
      let finish!: () => void
      const done = new Promise<void>((r) => (finish = r))
      return {
        target,
        config,
        webhook: null,
        done,
        async close() {
          await tail.close()
          finish()
        },
      }
    }
    case 'webhook': {
      const webhook = await startWebhook(target, onEvent, common)
      let finish!: () => void
      const done = new Promise<void>((r) => (finish = r))
      return {
        target,
        config,
        webhook,
        done,
        async close() {
          await webhook.close()
          finish()
        },
      }
    }
  }
}
