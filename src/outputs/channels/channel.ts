// What an output channel is to the dispatcher. Each channel gets its own queue and its own
// writer loop (src/outputs/dispatcher.ts), so a slow channel delays and drops only its own
// alerts. The dispatcher never calls a channel's methods concurrently: one `write`, `flush`
// or `reopen` at a time, in queue order, then `close` once at the end.
//
// To add a channel (http, webhooks, ...): implement Channel, and create it in
// channels/index.ts from its configuration block.
import type { LogLevel } from '../../cli/log.js'
import type { Alert, RenderOptions } from '../alert.js'
import { jsonLine, textLine } from '../alert.js'

export type OutputLog = (level: LogLevel, msg: string) => void

/** One alert on its way out, rendered at most once per form whatever the number of channels. */
export class OutputMessage {
  private textForm: string | undefined = undefined
  private jsonForm: string | undefined = undefined

  constructor(
    readonly alert: Alert,
    private readonly render: RenderOptions,
    private readonly jsonOutput: boolean,
  ) {}

  /** The form Falco's channels write: JSON with json_output, the text line otherwise. */
  get line(): string {
    return this.jsonOutput ? this.json : this.text
  }

  get text(): string {
    return (this.textForm ??= textLine(this.alert, this.render))
  }

  get json(): string {
    return (this.jsonForm ??= jsonLine(this.alert, this.render))
  }
}

/** What every channel is told when it is made (Falco's abstract_output::init). */
export interface ChannelContext {
  /** buffered_outputs, after `-U`. */
  readonly buffered: boolean
  readonly jsonOutput: boolean
  readonly hostname: string
  readonly render: RenderOptions
  readonly log: OutputLog
}

export interface Channel {
  /** As Falco names it in its messages: "stdout", "file", "program", "syslog", "http". */
  readonly name: string
  /** True when the channel reads Alert.fields even without JSON output. */
  readonly needsFields?: boolean
  /** The most alerts one write takes (default 256); 1 for a channel that handles them one by one. */
  readonly maxBatch?: number
  /**
   * Hands a batch of alerts, in order, to the destination. Resolves when the bytes are with
   * the OS (or buffered, when buffering is on); rejects with a message for the log.
   */
  write(batch: readonly OutputMessage[]): Promise<void>
  /** Pushes out what is buffered (Falco's cleanup). */
  flush(): Promise<void>
  /** Closes and opens the destination again (SIGUSR1, log rotation). */
  reopen(): Promise<void>
  /** Flushes and releases the destination; waits for child programs to exit. */
  close(): Promise<void>
  /** Releases the destination now, losing what is buffered (shutdown timed out). */
  destroy(): void
}
