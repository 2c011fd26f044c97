// A request's timeline events (the `type`s storefront_proxy/cancellations and storefront_proxy/edits record) in
// the merchant's words, with who did it: "Approved by Ada Lovelace", "Cancelled in Shopify", "Refunded €12.50".
import { formatMoney, t, tOr } from "./i18n.js";

function actorName(actor) {
  if (!actor) return t("actor.someone");
  if (actor.kind === "staff") return actor.name || t("actor.staff_member", { id: actor.id || "?" });
  return tOr(`actor.${actor.kind}`, actor.kind);
}

// Requests retried before the event had its name were recorded as "retryd_by_staff".
const RENAMED = { retryd_by_staff: "retried_by_staff" };
// Events both kinds of request record, worded for an edit where the cancellation's words don't fit.
const EDIT_WORDS = { requested: "event.edit.requested", processing: "event.edit.processing" };

// "12.50 EUR" (how a refund's amount is recorded) in the merchant's format.
function detailMoney(detail) {
  const match = /^(-?\d+(?:\.\d+)?) ([A-Z]{3})$/.exec(detail || "");
  return match ? formatMoney({ amount: match[1], currency_code: match[2] }) : detail;
}

export function eventWords(event, kind = "cancellation") {
  const type = RENAMED[event.type] || event.type;
  const detail = type === "refunded" ? detailMoney(event.detail) : event.detail || "";
  const params = { who: actorName(event.actor), detail: detail || "" };
  const edited = kind === "edit" ? EDIT_WORDS[type] : undefined;
  const words = edited ? t(edited, params) : tOr(`event.${type}`, null, params);
  if (words) return words;
  const fallback = event.type.replace(/_/g, " ");
  return event.detail ? `${fallback}: ${event.detail}` : fallback;
}
