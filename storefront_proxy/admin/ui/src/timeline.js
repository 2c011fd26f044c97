// A request's timeline events (the `type`s storefront_proxy/cancellations records) in the merchant's words, with
// who did it: "Approved by Ada Lovelace", "Cancelled in Shopify".
import { t, tOr } from "./i18n.js";

function actorName(actor) {
  if (!actor) return t("actor.someone");
  if (actor.kind === "staff") return actor.name || t("actor.staff_member", { id: actor.id || "?" });
  return tOr(`actor.${actor.kind}`, actor.kind);
}

// Requests retried before the event had its name were recorded as "retryd_by_staff".
const RENAMED = { retryd_by_staff: "retried_by_staff" };

export function eventWords(event) {
  const params = { who: actorName(event.actor), detail: event.detail || "" };
  const words = tOr(`event.${RENAMED[event.type] || event.type}`, null, params);
  if (words) return words;
  const fallback = event.type.replace(/_/g, " ");
  return event.detail ? `${fallback}: ${event.detail}` : fallback;
}
