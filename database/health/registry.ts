/** Every health check, in the order reports list them (cheap catalog reads first, the statistics after). */
import { autovacuumSettings } from './checks/autovacuum-settings';
import { cacheHitRatio } from './checks/cache-hit-ratio';
import { connections } from './checks/connections';
import { deadTuples } from './checks/dead-tuples';
import { duplicateIndexes } from './checks/duplicate-indexes';
import { futurePartitions } from './checks/future-partitions';
import { hnswIndexSize } from './checks/hnsw-index-size';
import { idleInTransaction } from './checks/idle-in-transaction';
import { lockWaits } from './checks/lock-waits';
import { longRunningQueries } from './checks/long-running-queries';
import { memorySettings } from './checks/memory-settings';
import { tableBloat } from './checks/table-bloat';
import { topQueries } from './checks/top-queries';
import { unusedIndexes } from './checks/unused-indexes';
import type { HealthCheck } from './types';

export const HEALTH_CHECKS: readonly HealthCheck[] = [
  cacheHitRatio,
  unusedIndexes,
  duplicateIndexes,
  tableBloat,
  deadTuples,
  autovacuumSettings,
  longRunningQueries,
  idleInTransaction,
  connections,
  lockWaits,
  topQueries,
  futurePartitions,
  memorySettings,
  hnswIndexSize,
];
