// program_output: alerts written to the standard input of a shell command
// (outputs_program.cpp). Falco uses popen(program, "w"): /bin/sh -c program, with the
// child's stdout and stderr being Falco's own.
//
// keep_alive: true — one child for the whole run, one line per alert; with buffered_outputs
// lines are held until PROGRAM_BUFFER bytes wait (a FILE*'s buffer on a pipe). reopen()
// (SIGUSR1) ends the child and the next alert starts a new one. If the child exits on its
// own, the next alert starts a new one too (Falco would keep writing into the dead pipe).
//
// keep_alive: false — a new child for every alert: it gets the one line, its stdin closes,
// and the next alert waits until it has exited (pclose), so alerts arrive in order and
// `program: "jq … | curl …"` posts one alert per request.
import type { Channel, ChannelContext, OutputMessage } from './channel.js'
import { ChildPipe } from './child.js'
import { joinLines } from './fd-write.js'

/** A pipe's stdio buffer in glibc (st_blksize). */
export const PROGRAM_BUFFER = 4096

export interface ProgramOptions {
  program: string
  keepAlive: boolean
  /** The shell; popen always uses /bin/sh. */
  shell?: string
}

export class ProgramChannel implements Channel {
  readonly name = 'program'
  /** One alert per write without keep_alive, so output_timeout measures one child's run. */
  readonly maxBatch: number
  private readonly program: string
  private readonly keepAlive: boolean
  private readonly buffered: boolean
  private readonly shell: string
  private readonly child: ChildPipe
  private held = ''

  constructor(ctx: ChannelContext, opts: ProgramOptions) {
    if (opts.program === '') throw new Error('program output enabled but no program in configuration block')
    this.program = opts.program
    this.keepAlive = opts.keepAlive
    this.buffered = ctx.buffered && opts.keepAlive
    this.shell = opts.shell ?? '/bin/sh'
    this.maxBatch = opts.keepAlive ? 256 : 1
    this.child = this.newChild()
  }

  async write(batch: readonly OutputMessage[]): Promise<void> {
    if (!this.keepAlive) {
      for (const m of batch) await this.runOnce(m.line + '\n')
      return
    }
    const text = joinLines(this.held, batch)
    if (this.buffered && text.length < PROGRAM_BUFFER) {
      this.held = text
      return
    }
    this.held = ''
    await this.send(text)
  }

  async flush(): Promise<void> {
    if (this.held === '') return
    const text = this.held
    this.held = ''
    await this.send(text)
  }

  async reopen(): Promise<void> {
    await this.flush()
    await this.child.end()
  }

  async close(): Promise<void> {
    try {
      await this.flush()
    } finally {
      await this.child.end()
    }
  }

  destroy(): void {
    this.held = ''
    this.child.kill()
  }

  private newChild(): ChildPipe {
    return new ChildPipe({ command: this.shell, args: ['-c', this.program], stdio: ['pipe', 'inherit', 'inherit'] })
  }

  private async send(text: string): Promise<void> {
    try {
      await this.child.write(text)
    } catch (e) {
      throw this.failure(e)
    }
  }

  private async runOnce(text: string): Promise<void> {
    const child = this.newChild()
    try {
      await child.write(text)
    } catch (e) {
      // a program that exits without reading its input is its own business (Falco's
      // fprintf into the closed pipe fails silently too)
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') {
        child.kill()
        throw this.failure(e)
      }
    }
    await child.end()
  }

  private failure(e: unknown): Error {
    return new Error(`Failed to write to program output: ${this.program} (error: ${(e as Error).message})`)
  }
}
