// Errors raised while loading the configuration.
//
// Every message reproduces the text Falco 0.44 prints for the same mistake, so that a user who
// switches from Falco finds the same line in the logs and scripts that grep for it keep working.
// The CLI prints them the way Falco does (`Error: <message>`).

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/** The one-line error prefix Falco's yaml-cpp puts before a message tied to a source position. */
export function yamlCppWhat(mark: { line: number; column: number } | null, msg: string): string {
  // yaml-cpp stores 0-based positions and prints them 1-based; a node built from a `-o` value
  // or created by the loader has no position and the message stands alone.
  if (mark === null) return msg
  return `yaml-cpp: error at line ${mark.line + 1}, column ${mark.column + 1}: ${msg}`
}

/** Falco's wording for the errors that name the configuration file. */
export function readingError(configName: string, what: string): ConfigError {
  return new ConfigError(`Error reading config file (${configName}): ${what}`)
}
