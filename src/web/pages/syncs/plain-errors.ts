/**
 * Destination errors in words a marketer can act on. The raw text (a network
 * code, "bad port") stays available beside it for whoever fixes the endpoint.
 */
export function plainSyncError(message: string, status?: number | null): string {
  const m = message.toLowerCase();
  if (status === 401 || status === 403 || /credential|unauthori[sz]ed|forbidden|invalid token|access token/.test(m)) {
    return 'The destination rejected the credentials: update the token or key of the destination.';
  }
  if (/bad port|invalid url|err_invalid_url|enotfound|getaddrinfo|eai_again|not allowed|private address|blocked address/.test(m)) {
    return 'The destination address cannot be reached as written: check its URL (host name and port).';
  }
  if (/econnrefused|connection refused|econnreset|socket hang up|other side closed|fetch failed|network/.test(m)) {
    return 'Could not connect to the destination: it may be down, or its URL may be wrong.';
  }
  if (/timeout|timed out|etimedout|aborted/.test(m)) return 'The destination did not answer in time.';
  if (status === 429 || /rate limit|too many requests/.test(m)) return 'The destination asked Kohort to slow down (rate limit); it retries later.';
  if (typeof status === 'number' && status >= 500) return `The destination had an internal error (HTTP ${status}).`;
  if (typeof status === 'number' && status >= 400) return `The destination refused the data (HTTP ${status}).`;
  return message;
}
