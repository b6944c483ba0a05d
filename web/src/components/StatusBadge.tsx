export function StatusBadge({ status }: { status?: string }) {
  const s = (status ?? '').toUpperCase();
  const cls =
    s === 'FINISHED' || s === 'COMPLETED' || s === 'READY' || s === 'OK'
      ? 'ok'
      : s === 'FAILED' || s === 'KILLED' || s === 'CANCELED' || s === 'ERROR' || s === 'UPLOAD_FAILED'
        ? 'bad'
        : s === 'RUNNING' || s === 'QUEUED' || s === 'SCHEDULED' || s === 'PENDING_REGISTRATION' || s === 'PENDING' || s === 'IN_PROGRESS'
          ? 'busy'
          : '';
  return <span className={`badge ${cls}`}>{status ?? ''}</span>;
}
