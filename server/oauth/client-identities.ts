import type { Logger } from 'pino';
import type { ServerConfig } from '../config/schema.js';
import { RecordDecryptionError, type RecordStore } from '../store/index.js';
import type { AuthorizationServerMetadata } from './authorization-server-metadata.js';
import { sameURL, type HttpOptions } from './http.js';
import { createHash } from 'node:crypto';
import { clientKey, type StoredClient } from './records.js';
import {
  clientAuthenticationFromRegistration,
  defaultRegistrationRequest,
  getRegistrationEndpoint,
  registerClient,
  registrationExpired,
} from './registration.js';
import { selectClientAuthMethod, type ClientAuthentication } from './token-endpoint.js';

/** The query parameter of a per-issuer redirect URI. */
export const ISSUER_PARAMETER = 'as';

/** 16 characters naming an issuer in its redirect URI: the start of its SHA-256, base64url. */
export function issuerKey(issuer: string): string {
  return createHash('sha256').update(new URL(issuer).href).digest('base64url').slice(0, 16);
}

export interface ClientIdentitiesOptions {
  readonly clients: RecordStore<StoredClient>;
  readonly redirectURI: string;
  readonly clientName: string;
  /**
   * An HTTPS URL serving this client's metadata document (SEP-991): used as the client_id at
   * authorization servers that advertise `client_id_metadata_document_supported`, instead of registering.
   */
  readonly clientMetadataURL?: string;
  /**
   * True while every MCP server this client serves is configured alone (one server, so one authorization server at a
   * time): no other authorization server's response can come back to the shared callback, so the metadata document may
   * be used without RFC 9207 `iss`. Default: false (the document only with authorization servers that send `iss`).
   */
  readonly soleAuthorizationServer?: () => boolean;
  readonly logger: Logger;
  readonly http: HttpOptions;
  readonly now?: () => number;
}

/**
 * Who the plugin is at each authorization server: the admin's pre-registered client, else a
 * stored RFC 7591 registration for (server, issuer), else a new registration (one at a time).
 */
export class ClientIdentities {
  private readonly registering = new Map<string, Promise<ClientAuthentication>>();

  constructor(private readonly options: ClientIdentitiesOptions) {}

  async resolve(
    server: ServerConfig,
    issuer: string,
    metadata: AuthorizationServerMetadata,
    scope?: string,
  ): Promise<ClientAuthentication> {
    const preRegistered = this.preRegistered(server, metadata);
    if (preRegistered) return preRegistered;
    const metadataDocument = this.options.clientMetadataURL;
    // One client id (and redirect URI) for every server: only where `iss` on the redirect tells the servers apart (RFC
    // 9207),
    // or where there is no other authorization server to mix this one up with.
    const responsesToldApart =
      metadata.authorization_response_iss_parameter_supported === true ||
      this.options.soleAuthorizationServer?.() === true;
    if (metadataDocument && metadata.client_id_metadata_document_supported === true && responsesToldApart) {
      return { clientId: metadataDocument, authMethod: 'none' };
    }
    const key = clientKey(server.name, issuer);
    const stored = await this.readStored(key);
    if (
      stored &&
      stored.redirectURI === this.issuerRedirectURI(issuer) &&
      !registrationExpired(stored.registration, this.now())
    )
      return stored.client;
    let pending = this.registering.get(key);
    if (!pending) {
      pending = this.register(server, issuer, metadata, scope).finally(() => this.registering.delete(key));
      this.registering.set(key, pending);
    }
    return pending;
  }

  /**
   * The redirect URI of a flow with `client` at `issuer`. A registration of this plugin's own has one per issuer
   * (`<callback>?as=<issuer key>`), so a response that comes back for another issuer is told apart without `iss`
   * (mix-up); the admin's pre-registered client and the client metadata document use the callback itself.
   */
  redirectURIFor(server: ServerConfig, issuer: string, client: ClientAuthentication): string {
    const shared = client.clientId === server.oauth?.clientId || client.clientId === this.options.clientMetadataURL;
    return shared ? this.options.redirectURI : this.issuerRedirectURI(issuer);
  }

  private issuerRedirectURI(issuer: string): string {
    const url = new URL(this.options.redirectURI);
    url.searchParams.set(ISSUER_PARAMETER, issuerKey(issuer));
    return url.href;
  }

