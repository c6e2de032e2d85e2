/** Largest page a list answers; bigger `limit`s are clamped rather than refused. */
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 100;
/** Mapping coverage adds up this many of a connector's latest runs unless `runs` says otherwise. */
export const COVERAGE_DEFAULT_RUNS = 10;
export const COVERAGE_MAX_RUNS = 100;
