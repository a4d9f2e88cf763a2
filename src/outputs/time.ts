// Event times as Falco prints them in alerts. Times are bigint nanoseconds since the epoch.
//
// - evt.time (the text line without time_format_iso_8601): "HH:MM:SS.nnnnnnnnn", local
//   time of day and no date. libsinsp (utils.cpp ts_to_string) shifts by the UTC offset in
//   force *now*, not at the event's time (gmt2local(0)); a replayed capture from before a
//   DST change prints with today's offset, and so does Saker.
// - evt.time.iso8601 (the text line with time_format_iso_8601): UTC,
//   "YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000" (strftime "%z" of a gmtime is always +0000).
// - the JSON "time" property: UTC, "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (formats.cpp).

const NS_PER_S = 1_000_000_000n

// Alerts come in bursts within the same second: keep the last second's date text.
let lastSec = Number.NaN
let lastSecText = ''

/** "YYYY-MM-DDTHH:MM:SS" in UTC for whole seconds since the epoch. */
function utcSeconds(sec: number): string {
  if (sec !== lastSec) {
    const iso = new Date(sec * 1000).toISOString()
    // years past 9999 get a sign and six digits from toISOString: keep what precedes 'T' whole
    lastSecText = iso.slice(0, iso.indexOf('T') + 9)
    lastSec = sec
  }
  return lastSecText
}

function nanos(ts: bigint): string {
  return String(ts % NS_PER_S).padStart(9, '0')
}

/** Falco's JSON "time": "2016-08-04T16:17:57.881781397Z". */
export function jsonTime(ts: bigint): string {
  return utcSeconds(Number(ts / NS_PER_S)) + '.' + nanos(ts) + 'Z'
}

/** evt.time.iso8601: "2016-08-04T16:17:57.881781397+0000". */
export function isoTime(ts: bigint): string {
  return utcSeconds(Number(ts / NS_PER_S)) + '.' + nanos(ts) + '+0000'
}

// The UTC offset is looked up at most once a second, and again whenever TZ changes (Node
// reloads the zone when process.env.TZ is assigned).
let offsetCheckedAt = Number.NaN
let offsetTz: string | undefined = undefined
let offsetSeconds = 0

/** The local UTC offset in force now, in seconds east of UTC (minute precision, as libsinsp). */
export function currentUtcOffsetSeconds(): number {
  const nowSec = Math.floor(Date.now() / 1000)
  const tz = process.env['TZ']
  if (nowSec !== offsetCheckedAt || tz !== offsetTz) {
    offsetSeconds = -new Date(nowSec * 1000).getTimezoneOffset() * 60
    offsetCheckedAt = nowSec
    offsetTz = tz
  }
  return offsetSeconds
}

const p2 = (n: number): string => (n < 10 ? '0' + n : String(n))

/** evt.time: "16:17:57.881781397", the local time of day with the current UTC offset. */
export function localTime(ts: bigint, utcOffset: number = currentUtcOffsetSeconds()): string {
  const sec = Number(ts / NS_PER_S)
  const s = (((sec + utcOffset) % 86400) + 86400) % 86400
  return p2(Math.floor(s / 3600)) + ':' + p2(Math.floor((s % 3600) / 60)) + ':' + p2(s % 60) + '.' + nanos(ts)
}
