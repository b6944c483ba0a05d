// The current workspace (from the URL) and what the caller may do in it (from whoami).
import { createContext, useContext } from 'react';
import type { WhoAmI } from '../api/types';

export interface WorkspaceCtx {
  ws: string;
  who: WhoAmI | undefined;
}

export const WorkspaceContext = createContext<WorkspaceCtx>({ ws: 'default', who: undefined });

export function useWorkspace(): WorkspaceCtx {
  return useContext(WorkspaceContext);
}

/**
 * May the caller do `action` in this workspace? Until whoami answers, write buttons stay hidden.
 * An action this server does not know yet (a newer page on an older server) falls back to the
 * caller's general right to write runs in the workspace.
 */
export function can(who: WhoAmI | undefined, action: string): boolean {
  if (!who) return false;
  const a = who.allowed_actions ?? {};
  if (action in a) return a[action] === true;
  return a['workspaces/runs/write'] === true;
}

export function useCan(action: string): boolean {
  return can(useWorkspace().who, action);
}
