import { describe, expect, it } from 'vitest';
import { mlflowLinkTarget } from '../src/lib/mlflowLinks';

describe('links printed by the MLflow client', () => {
  it('open the run, experiment and model version they name, at the root', () => {
    expect(mlflowLinkTarget('/', '#/experiments/12/runs/abc123')).toBe('/workspaces/default/runs/abc123');
    expect(mlflowLinkTarget('/', '#/experiments/12')).toBe('/workspaces/default/experiments/12');
    expect(mlflowLinkTarget('/', '#/experiments')).toBe('/workspaces/default/experiments');
    expect(mlflowLinkTarget('/', '#/models/my%20model/versions/3')).toBe('/workspaces/default/models/my%20model?version=3');
    expect(mlflowLinkTarget('/', '#/models/m')).toBe('/workspaces/default/models/m');
  });
  it('keep the workspace of a /workspaces/<ws> tracking URI', () => {
    expect(mlflowLinkTarget('/workspaces/team-a/', '#/experiments/7/runs/r1')).toBe('/workspaces/team-a/runs/r1');
    expect(mlflowLinkTarget('/workspaces/team-a', '#/experiments/7')).toBe('/workspaces/team-a/experiments/7');
  });
  it('leave every other location alone', () => {
    expect(mlflowLinkTarget('/', '')).toBeNull();
    expect(mlflowLinkTarget('/', '#top')).toBeNull();
    expect(mlflowLinkTarget('/workspaces/a/experiments', '#/experiments/1')).toBeNull();
    expect(mlflowLinkTarget('/', '#/experiments/%E0%A4%A')).toBeNull();
  });
  it('send an unknown MLflow page to the experiments list', () => {
    expect(mlflowLinkTarget('/', '#/compare-runs?runs=[]')).toBe('/workspaces/default/experiments');
  });
});
