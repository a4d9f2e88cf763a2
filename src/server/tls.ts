// A certificate and its key from one PEM file, as Falco's servers take them: the k8saudit
// plugin calls Go's ListenAndServeTLS(sslCertificate, sslCertificate), so the file holds
// the certificate chain and the private key together (Falco's webserver ssl_certificate
// is the same kind of file). Go keeps the CERTIFICATE blocks for the chain and the first
// "... PRIVATE KEY" block for the key, skipping the others; this does the same, with the
// file named in every error.

import { readFileSync } from 'node:fs'

export interface PemPair {
  /** The CERTIFICATE blocks, in file order. */
  readonly cert: string
  /** The first private key block. */
  readonly key: string
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g

/** Splits PEM text into the certificate chain and the key; throws with a message naming `where`. */
export function splitPem(text: string, where: string): PemPair {
  const certs: string[] = []
  let key: string | undefined
  for (const m of text.matchAll(BLOCK)) {
    const type = m[1]!
    if (type === 'CERTIFICATE') certs.push(m[0])
    else if (key === undefined && (type === 'PRIVATE KEY' || type.endsWith(' PRIVATE KEY'))) {
      if (type === 'ENCRYPTED PRIVATE KEY') throw new Error(`${where}: the private key is encrypted; an unencrypted key is needed`)
      key = m[0]
    }
  }
  if (certs.length === 0) throw new Error(`${where}: no CERTIFICATE block found (a PEM file with the certificate and its private key is needed)`)
  if (key === undefined) {
    throw new Error(`${where}: no PRIVATE KEY block found (a PEM file with the certificate and its private key is needed)`)
  }
  return { cert: certs.join('\n') + '\n', key: key + '\n' }
}

/** Reads and splits the PEM file at `path`. */
export function loadPemPair(path: string): PemPair {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new Error(`cannot read SSL certificate ${path}: ${(e as Error).message}`)
  }
  return splitPem(text, path)
}
