import { describe, expect, it } from 'vitest';
import { parseDatastoreUri } from '../src/components/DatastoreFiles';

describe('parseDatastoreUri', () => {
  it('splits datastore and path', () => {
    expect(parseDatastoreUri('azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/x.csv')).toEqual({
      ds: 'workspaceblobstore',
      path: 'LocalUpload/abc/x.csv',
    });
    expect(parseDatastoreUri('azureml://datastores/team/paths/raw/')).toEqual({ ds: 'team', path: 'raw' });
  });
  it('refuses other URIs', () => {
    expect(parseDatastoreUri('https://x/y')).toBeNull();
    expect(parseDatastoreUri('azureml://datastores/team')).toBeNull();
    expect(parseDatastoreUri(undefined)).toBeNull();
  });
});
