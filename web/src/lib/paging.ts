// Lists that load page by page (next_page_token) on demand. Pure, unit-tested.

export interface Pages<T> {
  items: T[];
  /** The token of the next page; undefined once the last page is in. */
  token: string | undefined;
  done: boolean;
}

export const NO_PAGES: Pages<never> = { items: [], token: undefined, done: false };

/**
 * Adds one page. A first page (`first`) replaces what was there; items already present (same
 * key, e.g. a row that moved between pages while new ones were logged) are not repeated.
 */
export function addPage<T>(prev: Pages<T>, page: T[], nextToken: string | undefined | null, key: (t: T) => string, first = false): Pages<T> {
  const base = first ? [] : prev.items;
  const seen = new Set(base.map(key));
  const items = base.concat(page.filter((t) => !seen.has(key(t)) && (seen.add(key(t)), true)));
  const token = nextToken || undefined;
  return { items, token, done: !token };
}
