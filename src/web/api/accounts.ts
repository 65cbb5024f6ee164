import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Role } from '../../schemas/principal';
import type { Account, ApiTokenInfo, AuditEntry } from '../../schemas/accounts';
import { useApi } from '../auth/session';
import type { ApiClient } from './client';
import type { Page } from './types';

export type { Account, ApiTokenInfo, AuditEntry };

/** `GET /v1/me`: the bootstrap admin token answers `account: null, role: "owner"`. */
export interface Me {
  account: Account | null;
  role: Role;
  via: 'admin_token' | 'session' | 'api_token';
}

export function fetchMe(api: ApiClient, signal?: AbortSignal): Promise<Me> {
  return api.get<Me>('/v1/me', undefined, signal);
}

export function useMe() {
  const api = useApi();
  return useQuery({ queryKey: ['me'], queryFn: ({ signal }) => fetchMe(api, signal), staleTime: 60_000 });
}

export function useUpdateMe() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name?: string; password?: string; currentPassword?: string }) => api.patch<Account>('/v1/me', body),
    onSuccess: (account) => {
      qc.setQueryData<Me>(['me'], (m) => (m ? { ...m, account } : m));
      void qc.invalidateQueries({ queryKey: ['accounts'] });
    },
  });
}

export function useMyTokens() {
  const api = useApi();
  return useQuery({
    queryKey: ['me', 'tokens'],
    queryFn: ({ signal }) => api.get<ApiTokenInfo[]>('/v1/me/tokens', undefined, signal),
  });
}

export interface CreatedToken {
  id: string;
  name: string;
  createdAt: string;
  /** The secret, shown once. */
  token: string;
}

export function useCreateToken() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api.post<CreatedToken>('/v1/me/tokens', { name }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['me', 'tokens'] }),
  });
}

export function useRevokeToken() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/v1/me/tokens/${encodeURIComponent(id)}`),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['me', 'tokens'] }),
  });
}

export function useAccounts() {
  const api = useApi();
  return useQuery({
    queryKey: ['accounts'],
    queryFn: async ({ signal }) => (await api.get<{ items: Account[] }>('/v1/accounts', undefined, signal)).items,
  });
}

export interface NewAccount {
  email: string;
  name: string;
  role: Role;
  password: string;
}

export function useCreateAccount() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: NewAccount) => api.post<Account>('/v1/accounts', body),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['accounts'] }),
  });
}

export interface AccountChange {
  name?: string;
  role?: Role;
  disabled?: boolean;
  password?: string;
}

export function useUpdateAccount() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...body }: AccountChange & { id: string }) => api.patch<Account>(`/v1/accounts/${encodeURIComponent(id)}`, body),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['accounts'] });
      // Changing one's own role changes what the app lets one do.
      void qc.invalidateQueries({ queryKey: ['me'] });
    },
  });
}

export function useDeleteAccount() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/v1/accounts/${encodeURIComponent(id)}`),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['accounts'] }),
  });
}

export interface AuditFilters {
  actor?: string;
  resourceType?: string;
  action?: string;
  /** ISO-8601 instants. */
  from?: string;
  to?: string;
}

const AUDIT_PAGE = 50;

export function useAudit(filters: AuditFilters) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ['audit', filters],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<AuditEntry>>('/v1/audit', { ...filters, limit: AUDIT_PAGE, cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}
