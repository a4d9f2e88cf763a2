// file_output: alerts appended to a file, one per line (outputs_file.cpp).
//
// keep_alive: true — the file is opened (for appending, created if missing) at the first
// alert and stays open; reopen() (SIGUSR1) closes it so the next alert opens it again.
// With buffered_outputs, lines are held until FILE_BUFFER bytes wait, as an ofstream holds
// them; flush() and close() write them out.
//
// keep_alive: false — open, append, close for every write, so a rotated or deleted file is
// picked up at once. Falco does this per alert; Saker does it per batch (the alerts that
// queued up while the previous write was running, one alert when the flow is light), which
// behaves the same for anything that reads or rotates the file and costs fewer system calls
// when alerts come in bursts.
import type { Channel, ChannelContext, OutputMessage } from './channel.js'
import { closeFd, joinLines, openAppend, writeAll } from './fd-write.js'
import { closeSync } from 'node:fs'

/** libstdc++'s filebuf buffer (BUFSIZ). */
export const FILE_BUFFER = 8192

export interface FileOptions {
  filename: string
  keepAlive: boolean
}

export class FileChannel implements Channel {
  readonly name = 'file'
  private readonly filename: string
  private readonly keepAlive: boolean
  private readonly buffered: boolean
  private fd: number | null = null
  private held = ''

  constructor(ctx: ChannelContext, opts: FileOptions) {
    if (opts.filename === '') throw new Error('file output enabled but no filename in configuration block')
    this.filename = opts.filename
    this.keepAlive = opts.keepAlive
    this.buffered = ctx.buffered && opts.keepAlive
  }

  async write(batch: readonly OutputMessage[]): Promise<void> {
    const text = joinLines(this.held, batch)
    if (this.buffered && text.length < FILE_BUFFER) {
      this.held = text
      return
    }
    this.held = ''
    await this.put(text)
  }

  async flush(): Promise<void> {
    if (this.held === '') return
    const text = this.held
    this.held = ''
    await this.put(text)
  }

  async reopen(): Promise<void> {
    await this.flush()
    await this.release()
  }

  async close(): Promise<void> {
    try {
      await this.flush()
    } finally {
      await this.release()
    }
  }

  destroy(): void {
    this.held = ''
    if (this.fd !== null) {
      const fd = this.fd
      this.fd = null
      try {
        closeSync(fd)
      } catch {
        // already gone: nothing left to release
      }
    }
  }

  private async put(text: string): Promise<void> {
    const buf = Buffer.from(text)
    if (this.keepAlive) {
      if (this.fd === null) this.fd = await this.open()
      await writeAll(this.fd, buf)
      return
    }
    const fd = await this.open()
    try {
      await writeAll(fd, buf)
    } finally {
      await closeFd(fd)
    }
  }

  private async open(): Promise<number> {
    try {
      return await openAppend(this.filename)
    } catch (e) {
      throw new Error(`failed to open output file ${this.filename} (${(e as Error).message})`)
    }
  }

  private async release(): Promise<void> {
    if (this.fd === null) return
    const fd = this.fd
    this.fd = null
    await closeFd(fd)
  }
}
