// Shown when the server answers 401: a user name + password (sent as Basic auth) or an API token
// (Bearer mlws_...). The credential is kept in sessionStorage: gone when the tab closes.
import { useState, type FormEvent } from 'react';
import { ApiError, basicAuth, bearerAuth, getJson, setAuth } from '../api/client';

export function SignIn({ onDone }: { onDone: () => void }) {
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    const header = mode === 'password' ? basicAuth(user, password) : bearerAuth(token);
    setAuth(header);
    try {
      await getJson('/api/v1/whoami');
      onDone();
    } catch (err) {
      setAuth(null);
      setError(
        err instanceof ApiError && err.status === 401
          ? 'Sign-in failed: that user and password (or token) were not accepted.'
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to mlws</h1>
        <p className="muted">This server requires authentication.</p>
        <div role="tablist" className="tabs">
          <button type="button" role="tab" aria-selected={mode === 'password'} onClick={() => setMode('password')}>
            User and password
          </button>
          <button type="button" role="tab" aria-selected={mode === 'token'} onClick={() => setMode('token')}>
            API token
          </button>
        </div>
        {mode === 'password' ? (
          <>
            <label>
              User
              <input autoFocus autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} required />
            </label>
            <label>
              Password
              <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
            </label>
          </>
        ) : (
          <label>
            Token (from <code>mlws token create NAME</code>)
            <input autoFocus value={token} onChange={(e) => setToken(e.target.value)} placeholder="mlws_…" required />
          </label>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
