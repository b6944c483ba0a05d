// A plain (non-virtualized) table for short lists, with keyboard navigation: the table body is one
// tab stop, ↑/↓ move the active row, Enter opens it.
import { useState, type KeyboardEvent, type ReactNode } from 'react';

export interface KeyColumn<T> {
  id: string;
  header: ReactNode;
  cell: (row: T) => ReactNode;
  className?: (row: T) => string;
}

interface Props<T> {
  label: string;
  rows: T[];
  columns: KeyColumn<T>[];
  rowKey: (row: T) => string;
  onOpen?: (row: T) => void;
  rowClass?: (row: T) => string;
  testId?: string;
}

export function KeyTable<T>({ label, rows, columns, rowKey, onOpen, rowClass, testId }: Props<T>) {
  const [active, setActive] = useState(-1);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') setActive((a) => Math.min(rows.length - 1, a + 1));
    else if (e.key === 'ArrowUp') setActive((a) => Math.max(0, a - 1));
    else if (e.key === 'Home') setActive(0);
    else if (e.key === 'End') setActive(rows.length - 1);
    else if (e.key === 'Enter' && onOpen && rows[active]) onOpen(rows[active]);
    else return;
    e.preventDefault();
  };
  return (
    <div className="table-wrap">
      <table aria-label={label} data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.id} scope="col">
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody tabIndex={onOpen ? 0 : undefined} onKeyDown={onOpen ? onKey : undefined} onFocus={() => active < 0 && setActive(0)}>
          {rows.map((r, i) => (
            <tr
              key={rowKey(r)}
              className={`${i === active ? 'active' : ''} ${rowClass?.(r) ?? ''}`}
              aria-selected={onOpen ? i === active : undefined}
              onClick={() => setActive(i)}
            >
              {columns.map((c) => (
                <td key={c.id} className={c.className?.(r)}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
