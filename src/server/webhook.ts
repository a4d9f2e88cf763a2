// The HTTP(S) endpoint of the Kubernetes audit webhook backend: the API server POSTs
// batches of audit events (an EventList, application/json) and expects a quick 2xx; on
// other answers it retries with backoff. The protocol checks are the k8saudit plugin's
// (source.go OpenWebServer): one path, POST only (405), a JSON content type (400), a body
// limit (webhookMaxBatchSize). Where Saker answers differently, it is to tell the sender
// what happened instead of answering 200 and dropping data:
//
//   413  body over the limit            (the plugin: 400 "http: request body too large")
//   400  not JSON / not audit events     (the plugin: 200, then logs and drops the body)
//   503  queue full / too many bytes in flight, with Retry-After
//        (the plugin: blocks the request until its 50-body channel has room)
//
// The body is read and handed to `ingest` (parse + enqueue) before the answer, so a 200
// means the events are queued for the rules. The server keeps serving after any bad
// request; close() stops listening, lets requests in progress finish (5 s, as the plugin's
// shutdown timeout), then cuts what is left.

import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpListener } from './listener.js'
import type { PemPair } from './tls.js'

/** What the owner of the endpoint made of a body. */
export type IngestResult = { readonly ok: true } | { readonly ok: false; readonly status: 400 | 503; readonly reason: string }

export interface AuditWebhookOptions {
  /** Interface to listen on; '' or undefined for all of them (Go's ":port"). */
  readonly host?: string
  /** 0 picks a free port (see address()). */
  readonly port: number
  /** The endpoint path; one ending in '/' also takes the paths below it (Go's ServeMux). */
  readonly path: string
  /** HTTPS with this certificate and key; plain HTTP when absent. */
  readonly tls?: PemPair | null
  /** Largest body taken, in bytes (the plugin's webhookMaxBatchSize). */
  readonly maxBodyBytes: number
  /** Bytes of bodies being received at once, all requests together (default 4 bodies' worth). */
  readonly maxPendingBytes?: number
  /** Longest a request may take to arrive, in ms (default 60 s). */
  readonly requestTimeoutMs?: number
  /** How long close() waits for requests in progress, in ms (default 5 s). */
  readonly closeGraceMs?: number
  /** Parses and queues a body; called once per complete body within the limit. */
  readonly ingest: (body: Buffer) => IngestResult
}

export interface WebhookStats {
  requests: number
  /** Bodies answered 200. */
  accepted: number
  /** 400: not JSON, not audit events, or not application/json. */
  badRequest: number
  /** 413: over maxBodyBytes. */
  tooLarge: number
  /** 503: the queue or the in-flight byte budget was full. */
  busy: number
  /** 404 and 405. */
  refused: number
  /** Requests that ended before their body did. */
  aborted: number
}

const RETRY_AFTER_S = '1'

export class AuditWebhook {
  readonly stats: WebhookStats = { requests: 0, accepted: 0, badRequest: 0, tooLarge: 0, busy: 0, refused: 0, aborted: 0 }
  private listener!: HttpListener
  private pendingBytes = 0
  private readonly maxPending: number

  private constructor(private readonly opts: AuditWebhookOptions) {
    this.maxPending = opts.maxPendingBytes ?? Math.max(opts.maxBodyBytes * 4, 1 << 20)
  }

  /** Starts listening; rejects with the reason when the address cannot be used. */
  static async start(opts: AuditWebhookOptions): Promise<AuditWebhook> {
    const hook = new AuditWebhook(opts)
    hook.listener = await HttpListener.listen(
      { host: opts.host ?? '', port: opts.port, tls: opts.tls, requestTimeoutMs: opts.requestTimeoutMs ?? 60_000, closeGraceMs: opts.closeGraceMs ?? 5000 },
      (req, res) => hook.handle(req, res),
    )
    return hook
  }

