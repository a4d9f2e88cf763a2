// Time texts as libsinsp writes them (sinsp_utils::ts_to_string, ts_to_iso_8601, and the
// ABSTIME param rendering). ts_to_string shifts by the local UTC offset of *now*, as
// libsinsp's gmt2local(0) does, not by the offset in force at the event's date.

const NS = 1_000_000_000n

let tzOffsetS: number | null = null
function localOffsetS(): number {
  if (tzOffsetS === null) tzOffsetS = -new Date().getTimezoneOffset() * 60
  return tzOffsetS
}

const p2 = (n: number): string => (n < 10 ? '0' + n : String(n))
const p9 = (n: bigint): string => n.toString().padStart(9, '0')

/** evt.time (date false, ns true), evt.time.s, evt.datetime, evt.datetime.s. */
export function tsToString(ts: bigint, date: boolean, ns: boolean): string {
  const sec = Number(ts / NS)
  const nsec = ts % NS
  const shifted = sec + localOffsetS()
  let s = shifted % 86400
  if (s < 0) s += 86400
  let out = ''
  if (date) {
    const d = new Date((shifted - s) * 1000)
    out = `${d.getUTCFullYear().toString().padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} `
  }
  out += `${p2(Math.floor(s / 3600))}:${p2(Math.floor((s % 3600) / 60))}:${p2(s % 60)}`
  if (ns) out += '.' + p9(nsec)
  return out
}

/** evt.time.iso8601: UTC, nanoseconds, "+0000". */
export function tsToIso8601(ts: bigint): string {
  const sec = Number(ts / NS)
  const d = new Date(sec * 1000)
  return `${d.getUTCFullYear().toString().padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${p9(ts % NS)}+0000`
}

/**
 * An ABSTIME param: local time "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" (libsinsp's strftime format
 * ends with " %z", but the nanoseconds it writes over the placeholder cut the string there).
 */
export function abstimeText(ts: bigint): string {
  const d = new Date(Number(ts / NS) * 1000)
  return `${d.getFullYear().toString().padStart(4, '0')}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ` +
    `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${p9(ts % NS)}`
}

/** printf("%lg"): 6 significant digits, trailing zeros dropped, exponent form outside 1e-4..1e6. */
export function formatG(v: number): string {
  if (v === 0) return '0'
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan'
  const exp = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(6)))))
  if (exp < -4 || exp >= 6) {
    let [m, e] = v.toExponential(5).split('e') as [string, string]
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '')
    const en = Number(e)
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`
  }
  let f = v.toFixed(Math.max(0, 5 - exp))
  if (f.includes('.')) f = f.replace(/0+$/, '').replace(/\.$/, '')
  return f
}
