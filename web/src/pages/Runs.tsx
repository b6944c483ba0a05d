// Runs of one experiment: a virtualized table that loads pages of runs/search on demand while the
// user scrolls (never all 100k at once), with a filter box (MLflow filter grammar or free text),
// sortable columns, user-chosen param/metric/tag columns and selection for compare. All of it is in
// the URL: ?q=&sort=&desc=&cols=. The Models and Traces tabs (?tab=models|traces) list the
// experiment's MLflow 3 logged models and traces.
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api } from '../api/mlflow';
import { useApi } from '../lib/useApi';
import { useCan, useWorkspace } from '../lib/workspace';
import { orderBy, searchBoxToFilter, type KeyRef, refToString } from '../lib/filter';
import { parseRunIds, parseRunsView, paths, runsViewToParams, type RunsViewState } from '../lib/urlState';
import { cellValue, collectKeys, duration, nestRuns, toRow, type NestedRow, type RunRow } from '../lib/runs';
import { formatDuration, formatNumber, formatTime } from '../lib/format';
import { VirtualTable, type Column } from '../components/VirtualTable';
import { Empty, ErrorBox, FirstRunHint, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { TabBar, useTab } from '../components/Tabs';
import { LoggedModelsTab } from './LoggedModels';
import { TracesTab } from './Traces';
import type { Experiment } from '../api/types';
import type { ApiState } from '../lib/useApi';

const FIRST_PAGE = 100;
const NEXT_PAGE = 500;

interface Paged {
  rows: RunRow[];
  token: string | undefined;
  done: boolean;
  loading: boolean;
  error?: Error;
}

const TABS = ['runs', 'models', 'traces'];

export function RunsPage() {
  const { ws } = useWorkspace();
  const { id = '0' } = useParams();
  const [tab, setTab] = useTab(TABS);
  const exp = useApi(() => api.getExperiment(ws, id), [ws, id]);
  if (tab === 'runs') return <RunsTab exp={exp} tabs={<TabBar tabs={TABS} tab={tab} onChange={setTab} />} />;
  return (
    <>
      <ExperimentHead ws={ws} id={id} exp={exp} />
      <TabBar tabs={TABS} tab={tab} onChange={setTab} />
      {tab === 'models' && <LoggedModelsTab ws={ws} experimentId={id} />}
      {tab === 'traces' && <TracesTab ws={ws} experimentId={id} />}
    </>
  );
}

function ExperimentHead({ ws, id, exp, children }: { ws: string; id: string; exp: ApiState<Experiment>; children?: ReactNode }) {
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={paths.experiments(ws)}>Experiments</Link> / <span>{exp.data?.name ?? id}</span>
      </nav>
      <div className="page-head">
        <h1>{exp.data?.name ?? `Experiment ${id}`}</h1>
        {children}
      </div>
      {exp.error && <ErrorBox error={exp.error} />}
    </>
  );
}

