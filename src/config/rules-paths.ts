// Turning the configured rules entries into the list of rules files to read, like Falco's
// read_rules_file_directory: a directory contributes its regular files in name order, and only
// names ending in .yaml or .yml count (since Falco 0.41), for directory contents and for files
// named directly alike. A path that does not exist is kept when it looks like a YAML file, so
// that reading it reports the error.

import { readdirSync, statSync } from 'node:fs'

export interface RulesPaths {
  /** Files to load, in order. */
  files: string[]
  /** Directories that were expanded (to watch them for changes). */
  folders: string[]
}

const YAML_NAME = /\.ya?ml$/

function stat(p: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(p)
  } catch {
    return undefined
  }
}

export function expandRulesPaths(paths: readonly string[]): RulesPaths {
  const files: string[] = []
  const folders: string[] = []
  for (const path of paths) {
    if (stat(path)?.isDirectory() === true) {
      folders.push(path)
      let names: string[] = []
      try {
        names = readdirSync(path)
      } catch {
        names = []
      }
      const entries = names
        .map(n => (path.endsWith('/') ? path + n : `${path}/${n}`))
        .filter(p => stat(p)?.isFile() === true)
        .sort()
      for (const e of entries) if (YAML_NAME.test(e)) files.push(e)
    } else if (YAML_NAME.test(path)) {
      files.push(path)
    }
  }
  return { files, folders }
}
