// Puts the compiled CLI (dist/src, from tsc) into one file, dist/saker.cjs, with V8's code
// cache for it, dist/saker.cjs.cache; bin/saker runs that pair. It spares loading ~115 ES
// modules one by one (resolve, read, compile, link) and compiling functions on their first
// call. Measured: a replay of a 2.8k-event capture with Falco's three 3.2.0 rules files went
// from 0.31 to 0.24-0.25 s, bench/replay.bench.ts from 0.68-0.71 to 0.60-0.62 s; a cache made
// before any run (the top level only) gave 0.27 s.
//
// The file is one function expression, `(function (require, module, __filename, __dirname)
// {...})`, strict as the ES modules were, so that what the cache is made from and what
// bin/saker compiles are the same text. Packages (yaml, ajv, re2) stay outside, loaded from
// node_modules as before.
//
//   node scripts/bundle.mjs                 (make build runs it after tsc)
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import vm from 'node:vm'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'dist')
const out = path.join(dist, 'saker.cjs')
const cache = out + '.cache'
const CACHE_RUN = '--cache-run'

if (process.argv[2] === CACHE_RUN) {
  // The cache holds the code of every function compiled so far, so it is written after a run
  // of Saker: its own rules files replayed against one of their test captures.
  const script = new vm.Script(fs.readFileSync(out, 'utf8'), { filename: out })
  process.on('exit', () => fs.writeFileSync(cache, script.createCachedData()))
  process.argv.splice(2, 1)
  script.runInThisContext()(createRequire(out), { exports: {} }, out, dist)
} else {
  const { build } = await import('esbuild')
  // V8 checks a cache against the length of its text only: never leave one beside a new file
  fs.rmSync(cache, { force: true })

  // Each module's import.meta.url stays its own file's URL under dist/ (modules find
  // package.json, bin/saker and the driver relative to themselves).
  const moduleUrls = {
    name: 'module-urls',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, async (args) => {
        const text = await fs.promises.readFile(args.path, 'utf8')
        const rel = path.relative(dist, args.path)
        return { contents: text.replaceAll('import.meta.url', `__moduleUrl(${JSON.stringify(rel)})`), loader: 'js' }
      })
    },
  }
  const { metafile } = await build({
    entryPoints: [path.join(dist, 'src/cli/main.js')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    plugins: [moduleUrls],
    banner: {
      js: '(function (require, module, __filename, __dirname) {\n"use strict";\nconst __moduleUrl = (rel) => require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href;',
    },
    footer: { js: '})' },
    metafile: true,
  })
  // a script has no module loader for import() (the bundled modules' own import() calls are
  // gone: esbuild turns them into calls within the file)
  const dynamic = Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.kind === 'dynamic-import'))
  if (dynamic.length > 0) {
    process.stderr.write(`bundle: import() of ${dynamic.map((i) => i.path).join(', ')}: bin/saker runs the bundle as a script, load packages with createRequire\n`)
    process.exit(1)
  }

  const rules = ['saker_rules.yaml', 'saker_rules_incubating.yaml', 'saker_rules_sandbox.yaml'].flatMap((f) => ['-r', path.join(root, 'rules', f)])
  const capture = path.join(root, 'rules/tests/captures/ordinary-work.scap')
  const run = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), CACHE_RUN, '-c', '/dev/null', ...rules, '-o', 'engine.kind=replay', '-o', `engine.replay.capture_file=${capture}`, '-o', 'json_output=true', '-o', 'stdout_output.enabled=true'],
    // V8 flags in NODE_OPTIONS would make a cache that runs without them reject
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
  )
  if (run.status !== 0 || !fs.existsSync(cache)) {
    process.stderr.write(`${run.stderr}bundle: the run that makes ${path.relative(root, cache)} failed\n`)
    process.exit(1)
  }
}
