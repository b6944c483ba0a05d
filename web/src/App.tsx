// The studio shell: top bar (workspace switcher, sections, theme, user), sign-in on 401, and the
// route table. Every view state lives in the URL (see lib/urlState.ts for the scheme).
import { useEffect, useState } from 'react';
import { Navigate, NavLink, Outlet, Route, Routes, useLocation, useNavigate, useParams } from 'react-router';
import { api } from './api/mlflow';
import { onAuthRequired } from './api/client';
import { SignIn } from './pages/SignIn';
import { ExperimentsPage } from './pages/Experiments';
import { RunsPage } from './pages/Runs';
import { RunPage } from './pages/Run';
import { ComparePage } from './pages/Compare';
import { ModelsPage, ModelPage } from './pages/Models';
import { AssetsPage, AssetPage, ASSET_KINDS } from './pages/Assets';
import { DatastoresPage } from './pages/Datastores';
import { JobsPage, JobPage } from './pages/Jobs';
import { ComputePage } from './pages/Compute';
import { CostOverTimePage } from './pages/CostOverTime';
import { EndpointsPage, EndpointPage } from './pages/Endpoints';
import { LoggedModelPage } from './pages/LoggedModels';
import { TracePage } from './pages/Traces';
import { useApi } from './lib/useApi';
import { WorkspaceContext } from './lib/workspace';
import { toggleTheme, useTheme } from './lib/theme';
import { Empty } from './components/States';

const LAST_WS = 'mlws.workspace';

export function App() {
  const [needAuth, setNeedAuth] = useState(false);
  const [epoch, setEpoch] = useState(0);
  useEffect(() => onAuthRequired(() => setNeedAuth(true)), []);
  if (needAuth)
    return (
      <SignIn
        onDone={() => {
          setNeedAuth(false);
          setEpoch((e) => e + 1);
        }}
      />
    );
  return (
    <Routes key={epoch}>
      <Route path="/" element={<Navigate to={`/workspaces/${encodeURIComponent(lastWorkspace())}/experiments`} replace />} />
      <Route path="/workspaces/:ws" element={<WorkspaceShell />}>
        <Route index element={<Navigate to="experiments" replace />} />
        <Route path="experiments" element={<ExperimentsPage />} />
        <Route path="experiments/:id" element={<RunsPage />} />
        <Route path="runs/:runId" element={<RunPage />} />
        <Route path="logged-models/:modelId" element={<LoggedModelPage />} />
        <Route path="traces/:traceId" element={<TracePage />} />
        <Route path="compare" element={<ComparePage />} />
        <Route path="models" element={<ModelsPage />} />
        <Route path="models/:name" element={<ModelPage />} />
        {ASSET_KINDS.map((k) => [
          <Route key={k} path={k} element={<AssetsPage kind={k} />} />,
          <Route key={`${k}-one`} path={`${k}/:name`} element={<AssetPage kind={k} />} />,
        ])}
        <Route path="datastores" element={<DatastoresPage />} />
        <Route path="jobs" element={<JobsPage />} />
        <Route path="jobs/:name" element={<JobPage />} />
        <Route path="compute" element={<ComputePage />} />
        <Route path="cost" element={<CostOverTimePage />} />
        <Route path="endpoints" element={<EndpointsPage />} />
        <Route path="endpoints/:name" element={<EndpointPage />} />
        <Route path="*" element={<NotFound />} />
      </Route>
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

function lastWorkspace(): string {
  return localStorage.getItem(LAST_WS) || 'default';
}

function NotFound() {
  const loc = useLocation();
  return (
    <main className="page">
      <Empty title="No such page">
        <p>
          The studio has no page at <code>{loc.pathname}</code>. Go to the <a href="/">experiments</a>.
        </p>
      </Empty>
    </main>
  );
}

function WorkspaceShell() {
  const { ws = 'default' } = useParams();
  const nav = useNavigate();
  const loc = useLocation();
  const theme = useTheme();
  const workspaces = useApi(() => api.workspaces(), []);
  const who = useApi(() => api.whoami(ws), [ws]);
  useEffect(() => localStorage.setItem(LAST_WS, ws), [ws]);

  const switchTo = (next: string) => {
    // Keep the section (experiments, models, …) but not ids that belong to the old workspace.
    const section = loc.pathname.split('/')[3] ?? 'experiments';
    const keep = ['experiments', 'models', ...ASSET_KINDS, 'datastores', 'jobs', 'compute', 'endpoints'].includes(section) ? section : 'experiments';
    nav(`/workspaces/${encodeURIComponent(next)}/${keep}`);
  };
  const base = `/workspaces/${encodeURIComponent(ws)}`;
  const names = workspaces.data?.map((w) => w.name) ?? [ws];
  if (!names.includes(ws)) names.push(ws);

  return (
    <WorkspaceContext.Provider value={{ ws, who: who.data }}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to={`${base}/experiments`} className="brand">
          mlws studio
        </NavLink>
        <label className="ws-switch">
          <span className="sr-only">Workspace</span>
          <select aria-label="Workspace" value={ws} onChange={(e) => switchTo(e.target.value)} data-testid="workspace-switcher">
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <nav aria-label="Sections">
          <NavLink to={`${base}/experiments`}>Experiments</NavLink>
          <NavLink to={`${base}/models`}>Models</NavLink>
          <NavLink to={`${base}/data`}>Data</NavLink>
          <NavLink to={`${base}/environments`}>Environments</NavLink>
          <NavLink to={`${base}/components`}>Components</NavLink>
          <NavLink to={`${base}/jobs`}>Jobs</NavLink>
          <NavLink to={`${base}/endpoints`}>Endpoints</NavLink>
          <NavLink to={`${base}/compute`}>Compute</NavLink>
          <NavLink to={`${base}/datastores`}>Datastores</NavLink>
          <NavLink to={`${base}/cost`}>Cost</NavLink>
        </nav>
        <span className="spacer" />
        <span className="muted user" title="Signed in as">
          {who.data ? who.data.user : ''}
        </span>
        <button
          type="button"
          className="icon"
          onClick={toggleTheme}
          aria-label={theme === 'dark' ? 'Switch to light mode' : 'Switch to dark mode'}
          data-testid="theme-toggle"
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </header>
      <main id="main" className="page">
        <Outlet />
      </main>
    </WorkspaceContext.Provider>
  );
}
