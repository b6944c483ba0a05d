// Tabs kept in the URL (?tab=...) so the back button steps between them. ←/→ move between tabs.
import type { KeyboardEvent } from 'react';
import { useSearchParams } from 'react-router';

export function useTab(tabs: string[]): [string, (t: string) => void] {
  const [sp, setSp] = useSearchParams();
  const cur = sp.get('tab') ?? tabs[0];
  const tab = tabs.includes(cur) ? cur : tabs[0];
  const set = (t: string) => {
    const n = new URLSearchParams(sp);
    if (t === tabs[0]) n.delete('tab');
    else n.set('tab', t);
    setSp(n);
  };
  return [tab, set];
}

export function TabBar({ tabs, labels, tab, onChange }: { tabs: string[]; labels?: Record<string, string>; tab: string; onChange: (t: string) => void }) {
  const onKey = (e: KeyboardEvent) => {
    const i = tabs.indexOf(tab);
    if (e.key === 'ArrowRight') onChange(tabs[(i + 1) % tabs.length]);
    else if (e.key === 'ArrowLeft') onChange(tabs[(i - 1 + tabs.length) % tabs.length]);
    else return;
    e.preventDefault();
  };
  return (
    <div role="tablist" className="tabs" onKeyDown={onKey}>
      {tabs.map((t) => (
        <button key={t} type="button" role="tab" aria-selected={t === tab} tabIndex={t === tab ? 0 : -1} onClick={() => onChange(t)} data-testid={`tab-${t}`}>
          {labels?.[t] ?? t[0].toUpperCase() + t.slice(1)}
        </button>
      ))}
    </div>
  );
}
