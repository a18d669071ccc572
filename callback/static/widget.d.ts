/**
 * Types of the page API of Callback's widget script (`<script src=".../widget.js">`).
 * Served at /widget.d.ts; documented in docs/widget-api.md.
 */

/** How the dialog was opened. */
export type CallbackOpenSource = "launcher" | "element" | "api" | "rule";

/** A request's status as the visitor API reports it. */
export type CallbackRequestStatus =
  | "scheduled"
  | "queued"
  | "calling_agent"
  | "calling_visitor"
  | "connected"
  | "completed"
  | "failed"
  | "canceled"
  | "expired";

/** What each event hands its handlers. Never the visitor's number. */
export interface CallbackEvents {
  /** The dialog opened (each time it does). */
  opened: { source: CallbackOpenSource };
  /** A request was accepted; `status` is its first one ("queued" or "scheduled"). */
  submitted: { requestId: string; status: CallbackRequestStatus };
  /** The request waits for a time (ISO 8601, UTC). */
  scheduled: { requestId: string; scheduledFor: string };
  /** The visitor and an agent are talking (also told when the call ended before a poll saw it). */
  connected: { requestId: string; status: "connected" };
  /** The call took place and ended. */
  completed: { requestId: string; status: "completed" };
  /** The request ended without a call: failed, expired or canceled; `outcome` says why. */
  failed: {
    requestId: string;
    status: "failed" | "expired" | "canceled";
    outcome: string | null;
  };
}

export type CallbackEventName = keyof CallbackEvents;

export type CallbackHandler<E extends CallbackEventName> = (payload: CallbackEvents[E]) => void;

export interface CallbackApi {
  /** Open the dialog and move the focus into it. Before the widget has loaded: once it has. */
  open(): void;
  /** Close the dialog; the focus goes back to what opened it if it was in the dialog. */
  close(): void;
  /** Call `handler` on each `event`; returns a function that stops it. */
  on<E extends CallbackEventName>(event: E, handler: CallbackHandler<E>): () => void;
  /** Stop calling `handler` on `event`. */
  off<E extends CallbackEventName>(event: E, handler: CallbackHandler<E>): void;
}

/** The stub a page may define before the script loads: calls are queued as [name, args]. */
export interface CallbackStub {
  q: Array<[keyof CallbackApi, ArrayLike<unknown>]>;
  open?(): void;
  close?(): void;
  on?(...args: unknown[]): void;
  off?(...args: unknown[]): void;
}

declare global {
  interface Window {
    Callback?: CallbackApi | CallbackStub;
  }
}
