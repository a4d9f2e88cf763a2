// Where the reader's bytes come from: a window over a plain file read in chunks with
// synchronous reads (memory stays near one chunk plus the largest block, whatever the
// file size), or one in-memory buffer (gzip captures, decompressed whole, and
// captures handed over as bytes).
//
// The reader asks `ensure(n)` for n contiguous bytes at `pos` and then reads them
// straight from `buf`, so every block, and every event inside it, is parsed in place.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

/**
 * Default read size. Replaying a 134 MB capture took the same time with 256 KiB, 1 MiB and
 * 4 MiB reads; 1 MiB instead of 4 keeps peak RSS 3-4 MB lower (bench/replay.bench.ts).
 */
export const DEFAULT_CHUNK = 1 << 20

export class ByteSource {
  /** The window. Replaced (never resized in place) when a block needs a bigger one. */
  buf: Uint8Array
  dv: DataView
  /** Read position in `buf`. */
  pos = 0
  /** End of valid data in `buf`. */
  end: number
  /** Stream offset of buf[0]. */
  base = 0
  /** Bytes in the whole stream. */
  readonly size: number
  /** The I/O error that made `ensure` fail, if one did (a short read is not an error). */
  readError: Error | null = null
  private fd: number

  private constructor(buf: Uint8Array, end: number, fd: number, size: number) {
    this.buf = buf
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    this.end = end
    this.fd = fd
    this.size = size
  }

  static fromBytes(bytes: Uint8Array): ByteSource {
    return new ByteSource(bytes, bytes.length, -1, bytes.length)
  }

  /** Opens a plain file; throws the fs error when it cannot be opened. */
  static fromFile(path: string, chunk = DEFAULT_CHUNK): ByteSource {
    const fd = openSync(path, 'r')
    try {
      const size = fstatSync(fd).size
      const src = new ByteSource(new Uint8Array(Math.max(64, Math.min(chunk, size))), 0, fd, size)
      return src
    } catch (e) {
      closeSync(fd)
      throw e
    }
  }

  /** Stream offset of `pos`. */
  get offset(): number {
    return this.base + this.pos
  }

  /** Bytes from `pos` to the end of the stream. */
  get remaining(): number {
    return this.size - this.base - this.pos
  }

  /**
   * Makes n bytes available at buf[pos]. Returns false, without reading or growing,
   * when the stream has fewer than n bytes left: a corrupt length can never make the
   * reader allocate more than the file holds.
   */
  ensure(n: number): boolean {
    return this.end - this.pos >= n || this.refill(n)
  }

  /**
   * ensure's slow path: moves what is left to the start of the window and reads more. A
   * method of its own: inlined in the reader's loop, code that loop had not run before (the
   * move) would deoptimize it when first run.
   */
  private refill(n: number): boolean {
    if (this.fd < 0 || n > this.remaining) return false
    if (this.buf.length < n) {
      const bigger = new Uint8Array(Math.max(n, this.buf.length * 2))
      bigger.set(this.buf.subarray(this.pos, this.end))
      this.setBuf(bigger)
    } else if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end)
    }
    this.end -= this.pos
    this.base += this.pos
    this.pos = 0
    while (this.end < n) {
      let got: number
      try {
        got = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.base + this.end)
      } catch (e) {
        this.readError = e as Error
        return false
      }
      if (got === 0) return false // the file shrank since fstat
      this.end += got
    }
    return true
  }

  skip(n: number): void {
    this.pos += n
  }

  /**
   * Moves the read position to a stream offset. A file source reads its window again from
   * there: the reader seeks before its event loop, so the loop's first block calls `refill`
   * before the loop is optimized (a call the optimized loop met first would deoptimize it).
   */
  seek(offset: number): void {
    if (this.fd < 0 && offset >= this.base && offset <= this.base + this.end) {
      this.pos = offset - this.base
      return
    }
    this.base = offset
    this.pos = 0
    this.end = 0
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd)
      this.fd = -1
    }
  }

  private setBuf(b: Uint8Array): void {
    this.buf = b
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  }
}
