// How a host page uses the widget's page API (docs/widget-api.md), type-checked against
// callback/static/widget.d.ts by tests/unit/test_widget_types.py. Each @ts-expect-error
// line is a misuse the types must refuse: tsc fails if one is accepted.
import type { CallbackApi, CallbackStub } from "../../../callback/static/widget";

window.Callback = window.Callback || { q: [] };

function api(): CallbackApi | undefined {
  const found = window.Callback;
  return found && "on" in found && typeof found.on === "function" && !("q" in found)
    ? (found as CallbackApi)
    : undefined;
}

const callback = api();
if (callback) {
  callback.open();
  callback.close();
  const stop: () => void = callback.on("completed", (event) => {
    const id: string = event.requestId;
    const status: "completed" = event.status;
    console.log(id, status);
  });
  stop();
  callback.on("scheduled", (event) => console.log(event.scheduledFor));
  callback.on("failed", (event) => console.log(event.status, event.outcome ?? "none"));
  callback.on("opened", (event) => console.log(event.source === "rule"));
  const onSubmitted = (event: { requestId: string }) => console.log(event.requestId);
  callback.on("submitted", onSubmitted);
  callback.off("submitted", onSubmitted);

  // @ts-expect-error: no such event
  callback.on("answered", () => undefined);
  // @ts-expect-error: a payload never carries the visitor's number
  callback.on("submitted", (event) => console.log(event.phone));
  // @ts-expect-error: a failed request's status is never "completed"
  callback.on("failed", (event) => event.status === "completed");
}

const stub: CallbackStub = { q: [] };
stub.q.push(["open", []]);
// @ts-expect-error: only the API's own calls can be queued
stub.q.push(["dial", []]);
