// A windowed table (only visible rows are in the DOM, via @tanstack/react-virtual) for lists of any
// length. Rows load in pages: when the user scrolls near the end of what is loaded, `loadMore` is
// called. Keyboard: the table is one tab stop; ↑/↓/PgUp/PgDn/Home/End move the active row,
// Enter opens it, Space toggles its selection.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

export interface Column<T> {
  id: string;
  header: ReactNode;
  width: number;
  cell: (row: T) => ReactNode;
  /** Sorting: 'asc' | 'desc' when this column is the sort key. */
  sorted?: 'asc' | 'desc' | null;
  onSort?: () => void;
  align?: 'right';
}

interface Props<T> {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  hasMore: boolean;
  loading: boolean;
  loadMore: () => void;
  onOpen: (row: T) => void;
  onToggle?: (row: T) => void;
  isSelected?: (row: T) => boolean;
  label: string;
  height?: number | string;
  rowHeight?: number;
}

export function VirtualTable<T>(p: Props<T>) {
  const { rows, columns, hasMore, loading, loadMore } = p;
  const rowHeight = p.rowHeight ?? 32;
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const count = rows.length + (hasMore ? 1 : 0);
  const v = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const items = v.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : 0;

  // Fetch the next page once the window reaches the last 50 loaded rows.
  useEffect(() => {
    if (hasMore && !loading && lastIndex >= rows.length - 50) loadMore();
  }, [lastIndex, rows.length, hasMore, loading, loadMore]);

  useEffect(() => {
    if (active >= rows.length && rows.length > 0) setActive(rows.length - 1);
  }, [rows.length, active]);

  const move = useCallback(
    (to: number) => {
      const i = Math.max(0, Math.min(rows.length - 1, to));
      setActive(i);
      v.scrollToIndex(i, { align: 'auto' });
    },
    [rows.length, v],
  );

  const onKey = (e: KeyboardEvent) => {
    if ((e.target as HTMLElement).closest('button, input, a')) return;
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 320) / rowHeight) - 1);
    switch (e.key) {
      case 'ArrowDown':
        move(active + 1);
        break;
      case 'ArrowUp':
        move(active - 1);
        break;
      case 'PageDown':
        move(active + page);
        break;
      case 'PageUp':
        move(active - page);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(rows.length - 1);
        break;
      case 'Enter':
        if (rows[active]) p.onOpen(rows[active]);
        break;
      case ' ':
        if (rows[active] && p.onToggle) p.onToggle(rows[active]);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const template = columns.map((c) => `${c.width}px`).join(' ');
  const totalWidth = columns.reduce((s, c) => s + c.width, 0);
  const activeId = rows[active] ? `row-${p.rowKey(rows[active])}` : undefined;

  return (
    <div
      ref={scroller}
      className="vtable"
      style={{ height: p.height ?? `min(70vh, ${(count + 1) * rowHeight + 4}px)` }}
      role="grid"
      aria-label={p.label}
      aria-rowcount={hasMore ? -1 : rows.length + 1}
      aria-activedescendant={activeId}
      tabIndex={0}
      onKeyDown={onKey}
      data-testid="runs-grid"
    >
      <div className="vrow vhead" role="row" style={{ gridTemplateColumns: template, width: totalWidth }}>
        {columns.map((c) => (
          <div
            key={c.id}
            role="columnheader"
            className={`vcell ${c.align === 'right' ? 'right' : ''}`}
            aria-sort={c.sorted === 'asc' ? 'ascending' : c.sorted === 'desc' ? 'descending' : undefined}
          >
            {c.onSort ? (
              <button type="button" className="sort" onClick={c.onSort} title="Sort by this column">
                {c.header}
                {c.sorted ? (c.sorted === 'asc' ? ' ▲' : ' ▼') : ''}
              </button>
            ) : (
              c.header
            )}
          </div>
        ))}
      </div>
      <div style={{ height: v.getTotalSize(), position: 'relative', width: totalWidth }}>
        {items.map((it) => {
          const row = rows[it.index];
          if (!row)
            return (
              <div key="more" className="vrow muted" style={{ position: 'absolute', top: it.start, height: rowHeight, width: totalWidth }}>
                <div className="vcell">Loading more…</div>
              </div>
            );
          const key = p.rowKey(row);
          const sel = p.isSelected?.(row) ?? false;
          return (
            <div
              key={key}
              id={`row-${key}`}
              role="row"
              aria-rowindex={it.index + 2}
              aria-selected={sel}
              className={`vrow${it.index === active ? ' active' : ''}${sel ? ' selected' : ''}`}
              style={{ position: 'absolute', top: it.start, height: rowHeight, gridTemplateColumns: template, width: totalWidth }}
              onClick={() => setActive(it.index)}
              onDoubleClick={() => p.onOpen(row)}
            >
              {columns.map((c) => (
                <div key={c.id} role="gridcell" className={`vcell ${c.align === 'right' ? 'right' : ''}`}>
                  {c.cell(row)}
                </div>
              ))}
            </div>
          );
        })}
      </div>
    </div>
  );
}
