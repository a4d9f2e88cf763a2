// stdout_output: one line per alert on standard output (outputs_stdout.cpp).
//
// Falco writes through std::cout. With buffered_outputs it leaves the C library's buffering
// alone (full buffering on a pipe or file, flushed when the buffer fills and at exit); without
// it every line is flushed. Saker does the same: buffered, lines are held until STDOUT_BUFFER
// bytes are waiting or flush()/close() is called; unbuffered, every batch the queue hands over
// is written at once. A terminal is line buffered either way, as stdio does.
import { isatty } from 'node:tty'
import type { Channel, ChannelContext, OutputMessage } from './channel.js'
import { joinLines, writeAll } from './fd-write.js'

/** glibc sizes a pipe's or a file's stdio buffer by st_blksize: 4096 on Linux. */
export const STDOUT_BUFFER = 4096

export interface StdoutOptions {
  /** The descriptor to write to; 1 unless a test says otherwise. */
  fd?: number
}

export class StdoutChannel implements Channel {
  readonly name = 'stdout'
  private readonly fd: number
  private readonly buffered: boolean
  private held = ''

  constructor(ctx: ChannelContext, opts: StdoutOptions = {}) {
    this.fd = opts.fd ?? 1
    this.buffered = ctx.buffered && !isatty(this.fd)
  }

  async write(batch: readonly OutputMessage[]): Promise<void> {
    const text = joinLines(this.held, batch)
    if (this.buffered && text.length < STDOUT_BUFFER) {
      this.held = text
      return
    }
    this.held = ''
    await writeAll(this.fd, Buffer.from(text))
  }

  async flush(): Promise<void> {
    if (this.held === '') return
    const text = this.held
    this.held = ''
    await writeAll(this.fd, Buffer.from(text))
  }

  async reopen(): Promise<void> {}

  close(): Promise<void> {
    return this.flush()
  }

  destroy(): void {
    this.held = ''
  }
}
