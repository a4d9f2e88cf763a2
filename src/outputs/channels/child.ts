// A child process fed through its standard input, for program_output and the syslog
// channel. Writes go through the pipe asynchronously (libuv), so a child that reads slowly
// holds up its own channel's queue and nothing else.
import { spawn } from 'node:child_process'
import type { ChildProcess, StdioOptions } from 'node:child_process'

export interface ChildSpec {
  command: string
  args: readonly string[]
  /** What the child's stdout and stderr are; popen lets both be Falco's own. */
  stdio: StdioOptions
}

/** One running child; made again after it exits. */
export class ChildPipe {
  private child: ChildProcess | null = null
  private exited: Promise<void> = Promise.resolve()

  constructor(private readonly spec: ChildSpec) {}

  /** True while a child is running and its stdin is open. */
  get running(): boolean {
    return this.child !== null
  }

  /** Starts the child unless it runs; rejects when it cannot be started. */
  async start(): Promise<void> {
    if (this.child !== null) return
    const child = spawn(this.spec.command, [...this.spec.args], { stdio: this.spec.stdio })
    // both report once the child is gone: 'error' when it never started, 'close' otherwise
    this.exited = new Promise<void>((resolve) => {
      child.once('close', () => resolve())
      child.once('error', () => resolve())
    })
    if (child.pid === undefined) {
      const err = await new Promise<Error>((resolve) => child.once('error', resolve))
      throw err
    }
    // a child that exits early makes our next write fail with EPIPE: the write's callback
    // reports it, and this listener keeps the stream from throwing it again
    child.stdin!.on('error', () => {})
    child.once('close', () => {
      if (this.child === child) this.child = null
    })
    this.child = child
  }

  /** Writes `text` to the child's stdin; resolves when the pipe took it. */
  async write(text: string): Promise<void> {
    await this.start()
    const stdin = this.child!.stdin!
    await new Promise<void>((resolve, reject) => stdin.write(text, (err) => (err ? reject(err) : resolve())))
  }

  /** Closes the child's stdin and waits for it to exit, as pclose does. */
  async end(): Promise<void> {
    const child = this.child
    if (child === null) return
    this.child = null
    child.stdin!.end()
    await this.exited
  }

  /** Stops the child now. */
  kill(): void {
    const child = this.child
    if (child === null) return
    this.child = null
    child.stdin!.destroy()
    child.kill('SIGKILL')
  }
}
