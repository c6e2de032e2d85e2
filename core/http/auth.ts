import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { ApiTokenConfig, Role } from '../config/types.js';
import { AuthenticationError, ConfigurationError, ForbiddenError } from '../errors.js';

/** Who is calling, as far as the API is concerned. */
export interface Principal {
  /** The token's name: the actor in the audit log. */
  name: string;
  role: Role;
  /** `'*'` when the token sees every tenant. */
  tenants: '*' | ReadonlySet<string>;
}

export interface AuthEnv {
  Variables: { principal: Principal };
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

interface KnownToken {
  digest: Buffer;
  principal: Principal;
}

/**
 * Bearer-token authentication against the configured tokens. Checks the tokens at once (empty or
 * repeated values would make an identity ambiguous) and names the offending entry.
 *
 * Every presented token is hashed and compared with every configured one in constant time, without
 * stopping at a match, so the answer time tells nothing about which token came close.
 */
export function bearerAuth(tokens: readonly ApiTokenConfig[]): MiddlewareHandler<AuthEnv> {
  const known = compileTokens(tokens);
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw new AuthenticationError('missing bearer token (Authorization: Bearer <token>)');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AuthenticationError('the Authorization header must read "Bearer <token>"');
    const presented = sha256(match[1]);
    let found: Principal | undefined;
    for (const token of known) {
      if (timingSafeEqual(token.digest, presented) && !found) found = token.principal;
    }
    if (!found) throw new AuthenticationError('invalid bearer token');
    c.set('principal', found);
    await next();
  };
}

/** Refuses callers below `role` with 403; must run after {@link bearerAuth}. */
export function requireRole(role: Role): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (ROLE_RANK[principal.role] < ROLE_RANK[role]) {
      throw new ForbiddenError(`this needs the ${role} role; token "${principal.name}" has ${principal.role}`);
    }
    await next();
  };
}

export function canSeeTenant(principal: Principal, tenant: string): boolean {
  return principal.tenants === '*' || principal.tenants.has(tenant);
}

/** The tenant filter to hand the store: undefined means every tenant. */
export function tenantScope(principal: Principal): string[] | undefined {
  return principal.tenants === '*' ? undefined : [...principal.tenants];
}

function compileTokens(tokens: readonly ApiTokenConfig[]): KnownToken[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  tokens.forEach((token, index) => {
    if (typeof token.token !== 'string' || token.token.length === 0) problems.push(`tokens[${index}] (${token.name}): token is empty`);
    else if (/\s/.test(token.token)) problems.push(`tokens[${index}] (${token.name}): token contains whitespace`);
    const digest = sha256(token.token ?? '').toString('hex');
    const previous = seen.get(digest);
    if (previous !== undefined) problems.push(`tokens[${index}] (${token.name}): same token value as tokens[${previous}]`);
    seen.set(digest, index);
    if (!(token.role in ROLE_RANK)) problems.push(`tokens[${index}] (${token.name}): role must be viewer, operator or admin`);
    if (!Array.isArray(token.tenants) || token.tenants.length === 0) problems.push(`tokens[${index}] (${token.name}): tenants must list tenant ids or '*'`);
  });
  if (problems.length) {
    throw new ConfigurationError(
      `API tokens are misconfigured: ${problems.join('; ')}`,
      problems.map((message) => ({ path: '/tokens', message })),
    );
  }
  return tokens.map((token) => ({
    digest: sha256(token.token),
    principal: {
      name: token.name,
      role: token.role,
      tenants: token.tenants.includes('*') ? '*' : new Set(token.tenants),
    },
  }));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
