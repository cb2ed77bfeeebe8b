// The small part of oidc-provider@9 (untyped JavaScript) that the test authorization server uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ProviderContext {
    readonly path: string;
    readonly method: string;
    readonly oidc?: {
      readonly route?: string;
      readonly params?: Readonly<Record<string, unknown>>;
    };
  }

  export interface ClientLike {
    readonly clientId: string;
    grantTypeAllowed(grantType: string): boolean;
  }

  interface RevocableModel {
    revokeByGrantId(grantId: string): Promise<void>;
    /** The token with this value, or undefined once it was revoked, consumed (rotated away) or never issued. */
    find(value: string): Promise<object | undefined>;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: (ctx: ProviderContext, next: () => Promise<void>) => Promise<void>): this;
    on(event: string, listener: (...args: never[]) => void): this;
    readonly AccessToken: RevocableModel;
    readonly RefreshToken: RevocableModel;
    readonly AuthorizationCode: RevocableModel;
    readonly Grant: { readonly adapter: { destroy(id: string): Promise<void> } };
    readonly Client: { readonly adapter: { destroy(id: string): Promise<void> } };
  }

  export const errors: {
    readonly InvalidTarget: new (description?: string) => Error;
  };

  export default Provider;
}
