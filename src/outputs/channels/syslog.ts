// syslog_output: one syslog message per alert (outputs_syslog.cpp).
//
// Falco calls syslog(3) with the alert's priority as the level and never calls openlog, so
// glibc sends to the local socket /dev/log, facility LOG_USER (1), tag = program name, no
// pid: the datagram is "<PRI>Mmm dd hh:mm:ss tag: message" with PRI = 8 + priority
// (Emergency 0 → <8>, Warning 4 → <12>, Debug 7 → <15>). Without /dev/log glibc drops the
// message silently.
//
// Node cannot send unix datagrams (dgram has no AF_UNIX, net is stream-only) without a
// native addon, and /dev/log is a datagram socket. So Saker runs util-linux's `logger`
// (Debian: bsdutils, always installed) once, for the whole run, and feeds it one line per
// alert: `logger --prio-prefix` takes the "<PRI>" in front of each line as that line's
// priority and sends the same datagram glibc would (checked against a listening socket in
// test/outputs/syslog.test.ts). `--size` lifts logger's default 1 KiB cut, which would split
// long alerts; `--socket-errors=off` keeps glibc's silence when there is no syslog daemon.
import type { Channel, ChannelContext, OutputMessage } from './channel.js'
import { ChildPipe } from './child.js'

/** LOG_USER << 3. */
const FACILITY_USER = 8

/** Largest message logger sends as one datagram (beyond it, it splits). */
const MAX_MESSAGE = 65536

export interface SyslogOptions {
  /** The syslog socket; /dev/log as glibc uses. */
  socket?: string
  /** The tag; glibc would use the program's name, which for Saker is "saker" (Falco: "falco"). */
  tag?: string
  /** The logger command. */
  logger?: string
}

/** The syslog header's PRI for a Falco priority (0..7): facility user. */
export function syslogPri(priority: number): number {
  return FACILITY_USER + priority
}

export class SyslogChannel implements Channel {
  readonly name = 'syslog'
  private readonly logger: ChildPipe
  private readonly loggerCommand: string
  private unavailable = false

  constructor(_ctx: ChannelContext, opts: SyslogOptions = {}) {
    const tag = opts.tag ?? 'saker'
    this.loggerCommand = opts.logger ?? 'logger'
    const args = ['--prio-prefix', '--socket-errors=off', '--size', String(MAX_MESSAGE), '-t', tag, '-u', opts.socket ?? '/dev/log']
    // logger's own complaints go to our stderr; it prints nothing on stdout
    this.logger = new ChildPipe({ command: this.loggerCommand, args, stdio: ['pipe', 'ignore', 'inherit'] })
  }

  async write(batch: readonly OutputMessage[]): Promise<void> {
    if (this.unavailable) return
    let text = ''
    for (const m of batch) {
      let line = m.line
      // logger reads lines: a line break would turn the rest into a second message
      if (line.includes('\n') || line.includes('\r')) line = line.replace(/[\r\n]/g, ' ')
      text += '<' + syslogPri(m.alert.priority) + '>' + line + '\n'
    }
    try {
      await this.logger.write(text)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        this.unavailable = true
        throw new Error(`cannot run '${this.loggerCommand}' (util-linux), which Saker uses to reach syslog; syslog output is off`)
      }
      throw e
    }
  }

  async flush(): Promise<void> {}

  async reopen(): Promise<void> {}

  close(): Promise<void> {
    return this.logger.end()
  }

  destroy(): void {
    this.logger.kill()
  }
}

