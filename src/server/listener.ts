// An HTTP(S) server as Saker's endpoints run one (the k8s audit webhook, Falco's webserver):
// listening reported as a promise with the address in its error, a TLS handshake that fails
// left to the client, and a close that lets requests in progress finish for a grace period
// before it cuts the connections that are left.
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { PemPair } from './tls.js'

export interface ListenerOptions {
  /** Interface to listen on; '' for all of them. */
  readonly host: string
  /** 0 picks a free port (see address()). */
  readonly port: number
  /** HTTPS with this certificate and key; plain HTTP when absent. */
  readonly tls?: PemPair | null
  /** Longest a request may take to arrive, in ms. */
  readonly requestTimeoutMs: number
  /** How long close() waits for requests in progress, in ms. */
  readonly closeGraceMs: number
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void

export class HttpListener {
  private readonly server: http.Server
  private readonly sockets = new Set<Socket>()
  private closing: Promise<void> | null = null

  private constructor(private readonly opts: ListenerOptions, handler: Handler) {
    this.server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler)
    this.server.requestTimeout = opts.requestTimeoutMs
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
    // a TLS handshake that fails is the client's problem, not the server's
    this.server.on('tlsClientError', () => {})
  }

  /** Starts listening; rejects with "cannot listen on HOST:PORT: reason" when the address cannot be used. */
  static async listen(opts: ListenerOptions, handler: Handler): Promise<HttpListener> {
    const l = new HttpListener(opts, handler)
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new Error(`cannot listen on ${opts.host}:${opts.port}: ${err.message}`))
      l.server.once('error', onError)
      l.server.listen({ port: opts.port, host: opts.host === '' ? undefined : opts.host }, () => {
        l.server.off('error', onError)
        resolve()
      })
    })
    return l
  }

  /** Where the server listens (the port chosen when 0 was asked). */
  address(): AddressInfo {
    return this.server.address() as AddressInfo
  }

  /** Stops listening; requests in progress get closeGraceMs to finish. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const s of this.sockets) s.destroy()
      }, this.opts.closeGraceMs)
      timer.unref()
      this.server.close(() => {
        clearTimeout(timer)
        resolve()
      })
      this.server.closeIdleConnections()
    })
    return this.closing
  }
}
