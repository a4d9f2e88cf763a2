// Writing to a file descriptor without ever blocking the event loop. fs.write runs on
// libuv's thread pool, so a stdout pipe that nobody reads stalls a pool thread, not the
// event path. (process.stdout would not do: on POSIX its writes to files and terminals are
// synchronous, and to pipes asynchronous with no bound on what it holds.) If the descriptor
// was made non-blocking (libuv does that to a pipe once process.stdout is touched), EAGAIN
// is retried after a short pause instead of spinning.
import { close as fsClose, open as fsOpen, write as fsWrite } from 'node:fs'

const RETRY_MS = 5

function writeSome(fd: number, buf: Buffer, offset: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fsWrite(fd, buf, offset, buf.length - offset, null, (err, n) => (err ? reject(err) : resolve(n)))
  })
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Writes all of `buf`, across short writes and EAGAIN. */
export async function writeAll(fd: number, buf: Buffer): Promise<void> {
  let off = 0
  while (off < buf.length) {
    try {
      off += await writeSome(fd, buf, off)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        await pause(RETRY_MS)
        continue
      }
      throw e
    }
  }
}

/** Opens for appending (created 0666 & ~umask if missing), as fopen(…, "a") does. */
export function openAppend(path: string): Promise<number> {
  return new Promise((resolve, reject) => fsOpen(path, 'a', 0o666, (err, fd) => (err ? reject(err) : resolve(fd))))
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsClose(fd, (err) => (err ? reject(err) : resolve())))
}

/** The lines of a batch, each followed by a newline, after what was held back. */
export function joinLines(held: string, batch: readonly { readonly line: string }[]): string {
  let text = held
  for (let i = 0; i < batch.length; i++) text += batch[i]!.line + '\n'
  return text
}
