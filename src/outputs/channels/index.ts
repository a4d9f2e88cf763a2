// The channels a configuration enables, in Falco's order (configuration.cpp: file, stdout,
// syslog, program, http). A new channel adds its block here.
import type { SakerConfig } from '../../config/types.js'
import type { Channel, ChannelContext } from './channel.js'
import { FileChannel } from './file.js'
import { ProgramChannel } from './program.js'
import { StdoutChannel } from './stdout.js'
import { SyslogChannel } from './syslog.js'
import type { SyslogOptions } from './syslog.js'

export type { Channel, ChannelContext, OutputLog } from './channel.js'
export { OutputMessage } from './channel.js'
export { FileChannel } from './file.js'
export { ProgramChannel } from './program.js'
export { StdoutChannel } from './stdout.js'
export { SyslogChannel, syslogPri } from './syslog.js'

/** The configuration blocks the channels read. */
export type ChannelsConfig = Pick<SakerConfig, 'stdout_output' | 'syslog_output' | 'file_output' | 'program_output' | 'http_output'>

export interface ChannelsOptions {
  syslog?: SyslogOptions
}

/** True when the configuration enables at least one channel (Falco refuses to start otherwise). */
export function anyOutputEnabled(c: ChannelsConfig): boolean {
  return c.file_output.enabled || c.stdout_output.enabled || c.syslog_output.enabled || c.program_output.enabled || c.http_output.enabled
}

/**
 * Makes the enabled channels. A channel that cannot be made is logged, as Falco logs
 * "Failed to init output: …", and left out.
 */
export function channelsFromConfig(c: ChannelsConfig, ctx: ChannelContext, opts: ChannelsOptions = {}): Channel[] {
  const out: Channel[] = []
  const add = (make: () => Channel): void => {
    try {
      out.push(make())
    } catch (e) {
      ctx.log('error', 'Failed to init output: ' + (e as Error).message)
    }
  }
  if (c.file_output.enabled) {
    add(() => new FileChannel(ctx, { filename: c.file_output.filename, keepAlive: c.file_output.keep_alive }))
  }
  if (c.stdout_output.enabled) add(() => new StdoutChannel(ctx))
  if (c.syslog_output.enabled) add(() => new SyslogChannel(ctx, opts.syslog))
  if (c.program_output.enabled) {
    add(() => new ProgramChannel(ctx, { program: c.program_output.program, keepAlive: c.program_output.keep_alive }))
  }
  if (c.http_output.enabled) {
    add(() => {
      throw new Error('Output not supported: http (not implemented in Saker yet)')
    })
  }
  return out
}
