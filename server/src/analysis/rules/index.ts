/** Every rule, in catalog order (SPEC §2). */
import type { Rule } from '../rule';
import { syntaxError } from './syntax-error';
import { offsetPagination } from './offset-pagination';
import { orChain } from './or-chain';
import { tenantIndexOrder } from './tenant-index-order';
import { splitTenantIndexes } from './split-tenant-indexes';
import { partitionRangeMissing } from './partition-range-missing';
import { selectStar } from './select-star';
import { hnswDimensionLimit } from './hnsw-dimension-limit';
import { hnswBuildParams } from './hnsw-build-params';
import { vectorOpclassMismatch } from './vector-opclass-mismatch';
import { hnswEfSearch } from './hnsw-ef-search';
import { reindexConcurrently } from './reindex-concurrently';
import { createIndexConcurrently } from './create-index-concurrently';
import { vacuumFull } from './vacuum-full';
import { partitionKeyInUnique } from './partition-key-in-unique';
import { tenantTableWithoutRls } from './tenant-table-without-rls';
import { fkWithoutIndex } from './fk-without-index';
import { requireLockTimeout } from './require-lock-timeout';
import { constraintNotValid } from './constraint-not-valid';
import { uniqueConstraintIndex } from './unique-constraint-index';
import { dropIndexConcurrently } from './drop-index-concurrently';
import { setNotNull } from './set-not-null';
import { tableRewrite } from './table-rewrite';
import { unbatchedBackfill } from './unbatched-backfill';
import { nonSargablePredicate } from './non-sargable-predicate';
import { notInSubquery } from './not-in-subquery';
import { orderByRandom } from './order-by-random';
import { vectorOrderbyNoLimit } from './vector-orderby-no-limit';
import { vectorDistanceThreshold } from './vector-distance-threshold';
import { vectorFilteredSearch } from './vector-filtered-search';
import { arrayAnyGin } from './array-any-gin';
import { leadingWildcardLike } from './leading-wildcard-like';
import { missingIndex } from './missing-index';
import { coveringIndex } from './covering-index';
import { hostParseTimeout } from './host-parse-timeout';
import { unusedSuppression } from './unused-suppression';

export const RULES: readonly Rule[] = [
  syntaxError,
  offsetPagination,
  orChain,
  tenantIndexOrder,
  splitTenantIndexes,
  partitionRangeMissing,
  selectStar,
  hnswDimensionLimit,
  hnswBuildParams,
  vectorOpclassMismatch,
  hnswEfSearch,
  reindexConcurrently,
  createIndexConcurrently,
  vacuumFull,
  partitionKeyInUnique,
  tenantTableWithoutRls,
  fkWithoutIndex,
  requireLockTimeout,
  constraintNotValid,
  uniqueConstraintIndex,
  dropIndexConcurrently,
  setNotNull,
  tableRewrite,
  unbatchedBackfill,
  nonSargablePredicate,
  notInSubquery,
  orderByRandom,
  vectorOrderbyNoLimit,
  vectorDistanceThreshold,
  vectorFilteredSearch,
  arrayAnyGin,
  leadingWildcardLike,
  missingIndex,
  coveringIndex,
  unusedSuppression,
  hostParseTimeout,
];

export const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((r) => r.meta.id));

export const ruleById = (id: string): Rule | undefined => RULES.find((r) => r.meta.id === id);
