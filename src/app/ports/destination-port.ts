import type { DeliveryUnit, PushResult, ReferencedResourcesPolicy } from '../../outbox/delivery-unit';
import type { DeliveryFailure } from '../../outbox/delivery-failure';

/**
 * The port of delivery (DESIGN.md §6): what the relay needs of the registered destinations and of
 * the gateway that pushes to them. `src/adapters/destination` implements it; the relay knows
 * nothing of HTTP, auth or transports.
 */

export type { ReferencedResourcesPolicy };

/** SMART Backend Services signing algorithms we accept (SMART App Launch 2.x §backend-services). */
export type SmartAlg = 'RS384' | 'ES384';

export type DestinationAuth =
  | { type: 'none' }
  | { type: 'bearer'; tokenEnv: string }
  | {
      type: 'smart-backend';
      tokenUrl: string;
      clientId: string;
      privateKeyFile: string;
      alg: SmartAlg;
      kid: string;
      scope: string;
    };

export type Transport = 'auto' | 'transaction' | 'conditional';

/**
 * A destination id: how a referral, the outbox and `KAP_BRIDGE_DEFAULT_DESTINATION` name a
 * registered destination (never a URL, DESIGN.md §6). One rule for the destinations file and the
 * settings, so an id the settings accept can be registered.
 */
const DESTINATION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** True when `id` is a well-formed destination id (letters, digits, `.` `_` `-`; max 64; a letter or digit first). */
export function isDestinationId(id: string): boolean {
  return DESTINATION_ID.test(id);
}

/** A validated destination, defaults applied. */
export interface Destination {
  id: string;
  baseUrl: string;
  auth: DestinationAuth;
  transport: Transport;
  referencedResources: ReferencedResourcesPolicy;
  /** Permits `http:` — local development only. */
  allowInsecure: boolean;
  /** Permits loopback/private/link-local addresses — local development only. */
  allowPrivateNetwork: boolean;
  /**
   * The sync also reads the clinician's replies from this server (DESIGN.md §6b):
   * `Communication?recipient=<practice Organization>&_lastUpdated=gt<watermark>`, every page.
   * Needs SMART scope `system/Communication.rs` (and `system/Organization.rs`).
   */
  pullReplies?: boolean;
}

/** Lookup of registered destinations by id. */
export interface DestinationRegistry {
  /** The destination registered under `id`, or undefined. */
  getDestination(id: string): Destination | undefined;
  /** Every registered destination, in file order. */
  list(): readonly Destination[];
}

/** A page of a destination's answer to a read or search, as text (the caller parses it strictly). */
export type DestinationRead =
  { ok: true; status: number; body: string } | { ok: false; failure: DeliveryFailure };

/**
 * Reads from a destination (DESIGN.md §6b, the reply pull): a search relative to its base URL, a
 * `next` link it returned (followed only when it lies under the same base URL: a server's paging
 * link is not a way to send kap-bridge, and its credentials, elsewhere), or one resource.
 */
export interface DestinationReader {
  search(dest: Destination, query: { path: string } | { next: string }): Promise<DestinationRead>;
  read(dest: Destination, type: string, id: string): Promise<DestinationRead>;
}

/** Pushes one delivery unit to one destination; never throws for what the network or the destination does. */
export interface DestinationGateway {
  /** Pushes `unit` (main resource first) to `dest`. */
  push(dest: Destination, unit: DeliveryUnit): Promise<PushResult>;
}
