// Builds MLflow search filter strings (the grammar `runs/search` accepts in `filter`):
//   <entity>.<key> <op> <value> [AND ...]   entity: metrics | params | tags | attributes
// Keys that are not plain identifiers are back-quoted; string values are single-quoted with
// embedded quotes escaped. Pure functions: unit-tested in test/filter.test.ts.

export type Entity = 'metrics' | 'params' | 'tags' | 'attributes';

/** A column of the runs table that comes from a run's data: a param, a metric or a tag. */
export interface KeyRef {
  entity: Entity;
  key: string;
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `loss` stays `loss`; `val loss` or `a.b` becomes `` `val loss` ``. */
export function quoteKey(key: string): string {
  if (PLAIN.test(key)) return key;
  return '`' + key.replace(/`/g, '``') + '`';
}

/** A string literal for the filter grammar: `it's` → `'it\'s'`. */
export function quoteValue(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

export function keyExpr(ref: KeyRef): string {
  return `${ref.entity}.${quoteKey(ref.key)}`;
}

export type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE';

/** One comparison. Metrics compare numerically (an unquoted number); everything else as text. */
export function clause(ref: KeyRef, op: Op, value: string | number): string {
  const numeric = ref.entity === 'metrics' || (ref.entity === 'attributes' && typeof value === 'number');
  let lit: string;
  if (numeric) {
    const n = typeof value === 'number' ? value : Number(value.trim());
    if (!Number.isFinite(n)) throw new Error(`"${value}" is not a number`);
    lit = String(n);
  } else {
    lit = quoteValue(String(value));
  }
  return `${keyExpr(ref)} ${op} ${lit}`;
}

/** Joins non-empty clauses with AND (MLflow's grammar has no OR). */
export function and(...clauses: Array<string | undefined | null>): string {
  return clauses
    .map((c) => (c ?? '').trim())
    .filter((c) => c.length > 0)
    .join(' AND ');
}

/**
 * The runs table's search box: free text means "run name contains"; text that already looks like
 * a filter expression (has an operator) is passed through unchanged.
 */
export function searchBoxToFilter(text: string): string {
  const t = text.trim();
  if (t === '') return '';
  if (/(=|<|>|\bLIKE\b|\bILIKE\b|\bIN\b)/i.test(t)) return t;
  return `attributes.run_name ILIKE ${quoteValue('%' + t + '%')}`;
}

/** `order_by` entry for a sort on a column: `metrics.\`val loss\` DESC`. */
export function orderBy(ref: KeyRef, desc: boolean): string {
  return `${keyExpr(ref)} ${desc ? 'DESC' : 'ASC'}`;
}

/** Parses `metrics.loss` / ``params.`a b` `` / `attributes.start_time` back into a KeyRef. */
export function parseKeyRef(s: string): KeyRef | null {
  const m = /^(metrics|params|tags|attributes)\.(.+)$/.exec(s);
  if (!m) return null;
  let key = m[2];
  if (key.startsWith('`') && key.endsWith('`') && key.length >= 2) {
    key = key.slice(1, -1).replace(/``/g, '`');
  }
  return { entity: m[1] as Entity, key };
}

export function refToString(ref: KeyRef): string {
  return keyExpr(ref);
}