  /** Where the server listens (the port chosen when 0 was asked). */
  address(): AddressInfo {
    return this.listener.address()
  }

  get url(): string {
    const a = this.address()
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address
    return `${this.opts.tls ? 'https' : 'http'}://${host}:${a.port}${this.opts.path}`
  }

  /** Stops listening; requests in progress get closeGraceMs to finish. Idempotent. */
  close(): Promise<void> {
    return this.listener.close()
  }

  private matches(url: string): boolean {
    const q = url.indexOf('?')
    let path = q < 0 ? url : url.slice(0, q)
    // Go's ServeMux matches the unescaped path
    try {
      path = decodeURIComponent(path)
    } catch {
      return false
    }
    const want = this.opts.path
    return want.endsWith('/') ? path.startsWith(want) : path === want
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.stats.requests++
    if (!this.matches(req.url ?? '')) {
      this.stats.refused++
      return reply(res, 404, '404 page not found')
    }
    if (req.method !== 'POST') {
      this.stats.refused++
      res.setHeader('Allow', 'POST')
      return reply(res, 405, `${req.method} method not allowed`)
    }
    if (!(req.headers['content-type'] ?? '').includes('application/json')) {
      this.stats.badRequest++
      return reply(res, 400, 'wrong Content Type')
    }
    const limit = this.opts.maxBodyBytes
    const declared = req.headers['content-length'] === undefined ? 0 : Number(req.headers['content-length'])
    if (declared > limit) return this.tooLarge(req, res, limit)
    if (this.pendingBytes + declared > this.maxPending) {
      this.stats.busy++
      res.setHeader('Retry-After', RETRY_AFTER_S)
      return reply(res, 503, 'too many bytes in flight, retry later', true)
    }

    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const release = () => {
      this.pendingBytes -= size
      size = 0
      chunks.length = 0
    }
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      this.pendingBytes += chunk.length
      if (size > limit || this.pendingBytes > this.maxPending) {
        done = true
        const over = size > limit
        release()
        if (over) return this.tooLarge(req, res, limit)
        this.stats.busy++
        res.setHeader('Retry-After', RETRY_AFTER_S)
        return reply(res, 503, 'too many bytes in flight, retry later', true)
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (done) return
      done = true
      const body = Buffer.concat(chunks, size)
      release()
      let result: IngestResult
      try {
        result = this.opts.ingest(body)
      } catch (e) {
        // ingest is not supposed to throw; if it does the body is refused, the server lives on
        result = { ok: false, status: 400, reason: `cannot read body: ${(e as Error).message}` }
      }
      if (result.ok) {
        this.stats.accepted++
        res.statusCode = 200
        res.setHeader('Content-Length', '0')
        res.end()
        return
      }
      if (result.status === 503) {
        this.stats.busy++
        res.setHeader('Retry-After', RETRY_AFTER_S)
      } else {
        this.stats.badRequest++
      }
      reply(res, result.status, result.reason)
    })
    req.on('aborted', () => {
      if (done) return
      done = true
      this.stats.aborted++
      release()
    })
    req.on('error', () => {
      if (done) return
      done = true
      this.stats.aborted++
      release()
    })
  }

  private tooLarge(req: http.IncomingMessage, res: http.ServerResponse, limit: number): void {
    this.stats.tooLarge++
    reply(res, 413, `request body too large: the limit is ${limit} bytes (webhookMaxBatchSize)`, true)
    // read and discard what the client is still sending, for a moment, so that it sees the
    // answer rather than a reset; then cut the connection
    req.resume()
    res.on('finish', () => setTimeout(() => req.socket.destroy(), 1000).unref())
  }
}

// Go's http.Error: a text line, no sniffing.
function reply(res: http.ServerResponse, status: number, text: string, close = false): void {
  if (res.headersSent) return
  const body = text + '\n'
  res.statusCode = status
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Content-Length', Buffer.byteLength(body))
  if (close) res.setHeader('Connection', 'close')
  res.end(body)
}
