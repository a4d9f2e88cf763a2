// The resource figures of a metrics snapshot, read as libsinsp's linux_resource_utilization
// reads them: this process from /proc/self and times(), the host from /proc/stat,
// /proc/meminfo and /proc/sys/fs/file-nr, the agent's container from its memory cgroup.
import { readFileSync } from 'node:fs'

export interface Resources {
  /** CPU time over the process's lifetime, % of one CPU, one decimal (as `ps` shows it). */
  cpuUsagePerc: number
  rssKb: number
  vszKb: number
  pssKb: number
  containerMemoryUsedBytes: number
  /** Busy share of all CPUs since boot, %, one decimal. */
  hostCpuUsagePerc: number
  /** MemTotal - MemFree - Buffers - Cached. */
  hostMemoryUsedKb: number
  hostProcsRunning: number
  /** Allocated file handles (the first number of file-nr). */
  hostOpenFds: number
}

/** USER_HZ: the unit of /proc's tick counts (100 on every Linux that Node runs on). */
const HZ = 100

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/** The number after `key` in a "Key:   123 kB" file; 0 when absent. */
function kbField(text: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)
  return m === null ? 0 : Number(m[1])
}

const round1 = (x: number): number => Math.round(x * 10) / 10

/** Where the agent's container memory is read: $FALCO_CGROUP_MEM_PATH (no `..`), else cgroup v1's. */
function containerMemoryPath(env: NodeJS.ProcessEnv): string {
  const p = env.FALCO_CGROUP_MEM_PATH
  return p === undefined || p === '' || p.includes('..') ? '/sys/fs/cgroup/memory/memory.usage_in_bytes' : p
}

export function readResources(env: NodeJS.ProcessEnv = process.env): Resources {
  const uptime = Number(read('/proc/uptime').split(' ')[0]) || 0
  // field 22 of /proc/self/stat (starttime, ticks after boot), counted after the ")" that ends comm
  const stat = read('/proc/self/stat')
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const startS = Number(after[19]) / HZ || 0
  const cpu = process.cpuUsage()
  const elapsed = uptime - startS
  const cpuUsagePerc = elapsed > 0 ? round1((100 * (cpu.user + cpu.system)) / 1e6 / elapsed) : 0

  const procStat = read('/proc/stat')
  const cols = (/^cpu\s+(.*)$/m.exec(procStat)?.[1] ?? '').split(/\s+/).slice(0, 7).map(Number)
  const sum = cols.reduce((a, b) => a + (b || 0), 0)
  const hostCpuUsagePerc = sum > 0 ? round1(100 - ((cols[3] ?? 0) * 100) / sum) : 0
  const hostProcsRunning = Number(/^procs_running (\d+)/m.exec(procStat)?.[1] ?? 0)

  const status = read('/proc/self/status')
  const meminfo = read('/proc/meminfo')
  return {
    cpuUsagePerc,
    rssKb: kbField(status, 'VmRSS'),
    vszKb: kbField(status, 'VmSize'),
    pssKb: kbField(read('/proc/self/smaps_rollup'), 'Pss'),
    containerMemoryUsedBytes: Number(read(containerMemoryPath(env)).trim()) || 0,
    hostCpuUsagePerc,
    hostMemoryUsedKb: Math.max(0, kbField(meminfo, 'MemTotal') - kbField(meminfo, 'MemFree') - kbField(meminfo, 'Buffers') - kbField(meminfo, 'Cached')),
    hostProcsRunning,
    hostOpenFds: Number(read('/proc/sys/fs/file-nr').split(/\s+/)[0]) || 0,
  }
}

/** When this host booted, in ns since the epoch (btime of /proc/stat). */
export function hostBootNs(): bigint {
  const m = /^btime (\d+)/m.exec(read('/proc/stat'))
  return m === null ? 0n : BigInt(m[1]!) * 1_000_000_000n
}
