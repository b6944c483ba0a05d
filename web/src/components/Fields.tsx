// A definition list of a resource's fields; an empty value shows as a dash.
import type { ReactNode } from 'react';

export function Fields({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="fields">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v === '' || v === null || v === undefined ? <span className="muted">–</span> : v}</dd>
        </div>
      ))}
    </dl>
  );
}
