// Falco's webserver (falco.yaml `webserver:`): the health check Kubernetes probes
// (k8s_healthz_endpoint, `{"status": "ok"}`), `/versions` (what `--version` prints as JSON)
// and, with prometheus_metrics_enabled, `/metrics` in Prometheus' text format. Plain HTTP
// or, with ssl_enabled, HTTPS from the one PEM file Falco takes (certificate and key).
import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpListener } from './listener.js'
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
  private listener!: HttpListener
  /** The Prometheus text of this moment; until serveMetrics, /metrics is 404 (as Falco's before its sources open). */
  private metrics: (() => string) | null = null

  private constructor(private readonly opts: WebserverOptions) {}

  /** Starts listening; rejects with the address and the reason when it cannot. */
  static async start(opts: WebserverOptions): Promise<Webserver> {
    const w = new Webserver(opts)
    try {
      // open connections are cut a second after close()
      w.listener = await HttpListener.listen({ host: opts.host, port: opts.port, tls: opts.tls, requestTimeoutMs: 30_000, closeGraceMs: 1000 },
        (req, res) => w.handle(req, res))
    } catch (e) {
      throw new Error(`webserver: ${(e as Error).message}`)
    }
    return w
  }

  /** Serves /metrics with `text` from now on; null: 404 again (its source is stopping). */
  serveMetrics(text: (() => string) | null): void {
    this.metrics = text
  }

  address(): AddressInfo {
    return this.listener.address()
  }

  /** Stops listening; open connections are cut after a second. Idempotent. */
  close(): Promise<void> {
    return this.listener.close()
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
