/** What every route group of the cloud server gets (built once by `buildCloudServer`). */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../shared/logger.js';
import type { SessionSigner } from './auth.js';
import type { CaptureCodec } from './ingest-check.js';
import type { CloudMetrics } from './metrics.js';
import type { CloudStore, KeyStore } from './store/contract.js';
import type { SqlSlots } from './sql-slots.js';

export interface CloudContext {
  store: CloudStore;
  keys: KeyStore;
  logger: Logger;
  metrics: CloudMetrics;
  signer: SessionSigner;
  decoder: () => Promise<CaptureCodec>;
  maxFileBytes: number;
  sqlTimeoutMs: number;
  /** User SQL statements running at once (routes/sql-stream.ts). */
  sqlSlots: SqlSlots;
  /** Filtered exports running at once (routes/export.ts). */
  exportSlots: SqlSlots;
  /** A download whose client takes nothing for this long is cut (routes/export.ts). */
  exportIdleMs: number;
  secureCookies: boolean;
}

export type CloudPlugin = (app: FastifyInstance, ctx: CloudContext) => Promise<void>;
