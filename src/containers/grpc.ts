// gRPC over HTTP/2 on a unix socket with node:http2: unary calls and server streams, framed
// by hand (1 byte "compressed" = 0, 4 bytes big-endian length, the message). One session per
// socket, reused, unref'd so an idle channel never keeps the process alive, and dropped when
// the peer goes away (a restarted containerd gets a fresh connection on the next call).

import http2 from 'node:http2'
import net from 'node:net'
import { deadline } from './timer.js'

/** gRPC status codes the clients act on. */
export const GRPC = { OK: 0, CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, UNIMPLEMENTED: 12, UNAVAILABLE: 14 } as const

export type GrpcReply = { ok: true; message: Buffer } | { ok: false; code: number; message: string }

export interface GrpcStream {
  cancel(): void
}

const MAX_MESSAGE = 16 << 20

function frame(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length)
  out[0] = 0
  out.writeUInt32BE(body.length, 1)
  out.set(body, 5)
  return out
}

/** Splits gRPC length-prefixed messages out of a byte stream as they complete. */
class Deframer {
  private buf: Buffer = Buffer.alloc(0)

  push(chunk: Buffer, onMessage: (m: Buffer) => void): string | null {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    while (this.buf.length >= 5) {
      if (this.buf[0] !== 0) return 'compressed gRPC message (no compression was negotiated)'
      const len = this.buf.readUInt32BE(1)
      if (len > MAX_MESSAGE) return `gRPC message of ${len} bytes is over the ${MAX_MESSAGE} limit`
      if (this.buf.length < 5 + len) break
      onMessage(this.buf.subarray(5, 5 + len))
      this.buf = this.buf.subarray(5 + len)
    }
    return null
  }
}

function statusOf(h: http2.IncomingHttpHeaders): { code: number; message: string } | null {
  const s = h['grpc-status']
  if (s === undefined) return null
  const raw = Array.isArray(s) ? s[0] : s
  const m = h['grpc-message']
  let message = typeof m === 'string' ? m : ''
  try {
    message = decodeURIComponent(message)
  } catch {
    // keep it percent-encoded
  }
  return { code: Number(raw), message }
}

export class GrpcChannel {
  private session: http2.ClientHttp2Session | null = null

  constructor(readonly socketPath: string) {}

  private connect(): http2.ClientHttp2Session {
    const cur = this.session
    if (cur !== null && !cur.closed && !cur.destroyed) return cur
    const s = http2.connect('http://localhost', { createConnection: () => net.connect(this.socketPath) })
    // Errors reach the streams; a session error alone must not crash the process.
    s.on('error', () => this.drop(s))
    s.on('goaway', () => this.drop(s))
    s.on('close', () => this.drop(s))
    s.unref()
    this.session = s
    return s
  }

  private drop(s: http2.ClientHttp2Session): void {
    if (this.session === s) this.session = null
    if (!s.destroyed) s.destroy()
  }

  private open(path: string, body: Uint8Array, metadata: Record<string, string>, timeoutMs: number | null): http2.ClientHttp2Stream {
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...metadata,
    }
    if (timeoutMs !== null) headers['grpc-timeout'] = `${Math.max(1, Math.ceil(timeoutMs))}m`
    const req = this.connect().request(headers)
    req.end(frame(body))
    return req
  }

  /** One request, one answer; never rejects. */
  unary(path: string, body: Uint8Array, timeoutMs: number, metadata: Record<string, string> = {}): Promise<GrpcReply> {
    return new Promise(resolve => {
      let done = false
      const finish = (r: GrpcReply): void => {
        if (done) return
        done = true
        timer.clear()
        if (!req.destroyed) req.close(http2.constants.NGHTTP2_CANCEL)
        resolve(r)
      }
      const timer = deadline(timeoutMs, () => finish({ ok: false, code: GRPC.DEADLINE_EXCEEDED, message: `no answer in ${timeoutMs} ms` }))
      let req: http2.ClientHttp2Stream
      try {
        req = this.open(path, body, metadata, timeoutMs)
      } catch (e) {
        timer.clear()
        resolve({ ok: false, code: GRPC.UNAVAILABLE, message: (e as Error).message })
        return
      }
      let message: Buffer | null = null
      let status: { code: number; message: string } | null = null
      const de = new Deframer()
      req.on('response', h => {
        status = statusOf(h) ?? status
        const st = h[':status']
        if (st !== undefined && st !== 200) finish({ ok: false, code: GRPC.UNKNOWN, message: `HTTP status ${st}` })
      })
      req.on('trailers', h => {
        status = statusOf(h) ?? status
      })
      req.on('data', (chunk: Buffer) => {
        const err = de.push(chunk, m => {
          message = Buffer.from(m)
        })
        if (err !== null) finish({ ok: false, code: GRPC.UNKNOWN, message: err })
      })
      req.on('end', () => {
        const st = status as { code: number; message: string } | null
        if (st === null) finish({ ok: false, code: GRPC.UNKNOWN, message: 'stream ended without a gRPC status' })
        else if (st.code !== GRPC.OK) finish({ ok: false, code: st.code, message: st.message })
        else finish({ ok: true, message: message ?? Buffer.alloc(0) })
      })
      req.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, code: GRPC.UNAVAILABLE, message: e.code ?? e.message }))
      req.on('close', () => finish({ ok: false, code: GRPC.UNAVAILABLE, message: 'stream closed' }))
    })
  }

  /**
   * A server stream: `onMessage` for each message; `onEnd` once, with the status (OK when the
   * server ended it cleanly) or why it broke. `cancel()` ends it without calling `onEnd`.
   */
  stream(
    path: string,
    body: Uint8Array,
    onMessage: (m: Buffer) => void,
    onEnd: (code: number, message: string) => void,
    metadata: Record<string, string> = {},
  ): GrpcStream {
    let ended = false
    const end = (code: number, message: string): void => {
      if (ended) return
      ended = true
      onEnd(code, message)
    }
    let req: http2.ClientHttp2Stream
    try {
      req = this.open(path, body, metadata, null)
    } catch (e) {
      queueMicrotask(() => end(GRPC.UNAVAILABLE, (e as Error).message))
      return { cancel: () => { ended = true } }
    }
    let status: { code: number; message: string } | null = null
    const de = new Deframer()
    req.on('response', h => {
      status = statusOf(h) ?? status
    })
    req.on('trailers', h => {
      status = statusOf(h) ?? status
    })
    req.on('data', (chunk: Buffer) => {
      const err = de.push(chunk, m => {
        if (!ended) onMessage(Buffer.from(m))
      })
      if (err !== null) {
        end(GRPC.UNKNOWN, err)
        req.close(http2.constants.NGHTTP2_CANCEL)
      }
    })
    req.on('end', () => {
      const st = status as { code: number; message: string } | null
      end(st?.code ?? GRPC.UNAVAILABLE, st?.message ?? 'stream ended without a gRPC status')
    })
    req.on('error', (e: NodeJS.ErrnoException) => end(GRPC.UNAVAILABLE, e.code ?? e.message))
    req.on('close', () => end(GRPC.UNAVAILABLE, 'stream closed'))
    return {
      cancel: () => {
        ended = true
        if (!req.destroyed) req.close(http2.constants.NGHTTP2_CANCEL)
      },
    }
  }

  close(): void {
    const s = this.session
    this.session = null
    if (s !== null && !s.destroyed) s.destroy()
  }
}
