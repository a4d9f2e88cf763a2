// Falco's webserver (falco.yaml `webserver:`): the health check Kubernetes probes
// (k8s_healthz_endpoint, `{"status": "ok"}`), `/versions` (what `--version` prints as JSON)
// and, with prometheus_metrics_enabled, `/metrics` in Prometheus' text format. Plain HTTP
// or, with ssl_enabled, HTTPS from the one PEM file Falco takes (certificate and key).
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { PemPair } from './tls.js'

export interface WebserverOptions {
  /** '' listens on every address. */
  host: string
  port: number
  tls?: PemPair
  healthzPath: string
  versions: () => Record<string, unknown>
}

/** The Prometheus text exposition format's content type (version 0.0.4), as Falco sends it. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4'

export class Webserver {
  private readonly server: http.Server
  private readonly sockets = new Set<Socket>()
  private closing: Promise<void> | null = null
  /** The Prometheus text of this moment; until serveMetrics, /metrics is 404 (as Falco's before its sources open). */
  private metrics: (() => string) | null = null

  private constructor(private readonly opts: WebserverOptions) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.handle(req, res)
    this.server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler)
    this.server.requestTimeout = 30_000
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
    this.server.on('tlsClientError', () => {})
  }

  /** Starts listening; rejects with the address and the reason when it cannot. */
  static async start(opts: WebserverOptions): Promise<Webserver> {
    const w = new Webserver(opts)
    const host = opts.host === '' ? undefined : opts.host
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new Error(`webserver: cannot listen on ${opts.host}:${opts.port}: ${err.message}`))
      w.server.once('error', onError)
      w.server.listen({ port: opts.port, host }, () => {
        w.server.off('error', onError)
        resolve()
      })
    })
    return w
  }

  /** Serves /metrics with `text` from now on; null: 404 again (its source is stopping). */
  serveMetrics(text: (() => string) | null): void {
    this.metrics = text
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo
  }

  /** Stops listening; open connections are cut after a second. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const s of this.sockets) s.destroy()
      }, 1000)
      timer.unref()
      this.server.close(() => {
        clearTimeout(timer)
        resolve()
      })
      this.server.closeIdleConnections()
    })
    return this.closing
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '').split('?')[0]
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) })
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'Method Not Allowed\n')
    if (path === this.opts.healthzPath) return send(200, 'application/json', '{"status": "ok"}')
    if (path === '/versions') return send(200, 'application/json', JSON.stringify(this.opts.versions()))
    if (path === '/metrics' && this.metrics !== null) {
      let text: string
      try {
        text = this.metrics()
      } catch (e) {
        return send(500, 'text/plain', `metrics: ${(e as Error).message}\n`)
      }
      return send(200, PROMETHEUS_CONTENT_TYPE, text)
    }
    send(404, 'text/plain', 'Not Found\n')
  }
}
