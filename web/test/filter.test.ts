import { describe, expect, it } from 'vitest';
import { and, clause, orderBy, parseKeyRef, quoteKey, quoteValue, refToString, searchBoxToFilter } from '../src/lib/filter';

describe('filter building', () => {
  it('quotes keys only when needed', () => {
    expect(quoteKey('loss')).toBe('loss');
    expect(quoteKey('val loss')).toBe('`val loss`');
    expect(quoteKey('a.b')).toBe('`a.b`');
    expect(quoteKey('we`ird')).toBe('`we``ird`');
  });
  it('escapes string values', () => {
    expect(quoteValue("it's")).toBe("'it\\'s'");
    expect(quoteValue('a\\b')).toBe("'a\\\\b'");
  });
  it('builds numeric metric clauses and text param clauses', () => {
    expect(clause({ entity: 'metrics', key: 'loss' }, '<', '0.5')).toBe('metrics.loss < 0.5');
    expect(clause({ entity: 'params', key: 'lr' }, '=', '0.1')).toBe("params.lr = '0.1'");
    expect(clause({ entity: 'tags', key: 'my tag' }, 'LIKE', '%x%')).toBe("tags.`my tag` LIKE '%x%'");
    expect(() => clause({ entity: 'metrics', key: 'loss' }, '<', 'abc')).toThrow(/not a number/);
  });
  it('joins with AND and drops empty parts', () => {
    expect(and('metrics.a > 1', '', undefined, "params.b = 'x'")).toBe("metrics.a > 1 AND params.b = 'x'");
    expect(and()).toBe('');
  });
  it('turns free text into a run name search and passes expressions through', () => {
    expect(searchBoxToFilter('  ')).toBe('');
    expect(searchBoxToFilter('resnet')).toBe("attributes.run_name ILIKE '%resnet%'");
    expect(searchBoxToFilter("bob's")).toBe("attributes.run_name ILIKE '%bob\\'s%'");
    expect(searchBoxToFilter('metrics.loss < 0.5')).toBe('metrics.loss < 0.5');
    expect(searchBoxToFilter("tags.x LIKE 'a%'")).toBe("tags.x LIKE 'a%'");
  });
  it('builds order_by entries', () => {
    expect(orderBy({ entity: 'metrics', key: 'val loss' }, true)).toBe('metrics.`val loss` DESC');
    expect(orderBy({ entity: 'attributes', key: 'start_time' }, false)).toBe('attributes.start_time ASC');
  });
  it('round-trips key refs', () => {
    for (const r of [
      { entity: 'metrics', key: 'loss' },
      { entity: 'params', key: 'a b' },
      { entity: 'tags', key: 'x`y' },
    ] as const) {
      expect(parseKeyRef(refToString(r))).toEqual(r);
    }
    expect(parseKeyRef('nonsense')).toBeNull();
  });
});
