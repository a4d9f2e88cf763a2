import { test } from 'node:test'
import assert from 'node:assert/strict'
import { expandEnvInValue } from '../../src/config/env.js'
import { ConfigError } from '../../src/config/errors.js'
import { load } from './helper.js'

const ENV = {
  ENV_VAR: 'envVarValue',
  ENV_VAR_EMBEDDED: '${ENV_VAR}',
  ENV_VAR_BOOL: 'true',
  ENV_VAR_INT: '12',
  ENV_VAR_EMPTY: '',
}
const x = (v: string): string => expandEnvInValue(v, ENV)

test('${VAR} is replaced by the variable, anywhere in the value and as often as it appears', () => {
  assert.equal(x('${ENV_VAR}'), 'envVarValue')
  assert.equal(x('${ENV_VAR}/foo'), 'envVarValue/foo')
  assert.equal(x('/foo/${ENV_VAR}/'), '/foo/envVarValue/')
  assert.equal(x('/${ENV_VAR}/${ENV_VAR}${ENV_VAR}/foo'), '/envVarValue/envVarValueenvVarValue/foo')
  assert.equal(x(' ${ENV_VAR}'), ' envVarValue')
})

test('an unset variable disappears and an empty one gives an empty value', () => {
  assert.equal(x('${UNSET_XX_VAR}'), '')
  assert.equal(x('a${UNSET_XX_VAR}b'), 'ab')
  assert.equal(x('${ENV_VAR_EMPTY}'), '')
})

test('a value holding ${OTHER} is expanded again', () => {
  assert.equal(x('${ENV_VAR_EMBEDDED}/foo'), 'envVarValue/foo')
})

test('$${VAR} is the escape for a literal ${VAR}', () => {
  assert.equal(x('$${ENV_VAR}'), '${ENV_VAR}')
  assert.equal(x('$${ENV_VAR}$${ENV_VAR}'), '${ENV_VAR}${ENV_VAR}')
  assert.equal(x('$${ENV_VAR}${ENV_VAR}'), '${ENV_VAR}envVarValue')
  assert.equal(x('$${${ENV_VAR}}'), '${envVarValue}')
})

test('$VAR without braces is kept, and a lone $ stops the scan of the rest of the value', () => {
  assert.equal(x('$ENV_VAR'), '$ENV_VAR')
  assert.equal(x('$$ENV_VAR'), '$$ENV_VAR')
  assert.equal(x('$ENV_VAR/${ENV_VAR}'), '$ENV_VAR/${ENV_VAR}')
  assert.equal(x('cost: 5$'), 'cost: 5$')
})

test('an unterminated ${ stops the expansion', () => {
  assert.equal(x('${ENV_VAR}/${ENV_VAR'), 'envVarValue/${ENV_VAR')
  assert.equal(x('$${ENV_VAR'), '$${ENV_VAR')
})

test('a variable that contains itself is an error instead of an endless loop', () => {
  assert.throws(() => expandEnvInValue('${LOOP}', { LOOP: 'a${LOOP}' }), ConfigError)
})

test('expansion applies to values of a file before their type is read, never to keys', () => {
  const r = load(
    'json_output: ${ENV_VAR_BOOL}\nwebserver:\n  listen_port: ${ENV_VAR_INT}\nstatic_fields:\n  ${ENV_VAR}: "${ENV_VAR}"\n' +
      'plugins:\n  - name: k8saudit\n    library_path: /foo/${ENV_VAR}/libk8saudit.so\n    open_params: ${ENV_VAR_INT}\n',
    [],
    ENV,
  )
  assert.equal(r.config.json_output, true)
  assert.equal(r.config.webserver.listen_port, 12)
  assert.deepEqual(r.config.static_fields, { '${ENV_VAR}': 'envVarValue' })
  assert.equal(r.config.plugins[0]!.library_path, '/foo/envVarValue/libk8saudit.so')
  assert.equal(r.config.plugins[0]!.open_params, '12')
})

test('an expanded value is validated after expansion', () => {
  const r = load('json_output: ${ENV_VAR_BOOL}\n', [], ENV)
  assert.deepEqual(r.validation, [{ file: 'default', status: 'ok' }])
})
