// The signals a running Saker answers, as Falco does (app/signals.h, process_events.cpp):
// SIGINT and SIGTERM end the event loop cleanly, SIGUSR1 reopens the outputs (log rotation).
// Falco restarts itself on SIGHUP; Saker cannot reload in place yet, so it says so and keeps
// running rather than dying on the default action.
import { log } from '../../cli/log.js'

export interface StopSignals {
  /** Resolves with the signal's name once SIGINT or SIGTERM arrives. */
  readonly stopped: Promise<NodeJS.Signals>
  /** Removes the handlers (the default actions apply again). */
  dispose(): void
}

export function onStopSignals(reopen: () => void): StopSignals {
  let resolve!: (s: NodeJS.Signals) => void
  const stopped = new Promise<NodeJS.Signals>(r => (resolve = r))
  const stop = (sig: NodeJS.Signals): void => {
    log.log('info', `${sig} received, exiting...`)
    resolve(sig)
  }
  const usr1 = (): void => {
    log.log('info', 'SIGUSR1 received, reopening outputs...')
    reopen()
  }
  const hup = (): void => {
    log.log('warning', 'SIGHUP received: restarting with a new configuration is not supported yet, continuing')
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  process.on('SIGUSR1', usr1)
  process.on('SIGHUP', hup)
  return {
    stopped,
    dispose(): void {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      process.off('SIGUSR1', usr1)
      process.off('SIGHUP', hup)
    },
  }
}