  /** The client for refresh and revocation, without discovery: pre-registered or stored. */
  async known(
    server: ServerConfig,
    issuer: string,
    clientId: string,
    authMethod: ClientAuthentication['authMethod'],
  ): Promise<ClientAuthentication | undefined> {
    const oauth = server.oauth;
    if (oauth?.clientId) {
      // A pre-registered client is the admin's, for one issuer: its secret goes nowhere else (and no stored
      // registration is used beside it).
      if (oauth.clientId !== clientId || !oauth.issuer || !sameURL(issuer, oauth.issuer)) return undefined;
      return {
        clientId,
        ...(oauth.clientSecret && { clientSecret: oauth.clientSecret }),
        authMethod: oauth.clientSecret ? authMethod : 'none',
      };
    }
    if (clientId === this.options.clientMetadataURL) return { clientId, authMethod: 'none' };
    const key = clientKey(server.name, issuer);
    const stored = await this.readStored(key);
    if (stored?.client.clientId !== clientId) return undefined;
    if (registrationExpired(stored.registration, this.now())) {
      this.options.logger.info(
        { server: server.name, issuer },
        'client registration past its client_secret_expires_at; registering again on the next Connect',
      );
      await this.options.clients.delete(key);
      return undefined;
    }
    return stored.client;
  }

  /**
   * The authorization server refused the client (`invalid_client`, `unauthorized_client`): it forgot or expired the
   * registration. A stored registration is dropped, so the next Connect registers again; the admin's pre-registered
   * client is never dropped (there is nothing to register), the log tells the admin instead. True when dropped.
   */
  async rejected(server: ServerConfig, issuer: string, clientId: string): Promise<boolean> {
    if (server.oauth?.clientId === clientId) {
      this.options.logger.error(
        { server: server.name, issuer },
        'the authorization server refuses the pre-registered client of this server; a system admin must check its oauth.clientId, clientSecret and issuer',
      );
      return false;
    }
    const key = clientKey(server.name, issuer);
    const stored = await this.readStored(key);
    if (stored?.client.clientId !== clientId) return false;
    await this.options.clients.delete(key);
    this.options.logger.warn(
      { server: server.name, issuer },
      "the authorization server no longer knows this plugin's client registration; registering again on the next Connect",
    );
    return true;
  }

  /** A registration sealed with a lost key is dropped: registering again is cheap and automatic. */
  private async readStored(key: string): Promise<StoredClient | undefined> {
    try {
      return await this.options.clients.get(key);
    } catch (error) {
      if (!(error instanceof RecordDecryptionError)) throw error;
      this.options.logger.warn(
        { reason: error.reason },
        'stored client registration cannot be decrypted; registering again',
      );
      await this.options.clients.delete(key);
      return undefined;
    }
  }

  private preRegistered(server: ServerConfig, metadata: AuthorizationServerMetadata): ClientAuthentication | undefined {
    const oauth = server.oauth;
    if (!oauth?.clientId) return undefined;
    const authMethod = selectClientAuthMethod(metadata, Boolean(oauth.clientSecret));
    return { clientId: oauth.clientId, ...(oauth.clientSecret && { clientSecret: oauth.clientSecret }), authMethod };
  }

  private async register(
    server: ServerConfig,
    issuer: string,
    metadata: AuthorizationServerMetadata,
    scope?: string,
  ): Promise<ClientAuthentication> {
    const endpoint = getRegistrationEndpoint(metadata);
    // A scope the server does not list would be refused (RFC 7591 §3.2.2 invalid_client_metadata); scopes are asked for
    // per authorization anyway.
    const listed =
      scope && metadata.scopes_supported && scope.split(' ').every((s) => metadata.scopes_supported!.includes(s))
        ? scope
        : undefined;
    const redirectURI = this.issuerRedirectURI(issuer);
    const request = defaultRegistrationRequest(redirectURI, this.options.clientName, metadata, listed);
    const registration = await registerClient(endpoint, request, this.options.http);
    const client = clientAuthenticationFromRegistration(registration, request);
    const record: StoredClient = {
      serverName: server.name,
      issuer,
      redirectURI,
      registration,
      client,
      registeredAt: this.now(),
    };
    await this.options.clients.set(clientKey(server.name, issuer), record);
    this.options.logger.info(
      { server: server.name, issuer, authMethod: client.authMethod },
      'registered OAuth client (RFC 7591)',
    );
    return client;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
