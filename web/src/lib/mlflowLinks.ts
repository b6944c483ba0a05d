// Links the MLflow client prints — `<tracking-uri>/#/experiments/<id>/runs/<run_id>`,
// `#/experiments/<id>`, `#/models/<name>/versions/<v>` — name pages of MLflow's hash-routed UI.
// The tracking URI is the server root (workspace `default`) or `/workspaces/<ws>`; this maps such
// a location to the studio's own page for it, or null when the location is not one of them.
import { paths } from './urlState';

export function mlflowLinkTarget(pathname: string, hash: string): string | null {
  if (!hash.startsWith('#/')) return null;
  const m = /^\/workspaces\/([^/]+)\/?$/.exec(pathname);
  if (!m && pathname !== '/' && pathname !== '') return null;
  const ws = m ? safeDecode(m[1]) : 'default';
  if (ws === null) return null;
  const route = hash.slice(1);
  const q = route.indexOf('?');
  const parts = (q >= 0 ? route.slice(0, q) : route).split('/').filter(Boolean).map(safeDecode);
  if (parts.some((p) => p === null)) return null;
  const [a, b, c, d] = parts as string[];
  if (a === 'experiments' && b === undefined) return paths.experiments(ws);
  if (a === 'experiments' && b && c === undefined) return paths.experiment(ws, b);
  if (a === 'experiments' && b && c === 'runs' && d) return paths.run(ws, d);
  if (a === 'models' && b === undefined) return paths.models(ws);
  if (a === 'models' && b && c === undefined) return paths.model(ws, b);
  if (a === 'models' && b && c === 'versions' && d) return `${paths.model(ws, b)}?version=${encodeURIComponent(d)}`;
  return paths.experiments(ws);
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}
