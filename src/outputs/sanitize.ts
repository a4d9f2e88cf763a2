// What libsinsp 0.25 (Falco 0.44) does to every string it extracts for an output
// (utils.h sanitize_string): anything that is not printable UTF-8 becomes U+FFFD. That
// covers C0 controls (so a newline in a file name never starts a new alert line), DEL,
// C1 controls, Unicode non-characters and broken sequences. Here the input is already a
// JS string, so a broken UTF-8 sequence shows up as U+FFFD from the decoder or as a lone
// surrogate; both end up as U+FFFD.

const REPLACEMENT = '\uFFFD'

// One test on the common path: printable ASCII and ordinary text never enter the slow loop.
// Surrogates are in the class because a lone one must be replaced; valid pairs go through
// the loop and come out unchanged.
const SUSPECT = /[\u0000-\u001f\u007f-\u009f\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]/

/** `s` with every non-printable or invalid character replaced by U+FFFD, as libsinsp does. */
export function sanitizeText(s: string): string {
  if (!SUSPECT.test(s)) return s
  let out = ''
  let from = 0
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    let bad = false
    let width = 1
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0xfdd0 && c <= 0xfdef) || c === 0xfffe || c === 0xffff) {
      bad = true
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0
      if (d >= 0xdc00 && d <= 0xdfff) {
        width = 2
        // U+xFFFE and U+xFFFF of planes 1-16 are non-characters too
        if ((d & 0x3fe) === 0x3fe && (c & 0x3f) === 0x3f) bad = true
      } else {
        bad = true
      }
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      bad = true
    }
    if (bad) {
      out += s.slice(from, i) + REPLACEMENT
      from = i + width
    }
    i += width - 1
  }
  return out + s.slice(from)
}
