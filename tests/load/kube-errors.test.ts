import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiErrorMessage as kubeErrorMessage } from '../../bin/kube/client.js';

describe('kubeErrorMessage', () => {
  it('prefixes the HTTP status and uses the API message of an API answer', () => {
    const error = new ApiException(404, 'Not Found', JSON.stringify({ message: 'pods "x" not found' }), {});
    expect(kubeErrorMessage(error)).toBe('HTTP 404: pods "x" not found');
  });

  it('does not present a network error code (ECONNREFUSED) as an HTTP status', () => {
    const error = Object.assign(new Error('request to https://127.0.0.1:1/api failed, reason: connect ECONNREFUSED 127.0.0.1:1\nmore'), {
      code: 'ECONNREFUSED',
    });
    expect(kubeErrorMessage(error)).toBe('request to https://127.0.0.1:1/api failed, reason: connect ECONNREFUSED 127.0.0.1:1');
  });
});
