// metrics.output_rule and metrics.output_file: a snapshot at the first event, then one at the
// first event after each interval, as Falco's stats writer takes them (no events, no
// snapshot; none at shutdown), in live runs and replays alike. The alert is "Falco internal: metrics snapshot"
// (Informational, source internal); a file line is {"output_fields":{...},"sample":N}.
import { appendFileSync } from 'node:fs'
import { log } from '../cli/log.js'
import type { SakerConfig } from '../config/index.js'
import type { Outputs } from '../outputs/dispatcher.js'
import type { FieldJson } from '../outputs/alert.js'
import { compareCodePoints, jsonString, jsonValue } from '../outputs/json.js'
import type { Engine } from '../engine/engine.js'
import type { RuleStats } from '../engine/matcher.js'
import type { Webserver } from '../server/webserver.js'
import { MetricsCollector, type MetricsSource } from './collector.js'

const INFORMATIONAL = 6
const METRICS_RULE = 'Falco internal: metrics snapshot'

/**
 * Falco's checks of the metrics section, run when metrics are enabled: the error for a bad
 * interval or for metrics with nowhere to go; null when they may start.
 */
export function metricsConfigError(config: SakerConfig): string | null {
  const m = config.metrics
  if (!m.enabled) return null
  if (/^\s*\d+\s*$/.test(m.interval)) {
    return 'Metrics interval was passed as numeric value without Prometheus time unit. Please specify a time unit'
  }
  if (m.interval_ms < 100) {
    return 'Metrics interval must have a minimum value of 100ms and reflect a Prometheus compliant time duration format: https://prometheus.io/docs/prometheus/latest/querying/basics/#time-durations '
  }
  if (!m.output_rule && m.output_file === '' && !(config.webserver.enabled && config.webserver.prometheus_metrics_enabled)) {
    return 'Metrics are enabled with no output configured. Please enable at least one output channel'
  }
  return null
}

export class MetricsWriter {
  /** When the next snapshot is due (ms since the epoch): at the first event, then one per interval. */
  private due = 0
  private sample = 0
  private fileFailed = false

  constructor(
    private readonly collector: MetricsCollector,
    private readonly config: SakerConfig,
    private readonly outputs: Outputs,
  ) {}

  /**
   * Called as events arrive (once per batch, or every few events of a replay, whose loop no
   * timer can interrupt): takes the snapshot when one is due.
   */
  onEvents(): void {
    const now = Date.now()
    if (now < this.due) return
    const interval = this.config.metrics.interval_ms
    // the next tick of the interval's clock after now, as Falco's timer ticks
    this.due = this.due === 0 ? now + interval : this.due + Math.ceil((now + 1 - this.due) / interval) * interval
    const s = this.collector.snapshot()
    const fields = this.collector.outputFields(s)
    this.sample++
    if (this.config.metrics.output_rule) this.outputs.internal(s.time, INFORMATIONAL, METRICS_RULE, 'Falco metrics snapshot', fields)
    if (this.config.metrics.output_file !== '') this.appendLine(fields)
  }

  private appendLine(fields: Record<string, FieldJson>): void {
    // keys sorted as Falco's JSON library keeps them; the ns timestamps stay exact (bigint)
    const body = Object.keys(fields).sort(compareCodePoints).map((k) => jsonString(k) + ':' + jsonValue(fields[k])).join(',')
    try {
      appendFileSync(this.config.metrics.output_file, `{"output_fields":{${body}},"sample":${this.sample}}\n`)
      this.fileFailed = false
    } catch (e) {
      // said once per failing stretch: a full disk must not flood the log at every interval
      if (!this.fileFailed) log.log('error', `metrics: cannot write ${this.config.metrics.output_file}: ${(e as Error).message}`)
      this.fileFailed = true
    }
  }
}

/** Where a source's metrics go, and what they fingerprint. */
export interface MetricsSinks {
  outputs: Outputs
  ruleStats: RuleStats
  /** Serves /metrics from this source (the syscall one when it runs: Falco's page has its counters). */
  webserver: Webserver | null
  /** The configuration files read (their sha256 are in the metrics). */
  configFiles: readonly string[]
}

/**
 * The metrics of one running source, when metrics.enabled: the snapshot writer (null without
 * output_rule and output_file; the source calls its onEvents as events come), and /metrics.
 */
export function startMetrics(engine: Engine, config: SakerConfig, source: MetricsSource, sinks: MetricsSinks): MetricsWriter | null {
  if (!config.metrics.enabled) return null
  const { outputs } = sinks
  const collector = new MetricsCollector(config, sinks.ruleStats, engine.loader.compiled.rules, () => outputs.numDrops, outputs.hostname,
    engine.loader.contents, sinks.configFiles, source)
  if (sinks.webserver !== null && config.webserver.prometheus_metrics_enabled) sinks.webserver.serveMetrics(() => collector.prometheus(collector.snapshot()))
  return config.metrics.output_rule || config.metrics.output_file !== '' ? new MetricsWriter(collector, config, outputs) : null
}