function RunsTab({ exp, tabs }: { exp: ApiState<Experiment>; tabs: ReactNode }) {
  const { ws } = useWorkspace();
  const { id = '0' } = useParams();
  const [sp, setSp] = useSearchParams();
  const view = useMemo(() => parseRunsView(sp), [sp]);
  const nav = useNavigate();
  const canWrite = useCan('workspaces/runs/write');

  const filter = searchBoxToFilter(view.q);
  const order = orderBy(view.sort, view.desc);
  const [state, setState] = useState<Paged>({ rows: [], token: undefined, done: false, loading: true });
  const gen = useRef(0);

  const fetchPage = useCallback(
    async (token: string | undefined, myGen: number) => {
      setState((s) => ({ ...s, loading: true, error: undefined }));
      try {
        const r = await api.searchRuns(ws, {
          experiment_ids: [id],
          filter: filter || undefined,
          order_by: [order],
          max_results: token ? NEXT_PAGE : FIRST_PAGE,
          page_token: token,
        });
        if (myGen !== gen.current) return;
        const rows = (r.runs ?? []).map(toRow);
        setState((s) => ({
          rows: token ? s.rows.concat(rows) : rows,
          token: r.next_page_token || undefined,
          done: !r.next_page_token,
          loading: false,
        }));
      } catch (e) {
        if (myGen !== gen.current) return;
        setState((s) => ({ ...s, loading: false, done: true, error: e as Error }));
      }
    },
    [ws, id, filter, order],
  );

  useEffect(() => {
    gen.current++;
    setState({ rows: [], token: undefined, done: false, loading: true });
    void fetchPage(undefined, gen.current);
  }, [fetchPage]);

  const loadMore = useCallback(() => {
    if (!state.loading && !state.done && state.token) void fetchPage(state.token, gen.current);
  }, [state.loading, state.done, state.token, fetchPage]);

  // Child runs (pipeline steps, sweep trials, nested MLflow runs) sit under their parent, which
  // opens with its ▸ toggle; the open parents are ?open=<id>,<id>.
  const expanded = useMemo(() => new Set(parseRunIds(sp.get('open'), 1000)), [sp]);
  const nested = useMemo(() => nestRuns(state.rows, expanded), [state.rows, expanded]);
  const withOpen = (next: URLSearchParams) => {
    if (expanded.size) next.set('open', Array.from(expanded).join(','));
    return next;
  };
  const update = (patch: Partial<RunsViewState>) => setSp(withOpen(runsViewToParams({ ...view, ...patch })));
  const toggleOpen = (r: RunRow) => {
    const next = new Set(expanded);
    if (next.has(r.id)) next.delete(r.id);
    else next.add(r.id);
    const p = runsViewToParams(view);
    if (next.size) p.set('open', Array.from(next).join(','));
    setSp(p, { replace: true });
  };
  const sortBy = (ref: KeyRef) => {
    const same = refToString(ref) === refToString(view.sort);
    update({ sort: ref, desc: same ? !view.desc : true });
  };

  const [selected, setSelected] = useState<Set<string>>(new Set());
  const toggle = (r: RunRow) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(r.id)) n.delete(r.id);
      else if (n.size < 100) n.add(r.id);
      return n;
    });

  const keys = useMemo(() => collectKeys(state.rows), [state.rows]);
  const sortedAs = (ref: KeyRef) => (refToString(ref) === refToString(view.sort) ? (view.desc ? 'desc' : 'asc') : null);

  const columns: Column<NestedRow>[] = [
    {
      id: 'sel',
      header: <span className="sr-only">Select</span>,
      width: 36,
      cell: (r) => (
        <input type="checkbox" tabIndex={-1} aria-label={`Select ${r.name}`} checked={selected.has(r.id)} onChange={() => toggle(r)} />
      ),
    },
    {
      id: 'name',
      header: 'Run',
      width: 220,
      cell: (r) => (
        <span className="run-name" style={{ paddingLeft: r.depth * 16 }}>
          {r.childCount > 0 ? (
            <button
              type="button"
              className="twisty"
              tabIndex={-1}
              aria-expanded={expanded.has(r.id)}
              aria-label={`${expanded.has(r.id) ? 'Hide' : 'Show'} the ${r.childCount} child runs of ${r.name}`}
              data-testid="child-toggle"
              onClick={() => toggleOpen(r)}
            >
              {expanded.has(r.id) ? '▾' : '▸'} {r.childCount}
            </button>
          ) : (
            r.depth > 0 && <span className="twisty-space" aria-hidden="true" />
          )}
          <Link to={paths.run(ws, r.id)} tabIndex={-1} data-depth={r.depth}>
            {r.name}
          </Link>
        </span>
      ),
      sorted: sortedAs({ entity: 'attributes', key: 'run_name' }),
      onSort: () => sortBy({ entity: 'attributes', key: 'run_name' }),
    },
    { id: 'status', header: 'Status', width: 100, cell: (r) => <StatusBadge status={r.run.info.status} /> },
    {
      id: 'start',
      header: 'Started',
      width: 175,
      cell: (r) => formatTime(r.run.info.start_time),
      sorted: sortedAs({ entity: 'attributes', key: 'start_time' }),
      onSort: () => sortBy({ entity: 'attributes', key: 'start_time' }),
    },
    { id: 'dur', header: 'Duration', width: 100, cell: (r) => formatDuration(duration(r)) },
    { id: 'user', header: 'User', width: 100, cell: (r) => r.run.info.user_id ?? '' },
    ...view.cols.map(
      (ref): Column<NestedRow> => ({
        id: refToString(ref),
        header: (
          <span title={refToString(ref)}>
            <span className="entity">{ref.entity === 'metrics' ? 'm' : ref.entity === 'params' ? 'p' : 't'}</span> {ref.key}
          </span>
        ),
        width: 130,
        align: ref.entity === 'metrics' ? 'right' : undefined,
        cell: (r) => {
          const v = cellValue(r, ref);
          return typeof v === 'number' ? formatNumber(v) : (v ?? '');
        },
        sorted: sortedAs(ref),
        onSort: () => sortBy(ref),
      }),
    ),
  ];

  const [q, setQ] = useState(view.q);
  useEffect(() => setQ(view.q), [view.q]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    update({ q });
  };

  const toggleCol = (ref: KeyRef) => {
    const k = refToString(ref);
    const has = view.cols.some((c) => refToString(c) === k);
    update({ cols: has ? view.cols.filter((c) => refToString(c) !== k) : [...view.cols, ref] });
  };

  const deleteSelected = async () => {
    if (!confirm(`Delete ${selected.size} run(s)? They can be restored with the MLflow client.`)) return;
    for (const rid of selected) await api.deleteRun(ws, rid).catch(() => undefined);
    setSelected(new Set());
    gen.current++;
    void fetchPage(undefined, gen.current);
  };

  return (
    <>
      <ExperimentHead ws={ws} id={id} exp={exp}>
        <span className="muted" data-testid="runs-count">
          {state.rows.length}
          {state.done ? '' : '+'} {state.rows.length === 1 && state.done ? 'run' : 'runs'}
        </span>
      </ExperimentHead>
      {tabs}
      <div className="toolbar">
        <form onSubmit={submit} className="filter" role="search">
          <label htmlFor="run-filter" className="sr-only">
            Filter runs
          </label>
          <input
            id="run-filter"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="Run name, or a filter like metrics.loss < 0.5 AND params.lr = '0.1'"
            data-testid="run-filter"
          />
          <button type="submit">Search</button>
          {view.q && (
            <button type="button" onClick={() => update({ q: '' })}>
              Clear
            </button>
          )}
        </form>
        <details className="picker">
          <summary>Columns ({view.cols.length})</summary>
          <div className="picker-body" data-testid="column-picker">
            {(['metrics', 'params', 'tags'] as const).map((entity) => (
              <fieldset key={entity}>
                <legend>{entity}</legend>
                {keys[entity].length === 0 && <span className="muted">none in the loaded runs</span>}
                {keys[entity].map((k) => {
                  const ref = { entity, key: k };
                  return (
                    <label key={k}>
                      <input type="checkbox" checked={view.cols.some((c) => refToString(c) === refToString(ref))} onChange={() => toggleCol(ref)} />{' '}
                      {k}
                    </label>
                  );
                })}
              </fieldset>
            ))}
          </div>
        </details>
        <button type="button" disabled={selected.size < 2} onClick={() => nav(paths.compare(ws, Array.from(selected)))} data-testid="compare-button">
          Compare {selected.size > 0 ? `(${selected.size})` : ''}
        </button>
        {canWrite && selected.size > 0 && (
          <button type="button" className="danger" onClick={deleteSelected}>
            Delete
          </button>
        )}
      </div>
      {state.error && <ErrorBox error={state.error} onRetry={() => fetchPage(undefined, ++gen.current)} />}
      {state.loading && state.rows.length === 0 && !state.error && <Loading what="runs" />}
      {!state.loading && !state.error && state.rows.length === 0 && (
        view.q ? (
          <Empty title="No runs match this filter">
            <p>
              Try a looser filter. Examples: <code>metrics.loss &lt; 0.5</code>, <code>params.lr = '0.01'</code>,{' '}
              <code>tags.team = 'vision'</code>, <code>attributes.status = 'FINISHED'</code>.
            </p>
          </Empty>
        ) : (
          <Empty title="No runs in this experiment yet">
            <FirstRunHint ws={ws} />
          </Empty>
        )
      )}
      {state.rows.length > 0 && (
        <>
          <p className="hint muted">
            ↑/↓ to move, Enter to open, Space to select for compare. Sorted by {refToString(view.sort)} {view.desc ? 'descending' : 'ascending'}.
          </p>
          <VirtualTable
            label={`Runs of ${exp.data?.name ?? id}`}
            rows={nested}
            columns={columns}
            rowKey={(r) => r.id}
            hasMore={!state.done}
            loading={state.loading}
            loadMore={loadMore}
            onOpen={(r) => nav(paths.run(ws, r.id))}
            onToggle={toggle}
            isSelected={(r) => selected.has(r.id)}
          />
        </>
      )}
    </>
  );
}
