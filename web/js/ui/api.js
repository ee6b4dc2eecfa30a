// The API client: same-origin requests with the session cookie, the CSRF token on every
// state-changing request, JSON both ways, problem+json errors as ApiError. No token is ever
// kept in storage; the session lives in an HttpOnly cookie the page cannot read.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? null;
  }
}

export class Api {
  constructor() {
    this.csrf = null;
    this.tenant = null;
    this.onUnauthorized = null;
  }

  /** Tenant-scoped path: t('workflows', id) -> /api/v1/tenants/{tenant}/workflows/{id}. */
  t(...parts) {
    return `/api/v1/tenants/${encodeURIComponent(this.tenant)}/${parts.map((p) => encodeURIComponent(p)).join('/')}`;
  }

  async request(method, path, { body, headers = {}, raw = false, query } = {}) {
    const h = { Accept: 'application/json, application/problem+json', ...headers };
    if (!['GET', 'HEAD'].includes(method)) {
      if (this.csrf) h['X-CSRF-Token'] = this.csrf;
    }
    let payload;
    if (body !== undefined) {
      if (typeof body === 'string') payload = body;
      else {
        payload = JSON.stringify(body);
        h['Content-Type'] = 'application/json';
      }
    }
    let url = path;
    if (query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
      const s = q.toString();
      if (s) url += `?${s}`;
    }
    const response = await fetch(url, { method, headers: h, body: payload, credentials: 'same-origin', cache: 'no-store' });
    if (response.status === 204) return null;
    const type = response.headers.get('Content-Type') ?? '';
    const data = type.includes('json') ? await response.json().catch(() => null) : raw ? await response.text() : null;
    if (!response.ok) {
      if (response.status === 401 && this.onUnauthorized && !path.endsWith('/session')) this.onUnauthorized();
      throw new ApiError(response.status, data && typeof data === 'object' ? data : { title: `HTTP ${response.status}` });
    }
    return data;
  }

  get(path, options) {
    return this.request('GET', path, options);
  }
  post(path, body, options = {}) {
    return this.request('POST', path, { ...options, body });
  }
  put(path, body, options = {}) {
    return this.request('PUT', path, { ...options, body });
  }
  del(path, options) {
    return this.request('DELETE', path, options);
  }

  /** Every page of a list endpoint ({items, next}), up to `max` items. */
  async all(path, { max = 2000, query = {} } = {}) {
    const items = [];
    let after;
    do {
      const page = await this.get(path, { query: { ...query, limit: 100, after } });
      items.push(...(page?.items ?? []));
      after = page?.next ?? null;
    } while (after && items.length < max);
    return items;
  }
}

export const api = new Api();
