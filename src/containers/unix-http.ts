// HTTP/1.1 over a unix socket for the Docker-compatible API (docker, podman): GET a JSON
// document within a time bound, or follow a stream of JSON lines (/events). Never rejects.

import http from 'node:http'
import { deadline } from './timer.js'

export type HttpReply =
  | { ok: true; status: number; body: unknown }
  | { ok: false; status: number; reason: string; unavailable: boolean }

const MAX_BODY = 8 << 20

/** Errors that mean "nobody is listening there (now)", as opposed to a bad answer. */
export function isUnavailable(code: string | undefined): boolean {
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ENOTSOCK' || code === 'EACCES'
}

export class UnixHttp {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 })

  constructor(readonly socketPath: string) {}

  getJson(path: string, timeoutMs: number): Promise<HttpReply> {
    return new Promise(resolve => {
      let done = false
      const finish = (r: HttpReply): void => {
        if (done) return
        done = true
        timer.clear()
        resolve(r)
      }
      const req = http.request({ socketPath: this.socketPath, path, method: 'GET', agent: this.agent, headers: { host: 'docker' } }, res => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > MAX_BODY) {
            req.destroy()
            finish({ ok: false, status: res.statusCode ?? 0, reason: `answer over ${MAX_BODY} bytes`, unavailable: false })
          } else chunks.push(c)
        })
        res.on('end', () => {
          const status = res.statusCode ?? 0
          const text = Buffer.concat(chunks).toString('utf8')
          let body: unknown = text
          try {
            body = JSON.parse(text)
          } catch {
            // not JSON: keep the text for the reason
          }
          if (status >= 200 && status < 300) finish({ ok: true, status, body })
          else {
            const msg = body !== null && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string'
              ? (body as { message: string }).message
              : text.slice(0, 200)
            finish({ ok: false, status, reason: `HTTP ${status}: ${msg.trim()}`, unavailable: false })
          }
        })
        res.on('error', e => finish({ ok: false, status: 0, reason: e.message, unavailable: true }))
      })
      const timer = deadline(timeoutMs, () => {
        req.destroy()
        finish({ ok: false, status: 0, reason: `no answer in ${timeoutMs} ms`, unavailable: false })
      })
      req.on('error', (e: NodeJS.ErrnoException) =>
        finish({ ok: false, status: 0, reason: e.code ?? e.message, unavailable: isUnavailable(e.code) }))
      req.end()
    })
  }

  /**
   * Follows a streaming GET whose body is JSON values one after another (docker's /events).
   * `onEnd` is called once when the stream ends or breaks; `cancel()` ends it silently.
   */
  follow(path: string, onValue: (v: unknown) => void, onEnd: (reason: string) => void): { cancel(): void } {
    let ended = false
    const end = (reason: string): void => {
      if (ended) return
      ended = true
      onEnd(reason)
    }
    // Its own connection (no agent): a long poll must not hold one of the pool's sockets.
    const req = http.request({ socketPath: this.socketPath, path, method: 'GET', agent: false, headers: { host: 'docker' } }, res => {
      if ((res.statusCode ?? 0) !== 200) {
        res.resume()
        end(`HTTP ${res.statusCode}`)
        return
      }
      let buf = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        buf += c
        // Docker sends one JSON object per line; podman's compat API does too.
        let nl: number
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim()
          buf = buf.slice(nl + 1)
          if (line === '') continue
          try {
            onValue(JSON.parse(line))
          } catch {
            // a malformed line is skipped
          }
        }
        if (buf.length > MAX_BODY) {
          req.destroy()
          end('event line too long')
        }
      })
      res.on('end', () => end('stream ended'))
      res.on('error', e => end(e.message))
    })
    req.on('socket', s => s.unref())
    req.on('error', (e: NodeJS.ErrnoException) => end(e.code ?? e.message))
    req.end()
    return {
      cancel: () => {
        ended = true
        req.destroy()
      },
    }
  }

  close(): void {
    this.agent.destroy()
  }
}
