/** Largest page a list answers; bigger `limit`s are clamped rather than refused. */
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 100;
