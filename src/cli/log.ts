// Saker's own log lines (not alerts), as Falco writes them to stderr: a local ctime-style
// timestamp, or ISO 8601 in UTC with time_format_iso_8601, then the message.

export const LOG_LEVELS = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const p2 = (n: number): string => String(n).padStart(2, '0')

export class Logger {
  private level = LOG_LEVELS.indexOf('info')
  iso8601 = false
  toStderr = true

  setLevel(name: string): void {
    const i = LOG_LEVELS.indexOf(name as LogLevel)
    if (i < 0) throw new Error('Unknown log level ' + name)
    this.level = i
  }

  /** Whether a message at `level` would be written (to skip building costly ones). */
  enabled(level: LogLevel): boolean {
    return this.toStderr && LOG_LEVELS.indexOf(level) <= this.level
  }

  log(level: LogLevel, msg: string): void {
    if (!this.enabled(level)) return
    process.stderr.write(`${this.timestamp(new Date())}: ${msg.endsWith('\n') ? msg : msg + '\n'}`)
  }

  private timestamp(d: Date): string {
    if (this.iso8601) {
      return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}+0000`
    }
    return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`
  }
}

export const log = new Logger()
