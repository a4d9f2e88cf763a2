// `saker test`: rule test cases (capture replays and live commands) with their expected alerts.
// The CLI calls runRuleTests with the arguments after `test`; the rest is exported for tests
// and for other front ends.
export { runRuleTests, USAGE as RULE_TESTS_USAGE } from './runner.js'
export type { ReplayRequest, RuleTestDeps } from './runner.js'
export { parseCasesFile, CasesFileError, formatProblem } from './cases.js'
export type { CaseProblem, CaseSource, Expectation, RuleTestCase } from './cases.js'
export { SakerLiveRunner, noLiveRunner } from './live.js'
export type { LiveRunner, LiveRunRequest, LiveRunResult, SakerLiveOptions } from './live.js'
export { judge, parseAlerts } from './verdict.js'
export type { Alert } from './verdict.js'
