// Loads a list page by page: the first page on mount (and when deps change), the next on more().
// A newer load supersedes an older one, as in useApi.
import { useCallback, useEffect, useRef, useState } from 'react';
import { addPage, NO_PAGES, type Pages } from './paging';

export interface PagedState<T> extends Pages<T> {
  loading: boolean;
  error: Error | undefined;
  more: () => void;
  reload: () => void;
}

export function usePaged<T>(
  fetchPage: (token: string | undefined) => Promise<{ items: T[]; next?: string }>,
  key: (t: T) => string,
  deps: unknown[],
): PagedState<T> {
  const [pages, setPages] = useState<Pages<T>>(NO_PAGES);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | undefined>();
  const gen = useRef(0);
  const fnRef = useRef(fetchPage);
  fnRef.current = fetchPage;
  const keyRef = useRef(key);
  keyRef.current = key;

  const load = useCallback((token: string | undefined, myGen: number) => {
    setLoading(true);
    setError(undefined);
    fnRef.current(token).then(
      (r) => {
        if (myGen !== gen.current) return;
        setPages((p) => addPage(p, r.items, r.next, keyRef.current, token === undefined));
        setLoading(false);
      },
      (e: Error) => {
        if (myGen !== gen.current) return;
        setError(e);
        setLoading(false);
      },
    );
  }, []);

  const reload = useCallback(() => {
    gen.current++;
    setPages(NO_PAGES);
    load(undefined, gen.current);
  }, [load]);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(reload, deps);
  const more = useCallback(() => {
    if (!loading && pages.token) load(pages.token, gen.current);
  }, [loading, pages.token, load]);
  return { ...pages, loading, error, more, reload };
}
