/**
 * The config layer's public API. Everything else in src/config is internal.
 *
 *   loadConfigFile(path, {env?, hostname?}) → Promise<LoadResult>
 *   parseConfig(text, {sourcePath, env?, hostname?}) → LoadResult
 *   watchConfig(path, {onPlan, onError, logger?, debounceMs?, current?}) → {close()}
 *   explainPlan(plan, {columns?}) → string  (explainRows / explainJson for --json)
 */
export type {
  CapturePlan,
  PlanEntry,
  BoardSpec,
  ConfigIssue,
  DataManagerSettings,
  GatewaySettings,
  BrokerSettings,
  SyncTargetSettings,
} from './plan.js';
export { loadConfigFile, parseConfig, type LoadResult, type ParseOptions } from './load.js';
export { watchConfig, type WatchOptions, type ConfigWatcher } from './watch.js';
export {
  explainPlan,
  explainRows,
  explainJson,
  expectedBytesPerSecond,
  formatBytesPerSecond,
  DEFAULT_COLUMNS,
  ESTIMATED_BYTES_PER_READING_RECORD,
  type ExplainColumn,
  type ExplainContext,
  type ExplainRow,
} from './explain.js';
export { formatIssue, sortIssues } from './issues.js';
export { cameraOf } from './plan.js';
export { entryKey, SUPPORTED_METHODS } from './methods.js';
export {
  DATA_MANAGER_DEFAULTS,
  DEFAULT_BROKER,
  DEFAULT_HTTP,
  defaultCaptureDir,
} from './settings.js';
export { TRANSPORTS, UNSUPPORTED } from './address.js';
