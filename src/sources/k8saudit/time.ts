// stageTimestamp as the k8saudit plugin reads it: Go's time.Parse(time.RFC3339Nano, s), then
// UnixNano() as an unsigned 64-bit event time.
//
// Go tries a strict RFC 3339 reader first and falls back to its general layout parser, which
// also takes a one-digit hour, a comma before the fraction, and a zone hour up to 24. Both
// check field ranges (month, day of that month, hour < 24, minute and second < 60) and
// truncate the fraction to nanoseconds.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/

const NS_PER_S = 1_000_000_000n

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
}
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's
// days_from_civil), exact for years 0..9999 where Date.UTC maps 0..99 to 19xx.
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** The event time in ns since the epoch (as uint64), or the reason Go's parser gives up. */
export function parseStageTimestamp(text: string): bigint | { error: string } {
  const m = RFC3339.exec(text)
  const bad = { error: `parsing time ${JSON.stringify(text)} as "2006-01-02T15:04:05.999999999Z07:00": cannot parse` }
  if (!m) return bad
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4])
  const min = Number(m[5])
  const sec = Number(m[6])
  if (month < 1 || month > 12) return { error: `parsing time ${JSON.stringify(text)}: month out of range` }
  const dim = month === 2 && isLeap(year) ? 29 : DAYS[month - 1]!
  if (day < 1 || day > dim) return { error: `parsing time ${JSON.stringify(text)}: day out of range` }
  if (hour > 23 || min > 59 || sec > 59) return { error: `parsing time ${JSON.stringify(text)}: hour, minute or second out of range` }
  let offset = 0
  if (m[8] === undefined) {
    const zh = Number(m[10])
    const zm = Number(m[11])
    if (zh > 24 || zm > 60) return { error: `parsing time ${JSON.stringify(text)}: time zone offset out of range` }
    offset = (zh * 60 + zm) * 60 * (m[9] === '-' ? -1 : 1)
  }
  const frac = m[7] ?? ''
  const nsec = frac === '' ? 0n : BigInt(frac.slice(0, 9).padEnd(9, '0'))
  const secs = daysFromCivil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec - offset
  return BigInt.asUintN(64, BigInt(secs) * NS_PER_S + nsec)
}
