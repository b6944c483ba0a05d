export function StatusBadge({ status }: { status?: string }) {
  const s = (status ?? '').toUpperCase();
  const cls =
    s === 'FINISHED' || s === 'COMPLETED' || s === 'READY'
      ? 'ok'
      : s === 'FAILED' || s === 'KILLED' || s === 'CANCELED'
        ? 'bad'
        : s === 'RUNNING' || s === 'QUEUED' || s === 'SCHEDULED' || s === 'PENDING_REGISTRATION'
          ? 'busy'
          : '';
  return <span className={`badge ${cls}`}>{status ?? ''}</span>;
}
