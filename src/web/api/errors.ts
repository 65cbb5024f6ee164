/** A validation issue as the API reports it in `error.details`. */
export interface ApiIssue {
  path: (string | number)[];
  message: string;
}

/** The server answered with the `{ error: { code, message, details } }` shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }

  /** Issues with a path, from the common `details` shapes (zod issues, `{ issues }`, ingestion rows). */
  get issues(): ApiIssue[] {
    return extractIssues(this.details);
  }
}

/** The server could not be reached at all (down, network, proxy). */
export class NetworkError extends Error {
  constructor(override readonly cause: unknown) {
    super('The Kohort server could not be reached.');
    this.name = 'NetworkError';
  }
}

function toPath(p: unknown): (string | number)[] | null {
  if (Array.isArray(p)) return p.filter((x) => typeof x === 'string' || typeof x === 'number');
  if (typeof p === 'string') {
    return p
      .replace(/\[(\d+)\]/g, '.$1')
      .split(/[./]/)
      .filter(Boolean)
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  }
  return null;
}

export function extractIssues(details: unknown): ApiIssue[] {
  if (!details) return [];
  const list: unknown[] = Array.isArray(details)
    ? details
    : typeof details === 'object' && details !== null
      ? (['issues', 'errors', 'fields'] as const)
          .map((k) => (details as Record<string, unknown>)[k])
          .find(Array.isArray) ?? []
      : [];
  const out: ApiIssue[] = [];
  for (const item of list) {
    if (!item || typeof item !== 'object') continue;
    const it = item as Record<string, unknown>;
    const rawPath = it.path ?? it.field ?? it.pointer;
    const path = toPath(rawPath) ?? [];
    let message = typeof it.message === 'string' ? it.message : 'Invalid value';
    // Some messages repeat their path ("rules[0].event: needs ..."); beside the field it is noise.
    if (typeof rawPath === 'string' && rawPath && message.startsWith(`${rawPath}: `)) message = message.slice(rawPath.length + 2);
    out.push({ path, message });
  }
  return out;
}

export function errorMessage(err: unknown): string {
  // A refusal is not a failure of the app: say so, then the server's words on which role is needed.
  if (err instanceof ApiError && err.status === 403) return `You don't have permission to do this. ${err.message}`;
  if (err instanceof ApiError || err instanceof NetworkError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
