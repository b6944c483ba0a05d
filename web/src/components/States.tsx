// Loading, error, empty and "not available" states shared by every page.
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

export function Loading({ what }: { what?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      Loading{what ? ` ${what}` : ''}…
    </p>
  );
}

export function ErrorBox({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  if (error instanceof ApiError && error.notAvailable) return <NotAvailable />;
  return (
    <div className="error" role="alert">
      <strong>Something went wrong.</strong> {error.message}
      {onRetry && (
        <button type="button" className="link" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function NotAvailable({ what }: { what?: string }) {
  return (
    <div className="empty" data-testid="not-available">
      <h3>Not available on this server</h3>
      <p>
        {what ?? 'This page'} needs an API this mlws server does not offer yet. Upgrade the server, or run{' '}
        <code>mlws routes</code> to see what it supports.
      </p>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

/** The two lines of Python that log a first run against this server. */
export function FirstRunHint({ ws }: { ws: string }) {
  const uri = `${window.location.origin}${ws === 'default' ? '' : `/workspaces/${ws}`}`;
  return (
    <>
      <p>Log a first run from Python (pip install mlflow):</p>
      <pre className="code">
        {`import mlflow
mlflow.set_tracking_uri("${uri}")
with mlflow.start_run(): mlflow.log_metric("loss", 0.1)`}
      </pre>
    </>
  );
}
